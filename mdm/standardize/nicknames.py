"""Given-name nickname groups: canonical name, then its nicknames and spellings.

Data only. A nickname belongs to exactly one group; where English usage is
ambiguous ("al", "chris", "terry") it goes with the most common full name,
so "Chris" matches "Christopher" but not "Christine".
"""

_GROUPS = """
aaron: aron
abigail: abby abbie
abraham: abe bram
agnes: aggie
alan: allan allen
albert: al bert bertie
alexander: alex alec alek xander lex
alexandra: alexa lexi lexie
alfred: alf alfie
alice: allie
allison: alison ali
andrea: andi andie
andrew: andy drew
angela: angie ange
anne: ann annie nan
anthony: tony ant
antonia: toni
arnold: arnie
arthur: art artie
augustus: gus august augie
barbara: barb barbie babs
barnabas: barney barnaby
bartholomew: bart
beatrice: bea trixie
benjamin: ben benny benji bennie
bernard: bernie bernhard
bradley: brad
brian: bryan
bridget: biddy bridie brigid
cameron: cam
caroline: carrie carolina carolyn caro
cassandra: cassie cass
cecilia: cissy cece cecily
charles: charlie chuck chas chaz chip
charlotte: lottie lotte char
christine: chrissy chrissie christina kristina kristine tina christy kristy
christopher: chris kris kristopher topher kit
clifford: cliff
clinton: clint
conrad: con
constance: connie
curtis: curt
cynthia: cindy cyndi
cyrus: cy
daniel: dan danny dannie
danielle: dani daniela daniella
darryl: daryl darrell
david: dave davey davy
deborah: deb debbie debby debra
dennis: denny
desmond: des dez
diana: di
dolores: lola dee delores deloris
dominic: dom dominick
donald: don donnie donny
dorothy: dot dottie dotty dolly
douglas: doug dougie
edith: edie
edmund: edmond
edward: ed eddie eddy ned ted teddy
edwin: edwyn
eduardo: lalo
eleanor: ellie elle elinor
elizabeth: liz lizzie lizzy beth betty bette betsy bess bessie eliza libby elisabeth
elliott: elliot eliot
emily: em emmy emilie
emmanuel: manny emanuel
eric: erik
ernest: ernie
esther: essie hester
eugene: gene
eugenia: genie
evelyn: evie
ezekiel: zeke
felicity: flick
ferdinand: ferdie ferdy
fitzgerald: fitz
florence: flo flossie
frances: fran frannie fanny
francis: frank frankie franky
francisco: paco pancho
frederick: fred freddie freddy fritz frederic fredrick
gabriel: gabe
gabrielle: gabby gabbie gabriella
garrett: garret
gary: garry
george: georgie
georgina: gina
geraldine: gerri geri
gerald: gerry jerry
gertrude: gertie trudy
gilbert: gil
gordon: gordy gord
graham: graeme
gregory: greg gregg
gwendolyn: gwen
harold: hal
harriet: hattie hatty
harvey: harv
henrietta: etta hetty
henry: hank harry
herbert: herb herbie
howard: howie
hubert: hubie
hugh: hughie
ignacio: nacho
ignatius: iggy
isaac: ike
isabella: izzy izzie bella isabel isabelle isobel
jacob: jake jakob
jacqueline: jackie jacqui jacky
james: jim jimmy jimmie jamie jas jem
jane: janie jayne
janet: jan janette
janice: janis
jean: jeanie jeannie
jeffrey: jeff jeffery geoffrey geoff
jennifer: jen jenny jenn jenni
jessica: jess jessie
joan: joanie
joanna: jo joanne johanna
john: johnny johnnie jack jock
jonathan: jon jonny jonnie jonty
jose: pepe
joseph: joe joey jos
josephine: josie
joshua: josh
judith: judy judi
julia: julie juli
julian: jules
karen: karyn
katherine: kate katie katy kathy cathy catherine kathryn kathrine katharine cathryn kat kitty kay cate
katrina: trina
kenneth: ken kenny
kevin: kev
kimberly: kim kimmy kimberley
laura: laurie lori lora
lawrence: larry laurence lawrie
leonard: len lenny lennie leo
lester: les
lillian: lily lil lilly
linda: lindy
loretta: retta
louis: lou louie lewis
louise: louisa lulu
lucy: lucie
madeline: maddie maddy madeleine madelyn
malcolm: mal malc
margaret: maggie meg peggy peg marge margie madge
marjorie: margery marjory
mark: marc marky
martha: mattie
martin: marty
marvin: marv
mary: molly mollie polly mamie
matilda: tilly tillie
matthew: matt matty mat
maurice: morris mo
maximilian: max
megan: meghan meagan
melissa: missy lissa
melvin: mel
mervyn: merv
michael: mike mikey mick mickey micky
michelle: shelly shelley chelle michele
mildred: millie milly
milton: milt
miriam: mimi
mitchell: mitch
montgomery: monty
mortimer: mort morty
moses: moe mose
nancy: nance
natalie: nattie
natasha: tasha tash
nathaniel: nate nathan nat
neil: neal niall
nicholas: nick nicky nico nic nicolas nickolas
nicole: nikki nicki nicola
norbert: norb
norman: norm
olivia: liv livvy livia
oliver: ollie olly
oswald: ozzy oz
pamela: pam pammy
patricia: patty patsy tricia trish patti trisha
patrick: pat paddy
paul: paulie
penelope: penny pen
percival: percy
peter: pete
philip: phil phillip pip
philippa: pippa
priscilla: cilla prissy
prudence: prue pru
quentin: quint
rachel: rae rach
ralph: rafe
randall: randy rand
raphael: rafael rafa
raymond: ray
rebecca: becky becca beck
reginald: reg reggie
reuben: rube ruben
richard: rick ricky rich richie dick dickie
robert: bob bobby rob robbie robby robb
roberta: bobbi bobbie
rodney: rod
roger: rodge
ronald: ron ronnie ronny
rose: rosie rosy
rudolph: rudy rudi rudolf
russell: russ rusty
ruth: ruthie
salvatore: sal
samantha: sammi sami
samuel: sam sammy
sandra: sandy sandi sondra
sarah: sally sadie sara
scott: scotty
sean: shaun shawn
sebastian: seb bastian
sharon: shari
sidney: sid syd
simon: si
solomon: sol
sophia: sophie sofia
stanley: stan
stephanie: steph stephie stefanie
stephen: steve stevie steven stephan
stuart: stu stewart
susan: sue susie suzy suzie
sylvester: sly
tabitha: tabby
tamara: tammy tami
terence: terry terrance terrence
thaddeus: thad tad
theodore: theo
theresa: teresa tess tessie terri
thomas: tom tommy tommie thom
timothy: tim timmy
tobias: toby
tyler: ty
valerie: val
vernon: vern
veronica: roni
victor: vic vick
victoria: vicky vicki vickie tori
vincent: vince vinny vin
virginia: ginny ginger
walter: walt wally
wesley: wes
wilfred: wilf
william: bill billy billie will willy willie wil liam wm
winifred: winnie
winston: win
xavier: xavi
zachary: zach zack zak zac
"""


def _parse(groups: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for line in groups.strip().splitlines():
        canonical, _, variants = line.partition(":")
        for name in (canonical, *variants.split()):
            name = name.strip()
            if index.get(name, canonical) != canonical:
                raise ValueError(f"nickname {name!r} is in two groups")
            index[name] = canonical
    return index


#: Every known given name or nickname -> its group's canonical name.
NICKNAMES: dict[str, str] = _parse(_GROUPS)

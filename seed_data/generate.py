#!/usr/bin/env python3
"""Deterministic generator of the MDM hub seed data set.

Writes realistic ERP / CRM / WMS exports for customers, items and prices with
planted duplicates and noise, one ``<stem>.mapping.yaml`` per data file and a
``truth.csv`` (``system,domain,source_key,entity``) that says which records
belong to the same real-world entity.

Usage::

    python seed_data/generate.py --out seed_data --scale 1 --seed 42
    python seed_data/generate.py --out /tmp/bench --scale 500 --domains customer

``--scale 1`` is about 1,000 real entities per domain.  Same arguments give
byte-identical files.  Customers are generated in chunks and streamed to disk,
so very large scales (hundreds of thousands of entities) stay memory-frugal.

Only the standard library is used; every word list is inline data below.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterable

ALL_DOMAINS = ("customer", "item", "price")
BASE_ENTITIES = 1000  # real entities per domain at scale 1
CHUNK = 20000  # customer entities generated, shuffled and written per chunk

# --------------------------------------------------------------------------
# Inline reference data
# --------------------------------------------------------------------------

# (city, state, first ZIP, area code)
US_CITIES = [
    ("New York", "NY", "10001", "212"), ("Brooklyn", "NY", "11201", "718"),
    ("Buffalo", "NY", "14201", "716"), ("Rochester", "NY", "14604", "585"),
    ("Albany", "NY", "12207", "518"), ("Boston", "MA", "02108", "617"),
    ("Worcester", "MA", "01608", "508"), ("Springfield", "MA", "01103", "413"),
    ("Cambridge", "MA", "02139", "617"), ("Hartford", "CT", "06103", "860"),
    ("New Haven", "CT", "06510", "203"), ("Stamford", "CT", "06901", "203"),
    ("Providence", "RI", "02903", "401"), ("Portland", "ME", "04101", "207"),
    ("Manchester", "NH", "03101", "603"), ("Burlington", "VT", "05401", "802"),
    ("Newark", "NJ", "07102", "973"), ("Jersey City", "NJ", "07302", "201"),
    ("Trenton", "NJ", "08608", "609"), ("Edison", "NJ", "08817", "732"),
    ("Philadelphia", "PA", "19102", "215"), ("Pittsburgh", "PA", "15222", "412"),
    ("Allentown", "PA", "18101", "610"), ("Baltimore", "MD", "21201", "410"),
    ("Wilmington", "DE", "19801", "302"), ("Washington", "DC", "20001", "202"),
    ("Richmond", "VA", "23219", "804"), ("Norfolk", "VA", "23510", "757"),
    ("Charlotte", "NC", "28202", "704"), ("Raleigh", "NC", "27601", "919"),
    ("Greensboro", "NC", "27401", "336"), ("Columbia", "SC", "29201", "803"),
    ("Charleston", "SC", "29401", "843"), ("Atlanta", "GA", "30303", "404"),
    ("Savannah", "GA", "31401", "912"), ("Jacksonville", "FL", "32202", "904"),
    ("Miami", "FL", "33130", "305"), ("Tampa", "FL", "33602", "813"),
    ("Orlando", "FL", "32801", "407"), ("Birmingham", "AL", "35203", "205"),
    ("Nashville", "TN", "37203", "615"), ("Memphis", "TN", "38103", "901"),
    ("Knoxville", "TN", "37902", "865"), ("Louisville", "KY", "40202", "502"),
    ("Lexington", "KY", "40507", "859"), ("Columbus", "OH", "43215", "614"),
    ("Cleveland", "OH", "44113", "216"), ("Cincinnati", "OH", "45202", "513"),
    ("Toledo", "OH", "43604", "419"), ("Dayton", "OH", "45402", "937"),
    ("Detroit", "MI", "48226", "313"), ("Grand Rapids", "MI", "49503", "616"),
    ("Lansing", "MI", "48933", "517"), ("Indianapolis", "IN", "46204", "317"),
    ("Fort Wayne", "IN", "46802", "260"), ("Chicago", "IL", "60601", "312"),
    ("Springfield", "IL", "62701", "217"), ("Peoria", "IL", "61602", "309"),
    ("Milwaukee", "WI", "53202", "414"), ("Madison", "WI", "53703", "608"),
    ("Minneapolis", "MN", "55401", "612"), ("Saint Paul", "MN", "55101", "651"),
    ("Des Moines", "IA", "50309", "515"), ("Saint Louis", "MO", "63101", "314"),
    ("Kansas City", "MO", "64105", "816"), ("Omaha", "NE", "68102", "402"),
    ("Wichita", "KS", "67202", "316"), ("Oklahoma City", "OK", "73102", "405"),
    ("Tulsa", "OK", "74103", "918"), ("Dallas", "TX", "75201", "214"),
    ("Houston", "TX", "77002", "713"), ("Austin", "TX", "78701", "512"),
    ("San Antonio", "TX", "78205", "210"), ("Fort Worth", "TX", "76102", "817"),
    ("El Paso", "TX", "79901", "915"), ("Little Rock", "AR", "72201", "501"),
    ("New Orleans", "LA", "70112", "504"), ("Baton Rouge", "LA", "70801", "225"),
    ("Jackson", "MS", "39201", "601"), ("Denver", "CO", "80202", "303"),
    ("Colorado Springs", "CO", "80903", "719"), ("Salt Lake City", "UT", "84101", "801"),
    ("Albuquerque", "NM", "87102", "505"), ("Phoenix", "AZ", "85004", "602"),
    ("Tucson", "AZ", "85701", "520"), ("Las Vegas", "NV", "89101", "702"),
    ("Reno", "NV", "89501", "775"), ("Los Angeles", "CA", "90012", "213"),
    ("San Diego", "CA", "92101", "619"), ("San Francisco", "CA", "94102", "415"),
    ("San Jose", "CA", "95113", "408"), ("Sacramento", "CA", "95814", "916"),
    ("Fresno", "CA", "93721", "559"), ("Oakland", "CA", "94612", "510"),
    ("Long Beach", "CA", "90802", "562"), ("Portland", "OR", "97204", "503"),
    ("Seattle", "WA", "98101", "206"), ("Spokane", "WA", "99201", "509"),
    ("Tacoma", "WA", "98402", "253"), ("Boise", "ID", "83702", "208"),
    ("Billings", "MT", "59101", "406"), ("Anchorage", "AK", "99501", "907"),
    ("Honolulu", "HI", "96813", "808"), ("Charleston", "WV", "25301", "304"),
    ("Fargo", "ND", "58102", "701"), ("Sioux Falls", "SD", "57104", "605"),
    ("Cheyenne", "WY", "82001", "307"),
]
# city names that exist in two states (hard negatives for look-alike companies)
TWIN_CITIES = [("Portland", "ME", "OR"), ("Springfield", "MA", "IL"), ("Charleston", "SC", "WV")]

US_STATES = {
    "AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AZ": "Arizona", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DC": "District of Columbia", "DE": "Delaware",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho",
    "IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine", "MI": "Michigan",
    "MN": "Minnesota", "MO": "Missouri", "MS": "Mississippi", "MT": "Montana",
    "NC": "North Carolina", "ND": "North Dakota", "NE": "Nebraska", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NV": "Nevada", "NY": "New York", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas",
    "UT": "Utah", "VA": "Virginia", "VT": "Vermont", "WA": "Washington", "WI": "Wisconsin",
    "WV": "West Virginia", "WY": "Wyoming",
}
# (city, province, FSA, area code)
CA_CITIES = [
    ("Toronto", "ON", "M5V", "416"), ("Mississauga", "ON", "L5B", "905"),
    ("Ottawa", "ON", "K1P", "613"), ("Hamilton", "ON", "L8P", "905"),
    ("Montréal", "QC", "H3B", "514"), ("Québec", "QC", "G1R", "418"),
    ("Vancouver", "BC", "V6B", "604"), ("Calgary", "AB", "T2P", "403"),
    ("Edmonton", "AB", "T5J", "780"), ("Winnipeg", "MB", "R3C", "204"),
    ("Halifax", "NS", "B3H", "902"),
]
CA_PROVINCES = {"ON": "Ontario", "QC": "Quebec", "BC": "British Columbia", "AB": "Alberta",
                "MB": "Manitoba", "NS": "Nova Scotia"}
# (city, Land code, first PLZ, area code without trunk 0)
DE_CITIES = [
    ("Berlin", "BE", "10115", "30"), ("Hamburg", "HH", "20095", "40"),
    ("München", "BY", "80331", "89"), ("Köln", "NW", "50667", "221"),
    ("Frankfurt am Main", "HE", "60311", "69"), ("Stuttgart", "BW", "70173", "711"),
    ("Düsseldorf", "NW", "40213", "211"), ("Nürnberg", "BY", "90402", "911"),
    ("Dortmund", "NW", "44135", "231"), ("Leipzig", "SN", "04109", "341"),
]
DE_LANDER = {"BE": "Berlin", "HH": "Hamburg", "BY": "Bayern", "NW": "Nordrhein-Westfalen",
             "HE": "Hessen", "BW": "Baden-Württemberg", "SN": "Sachsen"}
# (city, '', first code postal, area digit)
FR_CITIES = [
    ("Paris", "", "75001", "1"), ("Lyon", "", "69001", "4"), ("Marseille", "", "13001", "4"),
    ("Toulouse", "", "31000", "5"), ("Lille", "", "59000", "3"), ("Nantes", "", "44000", "2"),
    ("Strasbourg", "", "67000", "3"), ("Bordeaux", "", "33000", "5"),
]
# (city, '', postcode outward code, area code)
GB_CITIES = [
    ("London", "", "EC1A", "20"), ("Manchester", "", "M1", "161"), ("Birmingham", "", "B1", "121"),
    ("Leeds", "", "LS1", "113"), ("Glasgow", "", "G1", "141"), ("Bristol", "", "BS1", "117"),
]
CITIES = {"US": US_CITIES, "CA": CA_CITIES, "DE": DE_CITIES, "FR": FR_CITIES, "GB": GB_CITIES}
COUNTRY_CODE = {"US": "1", "CA": "1", "DE": "49", "FR": "33", "GB": "44"}
COUNTRY_NAMES = {
    "US": ["United States", "United States", "USA", "US", "United States of America"],
    "CA": ["Canada", "Canada", "CA"],
    "DE": ["Germany", "Germany", "Deutschland", "DE"],
    "FR": ["France", "France", "FR"],
    "GB": ["United Kingdom", "UK", "GB", "United Kingdom"],
}

US_STREETS = [
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lincoln", "Jefferson",
    "Madison", "Franklin", "Park", "Lake", "Hill", "Church", "Mill", "River", "Spring",
    "Center", "Market", "Union", "Water", "Bridge", "Highland", "Forest", "Meadow",
    "Sunset", "Ridge", "Valley", "Walnut", "Chestnut", "Cherry", "Willow", "Birch",
    "Industrial", "Commerce", "Enterprise", "Technology", "Corporate", "Harbor", "Airport",
    "Railroad", "Depot", "Mission", "Broad", "Grand", "Front", "State", "College",
    "Liberty", "Pleasant", "Prospect", "Summit", "Jackson", "Adams", "Monroe", "Hamilton",
    "Kennedy", "King", "Martin Luther King Jr", "Riverside", "Lakeview", "Fairview",
    "Greenwood", "Woodland", "Oakwood", "Brookside", "Hickory", "Magnolia", "Dogwood",
    "1st", "2nd", "3rd", "4th", "5th", "7th", "10th", "12th", "42nd",
]
STREET_TYPES = [("Street", "St"), ("Street", "St"), ("Street", "St"), ("Avenue", "Ave"),
                ("Avenue", "Ave"), ("Road", "Rd"), ("Road", "Rd"), ("Boulevard", "Blvd"),
                ("Drive", "Dr"), ("Drive", "Dr"), ("Lane", "Ln"), ("Court", "Ct"),
                ("Place", "Pl"), ("Parkway", "Pkwy"), ("Highway", "Hwy"), ("Way", "Way"),
                ("Circle", "Cir"), ("Terrace", "Ter"), ("Trail", "Trl")]
DIRECTIONS = [("North", "N"), ("South", "S"), ("East", "E"), ("West", "W")]
UNIT_TYPES_ORG = [("Suite", "Ste"), ("Suite", "Ste"), ("Suite", "Ste"), ("Suite", "Ste"),
                  ("Building", "Bldg"), ("Unit", "Unit"), ("Floor", "Fl")]
UNIT_TYPES_PERSON = [("Apartment", "Apt"), ("Apartment", "Apt"), ("Unit", "Unit"), ("Apartment", "#")]
DE_STREETS = ["Haupt", "Bahnhof", "Schiller", "Goethe", "Garten", "Industrie", "Kirch",
              "Berliner ", "Münchner ", "Schul", "Wald", "Ring", "Linden", "Friedrich",
              "Mozart", "Gewerbe", "Dorf", "Kölner ", "Rosen", "Birken"]
DE_STREET_TYPES = ["straße", "straße", "straße", "weg", "allee", "platz"]
FR_STREETS = [("rue", "de la République"), ("rue", "Victor Hugo"), ("avenue", "Jean Jaurès"),
              ("boulevard", "Haussmann"), ("rue", "du Général de Gaulle"), ("avenue", "de la Gare"),
              ("rue", "Pasteur"), ("boulevard", "Voltaire"), ("rue", "des Écoles"),
              ("avenue", "Foch"), ("rue", "Nationale"), ("rue", "de Lyon")]
FR_ABBR = {"rue": "r.", "avenue": "av.", "boulevard": "bd"}
GB_STREETS = ["High", "Station", "Church", "Victoria", "Park", "Queen", "King", "Mill", "London",
              "Green", "Manor", "New", "Albert"]
GB_TYPES = [("Street", "St"), ("Road", "Rd"), ("Lane", "Ln"), ("Avenue", "Ave")]

MALE = [
    "James", "Robert", "John", "Michael", "William", "David", "Richard", "Joseph", "Thomas",
    "Charles", "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Paul", "Andrew", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Lawrence", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Frank", "Raymond", "Patrick", "Jack", "Dennis", "Gerald", "Tyler", "Aaron",
    "Jose", "Henry", "Adam", "Douglas", "Nathan", "Peter", "Zachary", "Kyle", "Walter",
    "Harold", "Jeremy", "Ethan", "Carl", "Keith", "Roger", "Terry", "Sean", "Arthur",
    "Frederick", "Theodore", "Luis", "Carlos", "Wei", "Raj",
]
FEMALE = [
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Nancy", "Lisa", "Margaret", "Betty", "Sandra", "Ashley", "Dorothy",
    "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah",
    "Stephanie", "Rebecca", "Laura", "Sharon", "Cynthia", "Katherine", "Amy", "Angela",
    "Anna", "Emma", "Olivia", "Maria", "Sophia", "Isabella", "Julia", "Grace", "Victoria",
    "Samantha", "Christine", "Pamela", "Judith", "Abigail", "Rachel", "Megan", "Heather",
    "Nicole", "Priya", "Mei", "Guadalupe",
]
DE_MALE = ["Hans", "Jürgen", "Klaus", "Stefan", "Andreas", "Wolfgang", "Uwe", "Jörg", "Günter", "Matthias"]
DE_FEMALE = ["Sabine", "Ursula", "Petra", "Monika", "Birgit", "Katrin", "Jutta", "Brigitte"]
FR_MALE = ["François", "Jean", "Pierre", "Michel", "René", "Jérôme", "Stéphane", "Sébastien"]
FR_FEMALE = ["Hélène", "Céline", "Amélie", "Élodie", "Chloé", "Isabelle", "Nathalie"]
NICKNAMES = {
    "Robert": ["Bob", "Rob", "Bobby"], "William": ["Bill", "Will", "Billy"],
    "Katherine": ["Kate", "Kathy", "Katie"], "James": ["Jim", "Jimmy"], "Michael": ["Mike"],
    "Elizabeth": ["Liz", "Beth", "Betty"], "Thomas": ["Tom"], "Richard": ["Dick", "Rick"],
    "Margaret": ["Peggy", "Maggie", "Meg"], "Charles": ["Chuck", "Charlie"],
    "Joseph": ["Joe"], "Jennifer": ["Jen", "Jenny"], "Christopher": ["Chris"],
    "Daniel": ["Dan", "Danny"], "Matthew": ["Matt"], "Anthony": ["Tony"], "Steven": ["Steve"],
    "Andrew": ["Andy", "Drew"], "Joshua": ["Josh"], "Kenneth": ["Ken"],
    "Edward": ["Ed", "Ted"], "Timothy": ["Tim"], "Patricia": ["Pat", "Patty", "Trish"],
    "Susan": ["Sue"], "Deborah": ["Deb", "Debbie"], "Rebecca": ["Becky"],
    "Samantha": ["Sam"], "Alexander": ["Alex"], "Nicholas": ["Nick"], "Jonathan": ["Jon"],
    "Benjamin": ["Ben"], "Gregory": ["Greg"], "Jessica": ["Jess"], "Victoria": ["Vicky"],
    "Abigail": ["Abby"], "Christine": ["Chris"], "Lawrence": ["Larry"], "Raymond": ["Ray"],
    "Ronald": ["Ron"], "Donald": ["Don"], "Gerald": ["Jerry"], "Frederick": ["Fred"],
    "Theodore": ["Ted"], "Dorothy": ["Dot"], "Pamela": ["Pam"], "Cynthia": ["Cindy"],
    "Kimberly": ["Kim"], "Barbara": ["Barb"], "Judith": ["Judy"], "Samuel": ["Sam"],
    "Zachary": ["Zach"], "Douglas": ["Doug"], "Jeffrey": ["Jeff"], "Stephen": ["Steve"],
    "Walter": ["Walt"], "Harold": ["Harry"], "Patrick": ["Pat"], "Jacob": ["Jake"],
    "Wolfgang": ["Wolf"], "Matthias": ["Matze"],
}
SURNAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman",
    "Butler", "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
    "Patterson", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "West", "Cole",
    "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Stevens", "Murray",
    "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald", "Woods",
    "Kennedy", "Wells", "Vargas", "Chen", "Freeman", "Webb", "Tucker", "Burns", "Crawford",
    "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Silva", "Shaw", "Snyder", "Mason",
    "Dixon", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Weaver", "Ryan", "Gardner", "Payne",
    "Grant", "Dunn", "Spencer", "Hawkins", "Arnold", "Pierce", "Hansen", "Peters", "Santos",
    "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong", "Hudson",
    "Carroll", "Riley", "Andrews", "Ray", "Berry", "Hoffman", "Johnston", "Matthews",
    "Richards", "Willis", "Carpenter", "Lawrence", "O'Brien", "O'Connor", "McCarthy",
    "DeLuca", "Van Dyke", "St. John", "Kowalski", "Novak", "Schultz", "Larsen", "Yamamoto",
]
DE_SURNAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
               "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
               "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann",
               "Lange", "Werner", "Krause", "Köhler", "Weiß", "Jäger", "Günther"]
FR_SURNAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
               "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier", "Faure",
               "Rousseau", "Fontaine", "Chevalier", "Girard", "Bonnet", "Lambert", "Mercier"]
COMMON_NAME_PAIRS = [("John", "Smith"), ("Maria", "Garcia"), ("Michael", "Johnson"),
                     ("James", "Williams"), ("Robert", "Brown"), ("Jennifer", "Davis"),
                     ("David", "Miller"), ("Mary", "Jones"), ("Jose", "Martinez"),
                     ("William", "Wilson"), ("Linda", "Anderson"), ("Michael", "Lee")]
EMAIL_DOMAINS_US = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.com", "outlook.com",
                    "hotmail.com", "aol.com", "icloud.com", "comcast.net", "att.net", "verizon.net"]
EMAIL_DOMAINS = {"US": EMAIL_DOMAINS_US, "CA": ["gmail.com", "yahoo.ca", "rogers.com", "shaw.ca", "outlook.com"],
                 "DE": ["gmx.de", "web.de", "t-online.de", "gmail.com"],
                 "FR": ["orange.fr", "free.fr", "gmail.com", "laposte.net"],
                 "GB": ["gmail.com", "btinternet.com", "hotmail.co.uk"]}

# organisation names
ORG_BRANDS = ["Acme", "Apex", "Summit", "Pinnacle", "Keystone", "Liberty", "Patriot", "Eagle",
              "Falcon", "Titan", "Vanguard", "Meridian", "Horizon", "Frontier", "Pioneer",
              "Heritage", "Sterling", "Premier", "Allied", "United", "National", "American",
              "Continental", "Superior", "Precision", "Reliable", "Dynamic", "Advanced",
              "Integrated", "Global", "Atlas", "Benchmark", "Cornerstone", "Crown", "Delta",
              "Empire", "Evergreen", "Granite", "Ironwood", "Landmark", "Lighthouse", "Mercury",
              "Northstar", "Oakridge", "Paragon", "Redwood", "Silverline", "Trident", "Zenith",
              "Bluewater", "Copperfield", "Blackstone", "Red Oak", "Westside", "Eastside"]
ORG_PLACES = ["Pacific", "Atlantic", "Midwest", "Great Lakes", "Gulf Coast", "Rocky Mountain",
              "Northeast", "Southern", "Western", "Central", "Tri-State", "Bay Area", "Lone Star",
              "Golden State", "Buckeye", "Hoosier", "Sunshine", "Cascade", "Blue Ridge", "Ozark",
              "Capital", "Metro", "Coastal", "River Valley", "Prairie", "Mid-Atlantic", "Desert",
              "New England", "Heartland", "Piedmont"]
ORG_TRADES = ["Supply", "Industrial Supply", "Electric", "Electrical Contractors", "Plumbing",
              "Plumbing & Heating", "Mechanical", "Construction", "Builders", "Manufacturing",
              "Machine Works", "Tool & Die", "Fabrication", "Hardware", "Maintenance Services",
              "Facility Services", "HVAC", "Roofing", "Logistics", "Distribution", "Equipment",
              "Engineering", "Technologies", "Industries", "International", "Systems",
              "Packaging", "Foods", "Property Management", "Brothers", "Associates",
              "Manufacturing Company", "Industrial Services", "Welding & Fabrication",
              "Janitorial Services", "Hospitality Group", "Health Systems", "Contracting"]
US_SUFFIXES = ["Inc"] * 35 + ["LLC"] * 25 + ["Corp"] * 12 + ["Co"] * 10 + ["Ltd"] * 3 + [""] * 15
DE_TRADES = ["Elektrotechnik", "Maschinenbau", "Metallbau", "Haustechnik", "Werkzeugbau",
             "Industriebedarf", "Logistik", "Sanitär", "Handelsgesellschaft", "Schraubenhandel",
             "Gebäudetechnik", "Stahlbau"]
DE_SUFFIXES = ["GmbH"] * 6 + ["GmbH & Co. KG"] * 2 + ["AG"]
FR_TRADES = ["Électricité", "Plomberie", "Industrie", "Fournitures Industrielles", "Mécanique",
             "Bâtiment", "Distribution", "Équipements", "Maintenance"]
FR_SUFFIXES = ["SARL"] * 4 + ["SA"] * 2 + ["SAS"] * 3
GB_SUFFIXES = ["Ltd"] * 6 + ["PLC"] + ["Limited"] * 0
CA_SUFFIXES = ["Inc"] * 4 + ["Ltd"] * 3 + ["Corp"] + [""]

SUFFIX_VARIANTS = {
    "Inc": ["Inc", "Inc.", "Incorporated", ", Inc.", ", Inc"],
    "LLC": ["LLC", "L.L.C.", ", LLC", "Llc"],
    "Corp": ["Corp", "Corp.", "Corporation", "Corp., Inc."],
    "Co": ["Co", "Co.", "Company", "& Co."],
    "Ltd": ["Ltd", "Ltd.", "Limited"],
    "GmbH": ["GmbH", "G.m.b.H.", "Gmbh"],
    "GmbH & Co. KG": ["GmbH & Co. KG", "GmbH & Co KG"],
    "AG": ["AG"],
    "SARL": ["SARL", "S.A.R.L.", "Sarl"],
    "SA": ["SA", "S.A."],
    "SAS": ["SAS", "S.A.S."],
    "PLC": ["PLC", "plc"],
}
ORG_WORD_ABBR = [("International", "Intl"), ("Manufacturing", "Mfg"), ("Company", "Co"),
                 ("Corporation", "Corp"), ("Brothers", "Bros"), ("Services", "Svcs"),
                 ("Associates", "Assoc"), ("Distribution", "Dist"), ("Industries", "Inds"),
                 ("Engineering", "Eng"), (" & ", " and "), ("Equipment", "Equip")]
INDUSTRIES = ["Manufacturing", "Construction", "Retail", "Wholesale", "Healthcare", "Education",
              "Government", "Hospitality", "Transportation", "Energy", "Utilities", "Agriculture"]
OWNERS = ["Dana Whitfield", "Marcus Lee", "Priya Raman", "Tom Kowalski", "Jennifer Ortiz",
          "Greg Halvorsen", "Aisha Bello", "Kevin O'Neill", "Laura Chen", "Steve Brandt"]
ZTERMS_ORG = ["NT30"] * 12 + ["NT60"] * 3 + ["NT45"] * 2 + ["2/10N30"] * 2 + ["NT15"]
SEGMENTS = ["Enterprise", "Mid-Market", "Small Business"]
NAME2_NOTES = ["ATTN ACCOUNTS PAYABLE", "ATTN: PURCHASING", "C/O FACILITIES DEPT",
               "PURCHASING DEPT", "ACCOUNTS PAYABLE", "MAINTENANCE DEPT"]
DOCK_HOURS = ["MON-FRI 7:00-15:00", "M-F 8A-4P", "24/7", "MON-FRI 06:00-14:00", "M-TH 7-3:30",
              "MON-SAT 8-5", "APPT ONLY", "M-F 7AM-3PM"]
WMS_ADDR2 = ["DOCK 3", "DOCK 1", "DOOR 12", "RECEIVING", "BLDG B", "REAR ENTRANCE", "DOCK 7",
             "LOADING DOCK"]

KEYBOARD = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}

# ---- items ----------------------------------------------------------------

THREADS = [("#8-32", "#8-32", "0832"), ("#10-24", "#10-24", "1024"), ("#10-32", "#10-32", "1032"),
           ("1/4-20", "1/4-20", "420"), ("5/16-18", "5/16-18", "518"), ("3/8-16", "3/8-16", "616"),
           ("1/2-13", "1/2-13", "813")]
THREADS_BIG = THREADS[3:]
LENGTHS = [("1/2", "1/2", "050"), ("3/4", "3/4", "075"), ("1", "1", "100"), ("1-1/4", "1-1/4", "125"),
           ("1-1/2", "1-1/2", "150"), ("2", "2", "200"), ("2-1/2", "2-1/2", "250"), ("3", "3", "300"),
           ("4", "4", "400")]
LENGTHS_LONG = LENGTHS[2:] + [("5", "5", "500"), ("6", "6", "600")]
FINISHES = [("Zinc Plated", "ZN", "Z"), ("18-8 Stainless Steel", "SS", "S"), ("Black Oxide", "BO", "B"),
            ("Plain Steel", "PLN", "P"), ("Hot-Dip Galvanized", "HDG", "G")]
WOOD_GAUGE = [("#6", "#6", "06"), ("#8", "#8", "08"), ("#10", "#10", "10"), ("#12", "#12", "12")]
WASHER = [("#10", "#10", "10"), ("1/4in", "1/4", "25"), ("5/16in", "5/16", "31"), ("3/8in", "3/8", "37"),
          ("1/2in", "1/2", "50"), ("5/8in", "5/8", "62")]
AWG = [("14 AWG", "14AWG", "14"), ("12 AWG", "12AWG", "12"), ("10 AWG", "10AWG", "10"),
       ("8 AWG", "8AWG", "08"), ("6 AWG", "6AWG", "06")]
WIRE_COLOR = [("Black", "BLK", "BK"), ("White", "WHT", "WH"), ("Red", "RED", "RD"),
              ("Green", "GRN", "GN"), ("Blue", "BLU", "BL")]
SPOOL = [("500 ft Spool", "500FT", "5"), ("2500 ft Reel", "2500FT", "25")]
POLES = [("1-Pole", "1P", "1"), ("2-Pole", "2P", "2")]
AMPS = [("15A", "15A", "15"), ("20A", "20A", "20"), ("30A", "30A", "30"), ("40A", "40A", "40"),
        ("50A", "50A", "50"), ("60A", "60A", "60")]
BRK_STYLE = [("Plug-On", "PLGON", "P"), ("Bolt-On", "BLTON", "B")]
CONN_COLOR = [("Gray", "GRY", "GY"), ("Blue", "BLU", "BL"), ("Orange", "ORG", "OR"),
              ("Yellow", "YEL", "YL"), ("Red", "RED", "RD"), ("Tan", "TAN", "TN")]
LAMP_SHAPE = [("A19", "A19", "A19"), ("A21", "A21", "A21"), ("BR30", "BR30", "BR30"), ("PAR38", "PAR38", "PAR38")]
LAMP_WATT = [("9W", "9W", "09"), ("12W", "12W", "12"), ("15W", "15W", "15"), ("18W", "18W", "18")]
LAMP_CCT = [("2700K", "27K", "27"), ("3000K", "30K", "30"), ("4000K", "40K", "40"), ("5000K", "50K", "50")]
PIPE_SIZE = [("1/4", "1/4", "025"), ("3/8", "3/8", "037"), ("1/2", "1/2", "050"), ("3/4", "3/4", "075"),
             ("1", "1", "100"), ("1-1/4", "1-1/4", "125"), ("1-1/2", "1-1/2", "150"), ("2", "2", "200")]
VALVE_MAT = [("Brass", "BRS", "B"), ("Stainless Steel", "SS", "S"), ("PVC", "PVC", "P")]
VALVE_END = [("Threaded FNPT", "FNPT", "T"), ("Sweat", "SWT", "W"), ("Press", "PRS", "P")]
FIT_END = [("Sweat", "C X C", "C"), ("Press", "P X P", "P")]
PIPE_LEN = [("10ft", "10FT", "10"), ("20ft", "20FT", "20")]
GLOVE_MIL = [("4 mil", "4MIL", "4"), ("5 mil", "5MIL", "5"), ("6 mil", "6MIL", "6"), ("8 mil", "8MIL", "8")]
GLOVE_SIZE = [("Small", "SM", "S"), ("Medium", "MD", "M"), ("Large", "LG", "L"), ("X-Large", "XL", "XL")]
GLOVE_COLOR = [("Blue", "BLU", "B"), ("Black", "BLK", "K"), ("Purple", "PUR", "P")]
LENS = [("Clear", "CLR", "C"), ("Gray", "GRY", "G"), ("Amber", "AMB", "A"), ("Indoor/Outdoor Mirror", "I/O", "M")]
FRAME = [("Black Frame", "BLK FRM", "K"), ("Blue Frame", "BLU FRM", "B"), ("Clear Frame", "CLR FRM", "C")]
COATING = [("Anti-Fog", "AF", "F"), ("Anti-Scratch", "AS", "S")]
DRILL_SIZE = [("1/8", "1/8", "08"), ("9/64", "9/64", "09"), ("5/32", "5/32", "10"), ("3/16", "3/16", "12"),
              ("7/32", "7/32", "14"), ("1/4", "1/4", "16"), ("5/16", "5/16", "20"), ("3/8", "3/8", "24"),
              ("7/16", "7/16", "28"), ("1/2", "1/2", "32")]
DRILL_MAT = [("High-Speed Steel", "HSS", "H"), ("Cobalt", "COB", "C"), ("Black Oxide", "BO", "B"),
             ("Titanium Nitride Coated", "TIN", "T")]
WHEEL_DIA = [("4-1/2in", "4-1/2", "45"), ("5in", "5", "50"), ("6in", "6", "60"), ("7in", "7", "70")]
WHEEL_THK = [("0.040in", ".040", "40"), ("0.045in", ".045", "45"), ("1/16in", "1/16", "62")]
DISC_DIA = [("5in", "5", "5"), ("6in", "6", "6")]
GRIT = [("40 Grit", "40G", "040"), ("60 Grit", "60G", "060"), ("80 Grit", "80G", "080"),
        ("120 Grit", "120G", "120"), ("150 Grit", "150G", "150"), ("220 Grit", "220G", "220"),
        ("320 Grit", "320G", "320")]
LINER_CAP = [("33 Gal", "33GAL", "33"), ("45 Gal", "45GAL", "45"), ("55 Gal", "55GAL", "55"), ("60 Gal", "60GAL", "60")]
LINER_MIL = [("1.2 mil", "1.2MIL", "12"), ("1.5 mil", "1.5MIL", "15"), ("2.0 mil", "2MIL", "20")]
LINER_COLOR = [("Black", "BLK", "B"), ("Clear", "CLR", "C")]
TAPE_W = [("1.88in", "1.88", "48"), ("2.83in", "2.83", "72")]
TAPE_L = [("35yd", "35YD", "35"), ("60yd", "60YD", "60")]
TAPE_COLOR = [("Silver", "SLV", "S"), ("Black", "BLK", "K"), ("White", "WHT", "W"), ("Red", "RED", "R"),
              ("Blue", "BLU", "B")]
CLAMP_SIZE = [("#6", "#6", "06"), ("#8", "#8", "08"), ("#10", "#10", "10"), ("#12", "#12", "12"),
              ("#16", "#16", "16"), ("#20", "#20", "20"), ("#24", "#24", "24"), ("#28", "#28", "28"),
              ("#32", "#32", "32"), ("#40", "#40", "40")]
CLAMP_MAT = [("Stainless Steel", "SS", "S"), ("Zinc Plated", "ZN", "Z")]
TOWEL_TYPE = [("Multifold", "MULTIFOLD", "MF"), ("C-Fold", "C-FOLD", "CF"), ("Hardwound Roll 800ft", "RL 800FT", "R8"),
              ("Hardwound Roll 1000ft", "RL 1000FT", "R10")]
TOWEL_COLOR = [("White", "WHT", "W"), ("Natural", "NAT", "N")]

# each product type: code, family key, MATKL, full / ERP / WMS templates, dims,
# pack kind (BX = sold by box of N, CS = sold by case of N, '' = each), pack sizes,
# case pack options (sell units per shipping case), USD price per piece, kg per piece
PRODUCT_TYPES = [
    dict(code="HCS", fam="FAST", matkl="FAST01", full="Hex Cap Screw {a} x {b}in {c}",
         erp="SCR HEX {a}X{b} {c}", wms="HEX CAP SCR {a} X {b} {c}",
         dims=(THREADS, LENGTHS, FINISHES), pack="BX", packs=(25, 50, 100), cases=(10, 20),
         price=(0.06, 0.9), kg=(0.004, 0.08), weight=14),
    dict(code="SHC", fam="FAST", matkl="FAST01", full="Socket Head Cap Screw {a} x {b}in {c}",
         erp="SCR SHC {a}X{b} {c}", wms="SHCS {a} X {b} {c}",
         dims=(THREADS, LENGTHS, FINISHES[1:3]), pack="BX", packs=(25, 50, 100), cases=(10,),
         price=(0.12, 1.4), kg=(0.004, 0.08), weight=8),
    dict(code="CBT", fam="FAST", matkl="FAST01", full="Carriage Bolt {a} x {b}in {c}",
         erp="BOLT CARR {a}X{b} {c}", wms="CARR BOLT {a} X {b} {c}",
         dims=(THREADS_BIG, LENGTHS_LONG, FINISHES), pack="BX", packs=(25, 50), cases=(10,),
         price=(0.15, 1.6), kg=(0.02, 0.2), weight=6),
    dict(code="HXN", fam="FAST", matkl="FAST02", full="Hex Nut {a} {b}",
         erp="NUT HEX {a} {b}", wms="HEX NUT {a} {b}",
         dims=(THREADS, FINISHES), pack="BX", packs=(100, 250), cases=(10, 20),
         price=(0.02, 0.3), kg=(0.002, 0.03), weight=6),
    dict(code="FWS", fam="FAST", matkl="FAST02", full="Flat Washer {a} {b}",
         erp="WSHR FLAT {a} {b}", wms="FLAT WASHER {a} {b}",
         dims=(WASHER, FINISHES), pack="BX", packs=(100, 250), cases=(10, 20),
         price=(0.02, 0.25), kg=(0.001, 0.02), weight=5),
    dict(code="WDS", fam="FAST", matkl="FAST03", full="Phillips Flat Head Wood Screw {a} x {b}in {c}",
         erp="SCR WD PH FH {a}X{b} {c}", wms="WD SCR PH FH {a} X {b} {c}",
         dims=(WOOD_GAUGE, LENGTHS, FINISHES[:2]), pack="BX", packs=(100, 500), cases=(10,),
         price=(0.03, 0.2), kg=(0.002, 0.02), weight=7),
    dict(code="THN", fam="ELEC", matkl="ELEC01", full="THHN Copper Building Wire {a} {b}, {c}",
         erp="WIRE THHN {a} {b} {c}", wms="THHN {a} {b} {c}",
         dims=(AWG, WIRE_COLOR, SPOOL), pack="", packs=(), cases=(1,),
         price=(45.0, 420.0), kg=(3.0, 40.0), weight=5),
    dict(code="BRK", fam="ELEC", matkl="ELEC02", full="Circuit Breaker {a} {b} 120/240V {c}",
         erp="BRKR {a} {b} 120/240V {c}", wms="BRKR {a} {b} {c}",
         dims=(POLES, AMPS, BRK_STYLE), pack="", packs=(), cases=(6, 10),
         price=(6.5, 48.0), kg=(0.15, 0.4), weight=4),
    dict(code="WNT", fam="ELEC", matkl="ELEC03", full="Twist-On Wire Connector {a}",
         erp="CONN WIRE TWIST {a}", wms="WIRE NUT {a}",
         dims=(CONN_COLOR,), pack="BX", packs=(100, 500), cases=(10,),
         price=(0.05, 0.25), kg=(0.001, 0.004), weight=2),
    dict(code="LED", fam="ELEC", matkl="ELEC04", full="LED Lamp {a} {b} {c} Dimmable",
         erp="LAMP LED {a} {b} {c} DIM", wms="LED {a} {b} {c}",
         dims=(LAMP_SHAPE, LAMP_WATT, LAMP_CCT), pack="", packs=(), cases=(6, 12, 24),
         price=(2.5, 14.0), kg=(0.05, 0.3), weight=4),
    dict(code="BVL", fam="PLMB", matkl="PLMB01", full="Full Port Ball Valve {a}in {b} {c}",
         erp="VLV BALL FP {a} {b} {c}", wms="BALL VLV {a} {b} {c}",
         dims=(PIPE_SIZE, VALVE_MAT, VALVE_END), pack="", packs=(), cases=(10, 25, 50),
         price=(6.0, 95.0), kg=(0.1, 1.6), weight=6),
    dict(code="ELB", fam="PLMB", matkl="PLMB02", full="Copper 90 Degree Elbow {a}in {b}",
         erp="ELL CU 90 {a} {b}", wms="CU ELL 90 {a} {b}",
         dims=(PIPE_SIZE, FIT_END), pack="", packs=(), cases=(25, 50, 100),
         price=(0.6, 14.0), kg=(0.01, 0.25), weight=4),
    dict(code="PVC", fam="PLMB", matkl="PLMB03", full="PVC Pipe Schedule 40 {a}in x {b}",
         erp="PIPE PVC SCH40 {a}X{b}", wms="PVC SCH40 {a} X {b}",
         dims=(PIPE_SIZE, PIPE_LEN), pack="", packs=(), cases=(10, 20),
         price=(3.0, 42.0), kg=(0.4, 6.0), weight=3),
    dict(code="GLV", fam="SAFE", matkl="SAFE01", full="Nitrile Disposable Gloves {a} {b} {c}",
         erp="GLOVE NITRILE {a} {b} {c}", wms="NITRILE GLV {a} {b} {c}",
         dims=(GLOVE_MIL, GLOVE_SIZE, GLOVE_COLOR), pack="BX", packs=(100,), cases=(10,),
         price=(0.06, 0.2), kg=(0.004, 0.008), weight=5),
    dict(code="SGL", fam="SAFE", matkl="SAFE02", full="Safety Glasses {a} Lens {b} {c}",
         erp="GLASSES SAFETY {a} {b} {c}", wms="SAFETY GLS {a} {c}",
         dims=(LENS, FRAME, COATING), pack="", packs=(), cases=(12, 144),
         price=(2.0, 11.0), kg=(0.02, 0.05), weight=3),
    dict(code="DRB", fam="CUTT", matkl="CUTT01", full="Jobber Length Drill Bit {a}in {b}",
         erp="DRILL BIT JOBBER {a} {b}", wms="JOBBER DRILL {a} {b}",
         dims=(DRILL_SIZE, DRILL_MAT), pack="", packs=(), cases=(6, 12),
         price=(1.5, 16.0), kg=(0.005, 0.06), weight=5),
    dict(code="CUT", fam="CUTT", matkl="CUTT02", full="Cut-Off Wheel {a} x {b} x 7/8in Arbor",
         erp="WHEEL CUTOFF {a}X{b}X7/8", wms="CUTOFF WHL {a} X {b}",
         dims=(WHEEL_DIA, WHEEL_THK), pack="", packs=(), cases=(25, 50),
         price=(1.2, 6.0), kg=(0.03, 0.15), weight=3),
    dict(code="SND", fam="CUTT", matkl="CUTT03", full="Hook and Loop Sanding Disc {a} {b}",
         erp="DISC SAND H&L {a} {b}", wms="H&L DISC {a} {b}",
         dims=(DISC_DIA, GRIT), pack="BX", packs=(50, 100), cases=(10,),
         price=(0.2, 0.9), kg=(0.004, 0.01), weight=3),
    dict(code="TRB", fam="JANI", matkl="JANI01", full="Trash Can Liner {a} {b} {c}",
         erp="LINER CAN {a} {b} {c}", wms="CAN LINER {a} {b} {c}",
         dims=(LINER_CAP, LINER_MIL, LINER_COLOR), pack="CS", packs=(100, 250), cases=(1,),
         price=(0.12, 0.5), kg=(0.05, 0.15), weight=4),
    dict(code="PTW", fam="JANI", matkl="JANI02", full="Paper Towel {a} {b}",
         erp="TOWEL PAPER {a} {b}", wms="PPR TOWEL {a} {b}",
         dims=(TOWEL_TYPE, TOWEL_COLOR), pack="CS", packs=(6, 12, 16), cases=(1,),
         price=(3.5, 9.0), kg=(0.8, 2.5), weight=2),
    dict(code="TAP", fam="TAPE", matkl="TAPE01", full="Duct Tape {a} x {b} {c}",
         erp="TAPE DUCT {a}X{b} {c}", wms="DUCT TAPE {a} X {b} {c}",
         dims=(TAPE_W, TAPE_L, TAPE_COLOR), pack="", packs=(), cases=(12, 24),
         price=(3.5, 14.0), kg=(0.25, 0.7), weight=3),
    dict(code="HCL", fam="PLMB", matkl="PLMB04", full="Worm Gear Hose Clamp {a} {b}",
         erp="CLAMP HOSE WORM {a} {b}", wms="HOSE CLAMP {a} {b}",
         dims=(CLAMP_SIZE, CLAMP_MAT), pack="BX", packs=(10, 25), cases=(10,),
         price=(0.5, 2.5), kg=(0.01, 0.05), weight=3),
]
FAMILIES = {"FAST": "Fasteners", "ELEC": "Electrical", "PLMB": "Plumbing", "SAFE": "Safety",
            "CUTT": "Abrasives & Cutting", "JANI": "Janitorial", "TAPE": "Adhesives & Tape"}

# (name base, legal suffix, country, GS1 company prefix, MPN style, MPN prefix, families)
MANUFACTURERS = [
    ("Midwest Fastener", "Corp", "US", "071829", "dash", "MWF", ("FAST",)),
    ("Apex Bolt & Screw", "Inc", "US", "084312", "compact", "ABS", ("FAST",)),
    ("Keystone Fastening Systems", "LLC", "US", "069581", "numeric", "", ("FAST",)),
    ("Schäfer Verbindungstechnik", "GmbH", "DE", "4031245", "dash", "SV", ("FAST",)),
    ("Brightline Electric", "Inc", "US", "043917", "dash", "BLE", ("ELEC",)),
    ("Volta Wire & Cable", "Co", "US", "075204", "compact", "VW", ("ELEC",)),
    ("Eastfield Electrical Manufacturing", "Corp", "US", "088630", "numeric", "", ("ELEC",)),
    ("Sonnenwerk Elektro", "GmbH", "DE", "4250871", "dash", "SW", ("ELEC",)),
    ("Riverbend Valve", "Co", "US", "032145", "dash", "RBV", ("PLMB",)),
    ("Copperline Plumbing Products", "Inc", "US", "047788", "compact", "CPL", ("PLMB",)),
    ("AquaFlow Industries", "LLC", "US", "061236", "numeric", "", ("PLMB",)),
    ("Guardian Safety Products", "Inc", "US", "079401", "dash", "GSP", ("SAFE",)),
    ("ShieldPro International", "Corp", "US", "085512", "compact", "SPI", ("SAFE",)),
    ("SafeHands", "LLC", "US", "036970", "dash", "SH", ("SAFE",)),
    ("TruCut Tools", "Inc", "US", "052218", "dash", "TC", ("CUTT",)),
    ("Ironclad Abrasives", "Co", "US", "064490", "compact", "ICA", ("CUTT",)),
    ("Precision Drill", "Corp", "US", "071115", "numeric", "", ("CUTT",)),
    ("Duval Outillage", "SA", "FR", "3760123", "dash", "DO", ("CUTT",)),
    ("CleanSweep Supply", "Inc", "US", "093344", "dash", "CSW", ("JANI",)),
    ("Evergreen Paper Products", "LLC", "US", "072516", "compact", "EPP", ("JANI",)),
    ("StickWell Adhesives", "Inc", "US", "068823", "dash", "SWA", ("TAPE",)),
    ("Polar Tape", "Corp", "US", "041177", "compact", "PT", ("TAPE",)),
]

PRICE_LISTS = [("01", "Standard", 1.0), ("02", "Wholesale", 0.85), ("03", "Distributor", 0.75)]
FX = {"USD": 1.0, "CAD": 1.37, "EUR": 0.92}
CUR_OF_COUNTRY = {"US": "USD", "CA": "CAD", "DE": "EUR", "FR": "EUR", "GB": "USD"}

# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

_TRANSLIT_DE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                              "ß": "ss"})


def ascii_fold(s: str, german: bool = False) -> str:
    """Drop diacritics (WMS and e-mail are ASCII-only); ``german`` spells ü as ue."""
    if german:
        s = s.translate(_TRANSLIT_DE)
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def typo(s: str, rng: random.Random) -> str:
    """One keyboard typo: insert, delete, substitute (adjacent key) or transpose a letter."""
    idx = [i for i in range(1, len(s)) if s[i].isalpha()]
    if len(idx) < 3:
        return s
    i = rng.choice(idx)
    c = s[i]
    near = KEYBOARD.get(c.lower(), "e")
    n = rng.choice(near)
    if c.isupper():
        n = n.upper()
    op = rng.randrange(4)
    if op == 0:
        return s[:i] + n + s[i:]
    if op == 1:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + n + s[i + 1:]
    if i + 1 < len(s) and s[i + 1].isalpha() and s[i + 1] != c:
        return s[:i] + s[i + 1] + c + s[i + 2:]
    return s[:i] + s[i + 1:]


def sf_id(prefix: str, n: int) -> str:
    """Salesforce-like 18-char id: 15-char case-sensitive id plus case checksum."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    body = ""
    for _ in range(7):
        n, r = divmod(n, 62)
        body = alphabet[r] + body
    id15 = prefix + "8c000" + body
    suffix = ""
    for i in range(3):
        flags = 0
        for j in range(5):
            if "A" <= id15[i * 5 + j] <= "Z":
                flags |= 1 << j
        suffix += "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[flags]
    return id15 + suffix


def check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def money_comma(x: float) -> str:
    """SAP-style amount: thousands '.' and decimal ','."""
    s = f"{x:,.2f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


D_2012 = date(2012, 1, 1).toordinal()
D_2019 = date(2019, 1, 1).toordinal()
D_2021 = date(2021, 1, 1).toordinal()
D_END = date(2025, 6, 30).toordinal()


def rand_day(rng: random.Random, lo: int, hi: int = D_END) -> date:
    return date.fromordinal(rng.randint(lo, hi))


def rand_dt(rng: random.Random, lo: int = D_2021, hi: int = D_END) -> datetime:
    d = date.fromordinal(rng.randint(lo, hi))
    s = rng.randrange(6 * 3600, 20 * 3600)
    return datetime(d.year, d.month, d.day, s // 3600, (s // 60) % 60, s % 60)


def sf_ts(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def us_date(d: date) -> str:
    return f"{d.month}/{d.day}/{d.year}"


class CsvOut:
    def __init__(self, path: Path, header: list[str], delimiter: str = ",",
                 encoding: str = "utf-8", crlf: bool = False):
        self.name = path.name
        self.f = open(path, "w", encoding=encoding, newline="")
        self.w = csv.writer(self.f, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
        self.w.writerow(header)
        self.n = 0

    def row(self, r: list) -> None:
        self.w.writerow(r)
        self.n += 1

    def close(self) -> None:
        self.f.close()


class JsonlOut:
    def __init__(self, path: Path):
        self.name = path.name
        self.f = open(path, "w", encoding="utf-8", newline="\n")
        self.n = 0

    def row(self, obj: dict) -> None:
        self.f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.n += 1

    def close(self) -> None:
        self.f.close()


class NullOut:
    """Sink used when a domain is generated only for the keys other domains need."""
    n = 0
    name = ""

    def row(self, r) -> None:  # noqa: D401
        pass

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------
# Addresses and phones
# --------------------------------------------------------------------------

def make_phone(rng: random.Random, country: str, area: str) -> tuple[str, str, str]:
    if country in ("US", "CA"):
        while True:
            ex = rng.randint(201, 989)
            if ex % 100 != 11 and ex != 555:
                break
        return (country, area, f"{ex}{rng.randrange(10000):04d}")
    if country == "DE":
        return (country, area, str(rng.randint(10 ** (7 - len(area) + 1), 10 ** (8 - len(area) + 1) - 1)))
    if country == "FR":
        return (country, area, f"{rng.randint(10000000, 99999999)}")
    return (country, area, str(rng.randint(10 ** (9 - len(area)), 10 ** (10 - len(area)) - 1)))


def fmt_phone(ph: tuple[str, str, str], style: int) -> str:
    """Styles: 0 (617) 555-0134, 1 617-555-0134, 2 617.555.0134, 3 6175550134,
    4 +1 617 555 0134, 5 +16175550134, 6 1-617-555-0134, 7 +1 (617) 555-0134.
    Non-NANP numbers: 0/4/7 international spaced, 5 E.164, others national with trunk 0."""
    cc, area, sub = ph
    if cc in ("US", "CA"):
        e, ln = sub[:3], sub[3:]
        if style == 0:
            return f"({area}) {e}-{ln}"
        if style == 1:
            return f"{area}-{e}-{ln}"
        if style == 2:
            return f"{area}.{e}.{ln}"
        if style == 3:
            return f"{area}{e}{ln}"
        if style == 4:
            return f"+1 {area} {e} {ln}"
        if style == 5:
            return f"+1{area}{e}{ln}"
        if style == 6:
            return f"1-{area}-{e}-{ln}"
        return f"+1 ({area}) {e}-{ln}"
    code = COUNTRY_CODE[cc]
    if cc == "FR":
        pairs = " ".join(sub[i:i + 2] for i in range(0, 8, 2))
        if style in (0, 4, 7):
            return f"+33 {area} {pairs}"
        if style == 5:
            return f"+33{area}{sub}"
        return f"0{area} {pairs}" if style != 3 else f"0{area}{sub}"
    if style in (0, 4, 7):
        return f"+{code} {area} {sub}"
    if style == 5:
        return f"+{code}{area}{sub}"
    if style == 3:
        return f"0{area}{sub}"
    return f"0{area} {sub}"


PH_ERP = [1] * 9 + [3] * 5 + [4] * 4 + [0] * 2
PH_CRM = [0] * 15 + [1] * 2 + [4] * 2 + [7]
PH_WMS = [2] * 6 + [1] * 7 + [3] * 5 + [6] * 2


def make_address(rng: random.Random, country: str, kind: str, city: tuple | None = None) -> dict:
    c = city or rng.choice(CITIES[country])
    unit = None
    if country not in ("US", "CA"):
        pass
    elif kind == "org" and rng.random() < 0.28:
        ut = rng.choice(UNIT_TYPES_ORG)
        no = (str(rng.randint(100, 950)) if ut[0] == "Suite" else str(rng.randint(2, 30)) if ut[0] == "Floor"
              else rng.choice("ABCDEFG") if ut[0] == "Building" else str(rng.randint(1, 40)))
        unit = (ut, no)
    elif kind == "person" and rng.random() < 0.2:
        unit = (rng.choice(UNIT_TYPES_PERSON), rng.choice([str(rng.randint(1, 40)), f"{rng.randint(1, 9)}{rng.choice('ABCD')}"]))
    a = {"country": country, "city": c[0], "region": c[1], "area": c[3], "unit": unit}
    if country == "US":
        a["postal"] = f"{int(c[2]) + rng.randrange(0, 30):05d}"
        a["plus4"] = f"{rng.randrange(1, 10000):04d}"
    elif country == "CA":
        a["postal"] = f"{c[2]} {rng.randrange(10)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randrange(10)}"
    elif country == "DE":
        a["postal"] = f"{int(c[2]) + rng.randrange(0, 60):05d}"
    elif country == "FR":
        a["postal"] = f"{int(c[2]) + rng.randrange(0, 19):05d}"
    else:
        a["postal"] = f"{c[2]} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    if country in ("US", "CA"):
        num = rng.choice([rng.randint(1, 99), rng.randint(100, 999), rng.randint(100, 999),
                          rng.randint(1000, 9999), rng.randint(1000, 9999), rng.randint(10000, 24999)])
        a["street"] = ("us", str(num), rng.choice(DIRECTIONS) if rng.random() < 0.12 else None,
                       rng.choice(US_STREETS), rng.choice(STREET_TYPES))
    elif country == "DE":
        a["street"] = ("de", str(rng.randint(1, 180)), rng.choice(DE_STREETS), rng.choice(DE_STREET_TYPES))
    elif country == "FR":
        a["street"] = ("fr", str(rng.randint(1, 150)), rng.choice(FR_STREETS))
    else:
        a["street"] = ("gb", str(rng.randint(1, 220)), rng.choice(GB_STREETS), rng.choice(GB_TYPES))
    return a


def city_of(a: dict) -> tuple:
    return next(c for c in CITIES[a["country"]] if c[0] == a["city"] and c[1] == a["region"])


def street_line(a: dict, abbr: bool, dots: bool = False, full_dir: bool = False) -> str:
    st = a["street"]
    if st[0] == "us":
        _, num, d, name, (tfull, tabbr) = st
        parts = [num]
        if d:
            parts.append(d[0] if full_dir or not abbr else d[1] + ("." if dots else ""))
        parts.append(name)
        parts.append(tabbr + ("." if dots and tabbr != "Way" else "") if abbr else tfull)
        return " ".join(parts)
    if st[0] == "de":
        _, num, name, typ = st
        if abbr and typ == "straße":
            typ = "str."
        if name.endswith(" "):
            typ = typ.capitalize()
        return f"{name}{typ} {num}"
    if st[0] == "fr":
        _, num, (typ, name) = st
        return f"{num} {FR_ABBR[typ] if abbr else typ} {name}"
    _, num, name, (tfull, tabbr) = st
    return f"{num} {name} {tabbr if abbr else tfull}"


def unit_text(a: dict, abbr: bool) -> str:
    if not a["unit"]:
        return ""
    (full, short), no = a["unit"]
    if short == "#":
        return f"#{no}" if abbr else f"Apartment {no}"
    return f"{short if abbr else full} {no}"


def postal_text(a: dict, plus4_rate: float, rng: random.Random) -> str:
    p = a["postal"]
    if a["country"] == "US" and rng.random() < plus4_rate:
        return f"{p}-{a['plus4']}"
    return p


def region_text(a: dict, full_rate: float, rng: random.Random) -> str:
    r, c = a["region"], a["country"]
    if not r:
        return ""
    if rng.random() < full_rate:
        if c == "US":
            return US_STATES[r]
        if c == "CA":
            return CA_PROVINCES[r]
        if c == "DE":
            return DE_LANDER[r]
    return r


# --------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------

def pick(rng: random.Random, table: list[tuple[float, object]]):
    r = rng.random()
    acc = 0.0
    for w, v in table:
        acc += w
        if r < acc:
            return v
    return table[-1][1]


ORG_SYSTEMS = [(0.45, ("ERP", "CRM", "WMS")), (0.25, ("ERP", "CRM")), (0.08, ("ERP", "WMS")),
               (0.10, ("CRM",)), (0.07, ("ERP",)), (0.05, ("CRM", "WMS"))]
PERSON_SYSTEMS = [(0.45, ("CRM", "WMS")), (0.25, ("CRM",)), (0.12, ("ERP", "CRM", "WMS")),
                  (0.08, ("ERP", "CRM")), (0.10, ("WMS",))]
ORG_COUNTRY = [(0.82, "US"), (0.07, "CA"), (0.06, "DE"), (0.03, "FR"), (0.02, "GB")]
PERSON_COUNTRY = [(0.90, "US"), (0.05, "CA"), (0.03, "DE"), (0.02, "FR")]


def org_base_name(rng: random.Random, country: str) -> tuple[str, str]:
    if country == "DE":
        sur = rng.choice(DE_SURNAMES)
        r = rng.random()
        base = (f"{sur} {rng.choice(DE_TRADES)}" if r < 0.6 else
                f"{sur} & Söhne" if r < 0.75 else f"{sur} & {rng.choice(DE_SURNAMES)}")
        return base, rng.choice(DE_SUFFIXES)
    if country == "FR":
        r = rng.random()
        trade = rng.choice(FR_TRADES)
        base = (f"Société Générale de {trade}" if r < 0.15 else
                f"Société {rng.choice(FR_SURNAMES)}" if r < 0.3 else
                f"{rng.choice(FR_SURNAMES)} {trade}" if r < 0.8 else
                f"Compagnie {rng.choice(FR_SURNAMES)} et Fils")
        return base, rng.choice(FR_SUFFIXES)
    r = rng.random()
    trade = rng.choice(ORG_TRADES)
    if r < 0.30:
        base = f"{rng.choice(SURNAMES)} {trade}"
    elif r < 0.40:
        base = f"{rng.choice(SURNAMES)} & {rng.choice(SURNAMES)} {rng.choice(['Associates', 'Supply', 'Construction', 'Electric'])}"
    elif r < 0.62:
        base = f"{rng.choice(ORG_PLACES)} {trade}"
    elif r < 0.72:
        base = f"{''.join(rng.choice('ABCDEFGHJKLMNPRSTW') for _ in range(rng.choice([2, 3, 3])))} {trade}"
    else:
        base = f"{rng.choice(ORG_BRANDS)} {trade}"
    if country == "GB":
        return base, rng.choice(GB_SUFFIXES)
    if country == "CA":
        return base, rng.choice(CA_SUFFIXES)
    return base, rng.choice(US_SUFFIXES)


def website_of(base: str, country: str, extra: str = "") -> str:
    slug = ascii_fold(base + extra, True).lower()
    amp = {"DE": "und", "FR": "et"}.get(country, "and")
    slug = "".join(ch for ch in slug.replace("&", amp) if ch.isalnum())[:24]
    tld = {"US": ".com", "CA": ".ca", "DE": ".de", "FR": ".fr", "GB": ".co.uk"}[country]
    return slug + tld


def tax_id(rng: random.Random, country: str) -> str:
    if country == "US":
        return f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
    if country == "CA":
        return f"{rng.randint(100000000, 999999999)}RT0001"
    if country == "DE":
        return f"DE{rng.randint(100000000, 999999999)}"
    if country == "FR":
        return f"FR{rng.randint(10, 99)}{rng.randint(100000000, 999999999)}"
    return f"GB{rng.randint(100000000, 999999999)}"


def make_org(rng: random.Random, country: str | None = None, base: tuple[str, str] | None = None,
             city: tuple | None = None) -> dict:
    country = country or pick(rng, ORG_COUNTRY)
    name, suffix = base or org_base_name(rng, country)
    addr = make_address(rng, country, "org", city)
    size = rng.random()
    credit = (rng.choice([250, 500, 1000]) * 1000 if size < 0.1 else
              rng.choice([50, 75, 100, 150]) * 1000 if size < 0.4 else
              rng.choice([5, 10, 15, 20, 25, 30]) * 1000)
    return {
        "kind": "org", "country": country, "base": name, "suffix": suffix,
        "the": rng.random() < 0.03 and not name.startswith(("Société", "Compagnie")),
        "caps_brand": rng.random() < 0.08,
        "addr": addr, "phone": make_phone(rng, country, addr["area"]),
        "tax": tax_id(rng, country), "web": website_of(name, country),
        "ap_email": rng.random() < 0.6, "email_box": rng.choice(["ap", "accounts.payable", "purchasing", "info", "invoices"]),
        "industry": rng.choice(INDUSTRIES), "segment": SEGMENTS[0 if size < 0.1 else 1 if size < 0.4 else 2],
        "owner": rng.randrange(len(OWNERS)), "credit": credit, "zterm": rng.choice(ZTERMS_ORG),
        "active": rng.random() > 0.03, "created": rand_day(rng, D_2012, D_2019 + 1500),
    }


def make_email(rng: random.Random, given: str, family: str, dob: date, country: str) -> str:
    g = ascii_fold(given, True).lower().replace(" ", "")
    f = ascii_fold(family, True).lower().replace(" ", "").replace("'", "").replace(".", "")
    p = rng.randrange(7)
    local = (f"{g}.{f}" if p < 2 else f"{g[0]}{f}" if p == 2 else f"{g}{f}{dob.year % 100:02d}" if p == 3 else
             f"{g}_{f}" if p == 4 else f"{f}.{g}" if p == 5 else f"{g}{f[0]}{rng.randint(1, 999)}")
    return f"{local}@{rng.choice(EMAIL_DOMAINS[country])}"


def person_pool(rng: random.Random, country: str, female: bool) -> tuple[list, list]:
    if country == "DE" and rng.random() < 0.8:
        return (DE_FEMALE if female else DE_MALE), DE_SURNAMES
    if country == "FR" and rng.random() < 0.8:
        return (FR_FEMALE if female else FR_MALE), FR_SURNAMES
    return (FEMALE if female else MALE), SURNAMES


def make_person(rng: random.Random, country: str | None = None, given: str | None = None,
                family: str | None = None, addr: dict | None = None, city: tuple | None = None,
                female: bool | None = None, dob: date | None = None) -> dict:
    country = country or pick(rng, PERSON_COUNTRY)
    if female is None:
        female = rng.random() < 0.5
    gpool, spool = person_pool(rng, country, female)
    given = given or rng.choice(gpool)
    family = family or rng.choice(spool)
    dob = dob or rand_day(rng, date(1945, 1, 1).toordinal(), date(2004, 12, 31).toordinal())
    addr = addr or make_address(rng, country, "person", city)
    home = make_phone(rng, country, addr["area"]) if rng.random() < 0.5 else None
    mob_area = addr["area"] if rng.random() < 0.8 or country != "US" else rng.choice(US_CITIES)[3]
    mobile = make_phone(rng, country, mob_area) if (home is None or rng.random() < 0.8) else None
    return {
        "kind": "person", "country": country, "given": given, "family": family, "female": female,
        "middle": rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.3 else "",
        "dob": dob, "addr": addr, "home": home, "mobile": mobile,
        "email": make_email(rng, given, family, dob, country) if rng.random() < 0.88 else None,
        "alt_email": make_email(rng, given, family, dob, country),
        "created": rand_day(rng, D_2012, D_2019 + 1500),
    }


def customer_group(rng: random.Random) -> list[dict]:
    """One real entity, or a planted hard-negative group of look-alike entities."""
    r = rng.random()
    if r < 0.010:  # same common name, same city, different people
        g, f = rng.choice(COMMON_NAME_PAIRS)
        city = rng.choice(US_CITIES)
        return [make_person(rng, "US", g, f, city=city, female=g in FEMALE),
                make_person(rng, "US", g, f, city=city, female=g in FEMALE)]
    if r < 0.022:  # family members at one address
        a = make_person(rng)
        female = not a["female"] if rng.random() < 0.6 else a["female"]
        gpool, _ = person_pool(rng, a["country"], female)
        given = rng.choice([x for x in gpool if x != a["given"]])
        if rng.random() < 0.5:
            dob = a["dob"] + timedelta(days=rng.randint(-2500, 2500))
        else:
            dob = a["dob"] + timedelta(days=rng.randint(22 * 365, 34 * 365))
            dob = min(dob, date(2006, 12, 31))
        b = make_person(rng, a["country"], given, a["family"], addr=a["addr"], female=female, dob=dob)
        if a["home"] and rng.random() < 0.7:
            b["home"] = a["home"]
            if b["mobile"] is None and rng.random() < 0.5:
                b["mobile"] = make_phone(rng, b["country"], b["addr"]["area"])
        return [a, b]
    if r < 0.034:  # similarly named companies in different cities/states
        a = make_org(rng, "US")
        if rng.random() < 0.4:
            twin = rng.choice(TWIN_CITIES)
            ca = next(c for c in US_CITIES if c[0] == twin[0] and c[1] == twin[1])
            cb = next(c for c in US_CITIES if c[0] == twin[0] and c[1] == twin[2])
            a = make_org(rng, "US", (a["base"], a["suffix"]), city=ca)
        else:
            cb = rng.choice([c for c in US_CITIES if c[1] != a["addr"]["region"]])
        suffix_b = rng.choice([s for s in ("Inc", "LLC", "Co", "Corp", "") if s != a["suffix"]])
        base_b = a["base"] if rng.random() < 0.6 else a["base"] + rng.choice([" Co", " Group", " of " + cb[0]])
        b = make_org(rng, "US", (base_b, suffix_b), city=cb)
        b["web"] = website_of(base_b, "US", rng.choice(["", "co", "inc", cb[1].lower()]))
        return [a, b]
    if rng.random() < 0.62:
        return [make_org(rng)]
    return [make_person(rng)]


def finish_customer(rng: random.Random, e: dict) -> None:
    """Choose systems, intra-system duplicate and moved address for one entity."""
    e["systems"] = pick(rng, ORG_SYSTEMS if e["kind"] == "org" else PERSON_SYSTEMS)
    e["dup"] = rng.choice(e["systems"]) if rng.random() < 0.04 else None
    e["moved"] = None
    if len(e["systems"]) > 1 and rng.random() < 0.025:
        e["moved"] = rng.choice(e["systems"][1:])
        e["old_addr"] = make_address(rng, e["country"], e["kind"],
                                     city_of(e["addr"]) if rng.random() < 0.5 else None)
    e["erp"] = e["crm"] = None


def addr_for(e: dict, system: str) -> dict:
    return e["old_addr"] if e["moved"] == system else e["addr"]


def org_name(e: dict, rng: random.Random, suffix_keep: float, variant_rate: float,
             abbr_rate: float, typo_rate: float) -> str:
    name = e["base"]
    if e["caps_brand"]:
        first, _, rest = name.partition(" ")
        name = first.upper() + (" " + rest if rest else "")
    if e["the"] and rng.random() < 0.5:
        name = "The " + name
    if rng.random() < abbr_rate:
        for full, short in ORG_WORD_ABBR:
            if full in name and not (full == " & " and e.get("country") in ("DE", "FR")):
                name = name.replace(full, short)
                break
    suffix = e["suffix"]
    if suffix and rng.random() < suffix_keep:
        variants = SUFFIX_VARIANTS.get(suffix, [suffix])
        s = rng.choice(variants) if rng.random() < variant_rate else variants[0]
        if s.startswith(","):
            name += s
        elif s.startswith("&") and " & " in name:
            name += " " + variants[0]
        else:
            name += " " + s
    if rng.random() < typo_rate:
        name = typo(name, rng)
    return name


def person_given(e: dict, rng: random.Random, nick_rate: float) -> str:
    g = e["given"]
    if g in NICKNAMES and rng.random() < nick_rate:
        return rng.choice(NICKNAMES[g])
    return g


def person_phone(e: dict, rng: random.Random) -> tuple | None:
    if e["home"] and e["mobile"]:
        return e["mobile"] if rng.random() < 0.6 else e["home"]
    return e["home"] or e["mobile"]


ERP_CUST_HEADER = ["KUNNR", "NAME1", "NAME2", "STRAS", "ORT01", "REGIO", "PSTLZ", "LAND1", "TELF1",
                   "SMTP_ADDR", "STCD1", "KLIMK", "ZTERM", "KTOKD", "ERDAT", "AEDAT", "LOEVM"]
CRM_ACC_HEADER = ["Id", "Name", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode",
                  "BillingCountry", "Phone", "Website", "Industry", "OwnerId", "OwnerName",
                  "Customer_Segment__c", "AccountNumber", "Active__c", "LastModifiedDate"]
CRM_CON_HEADER = ["Id", "FirstName", "LastName", "Email", "Phone", "MobilePhone", "MailingStreet",
                  "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Birthdate",
                  "LastModifiedDate"]
WMS_SHIP_HEADER = ["SHIPTO_ID", "CUST_NAME", "ADDR1", "ADDR2", "CITY", "STATE", "ZIP", "COUNTRY",
                   "CONTACT_PHONE", "DOCK_HOURS", "UPDATED"]


def erp_upper_city(city: str, country: str, rng: random.Random) -> str:
    if country == "DE" and rng.random() < 0.3:
        return ascii_fold(city, True).upper()
    if country in ("FR", "CA") and rng.random() < 0.5:
        return ascii_fold(city).upper()
    return city.upper()


def erp_customer_row(e: dict, key: str, dup: bool, rng: random.Random) -> list:
    a = addr_for(e, "ERP")
    typo_rate = 0.25 if dup else 0.02
    name2 = ""
    if e["kind"] == "org":
        name = org_name(e, rng, 0.9, 0.25, 0.35, typo_rate).upper()
        if len(name) > 35:
            cut = name.rfind(" ", 0, 35)
            cut = cut if cut > 0 else 35
            name, name2 = name[:cut], name[cut:].strip()
        elif rng.random() < 0.15:
            name2 = rng.choice(NAME2_NOTES)
        email = f"{e['email_box']}@{e['web']}" if e["ap_email"] and rng.random() < 0.85 else ""
        tax = e["tax"] if rng.random() < 0.85 else ""
        if tax and e["country"] == "US" and rng.random() < 0.2:
            tax = tax.replace("-", "")
        credit, zterm, ktokd = e["credit"], e["zterm"], "0001"
    else:
        g = person_given(e, rng, 0.12 if not dup else 0.4)
        f = e["family"]
        r = rng.random()
        if r < 0.7:
            name = f"{g} {f}"
        elif r < 0.9:
            name = f"{f}, {g}"
        else:
            name = f"{g} {e['middle']}. {f}" if e["middle"] else f"{g} {f}"
        if rng.random() < typo_rate:
            name = typo(name, rng)
        name = name.upper()
        email = (e["email"] or "") if rng.random() < 0.85 else ""
        if dup and rng.random() < 0.3:
            email = e["alt_email"]
        tax, credit, zterm, ktokd = "", rng.choice([0, 0, 500, 1000]), "0001", "ZPRV"
    if email and rng.random() < 0.1:
        email = email.upper()
    street = street_line(a, True, dots=rng.random() < 0.1)
    if rng.random() < (0.2 if dup else 0.02):
        street = typo(street, rng)
    unit = unit_text(a, True)
    stras = (street + " " + unit if unit else street).upper()
    ph = e["phone"] if e["kind"] == "org" else person_phone(e, rng)
    tel = fmt_phone(ph, rng.choice(PH_ERP)) if ph and rng.random() < 0.9 else ""
    if tel and e["kind"] == "org" and rng.random() < 0.06:
        tel += f" X{rng.randint(100, 499)}"
    created = e["created"] + timedelta(days=rng.randint(200, 900)) if dup else e["created"]
    changed = "00000000" if rng.random() < 0.15 else \
        (created + timedelta(days=rng.randint(1, max(2, D_END - created.toordinal())))).strftime("%Y%m%d")
    deleted = "X" if (not e.get("active", True) and rng.random() < 0.8) or (dup and rng.random() < 0.3) \
        or rng.random() < 0.005 else ""
    postal = postal_text(a, 0.15, rng)
    if a["country"] == "CA" and rng.random() < 0.3:
        postal = postal.replace(" ", "")
    return [key, name, name2, stras, erp_upper_city(a["city"], a["country"], rng), a["region"],
            postal, a["country"], tel, email, tax, money_comma(credit), zterm, ktokd,
            created.strftime("%Y%m%d"), changed, deleted]


def crm_street(a: dict, rng: random.Random) -> str:
    abbr = rng.random() < 0.3
    s = street_line(a, abbr, dots=abbr and rng.random() < 0.3, full_dir=rng.random() < 0.5)
    u = unit_text(a, abbr)
    if u:
        s += ("\n" if rng.random() < 0.5 else ", ") + u
    return s


def crm_account_row(e: dict, key: str, dup: bool, rng: random.Random, erp_keys: list[str]) -> list:
    a = addr_for(e, "CRM")
    name = org_name(e, rng, 0.9 if not dup else 0.7, 0.4, 0.08 if not dup else 0.3, 0.03 if not dup else 0.3)
    street = crm_street(a, rng) if rng.random() > 0.03 else ""
    if street and rng.random() < (0.03 if not dup else 0.2):
        street = typo(street, rng)
    phone = fmt_phone(e["phone"], rng.choice(PH_CRM)) if rng.random() < (0.92 if not dup else 0.6) else ""
    web = ""
    if rng.random() < 0.7:
        web = rng.choice(["www.", "www.", "http://www.", "https://", ""]) + e["web"]
    acct = ""
    if e["erp"] and not dup:
        r = rng.random()
        if r < 0.35:
            acct = e["erp"]
        elif r < 0.45:
            acct = e["erp"].lstrip("0")
        elif r < 0.47 and erp_keys:
            acct = rng.choice(erp_keys).lstrip("0")  # stale / wrong cross-reference
    elif rng.random() < 0.02:
        acct = rng.choice(["N/A", "TBD", "PROSPECT"])
    owner = e["owner"] if rng.random() < 0.85 else rng.randrange(len(OWNERS))
    seg = e["segment"] if rng.random() < 0.85 else rng.choice(["", "", SEGMENTS[rng.randrange(3)]])
    active = "Yes" if (e.get("active", True) and not (dup and rng.random() < 0.3)) else "No"
    return [key, name, street, a["city"], region_text(a, 0.4, rng), postal_text(a, 0.25, rng),
            rng.choice(COUNTRY_NAMES[a["country"]]), phone, web,
            e["industry"] if rng.random() < 0.8 else "", sf_id("005", 1000 + owner), OWNERS[owner],
            seg, acct, active, sf_ts(rand_dt(rng))]


def crm_contact_row(e: dict, key: str, dup: bool, rng: random.Random) -> list:
    a = addr_for(e, "CRM")
    g = person_given(e, rng, 0.1 if not dup else 0.45)
    if e["middle"] and rng.random() < 0.1:
        g = f"{g} {e['middle']}."
    f = e["family"]
    if rng.random() < (0.03 if not dup else 0.15):
        if rng.random() < 0.5:
            g = typo(g, rng)
        else:
            f = typo(f, rng)
    if rng.random() < 0.02:
        g, f = f, g
    email = e["email"] or ""
    if dup and rng.random() < 0.4:
        email = e["alt_email"] if rng.random() < 0.5 else ""
    elif email and rng.random() < 0.05:
        local, _, dom = email.partition("@")
        email = local.title() + "@" + dom.capitalize()
    elif email and rng.random() < 0.03:
        email = ""
    phone = mobile = ""
    if e["home"] and rng.random() < 0.9:
        phone = fmt_phone(e["home"], rng.choice(PH_CRM))
    if e["mobile"]:
        m = fmt_phone(e["mobile"], rng.choice(PH_CRM))
        if not phone and rng.random() < 0.6:
            phone = m
        elif rng.random() < 0.85:
            mobile = m
    street = crm_street(a, rng) if rng.random() > 0.04 else ""
    if street and rng.random() < (0.03 if not dup else 0.2):
        street = typo(street, rng)
    bd = us_date(e["dob"]) if rng.random() < 0.6 else ""
    return [key, g, f, email, phone, mobile, street, a["city"], region_text(a, 0.35, rng),
            postal_text(a, 0.1, rng), rng.choice(COUNTRY_NAMES[a["country"]]) if rng.random() < 0.9 else "",
            bd, sf_ts(rand_dt(rng))]


def wms_ship_row(e: dict, key: str, dup: bool, rng: random.Random) -> list:
    a = addr_for(e, "WMS")
    addr2 = ""
    if e["kind"] == "org":
        name = org_name(e, rng, 0.6, 0.3, 0.5, 0.04 if not dup else 0.3)
        name = ascii_fold(name, e["country"] == "DE" and rng.random() < 0.5)[:30]
        if rng.random() < 0.7:
            name = name.upper()
        ph = e["phone"]
        if rng.random() < 0.12:  # ships to a warehouse across town (same main phone)
            a = make_address(rng, a["country"], "org", city_of(a))
            a["unit"] = None
        elif rng.random() < 0.12:  # receiving-dock phone instead of the main line
            ph = make_phone(rng, e["country"], a["area"])
        if rng.random() < 0.4:
            addr2 = rng.choice(WMS_ADDR2)
        hours = rng.choice(DOCK_HOURS) if rng.random() < 0.6 else ""
    else:
        g = ascii_fold(person_given(e, rng, 0.12 if not dup else 0.4), True)
        f = ascii_fold(e["family"], rng.random() < 0.5)
        r = rng.random()
        name = (f"{f}, {g}".upper() if r < 0.3 else f"{g} {f}".upper() if r < 0.55 else
                f"{g} {f}" if r < 0.85 else f"{f} {g}" if r < 0.95 else f"{g[0]} {f}".upper())
        if rng.random() < (0.03 if not dup else 0.25):
            name = typo(name, rng)
        hours = ""
        ph = person_phone(e, rng)
    unit = unit_text(a, True)
    if unit:
        addr2 = unit.upper() if not addr2 else addr2
    street = ascii_fold(street_line(a, rng.random() < 0.8, dots=rng.random() < 0.2), True).upper()
    if rng.random() < (0.03 if not dup else 0.2):
        street = typo(street, rng)
    postal = postal_text(a, 0.1, rng)
    if a["country"] == "US" and postal[0] == "0" and len(postal) == 5 and rng.random() < 0.5:
        postal = postal.lstrip("0")  # lost leading zero (spreadsheet round trip)
    if a["country"] == "CA" and rng.random() < 0.3:
        postal = postal.replace(" ", "")
    country = a["country"] if rng.random() < 0.7 else {"US": "USA", "CA": "CAN", "DE": "DEU", "FR": "FRA", "GB": "GBR"}[a["country"]]
    tel = fmt_phone(ph, rng.choice(PH_WMS)) if ph and rng.random() < 0.85 else ""
    if tel and e["kind"] == "org" and rng.random() < 0.08:
        tel += f" EXT {rng.randint(10, 450)}"
    dt = rand_dt(rng, D_2021 + 400)
    return [key, name, street, addr2, ascii_fold(a["city"]).upper(), a["region"], postal, country,
            tel, hours, f"{dt.month}/{dt.day}/{dt.year} {dt.hour}:{dt.minute:02d}"]


def gen_customers(out: Path | None, n_entities: int, seed: int, truth, keep_pool: bool) -> tuple[dict, list]:
    """Stream customers to the four customer files in shuffled chunks."""
    rng = random.Random(f"mdm-seed/{seed}/customer/entities")
    nrng = random.Random(f"mdm-seed/{seed}/customer/noise")
    if out is not None:
        erp = CsvOut(out / "erp_customers.csv", ERP_CUST_HEADER, ";", "cp1252", crlf=True)
        acc = CsvOut(out / "crm_accounts.csv", CRM_ACC_HEADER)
        con = CsvOut(out / "crm_contacts.csv", CRM_CON_HEADER)
        wms = CsvOut(out / "wms_ship_to.csv", WMS_SHIP_HEADER, "|")
    else:
        erp = acc = con = wms = NullOut()
    width = max(5, len(str(n_entities + 2)))
    kunnr = 100000 + rng.randrange(1000)
    acc_n = 3000000 + rng.randrange(100000)
    con_n = 5000000 + rng.randrange(100000)
    ship_n = 10000 + rng.randrange(1000)
    pool: list[tuple] = []
    made = 0
    while made < n_entities:
        ents: list[dict] = []
        target = min(CHUNK, n_entities - made)
        while len(ents) < target:
            for e in customer_group(rng):
                made += 1
                e["eid"] = f"C{made:0{width}d}"
                finish_customer(rng, e)
                ents.append(e)
        lists: dict[str, list] = {"ERP": [], "ACC": [], "CON": [], "WMS": []}
        for e in ents:
            for s in e["systems"]:
                tag = s if s != "CRM" else ("ACC" if e["kind"] == "org" else "CON")
                lists[tag].append((e, False))
                if e["dup"] == s:
                    lists[tag].append((e, True))
        for tag in ("ERP", "ACC", "CON", "WMS"):
            rng.shuffle(lists[tag])
        # keys first (cross references need them), then rows
        keyed: dict[str, list] = {}
        for tag, items in lists.items():
            ks = []
            for e, dup in items:
                if tag == "ERP":
                    kunnr += 1 + (rng.random() < 0.2) * rng.randint(1, 4)
                    k = f"{kunnr:010d}"
                elif tag == "ACC":
                    acc_n += rng.randint(1, 9)
                    k = sf_id("001", acc_n)
                elif tag == "CON":
                    con_n += rng.randint(1, 9)
                    k = sf_id("003", con_n)
                else:
                    ship_n += rng.randint(1, 3)
                    k = f"S{ship_n:07d}"
                if not dup:
                    if tag == "ERP":
                        e["erp"] = k
                    elif tag in ("ACC", "CON"):
                        e["crm"] = k
                ks.append(k)
            keyed[tag] = ks
        if out is not None:
            erp_keys = keyed["ERP"]
            for (e, dup), k in zip(lists["ERP"], erp_keys):
                erp.row(erp_customer_row(e, k, dup, nrng))
                truth.row(["ERP", "customer", k, e["eid"]])
            for (e, dup), k in zip(lists["ACC"], keyed["ACC"]):
                acc.row(crm_account_row(e, k, dup, nrng, erp_keys))
                truth.row(["CRM", "customer", k, e["eid"]])
            for (e, dup), k in zip(lists["CON"], keyed["CON"]):
                con.row(crm_contact_row(e, k, dup, nrng))
                truth.row(["CRM", "customer", k, e["eid"]])
            for (e, dup), k in zip(lists["WMS"], keyed["WMS"]):
                wms.row(wms_ship_row(e, k, dup, nrng))
                truth.row(["WMS", "customer", k, e["eid"]])
        if keep_pool:
            for e in ents:
                if e["kind"] == "org" and (e["erp"] or e["crm"]):
                    pool.append((e["eid"], e["country"], e["erp"], e["crm"]))
    counts = {}
    for w in (erp, acc, con, wms):
        w.close()
        if w.name:
            counts[w.name] = w.n
    return counts, pool


# --------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------

ITEM_SYSTEMS = [(0.60, ("ERP", "CRM", "WMS")), (0.12, ("ERP", "CRM")), (0.08, ("ERP", "WMS")),
                (0.05, ("CRM", "WMS")), (0.10, ("ERP",)), (0.03, ("CRM",)), (0.02, ("WMS",))]
TYPE_TABLE = [(t["weight"], t) for t in PRODUCT_TYPES]
_TW = sum(w for w, _ in TYPE_TABLE)
TYPE_TABLE = [(w / _TW, t) for w, t in TYPE_TABLE]
MFRS_BY_FAM: dict[str, list[int]] = {}
for _i, _m in enumerate(MANUFACTURERS):
    for _f in _m[6]:
        MFRS_BY_FAM.setdefault(_f, []).append(_i)


def item_texts(t: dict, vals: tuple, pack: int) -> tuple[str, str, str]:
    keys = "abc"
    full = t["full"].format(**{keys[i]: v[0] for i, v in enumerate(vals)})
    erp = t["erp"].format(**{keys[i]: v[1] for i, v in enumerate(vals)}).upper()
    wms = t["wms"].format(**{keys[i]: v[1] for i, v in enumerate(vals)}).upper()
    if t["pack"] == "BX":
        full += f", Box of {pack}"
        erp += f" {pack}/BX"
    elif t["pack"] == "CS":
        full += f", Case of {pack}"
        erp += f" {pack}/CS"
        wms += f" {pack}CT"
    return full, erp, wms


def make_mpn(rng: random.Random, mfr: tuple, t: dict, vals: tuple, pack: int, used: set) -> str:
    style, pfx = mfr[4], mfr[5]
    code = "".join(v[2] for v in vals)
    while True:
        if style == "dash":
            m = f"{pfx}-{t['code']}-{code}" + (f"-{pack}" if pack and rng.random() < 0.5 else "")
        elif style == "compact":
            m = f"{pfx}{t['code']}{code}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"
        else:
            m = f"{rng.randint(10000, 99999)}{rng.choice('ABCDEK')}{rng.randint(100, 999)}"
        if m not in used:
            used.add(m)
            return m
        code += rng.choice("0123456789")


def make_items(n: int, seed: int) -> tuple[list[dict], dict[str, list]]:
    rng = random.Random(f"mdm-seed/{seed}/item/entities")
    used_combo: set = set()
    used_mpn: set = set()
    gtin_ref = [rng.randint(10, 400) for _ in MANUFACTURERS]
    items: list[dict] = []
    width = max(5, len(str(n + 3)))

    def build(t: dict, mi: int, vals: tuple, pack: int, base_price: float | None) -> dict:
        mfr = MANUFACTURERS[mi]
        pieces = pack or 1
        price = base_price * rng.uniform(0.85, 1.25) if base_price else rng.uniform(*t["price"]) * pieces
        kg = rng.uniform(*t["kg"]) * pieces
        full, erp, wms = item_texts(t, vals, pack)
        gtin = None
        if rng.random() < 0.88:
            gtin_ref[mi] += rng.randint(1, 3)
            body = f"{mfr[3]}{gtin_ref[mi] % 100000:05d}"
            gtin = body + check_digit(body)  # 12 digits (UPC-A) or 13 digits (EAN-13)
        item = {
            "type": t, "mfr": mi, "vals": vals, "pack": pack,
            "base_uom": "BX" if t["pack"] == "BX" else "CS" if t["pack"] == "CS" else "EA",
            "case_qty": rng.choice(t["cases"]), "price": round(price, 2), "kg": kg,
            "full": full, "erp_desc": erp, "wms_desc": wms,
            "mpn": make_mpn(rng, mfr, t, vals, pack, used_mpn), "gtin": gtin,
            "active": rng.random() > 0.04, "created": rand_day(rng, D_2012, D_2019 + 1500),
            "systems": pick(rng, ITEM_SYSTEMS),
        }
        item["dup"] = rng.choice(item["systems"]) if rng.random() < 0.04 else None
        return item

    while len(items) < n:
        t = pick(rng, TYPE_TABLE)
        mi = rng.choice(MFRS_BY_FAM[t["fam"]])
        vals = tuple(rng.choice(d) for d in t["dims"])
        pack = rng.choice(t["packs"]) if t["packs"] else 0
        combo = (t["code"], mi, vals, pack)
        if combo in used_combo:
            continue
        used_combo.add(combo)
        group = [build(t, mi, vals, pack, None)]
        if rng.random() < 0.08:  # sibling products: same maker and series, another size
            dim_i = 1 if len(t["dims"]) > 1 and len(t["dims"][1]) > 2 else 0
            for _ in range(rng.choice([1, 1, 2])):
                v2 = list(vals)
                v2[dim_i] = rng.choice(t["dims"][dim_i])
                combo2 = (t["code"], mi, tuple(v2), pack)
                if combo2 in used_combo:
                    continue
                used_combo.add(combo2)
                group.append(build(t, mi, tuple(v2), pack, group[0]["price"]))
        for it in group:
            it["eid"] = f"I{len(items) + 1:0{width}d}"
            items.append(it)
    # keys
    matnr = 1000000 + rng.randrange(5000)
    prod_n = 7000000 + rng.randrange(100000)
    wms_n = 100000 + rng.randrange(5000)
    lists: dict[str, list] = {"ERP": [], "CRM": [], "WMS": []}
    for it in items:
        for s in it["systems"]:
            lists[s].append((it, False))
            if it["dup"] == s:
                lists[s].append((it, True))
    for s in ("ERP", "CRM", "WMS"):
        rng.shuffle(lists[s])
        keyed = []
        for it, dup in lists[s]:
            if s == "ERP":
                matnr += rng.randint(1, 4)
                k = f"{matnr:018d}"
            elif s == "CRM":
                prod_n += rng.randint(1, 9)
                k = sf_id("01t", prod_n)
            else:
                wms_n += rng.randint(1, 5)
                k = f"ITM{wms_n:06d}"
            if not dup:
                it[s.lower()] = k
            keyed.append((it, dup, k))
        lists[s] = keyed
    for it in items:
        for s in ("erp", "crm", "wms"):
            it.setdefault(s, None)
    items_lists = lists
    return items, items_lists


def mfr_name(mi: int, rng: random.Random, system: str) -> str:
    base, suffix = MANUFACTURERS[mi][0], MANUFACTURERS[mi][1]
    fake = {"base": base, "suffix": suffix, "the": False, "caps_brand": False}
    if system == "ERP":
        r = rng.random()
        if r < 0.05:
            return ""
        name = org_name(fake, rng, 0.7, 0.2, 0.4, 0.0).upper()
        return name[:12] if r < 0.15 else name
    if system == "CRM":
        if rng.random() < 0.08:
            return ""
        return org_name(fake, rng, 0.6, 0.4, 0.15, 0.02)
    if rng.random() < 0.08:
        return ""
    return ascii_fold(org_name(fake, rng, 0.2, 0.2, 0.5, 0.02), True).upper()


def mpn_variant(mpn: str, rng: random.Random, exact: float) -> str:
    r = rng.random()
    if r < exact:
        return mpn
    r = rng.random()
    if r < 0.4:
        return mpn.replace("-", "")
    if r < 0.6:
        return mpn.lower()
    if r < 0.75:
        return mpn.replace("-", " ")
    if r < 0.9:  # a typo
        if sum(ch.isalpha() for ch in mpn) > 3:
            return typo(mpn, rng)
        i = rng.randrange(len(mpn))
        return mpn[:i] + rng.choice("0123456789") + mpn[i + 1:] if mpn[i].isdigit() else mpn[:i] + mpn[i + 1:]
    return mpn + rng.choice(["-BX", "/A", " REV B"])


ERP_MAT_HEADER = ["MATNR", "MAKTX", "MFRNR", "MFRPN", "EAN11", "MEINS", "UMREZ", "MATKL", "BRGEW",
                  "LAEDA", "LVORM"]
CRM_PROD_HEADER = ["Id", "Name", "ProductCode", "Description", "Family", "Manufacturer__c", "MPN__c",
                   "QuantityUnitOfMeasure", "IsActive", "LastModifiedDate"]
ERP_DESC_SWAPS = [("SCR HEX", "HEX SCR"), ("ZN", "ZINC"), (" SS", " STAINLESS"), ("/BX", "/BOX"),
                  ("VLV BALL", "BALL VALVE"), ("BRKR", "BREAKER"), ("WIRE THHN", "THHN WIRE"),
                  ("GLOVE NITRILE", "NITRILE GLOVE"), ("TAPE DUCT", "DUCT TAPE")]


def erp_material_row(it: dict, key: str, dup: bool, rng: random.Random) -> list:
    desc = it["erp_desc"]
    if dup or rng.random() < 0.05:
        for a, b in ERP_DESC_SWAPS:
            if a in desc:
                desc = desc.replace(a, b)
                break
    if rng.random() < (0.02 if not dup else 0.2):
        desc = typo(desc, rng)
    desc = desc[:40]
    ean = ""
    if it["gtin"] and rng.random() < (0.8 if not dup else 0.3):
        ean = it["gtin"] if len(it["gtin"]) == 13 or rng.random() < 0.5 else "0" + it["gtin"]
    mpn = mpn_variant(it["mpn"], rng, 0.92) if rng.random() < 0.94 else ""
    weight = f"{it['kg']:.3f}".replace(".", ",") if rng.random() < 0.95 else ""
    created = it["created"] + timedelta(days=rng.randint(100, 900)) if dup else it["created"]
    changed = created + timedelta(days=rng.randint(0, max(1, D_END - created.toordinal())))
    deleted = "X" if (not it["active"] and rng.random() < 0.85) or (dup and rng.random() < 0.4) else ""
    return [key, desc, mfr_name(it["mfr"], rng, "ERP"), mpn, ean, it["base_uom"],
            str(it["case_qty"]) if it["case_qty"] > 1 and rng.random() < 0.9 else "",
            it["type"]["matkl"], weight, changed.strftime("%Y%m%d"), deleted]


def crm_product_row(it: dict, key: str, dup: bool, rng: random.Random, sku_n: list) -> list:
    name = it["full"]
    if rng.random() < 0.1:
        name = name.replace(" x ", " X ").replace("in ", '" ', 1)
    if rng.random() < 0.08:
        name = name.replace(", Box of ", " - ").replace(", Case of ", " - Case/")
    if rng.random() < (0.03 if not dup else 0.3):
        name = typo(name, rng)
    if it["erp"] and not dup and rng.random() < 0.45:
        code = it["erp"].lstrip("0")
    else:
        sku_n[0] += rng.randint(1, 7)
        code = f"SKU-{sku_n[0]:06d}"
    mfr = MANUFACTURERS[it["mfr"]]
    desc = ""
    if rng.random() < 0.6:
        desc = f"{it['full']}. {FAMILIES[it['type']['fam']]} by {mfr[0]}."
    active = "true" if it["active"] and not (dup and rng.random() < 0.4) and rng.random() > 0.01 else "false"
    uom = it["base_uom"] if rng.random() < 0.85 else {"EA": "Each", "BX": "Box", "CS": "Case"}[it["base_uom"]]
    return [key, name, code, desc, FAMILIES[it["type"]["fam"]] if rng.random() < 0.93 else "",
            mfr_name(it["mfr"], rng, "CRM"),
            mpn_variant(it["mpn"], rng, 0.72) if rng.random() < 0.95 else "", uom, active,
            sf_ts(rand_dt(rng))]


def wms_item_row(it: dict, key: str, dup: bool, rng: random.Random) -> dict:
    desc = it["wms_desc"]
    if rng.random() < (0.03 if not dup else 0.3):
        desc = typo(desc, rng)
    obj: dict = {"item_id": key, "desc": desc[:30]}
    g = it["gtin"]
    if g and len(g) == 12 and rng.random() < (0.6 if not dup else 0.2):
        obj["upc"] = g
    elif rng.random() < 0.5:
        obj["upc"] = None
    mfr = mfr_name(it["mfr"], rng, "WMS")
    obj["mfr"] = mfr if mfr else None
    obj["mfr_part"] = mpn_variant(it["mpn"], rng, 0.78) if rng.random() < 0.95 else ""
    obj["case_qty"] = it["case_qty"]
    obj["uom"] = "CS" if it["base_uom"] == "CS" else "EA"
    lb = it["kg"] * 2.20462 * (rng.uniform(0.97, 1.03) if rng.random() < 0.05 else 1.0)
    obj["weight_lb"] = round(lb, 2) if rng.random() < 0.95 else None
    obj["updated_at"] = rand_dt(rng, D_2021 + 300).strftime("%Y-%m-%dT%H:%M:%S")
    return obj


def write_items(out: Path, items_lists: dict, seed: int, truth) -> dict:
    rng = random.Random(f"mdm-seed/{seed}/item/noise")
    erp = CsvOut(out / "erp_materials.csv", ERP_MAT_HEADER, ";", "cp1252", crlf=True)
    for it, dup, k in items_lists["ERP"]:
        erp.row(erp_material_row(it, k, dup, rng))
        truth.row(["ERP", "item", k, it["eid"]])
    erp.close()
    crm = CsvOut(out / "crm_products.csv", CRM_PROD_HEADER)
    sku_n = [200000 + rng.randrange(10000)]
    for it, dup, k in items_lists["CRM"]:
        crm.row(crm_product_row(it, k, dup, rng, sku_n))
        truth.row(["CRM", "item", k, it["eid"]])
    crm.close()
    wms = JsonlOut(out / "wms_items.jsonl")
    for it, dup, k in items_lists["WMS"]:
        wms.row(wms_item_row(it, k, dup, rng))
        truth.row(["WMS", "item", k, it["eid"]])
    wms.close()
    return {erp.name: erp.n, crm.name: crm.n, wms.name: wms.n}


# --------------------------------------------------------------------------
# Prices
# --------------------------------------------------------------------------

ERP_PRICE_HEADER = ["KNUMH", "MATNR", "KUNNR", "PLTYP", "KBETR", "KONWA", "KMEIN", "KPEIN", "KSTBM",
                    "DATAB", "DATBI", "ERDAT"]
CRM_PRICE_HEADER = ["Id", "Product2Id", "AccountId", "Pricebook", "UnitPrice", "CurrencyIsoCode",
                    "Unit", "MinQuantity", "ValidFrom", "ValidTo", "LastModifiedDate"]
OPEN_END = date(9999, 12, 31)
PERIOD_STARTS = [date(2023, 1, 1), date(2024, 1, 1), date(2024, 1, 1), date(2024, 7, 1),
                 date(2025, 1, 1), date(2025, 1, 1)]


def make_prices(n: int, seed: int, items: list[dict], pool: list[tuple]) -> list[dict]:
    rng = random.Random(f"mdm-seed/{seed}/price/entities")
    cand = [it for it in items if it["erp"] or it["crm"]]
    pools = {("ERP", "CRM"): [c for c in pool if c[2] and c[3]],
             ("ERP",): [c for c in pool if c[2]], ("CRM",): [c for c in pool if c[3]]}
    used: set = set()
    prices: list[dict] = []
    width = max(5, len(str(n + 3)))
    attempts = 0
    while len(prices) < n and cand and attempts < n * 50:
        attempts += 1
        it = rng.choice(cand)
        avail = tuple(s for s in ("ERP", "CRM") if it[s.lower()])
        systems = avail if len(avail) == 1 else pick(rng, [(0.6, ("ERP", "CRM")), (0.25, ("ERP",)), (0.15, ("CRM",))])
        cust = None
        plist = None
        if rng.random() < 0.25 and pools[systems]:
            cust = rng.choice(pools[systems])
            cur = CUR_OF_COUNTRY[cust[1]]
            factor = rng.uniform(0.7, 0.95)
        else:
            plist = pick(rng, [(0.5, PRICE_LISTS[0]), (0.3, PRICE_LISTS[1]), (0.2, PRICE_LISTS[2])])
            cur = pick(rng, [(0.9, "USD"), (0.06, "CAD"), (0.04, "EUR")])
            factor = plist[2]
        scope = cust[0] if cust else plist[0]
        if (it["eid"], scope) in used:
            continue
        used.add((it["eid"], scope))
        amount = it["price"] * factor * FX[cur]
        start = rng.choice(PERIOD_STARTS)
        end = OPEN_END if rng.random() < 0.7 else date(start.year, 12, 31)
        base = {"item": it, "cust": cust, "plist": plist, "systems": systems, "cur": cur,
                "amount": amount, "min_qty": 1, "from": start, "to": end}
        group = [base]
        g = rng.random()
        if g < 0.14:  # quantity tiers
            for q in sorted(rng.sample([5, 10, 25, 50, 100], rng.choice([1, 2]))):
                group.append(dict(base, min_qty=q, amount=amount * rng.uniform(0.85, 0.96)))
        elif g < 0.28:  # successive validity periods (the old price ended when the new began)
            old_from = date(start.year - 1, 1, 1) if start.month == 1 else date(start.year, 1, 1)
            group.insert(0, dict(base, **{"from": old_from, "to": start - timedelta(days=1),
                                          "amount": amount / rng.uniform(1.03, 1.09)}))
        elif g < 0.36 and plist is not None:  # same list price in another currency
            other = rng.choice([c for c in ("USD", "CAD", "EUR") if c != cur])
            group.append(dict(base, cur=other, amount=it["price"] * factor * FX[other]))
        for p in group:
            p["amount"] = round(p["amount"], 2)
            p["eid"] = f"P{len(prices) + 1:0{width}d}"
            # how the systems disagree about the same real price
            p["cs_sys"] = None
            if (p["min_qty"] == 1 and it["case_qty"] > 1 and it["base_uom"] != "CS"
                    and rng.random() < (0.2 if len(systems) == 2 else 0.08)):
                p["cs_sys"] = rng.choice(systems)
            p["disagree"] = rng.choice(systems) if len(systems) == 2 and rng.random() < 0.03 else None
            p["overlap"] = len(systems) == 2 and len(group) == 1 and rng.random() < 0.15
            p["dup"] = rng.choice(systems) if rng.random() < 0.03 else None
            prices.append(p)
    return prices


def write_prices(out: Path, prices: list[dict], seed: int, truth) -> dict:
    rng = random.Random(f"mdm-seed/{seed}/price/noise")
    recs: dict[str, list] = {"ERP": [], "CRM": []}
    for p in prices:
        for s in p["systems"]:
            recs[s].append((p, False))
            if p["dup"] == s:
                recs[s].append((p, True))
    for s in ("ERP", "CRM"):
        rng.shuffle(recs[s])
    erp = CsvOut(out / "erp_prices.csv", ERP_PRICE_HEADER, ";", "cp1252", crlf=True)
    knumh = 300000 + rng.randrange(10000)
    for p, dup in recs["ERP"]:
        knumh += rng.randint(1, 3)
        k = f"{knumh:010d}"
        it = p["item"]
        amount, uom = p["amount"], it["base_uom"]
        if p["cs_sys"] == "ERP":
            amount, uom = amount * it["case_qty"], "CS"
        if p["disagree"] == "ERP":
            amount *= rng.choice([rng.uniform(1.03, 1.12), rng.uniform(0.88, 0.97)])
        start, end = p["from"], p["to"]
        if dup:  # re-keyed condition record, overlapping the original
            start = start + timedelta(days=rng.randint(10, 120))
        if p["overlap"] and rng.random() < 0.5:
            end = OPEN_END if end != OPEN_END else date(start.year + 1, 12, 31)
        created = start - timedelta(days=rng.randint(3, 40))
        erp.row([k, it["erp"], p["cust"][2] if p["cust"] else "", "" if p["cust"] else p["plist"][0],
                 money_comma(amount), p["cur"], uom, "1", str(p["min_qty"]),
                 start.strftime("%Y%m%d"), end.strftime("%Y%m%d"), created.strftime("%Y%m%d")])
        truth.row(["ERP", "price", k, p["eid"]])
    erp.close()
    crm = CsvOut(out / "crm_prices.csv", CRM_PRICE_HEADER)
    pbe = 9000000 + rng.randrange(100000)
    for p, dup in recs["CRM"]:
        pbe += rng.randint(1, 9)
        k = sf_id("01u", pbe)
        it = p["item"]
        amount, uom = p["amount"], it["base_uom"]
        if p["cs_sys"] == "CRM":
            amount, uom = amount * it["case_qty"], "CS"
        if p["disagree"] == "CRM":
            amount *= rng.choice([rng.uniform(1.03, 1.12), rng.uniform(0.88, 0.97)])
        start, end = p["from"], p["to"]
        if dup:
            start = start + timedelta(days=rng.randint(10, 120))
        if p["overlap"]:
            start = start + timedelta(days=rng.choice([14, 30, 31, 45, 60]))
        crm.row([k, it["crm"], p["cust"][3] if p["cust"] else "", "" if p["cust"] else p["plist"][1],
                 f"{amount:.2f}", p["cur"], uom, str(p["min_qty"]), start.isoformat(),
                 "" if end == OPEN_END else end.isoformat(), sf_ts(rand_dt(rng, D_2021 + 500))])
        truth.row(["CRM", "price", k, p["eid"]])
    crm.close()
    return {erp.name: erp.n, crm.name: crm.n}


# --------------------------------------------------------------------------
# Mappings
# --------------------------------------------------------------------------

MAPPINGS = {
    "erp_customers": """\
# SAP KNA1-like customer master export (sold-to organisations and private customers).
# NAME1 holds either an organisation or a person ("JOHN SMITH" / "SMITH, JOHN"), so it maps to
# `name` and the hub parses it. NAME2 (name continuation or ATTN line), KTOKD (account group:
# 0001 organisation, ZPRV private customer) and ERDAT stay extras.
# AEDAT 00000000 means "never changed" (no date). LOEVM 'X' = flagged for deletion (inactive).
# KLIMK uses SAP number format: '.' thousands, ',' decimals (25.000,00).
source: ERP
domain: customer
key: KUNNR
updated_at: AEDAT
delimiter: ";"
encoding: cp1252
date_format: "%Y%m%d"
decimal_comma: true
default_region: US
fields:
  name: NAME1
  address_line1: STRAS
  city: ORT01
  region: REGIO
  postal_code: PSTLZ
  country: LAND1
  phone: TELF1
  email: SMTP_ADDR
  tax_id: STCD1
  credit_limit: KLIMK
  payment_terms: ZTERM
  status: LOEVM
""",
    "crm_accounts": """\
# Salesforce Account export (organisations). BillingStreet may contain an embedded newline
# before the suite. AccountNumber is sometimes the ERP KUNNR (with or without leading zeros),
# occasionally stale; it is kept as an extra, not as a key. Active__c is Yes/No.
source: CRM
domain: customer
key: Id
updated_at: LastModifiedDate
default_region: US
fields:
  organization: Name
  address_line1: BillingStreet
  city: BillingCity
  region: BillingState
  postal_code: BillingPostalCode
  country: BillingCountry
  phone: Phone
  segment: Customer_Segment__c
  account_owner: OwnerName
  status: Active__c
""",
    "crm_contacts": """\
# Salesforce Contact export (individual / B2C customers). Birthdate is US m/d/Y,
# LastModifiedDate ISO 8601 (UTC, Z) - both auto-detected. MobilePhone stays an extra.
source: CRM
domain: customer
key: Id
updated_at: LastModifiedDate
default_region: US
fields:
  given_name: FirstName
  family_name: LastName
  email: Email
  phone: Phone
  address_line1: MailingStreet
  city: MailingCity
  region: MailingState
  postal_code: MailingPostalCode
  country: MailingCountry
  date_of_birth: Birthdate
""",
    "wms_ship_to": """\
# WMS ship-to locations, pipe-delimited, ASCII. CUST_NAME is a person ("SMITH, JOHN",
# "John Smith", "Smith John") or an organisation, given alone: the hub parses it.
# Some US ZIPs lost their leading zero ("2134"). DOCK_HOURS stays an extra.
source: WMS
domain: customer
key: SHIPTO_ID
updated_at: UPDATED
delimiter: "|"
date_format: "%m/%d/%Y %H:%M"
default_region: US
fields:
  name: CUST_NAME
  address_line1: ADDR1
  address_line2: ADDR2
  city: CITY
  region: STATE
  postal_code: ZIP
  country: COUNTRY
  phone: CONTACT_PHONE
""",
    "erp_materials": """\
# SAP MARA/MAKT-like material master. MAKTX is the 40-char upper-case short text.
# EAN11 is a GTIN-13 or a UPC-12 (same item may appear as 0+UPC in one system, UPC in another).
# UMREZ = base units per shipping case (CS). BRGEW in kg with decimal comma.
# LVORM 'X' = flagged for deletion (inactive).
source: ERP
domain: item
key: MATNR
updated_at: LAEDA
delimiter: ";"
encoding: cp1252
date_format: "%Y%m%d"
decimal_comma: true
fields:
  name: MAKTX
  manufacturer: MFRNR
  mpn: MFRPN
  gtin: EAN11
  base_uom: MEINS
  pack_qty: UMREZ
  category: MATKL
  weight_kg: BRGEW
  status: LVORM
""",
    "crm_products": """\
# Salesforce Product2 export. ProductCode is sometimes the ERP MATNR without leading zeros,
# otherwise a CRM SKU. IsActive is true/false. QuantityUnitOfMeasure is EA/BX/CS or
# Each/Box/Case.
source: CRM
domain: item
key: Id
updated_at: LastModifiedDate
fields:
  name: Name
  sku: ProductCode
  description: Description
  category: Family
  manufacturer: Manufacturer__c
  mpn: MPN__c
  base_uom: QuantityUnitOfMeasure
  status: IsActive
""",
    "wms_items": """\
# WMS item master, JSON Lines. upc is a UPC-12 when present (key missing or null otherwise).
# case_qty = sell units per shipping case; uom is the WMS handling unit (EA or CS).
source: WMS
domain: item
key: item_id
updated_at: updated_at
fields:
  name: desc
  gtin: upc
  manufacturer: mfr
  mpn: mfr_part
  pack_qty: case_qty
  uom: uom
  weight_lb: weight_lb
""",
    "erp_prices": """\
# SAP condition records (A-table + KONP-like). Exactly one of KUNNR (customer price) or
# PLTYP (price list) is set. PLTYP codes: 01 = Standard (list), 02 = Wholesale,
# 03 = Distributor - the CRM Pricebook names of the same lists.
# KBETR is the price per 1 KMEIN (KPEIN is always 1 here), SAP number format (1.234,56).
# KMEIN is the item's base unit (EA/BX/CS) or CS = one case of UMREZ base units.
# KSTBM = minimum quantity (scale). DATBI 99991231 = open-ended.
source: ERP
domain: price
key: KNUMH
updated_at: ERDAT
delimiter: ";"
encoding: cp1252
date_format: "%Y%m%d"
decimal_comma: true
fields:
  item_key: MATNR
  customer_key: KUNNR
  price_list: PLTYP
  unit_price: KBETR
  currency: KONWA
  uom: KMEIN
  min_qty: KSTBM
  valid_from: DATAB
  valid_to: DATBI
""",
    "crm_prices": """\
# Salesforce PricebookEntry / quote-line-like prices. Exactly one of AccountId (customer
# price) or Pricebook (Standard / Wholesale / Distributor = ERP PLTYP 01 / 02 / 03) is set.
# Empty ValidTo = open-ended. Unit is the item's base unit (EA/BX/CS) or CS (one case).
source: CRM
domain: price
key: Id
updated_at: LastModifiedDate
fields:
  item_key: Product2Id
  customer_key: AccountId
  price_list: Pricebook
  unit_price: UnitPrice
  currency: CurrencyIsoCode
  uom: Unit
  min_qty: MinQuantity
  valid_from: ValidFrom
  valid_to: ValidTo
""",
}
DOMAIN_FILES = {
    "customer": ["erp_customers", "crm_accounts", "crm_contacts", "wms_ship_to"],
    "item": ["erp_materials", "crm_products", "wms_items"],
    "price": ["erp_prices", "crm_prices"],
}


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------

def generate(out_dir, scale: float = 1.0, seed: int = 42,
             domains: Iterable[str] = ALL_DOMAINS) -> dict[str, int]:
    """Generate the data set into ``out_dir``; return ``{file name: data rows}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    domains = tuple(d.strip() for d in domains if d.strip())
    bad = [d for d in domains if d not in ALL_DOMAINS]
    if bad:
        raise ValueError(f"unknown domain(s) {bad}; choose from {ALL_DOMAINS}")
    n = max(1, round(BASE_ENTITIES * scale))
    counts: dict[str, int] = {}
    truth = CsvOut(out / "truth.csv", ["system", "domain", "source_key", "entity"])
    try:
        pool: list = []
        if "customer" in domains or "price" in domains:
            c, pool = gen_customers(out if "customer" in domains else None, n, seed, truth,
                                    keep_pool="price" in domains)
            counts.update(c)
        items: list = []
        if "item" in domains or "price" in domains:
            items, items_lists = make_items(n, seed)
            if "item" in domains:
                counts.update(write_items(out, items_lists, seed, truth))
        if "price" in domains:
            prices = make_prices(n, seed, items, pool)
            counts.update(write_prices(out, prices, seed, truth))
    finally:
        truth.close()
    counts["truth.csv"] = truth.n
    for d in ALL_DOMAINS:
        if d in domains:
            for stem in DOMAIN_FILES[d]:
                (out / f"{stem}.mapping.yaml").write_text(MAPPINGS[stem], encoding="utf-8", newline="\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent), help="output directory")
    ap.add_argument("--scale", type=float, default=1.0, help="1 = about 1,000 real entities per domain")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--domains", default=",".join(ALL_DOMAINS), help="comma list of customer,item,price")
    args = ap.parse_args(argv)
    try:
        counts = generate(args.out, args.scale, args.seed, args.domains.split(","))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(k) for k in counts)
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

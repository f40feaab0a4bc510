"""Golden prices through the store, on SQLite and PostgreSQL: seed prices from
ERP and CRM resolved through the customer and item xref, converted through
the item's pack quantity, settled per period (ERP first), conflicts for
stewards, prices waiting for their item, stable ids and the price lookup.

The seed set is trimmed to the items of a few hundred prices (chosen so the
planted cases are in it) and everything those items and their prices refer
to, so the whole module stays fast."""

from __future__ import annotations

import csv
import random
import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from mdm.ingest import load_file, load_mapping
from mdm.resolve.prices import match_prices, price_for
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store.source_records import mark_deleted
from mdm.store.tables import (
    GoldenRecord,
    GoldenRecordVersion,
    MatchCandidate,
    OutboxEvent,
    SourceRecord,
    SourceRecordVersion,
    Xref,
)

SEED = Path(__file__).resolve().parents[2] / "seed_data"
CUSTOMER_FILES = ["erp_customers", "crm_accounts", "crm_contacts", "wms_ship_to"]
ITEM_FILES = ["erp_materials", "crm_products", "wms_items"]
PRICE_FILES = ["erp_prices", "crm_prices"]
STEMS = {"ERP": {"customer": "erp_customers", "item": "erp_materials", "price": "erp_prices"},
         "CRM": {"item": "crm_products", "price": "crm_prices"}}
T0 = datetime(2025, 6, 1, tzinfo=timezone.utc)


# --- a trimmed seed set -----------------------------------------------------------------


def read_rows(stem: str, folder: Path = SEED) -> tuple[list[str], list[list[str]]]:
    mapping = load_mapping(SEED / f"{stem}.mapping.yaml")
    with (folder / f"{stem}.csv").open(encoding=mapping.encoding, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=mapping.delimiter))
    return rows[0], rows[1:]


def write_rows(stem: str, folder: Path, header: list[str], rows: list[list[str]]) -> Path:
    mapping = load_mapping(SEED / f"{stem}.mapping.yaml")
    path = folder / f"{stem}.csv"
    terminator = "\r\n" if mapping.encoding == "cp1252" else "\n"
    with path.open("w", encoding=mapping.encoding, newline="") as fh:
        csv.writer(fh, delimiter=mapping.delimiter, lineterminator=terminator).writerows([header, *rows])
    shutil.copy(SEED / f"{stem}.mapping.yaml", folder / f"{stem}.mapping.yaml")
    return path


def amount(system: str, row: dict[str, str]) -> tuple[str, float]:
    if system == "ERP":
        return row["KMEIN"], float(row["KBETR"].replace(".", "").replace(",", "."))
    return row["Unit"], float(row["UnitPrice"])


@dataclass
class Seed:
    folder: Path
    truth: pd.DataFrame  # system, domain, source_key, entity
    late_item: str  # ERP MATNR held back at first
    late_prices: list[str]  # ERP KNUMH of prices for it


def trimmed_seed(folder: Path, seed: int = 11) -> Seed:
    """Items of ~150 prices (all uom-mismatch, disagreement and overlap cases
    among them), every price of those items, and the customers they name."""
    folder.mkdir(parents=True, exist_ok=True)
    truth = pd.read_csv(SEED / "truth.csv", dtype=str)
    entity = {(s, d, k): e for s, d, k, e in truth[["system", "domain", "source_key", "entity"]].itertuples(index=False)}
    prices: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for system in ("ERP", "CRM"):
        header, rows = read_rows(STEMS[system]["price"])
        for row in rows:
            prices[entity[(system, "price", row[0])]].append((system, dict(zip(header, row))))
    special, dual = [], []
    for e, recs in sorted(prices.items()):
        if len({s for s, _ in recs}) < 2:
            continue
        dual.append(e)
        (ua, a), (ub, b) = (amount(s, r) for s, r in recs[:2])
        if ua != ub or abs(a - b) / max(a, b) > 0.02:
            special.append(e)
    rng = random.Random(seed)
    chosen = set(special[:60]) | set(rng.sample(dual, 60)) | set(rng.sample(sorted(prices), 40))

    def item_entity(system: str, row: dict[str, str]) -> str:
        key = row["MATNR"] if system == "ERP" else row["Product2Id"]
        return entity[(system, "item", key)]

    items = {item_entity(s, r) for e in chosen for s, r in prices[e]}
    keep_prices = {e for e, recs in prices.items() if any(item_entity(s, r) in items for s, r in recs)}
    customers = set()
    for e in keep_prices:
        for system, row in prices[e]:
            key = row.get("KUNNR") or row.get("AccountId")
            if key:
                customers.add(entity[(system, "customer", key)])
    wanted = set(truth[truth["entity"].isin(items | customers | keep_prices)][["system", "source_key"]].itertuples(index=False))
    wanted = {(s, k) for s, k in wanted}

    for stem in [*CUSTOMER_FILES, "erp_materials", "crm_products", *PRICE_FILES]:
        system = load_mapping(SEED / f"{stem}.mapping.yaml").source
        header, rows = read_rows(stem)
        write_rows(stem, folder, header, [r for r in rows if (system, r[0]) in wanted])
    with (SEED / "wms_items.jsonl").open(encoding="utf-8") as src, (folder / "wms_items.jsonl").open("w", encoding="utf-8") as out:
        for line in src:
            if ("WMS", line.split('"item_id": "', 1)[1].split('"', 1)[0]) in wanted:
                out.write(line)
    shutil.copy(SEED / "wms_items.mapping.yaml", folder / "wms_items.mapping.yaml")

    # Hold one ERP material back: its ERP prices wait for it.
    erp_price_items = defaultdict(list)
    for e in keep_prices:
        for system, row in prices[e]:
            if system == "ERP" and not row["KUNNR"]:
                erp_price_items[row["MATNR"]].append(row["KNUMH"])
    header, rows = read_rows("erp_materials", folder)
    late = next(r for r in rows if r[0] in erp_price_items)
    write_rows("erp_materials", folder, header, [r for r in rows if r is not late])
    late_folder = folder / "late"
    late_folder.mkdir()
    write_rows("erp_materials", late_folder, header, [late])
    return Seed(folder, truth[truth["domain"] == "price"], late[0], sorted(erp_price_items[late[0]]))


def load(store, stem: str, folder: Path) -> None:
    data = next(p for p in folder.glob(f"{stem}.*") if not p.name.endswith((".yaml", ".rejects.csv")))
    with store.session() as s:
        result = load_file(s, data, load_mapping(folder / f"{stem}.mapping.yaml"), rejects_path=folder / f"{stem}.rejects.csv", now=T0)
    assert result.rejected == 0


def match(store, domain: str) -> None:
    with store.session() as s:
        match_domain(s, domain, load_match_rules(BUNDLED_RULES_DIR, domain), now=T0)


def run_prices(store, now: datetime = T0):
    with store.session() as s:
        return match_prices(s, now=now, rules_dir=BUNDLED_RULES_DIR)


@pytest.fixture
def seeded(store, tmp_path):
    seed = trimmed_seed(tmp_path / "seed")
    for stem in [*CUSTOMER_FILES, *ITEM_FILES, *PRICE_FILES]:
        load(store, stem, seed.folder)
    match(store, "customer")
    match(store, "item")
    return store, seed


# --- reading the outcome ----------------------------------------------------------------


def count(store, table, *where) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(table).where(*where))


def golden_prices(store) -> dict[str, GoldenRecord]:
    with store.session() as s:
        rows = s.scalars(select(GoldenRecord).where(GoldenRecord.domain == "price", GoldenRecord.status == "active")).all()
        s.expunge_all()
    return {r.id: r for r in rows}


def price_records(store) -> pd.DataFrame:
    """Live source prices with their fields, xref and golden item."""
    with store.session() as s:
        rows = s.execute(
            select(SourceRecord.id, SourceRecord.system, SourceRecord.source_key, SourceRecord.version,
                   SourceRecord.matched_version, SourceRecordVersion.fields, Xref.golden_id)
            .join(SourceRecordVersion, (SourceRecordVersion.record_id == SourceRecord.id)
                  & (SourceRecordVersion.version == SourceRecord.version))
            .outerjoin(Xref, Xref.record_id == SourceRecord.id)
            .where(SourceRecord.domain == "price", SourceRecord.deleted.is_(False))
        ).all()
        items = dict(
            ((system, key), gid)
            for system, key, gid in s.execute(select(Xref.system, Xref.source_key, Xref.golden_id).where(Xref.domain == "item"))
        )
    frame = pd.DataFrame(
        [{"record_id": r[0], "system": r[1], "source_key": r[2], "version": r[3], "matched_version": r[4],
          **r[5], "golden_id": r[6], "item_id": items.get((r[1], r[5]["item_key"]))} for r in rows]
    )
    return frame


def with_truth(frame: pd.DataFrame, seed: Seed) -> pd.DataFrame:
    return frame.merge(seed.truth[["system", "source_key", "entity"]], on=["system", "source_key"])


def same_item_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Truth price entities quoted by ERP and CRM whose items matched: one row per entity."""
    both = frame[frame["item_id"].notna()]
    erp = both[both["system"] == "ERP"].drop_duplicates("entity")
    crm = both[both["system"] == "CRM"].drop_duplicates("entity")
    pairs = erp.merge(crm, on="entity", suffixes=("_erp", "_crm"))
    return pairs[pairs["item_id_erp"] == pairs["item_id_crm"]]


# --- tests ------------------------------------------------------------------------------


def test_golden_prices_from_erp_and_crm(seeded):
    store, seed = seeded
    report = run_prices(store)
    frame = with_truth(price_records(store), seed)
    goldens = golden_prices(store)

    # The held-back item's ERP prices wait; everything else is placed.
    waiting = frame[frame["golden_id"].isna()]
    assert set(waiting["source_key"]) == set(seed.late_prices)
    assert report.unresolved == len(seed.late_prices) and report.unresolved_items == len(seed.late_prices)
    assert waiting["matched_version"].isna().all()
    assert (frame.dropna(subset=["golden_id"])["matched_version"] == frame.dropna(subset=["golden_id"])["version"]).all()
    assert report.created == len(goldens) == report.golden
    assert set(frame["golden_id"].dropna()) == set(goldens)

    # Golden prices hold ERP and CRM prices, and never two real prices.
    systems = frame.dropna(subset=["golden_id"]).groupby("golden_id")["system"].nunique()
    assert (systems == 2).sum() >= 60
    assert (frame.dropna(subset=["golden_id"]).groupby("golden_id")["entity"].nunique() == 1).all()
    for g in goldens.values():
        a = g.attributes
        assert {"item_id", "currency", "unit_price", "uom"} <= set(a)
        assert ("customer_id" in a) != ("price_list" in a)
        assert a["price_list"] in {"Standard", "Wholesale", "Distributor"} if "price_list" in a else a["customer_id"].startswith("CUS-")
        assert a["item_id"].startswith("ITM-")
        Decimal(a["unit_price"])

    # Where the items matched, ERP and CRM quotes of one real price are one golden price.
    pairs = same_item_pairs(frame)
    assert len(pairs) >= 60
    together = pairs["golden_id_erp"] == pairs["golden_id_crm"]
    assert together.mean() > 0.9

    # Prices per case became prices per base unit through the item's pack quantity.
    converted = pairs[together & (pairs["uom_erp"] != pairs["uom_crm"])]
    assert len(converted) >= 10
    with store.session() as s:
        for row in converted.itertuples():
            golden = goldens[row.golden_id_erp]
            item = s.get(GoldenRecord, row.item_id_erp).attributes
            assert golden.attributes["uom"] == item["base_uom"] != "CS"
            case_price, base_price = ((Decimal(row.unit_price_erp), Decimal(row.unit_price_crm)) if row.uom_erp == "CS"
                                      else (Decimal(row.unit_price_crm), Decimal(row.unit_price_erp)))
            per_base = case_price / Decimal(str(item["pack_qty"]))
            # The same price (the seed also plants disagreements of up to 12% on top of a unit change).
            assert abs(per_base - base_price) <= Decimal("0.13") * max(base_price, 1)
            # ERP's amount wins, converted when ERP quoted per case; the original stays in lineage.
            erp_amount = Decimal(row.unit_price_erp) / (Decimal(str(item["pack_qty"])) if row.uom_erp == "CS" else 1)
            assert abs(Decimal(golden.attributes["unit_price"]) - erp_amount) < Decimal("0.0001")
            lineage = golden.lineage["unit_price"]
            assert lineage["winner"]["system"] == "ERP"
            cs_record = row.record_id_erp if row.uom_erp == "CS" else row.record_id_crm
            assert lineage["converted"][str(cs_record)]["uom"] == "CS"

    # Overlapping validity: ERP's period and amount hold wherever ERP has a price.
    erp_to = pairs["valid_to_erp"].where(pairs["valid_to_erp"] != "9999-12-31").fillna("")
    overlap = pairs[together & ((pairs["valid_from_erp"] != pairs["valid_from_crm"])
                                | (erp_to != pairs["valid_to_crm"].fillna("")))]
    assert len(overlap) >= 5
    for row in overlap.itertuples():
        golden = goldens[row.golden_id_erp].attributes
        erp_from = row.valid_from_erp
        if row.valid_from_crm >= erp_from:
            assert golden["valid_from"] == erp_from
        assert goldens[row.golden_id_erp].lineage["unit_price"]["winner"]["system"] == "ERP"

    # The seed's disagreeing amounts are conflicts for stewards, ERP kept.
    with store.session() as s:
        conflicts = s.scalars(select(MatchCandidate).where(MatchCandidate.kind == "price_conflict")).all()
        assert len(conflicts) == report.conflicts >= 3
        for c in conflicts:
            e = c.explanation
            assert c.domain == "price" and c.status == "pending" and c.left_record_id < c.right_record_id
            assert {e["winner"]["system"], e["other"]["system"]} == {"ERP", "CRM"} and e["winner"]["system"] == "ERP"
            assert Decimal(e["relative_difference"]) > Decimal("0.02")
            assert e["item_id"].startswith("ITM-") and e["currency"] and (e["price_list"] or e["customer_id"])
            assert e["golden_ids"] and all(g in goldens for g in e["golden_ids"])

    # One created event and one version per golden price, each with its source keys.
    with store.session() as s:
        events = s.execute(select(OutboxEvent.type, OutboxEvent.subject, OutboxEvent.data).where(OutboxEvent.domain == "price")).all()
    assert {e.type for e in events} == {"mdm.price.created"}
    assert sorted(e.subject for e in events) == sorted(goldens)
    assert all(e.data["xref"] and e.data["golden"]["unit_price"] for e in events)
    assert count(store, GoldenRecordVersion, GoldenRecordVersion.golden_id.like("PRC-%")) == len(goldens)


def test_rerun_changes_and_late_items(seeded):
    store, seed = seeded
    first = run_prices(store)
    goldens = golden_prices(store)
    snapshot = (count(store, GoldenRecordVersion), count(store, OutboxEvent), count(store, MatchCandidate), count(store, Xref))

    # Re-running with nothing new writes nothing.
    again = run_prices(store, T0 + timedelta(days=1))
    assert (again.created, again.updated, again.deleted, again.conflicts_new) == (0, 0, 0, 0)
    assert again.unchanged == len(goldens) and again.conflicts == first.conflicts
    assert (count(store, GoldenRecordVersion), count(store, OutboxEvent), count(store, MatchCandidate), count(store, Xref)) == snapshot
    assert golden_prices(store).keys() == goldens.keys()

    frame = with_truth(price_records(store), seed)
    pairs = same_item_pairs(frame)
    # Two real prices quoted alike by ERP and CRM, alone in their golden prices.
    members = frame.groupby("golden_id")["record_id"].count()
    calm = pairs[(pairs["golden_id_erp"] == pairs["golden_id_crm"]) & (pairs["uom_erp"] == pairs["uom_crm"])
                 & (pairs["unit_price_erp"].map(Decimal) == pairs["unit_price_crm"].map(Decimal))
                 & (pairs["golden_id_erp"].map(members) == 2)]
    plant, change = calm.iloc[0], calm.iloc[1]

    # A planted disagreement: CRM quotes 10% more. ERP keeps the golden price, stewards get a conflict.
    crm_header, crm_rows = read_rows("crm_prices", seed.folder)
    planted_amount = (Decimal(plant.unit_price_crm) * Decimal("1.10")).quantize(Decimal("0.01"))
    crm_rows = [r[:4] + [str(planted_amount)] + r[5:] if r[0] == plant.source_key_crm else r for r in crm_rows]
    edits = seed.folder / "edits"
    edits.mkdir()
    write_rows("crm_prices", edits, crm_header, [r for r in crm_rows if r[0] == plant.source_key_crm])
    # A changed ERP price: its golden price keeps its id, with a new version.
    erp_header, erp_rows = read_rows("erp_prices", seed.folder)
    new_amount = (Decimal(change.unit_price_erp) * Decimal("1.01")).quantize(Decimal("0.01"))
    changed_row = next(r for r in erp_rows if r[0] == change.source_key_erp)
    changed_row[4] = format(new_amount, "f").replace(".", ",")
    write_rows("erp_prices", edits, erp_header, [changed_row])
    load(store, "crm_prices", edits)
    load(store, "erp_prices", edits)

    third = run_prices(store, T0 + timedelta(days=2))
    assert third.conflicts == first.conflicts + 1 and third.conflicts_new == 1
    with store.session() as s:
        c = s.scalar(select(MatchCandidate).where(
            MatchCandidate.kind == "price_conflict",
            MatchCandidate.left_record_id == int(min(plant.record_id_erp, plant.record_id_crm)),
            MatchCandidate.right_record_id == int(max(plant.record_id_erp, plant.record_id_crm))))
        assert c is not None and c.status == "pending"
        e = c.explanation
        assert e["other"]["unit_price"] == str(planted_amount) and e["winner"]["system"] == "ERP"
        assert Decimal(e["relative_difference"]) == pytest.approx(Decimal("0.0909"), abs=Decimal("0.002"))
        assert e["item_id"] == plant.item_id_erp and e["golden_ids"] == [plant.golden_id_erp]
        planted_golden = s.get(GoldenRecord, plant.golden_id_erp)
        assert planted_golden.attributes["unit_price"] == goldens[plant.golden_id_erp].attributes["unit_price"]

        changed = s.get(GoldenRecord, change.golden_id_erp)
        assert changed.version == 2 and changed.attributes["unit_price"] == format(new_amount, "f")
        event = s.execute(select(OutboxEvent).where(OutboxEvent.subject == changed.id, OutboxEvent.version == 2)).scalar_one()
        assert event.type == "mdm.price.updated" and set(event.data["changed"]) == {"unit_price"}
    assert golden_prices(store).keys() == goldens.keys()
    assert third.updated >= 1 and third.created == third.deleted == 0

    # Still idempotent: the conflict is not stored twice.
    fourth = run_prices(store, T0 + timedelta(days=3))
    assert (fourth.created, fourth.updated, fourth.deleted, fourth.conflicts_new) == (0, 0, 0, 0)
    assert count(store, MatchCandidate, MatchCandidate.kind == "price_conflict") == third.conflicts

    # Prices deleted at the source: a golden price left without sources is deleted,
    # one that keeps another source stays, with a new version.
    frame = price_records(store)
    sizes = frame.groupby("golden_id")["record_id"].count()
    alone = frame[frame["golden_id"].map(sizes) == 1].iloc[0]
    with store.session() as s:
        mark_deleted(s, alone.system, "price", [alone.source_key], now=T0)
        mark_deleted(s, "ERP", "price", [calm.iloc[2].source_key_erp], now=T0)
        s.commit()
    gone = run_prices(store, T0 + timedelta(days=4))
    assert gone.deleted == 1 and gone.updated == 1 and gone.created == 0
    with store.session() as s:
        assert s.get(GoldenRecord, alone.golden_id).status == "deleted"
        kept = s.get(GoldenRecord, calm.iloc[2].golden_id_erp)
        assert kept.status == "active" and kept.lineage["unit_price"]["winner"]["system"] == "CRM"
        assert s.scalar(select(OutboxEvent.type).where(OutboxEvent.subject == alone.golden_id).order_by(OutboxEvent.version.desc()).limit(1)) == "mdm.price.deleted"
        assert s.get(Xref, int(alone.record_id)) is None

    # The held-back item arrives: its prices resolve on the next run.
    load(store, "erp_materials", seed.folder / "late")
    match(store, "item")
    fifth = run_prices(store, T0 + timedelta(days=5))
    assert fifth.unresolved == 0 and fifth.created + fifth.updated >= 1
    late = price_records(store).set_index("source_key").loc[seed.late_prices]
    assert late["golden_id"].notna().all() and (late["matched_version"] == late["version"]).all()
    assert golden_prices(store).keys() >= goldens.keys() - {alone.golden_id}


def test_price_for_over_time(seeded):
    store, _ = seeded
    run_prices(store)
    goldens = list(golden_prices(store).values())
    by_key = defaultdict(list)
    for g in goldens:
        a = g.attributes
        by_key[(a["item_id"], a.get("customer_id"), a.get("price_list"), a["currency"], a["uom"], a.get("min_qty"))].append(a)

    # Successive periods: the old price up to its last day, the new one from the next.
    boundary = next(
        (old, new) for group in by_key.values() if len(group) > 1 and not group[0].get("customer_id")
        and group[0].get("price_list") == "Standard" and group[0].get("min_qty") == "1"
        for old in group for new in group
        if old.get("valid_to") and new.get("valid_from")
        and date.fromisoformat(old["valid_to"]) + timedelta(days=1) == date.fromisoformat(new["valid_from"])
    )
    old, new = boundary
    last_day = date.fromisoformat(old["valid_to"])
    with store.session() as s:
        before = price_for(s, item_id=old["item_id"], on=last_day, currency=old["currency"])
        after = price_for(s, item_id=old["item_id"], on=last_day + timedelta(days=1), currency=old["currency"].lower())
        assert before["unit_price"] == old["unit_price"] and before["basis"] == "list"
        assert after["unit_price"] == new["unit_price"] and after["golden_id"] != before["golden_id"]
        assert price_for(s, item_id=old["item_id"], on=last_day, currency="XXX") is None
        if old.get("valid_from"):
            first_day = date.fromisoformat(old["valid_from"])
            earlier = price_for(s, item_id=old["item_id"], on=first_day - timedelta(days=1), currency=old["currency"])
            assert earlier is None or earlier["golden_id"] != before["golden_id"]

        # A customer's own price comes before the list price; others get the list price.
        own = next(
            a for a in (g.attributes for g in goldens) if a.get("customer_id") and a.get("min_qty") == "1"
            and any(not b.get("customer_id") and b.get("price_list") == "Standard" and b["currency"] == a["currency"]
                    and b["item_id"] == a["item_id"] and b.get("min_qty") == "1" and _overlap(a, b)
                    for b in (g.attributes for g in goldens))
        )
        day = max(date.fromisoformat(own.get("valid_from") or "2000-01-01"),
                  *(date.fromisoformat(b.get("valid_from") or "2000-01-01") for b in (g.attributes for g in goldens)
                    if b["item_id"] == own["item_id"] and b.get("price_list") == "Standard" and b["currency"] == own["currency"]
                    and _overlap(own, b)))
        quote = price_for(s, item_id=own["item_id"], customer_id=own["customer_id"], on=day, currency=own["currency"])
        assert quote["basis"] == "customer" and quote["unit_price"] == own["unit_price"]
        general = price_for(s, item_id=own["item_id"], on=day, currency=own["currency"])
        assert general["basis"] == "list" and general["price_list"] == "Standard"
        # A price list (the customer's, when known) comes before the list price.
        wholesale = next((g.attributes for g in goldens if g.attributes.get("price_list") == "Wholesale"
                          and g.attributes.get("min_qty") == "1"), None)
        if wholesale is not None:
            on = date.fromisoformat(wholesale.get("valid_from") or "2024-01-01")
            quote = price_for(s, item_id=wholesale["item_id"], on=on, currency=wholesale["currency"], price_list="02")
            assert quote["basis"] == "price_list" and quote["unit_price"] == wholesale["unit_price"]


def _overlap(a: dict, b: dict) -> bool:
    lo = max(a.get("valid_from") or "", b.get("valid_from") or "")
    hi = min(a.get("valid_to") or "9999-12-31", b.get("valid_to") or "9999-12-31")
    return lo <= hi

"""Small, deterministic source files for API tests: CRM and ERP customers
and items with planted duplicates, loaded and matched the real way."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timezone
from pathlib import Path

from mdm.ingest import Mapping, load_file
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import Settings

FIRST = ["Robert", "Maria", "James", "Linda", "Ahmed", "Chen", "Olga", "Pedro", "Aisha", "Tom", "Ingrid", "Yuki"]
LAST = ["Smith", "Garcia", "Johnson", "Brown", "Khan", "Wang", "Ivanova", "Silva", "Okafor", "Miller", "Berg", "Sato"]
STREETS = ["Main St", "Oak Ave", "Elm Rd", "Pine St", "Maple Dr", "Cedar Ln", "Birch Way", "Lake Blvd"]
CITIES = [("Boston", "MA", "02110"), ("Denver", "CO", "80202"), ("Austin", "TX", "73301"), ("Seattle", "WA", "98101")]
ORGS = ["Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne"]

CUSTOMER_HEADER = ["Id", "Organization", "First", "Last", "Email", "Phone", "Street", "City", "State", "Zip", "Country"]
CUSTOMER_FIELDS = {
    "organization": "Organization", "given_name": "First", "family_name": "Last", "email": "Email",
    "phone": "Phone", "address_line1": "Street", "city": "City", "region": "State", "postal_code": "Zip",
    "country": "Country",
}
ITEM_HEADER = ["Sku", "Name", "Manufacturer", "Mpn", "Category", "Uom"]
ITEM_FIELDS = {"name": "Name", "manufacturer": "Manufacturer", "mpn": "Mpn", "sku": "Sku", "category": "Category", "base_uom": "Uom"}
PARTS = ["Hex Bolt", "Washer", "Hinge", "Bracket", "Gasket", "Valve", "Spring", "Bearing", "Coupling", "Nozzle"]
MAKERS = ["Bosch", "Makita", "Hilti", "Festool", "Würth"]

ACME = ["A1", "ACME Corporation, Inc.", "", "", "orders@acme.example", "+1 617 555 0199", "1 Acme Way", "Boston", "MA", "02110", "US"]
TYPO_MPN = "XJ-4410-B"


def customer_rows(n: int = 60, seed: int = 7) -> tuple[list[list[str]], list[list[str]]]:
    """(CRM rows, ERP rows): every third CRM customer reappears in ERP, slightly different."""
    rng = random.Random(seed)
    crm, erp = [], []
    for i in range(n):
        city, state, zip_ = CITIES[i % len(CITIES)]
        street = f"{10 + i * 7} {STREETS[i % len(STREETS)]}"
        phone = f"+1 617 555 {1000 + i:04d}"
        if i % 4 == 0:
            org = f"{ORGS[i % len(ORGS)]} {['Industries', 'Holdings', 'Logistics', 'Foods'][i % 4]} {i}"
            row = [f"C{i}", f"{org} Inc.", "", "", f"info{i}@{ORGS[i % len(ORGS)].lower()}.example", phone,
                   street, city, state, zip_, "US"]
        else:
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + i * 5) % len(LAST)]
            row = ["", "", first, last, f"{first}.{last}{i}@mail.example".lower(), phone, street, city, state, zip_, "US"]
            row[0] = f"C{i}"
        crm.append(row)
        if i % 3 == 0:
            dup = list(row)
            dup[0] = f"E{i}"
            if dup[2]:
                dup[2] = dup[2].upper()
            else:
                dup[1] = dup[1].replace(" Inc.", ", Incorporated")
            dup[6] = dup[6].replace(" St", " Street").replace(" Ave", " Avenue")
            erp.append(dup)
    rng.shuffle(erp)
    crm.append(ACME)
    erp.append(["EA1", "Acme Corp", "", "", "orders@acme.example", "(617) 555-0199", "1 Acme Way", "Boston", "MA", "02110", "US"])
    return crm, erp


def item_rows(n: int = 40) -> tuple[list[list[str]], list[list[str]]]:
    erp, wms = [], []
    for i in range(n):
        name = f"{PARTS[i % len(PARTS)]} {8 + i}mm"
        row = [f"S{i}", name, MAKERS[i % len(MAKERS)], f"MP-{1000 + i * 37}", "Hardware", "EA"]
        erp.append(row)
        if i % 2 == 0:
            wms.append([f"W{i}", name.upper(), MAKERS[i % len(MAKERS)], f"mp{1000 + i * 37}", "hardware", "EA"])
    erp.append(["S-XJ", "Stainless Hinge Heavy Duty", "Hilti", TYPO_MPN, "Hardware", "EA"])
    return erp, wms


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load_and_match(store, tmp_path: Path, *, items: bool = True) -> None:
    """Load CRM+ERP customers (and ERP+WMS items) from CSV and match them."""
    crm, erp = customer_rows()
    files = [
        (write_csv(tmp_path / "crm.csv", CUSTOMER_HEADER, crm), Mapping(source="CRM", domain="customer", key="Id", fields=CUSTOMER_FIELDS)),
        (write_csv(tmp_path / "erp.csv", CUSTOMER_HEADER, erp), Mapping(source="ERP", domain="customer", key="Id", fields=CUSTOMER_FIELDS)),
    ]
    if items:
        erp_items, wms_items = item_rows()
        files += [
            (write_csv(tmp_path / "items.csv", ITEM_HEADER, erp_items), Mapping(source="ERP", domain="item", key="Sku", fields=ITEM_FIELDS)),
            (write_csv(tmp_path / "wms.csv", ITEM_HEADER, wms_items), Mapping(source="WMS", domain="item", key="Sku", fields=ITEM_FIELDS)),
        ]
    for path, mapping in files:
        with store.session() as session:
            load_file(session, path, mapping)
    rules_dir = Settings().rules_dir
    for domain in ("customer", "item") if items else ("customer",):
        with store.session() as session:
            match_domain(session, domain, load_match_rules(rules_dir, domain), now=datetime.now(timezone.utc))
    propose_review(store, ("CRM", "C1"), ("ERP", "E3"), load_match_rules(rules_dir, "customer"))


def propose_review(store, left: tuple[str, str], right: tuple[str, str], rules) -> None:
    """Put one pair in the review queue as the matcher would, scored and
    explained by the stored model: which pairs land in the review band on
    their own depends on the estimated model, and these tests need one."""
    from sqlalchemy import select

    from mdm.match import score_pairs
    from mdm.match.scoring import explain
    from mdm.resolve.frames import current_records
    from mdm.resolve.run import load_model
    from mdm.store.tables import MatchCandidate, SourceRecord

    with store.session() as session:
        ids = []
        for system, key in (left, right):
            ids.append(session.scalar(select(SourceRecord.id).where(
                SourceRecord.system == system, SourceRecord.domain == "customer", SourceRecord.source_key == key)))
        lo, hi = sorted(ids)
        model, tf, _ = load_model(session, "customer")
        pairs, levels = score_pairs(current_records(session, "customer", [lo, hi]), [lo], [hi], rules, model, tf)
        session.add(MatchCandidate(
            domain="customer", kind="match", left_record_id=lo, right_record_id=hi,
            match_weight=float(pairs["match_weight"].iat[0]), match_probability=float(pairs["match_probability"].iat[0]),
            explanation={"levels": explain(levels[0], model)}, status="pending", created_at=datetime.now(timezone.utc),
        ))
        session.commit()


PEOPLE = [
    ("Zelda", "Quimby", "Denver", "CO", "80202"), ("Xavier", "Yount", "Austin", "TX", "73301"),
    ("Wanda", "Vickers", "Seattle", "WA", "98101"), ("Ulrich", "Tamm", "Boston", "MA", "02110"),
    ("Sigrid", "Rask", "Denver", "CO", "80203"), ("Quentin", "Pruitt", "Austin", "TX", "73344"),
    ("Odile", "Nakamura", "Seattle", "WA", "98109"), ("Magnus", "Lindqvist", "Boston", "MA", "02115"),
    ("Katya", "Jaramillo", "Denver", "CO", "80205"), ("Ignatius", "Hollis", "Austin", "TX", "73301"),
    ("Greta", "Fairbanks", "Seattle", "WA", "98104"), ("Emil", "Dunmore", "Boston", "MA", "02116"),
    ("Cosima", "Barrowfield", "Denver", "CO", "80206"), ("Anselm", "Ziegler", "Austin", "TX", "73310"),
]


def person(n: int, key: str | None = None) -> dict:
    """A customer record unlike any other in the test data (n < len(PEOPLE))."""
    given, family, city, region, zip_ = PEOPLE[n]
    return {
        "key": key or f"{family.upper()}-1", "given_name": given, "family_name": family,
        "email": f"{given}.{family}@people.example".lower(), "phone": f"+1 720 555 {3000 + n * 17:04d}",
        "address_line1": f"{100 + n * 11} {family} Rd", "city": city, "region": region, "postal_code": zip_,
        "country": "US",
    }

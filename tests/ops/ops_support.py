"""Helpers of the operations tests: a small hub loaded the real way (CRM and
ERP customers with duplicates and a rejected row), subscribers, draining."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime, timezone
from pathlib import Path

from receivers.harness import SECRET

from mdm.ingest import Mapping, load_file
from mdm.publish import subscribers as service
from mdm.publish.dispatcher import DispatcherConfig, run_dispatcher
from mdm.publish.policy import RetryPolicy
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed_data"
FAST = DispatcherConfig(poll_interval=0.02, retry=RetryPolicy(base=0.05, cap=0.2), batch_size=100)
HEADER = ["Id", "First", "Last", "Email", "Phone", "Street", "City", "State", "Zip"]
FIELDS = {"given_name": "First", "family_name": "Last", "email": "Email", "phone": "Phone",
          "address_line1": "Street", "city": "City", "region": "State", "postal_code": "Zip"}
PEOPLE = [
    ("Robert", "Smith", "rob.smith@mail.example", "+1 617 555 0101", "12 Main St", "Boston", "MA", "02110"),
    ("Maria", "Garcia", "maria.g@mail.example", "+1 303 555 0102", "40 Oak Ave", "Denver", "CO", "80202"),
    ("Chen", "Wang", "chen.wang@mail.example", "+1 512 555 0103", "7 Elm Rd", "Austin", "TX", "73301"),
    ("Ingrid", "Berg", "ingrid.berg@mail.example", "+1 206 555 0104", "91 Pine St", "Seattle", "WA", "98101"),
    ("Ahmed", "Khan", "a.khan@mail.example", "+1 617 555 0105", "3 Cedar Ln", "Boston", "MA", "02110"),
    ("Yuki", "Sato", "yuki.sato@mail.example", "+1 303 555 0106", "55 Lake Blvd", "Denver", "CO", "80202"),
]
CRM_ROWS = 7  # six people and one row with no name at all (rejected)
ERP_ROWS = 3  # three of the people again, slightly different


def now() -> datetime:
    return datetime.now(timezone.utc)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def load_small_hub(store, tmp: Path) -> None:
    """CRM: six customers and a rejected row; ERP: three of them again. Matched."""
    crm = [[f"C{i}", *p] for i, p in enumerate(PEOPLE)] + [["C99", "", "", "", "", "", "", "", ""]]
    erp = [[f"E{i}", p[0].upper(), p[1], p[2], p[3], p[4].replace(" St", " Street"), *p[5:]] for i, p in enumerate(PEOPLE[:3])]
    for name, rows in (("CRM", crm), ("ERP", erp)):
        with store.session() as session:
            load_file(session, write_csv(tmp / f"{name.lower()}.csv", rows),
                      Mapping(source=name, domain="customer", key="Id", fields=FIELDS))
    with store.session() as session:
        match_domain(session, "customer", load_match_rules(Settings().rules_dir, "customer"), now=now())


def subscribe(store, name: str, url: str, **spec) -> None:
    with store.session() as session:
        service.add_subscriber(
            session,
            service.SubscriberSpec(name=name, target=service.WebhookTarget(url=url, secret=SECRET), **spec),
            now=now(),
        )


def drain(store, config: DispatcherConfig = FAST):
    return asyncio.run(run_dispatcher(store, stop=asyncio.Event(), config=config, once=True))



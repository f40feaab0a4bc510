"""The seed customers loaded and matched the real way, for the steward tests."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from mdm.api import create_key
from mdm.ingest import load_file, load_mapping
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import BUNDLED_RULES_DIR
from mdm.store import Store
from mdm.store.migrate import upgrade

SEED = Path(__file__).resolve().parents[2] / "seed_data"
CUSTOMER_FILES = ["erp_customers", "crm_accounts", "crm_contacts", "wms_ship_to"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def seed_customers(store: Store, rejects: Path) -> None:
    """Load the seed customer exports with their mappings and match them."""
    upgrade(store.engine)
    for stem in CUSTOMER_FILES:
        data = next(p for p in SEED.glob(f"{stem}.*") if not p.name.endswith((".mapping.yaml", ".rejects.csv")))
        with store.session() as session:
            load_file(session, data, load_mapping(SEED / f"{stem}.mapping.yaml"), rejects_path=rejects / f"{stem}.rejects.csv")
    with store.session() as session:
        match_domain(session, "customer", load_match_rules(BUNDLED_RULES_DIR, "customer"), now=datetime.now(timezone.utc))


def keys_for(store: Store) -> dict[str, str]:
    with store.session() as session:
        keys = {role: create_key(session, role, name=f"test-{role}").key for role in ("reader", "steward", "admin")}
        for system in ("ERP", "CRM", "WMS"):
            keys[f"publisher:{system}"] = create_key(session, "publisher", system=system, name=f"test-{system}").key
    return keys


def sqlite_copy(template: Path, folder: Path) -> Store:
    path = folder / "mdm.db"
    shutil.copyfile(template, path)
    return Store.open(f"sqlite:///{path}")

"""Helpers of the operations page tests: a hub with two weeks of history and
the app served over real HTTP for a real browser.

    python tests/ops/ops_page.py shot.png     # a screenshot of the page on seed data
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import uvicorn
from sqlalchemy import select, update

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from ops_support import FIELDS, PEOPLE, SEED, drain, subscribe, write_csv  # noqa: E402
from receivers.harness import free_port  # noqa: E402

from mdm.api import create_app, create_key  # noqa: E402
from mdm.ingest import Mapping, load_file, load_mapping  # noqa: E402
from mdm.publish import subscribers as service  # noqa: E402
from mdm.resolve.run import match_domain  # noqa: E402
from mdm.rules import load_match_rules  # noqa: E402
from mdm.settings import Settings  # noqa: E402
from mdm.store.tables import MatchCandidate  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def seed_loads(tmp: Path) -> list[tuple[int, Path, Mapping]]:
    """(days ago, file, mapping): the seed customers over two weeks, and an EDI feed with bad rows."""
    loads = [(days_ago, SEED / f"{name}.csv", load_mapping(SEED / f"{name}.mapping.yaml"))
             for days_ago, name in ((13, "crm_contacts"), (9, "erp_customers"), (4, "wms_ship_to"), (1, "crm_accounts"))]
    return [*loads, *small_loads(tmp)[-1:]]


def small_loads(tmp: Path) -> list[tuple[int, Path, Mapping]]:
    """Six CRM customers a week ago, three of them from ERP three days ago, an
    EDI feed today with two of five rows rejected."""
    crm = [[f"C{i}", *p] for i, p in enumerate(PEOPLE)]
    erp = [[f"E{i}", p[0].upper(), *p[1:]] for i, p in enumerate(PEOPLE[:3])]
    edi = [["D1", "Olga", "Ivanova", "olga@mail.example", "", "", "", "", ""],
           ["D2", "Pedro", "Silva", "pedro@mail.example", "", "", "", "", ""],
           ["D3", "Aisha", "Okafor", "aisha@mail.example", "", "", "", "", ""],
           ["D4", "", "", "", "", "", "", "", ""], ["D5", "", "", "", "", "", "", "", ""]]
    return [(days_ago, write_csv(tmp / f"{system.lower()}.csv", rows), Mapping(source=system, domain="customer", key="Id", fields=FIELDS))
            for days_ago, system, rows in ((6, "CRM", crm), (3, "ERP", erp), (0, "EDI", edi))]


def history(store, loads: list[tuple[int, Path, Mapping]], receiver_url: str | None = None) -> str:
    """Loads matched as they came, two thirds of the review items settled over
    the last week, three subscribers (healthy, failing, paused). A reader key."""
    today = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    rules = load_match_rules(Settings().rules_dir, "customer")
    for days_ago, path, mapping in loads:
        at = today - timedelta(days=days_ago)
        with store.session() as session:
            load_file(session, path, mapping, now=at)
            match_domain(session, "customer", rules, now=at)
    with store.session() as session:
        pending = session.scalars(select(MatchCandidate.id).where(MatchCandidate.status == "pending")
                                  .order_by(MatchCandidate.id)).all()
        for i, cid in enumerate(pending[: len(pending) * 2 // 3]):
            session.execute(update(MatchCandidate).where(MatchCandidate.id == cid).values(
                status="merged" if i % 3 else "rejected", decided_at=today - timedelta(days=i % 8)))
        session.commit()
        key = create_key(session, "reader", name="ops-page").key
    subscribe(store, "crm-sync", f"http://127.0.0.1:{free_port()}/ok", max_attempts=1, from_sequence=1)
    if receiver_url:
        subscribe(store, "erp-sync", receiver_url, from_sequence=1)
    subscribe(store, "analytics", f"http://127.0.0.1:{free_port()}/ok", from_sequence=1)
    with store.session() as session:
        service.pause_subscriber(session, "analytics", now=today, reason="warehouse maintenance")
    drain(store)
    return key


@contextlib.contextmanager
def served(store):
    """The app on a free port, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def open_page(playwright, base: str, key: str | None, path: str = "/steward/ops.html"):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    if key:
        page.add_init_script(f"sessionStorage.setItem('mdm.steward.key', {key!r})")
    page.goto(base + path)
    return browser, page


def main(out: str) -> None:
    import tempfile

    from playwright.sync_api import sync_playwright
    from receivers.harness import WebhookReceiver

    from mdm.store import Store
    from mdm.store.migrate import upgrade

    tmp = Path(tempfile.mkdtemp())
    os.environ.setdefault("MDM_DATABASE_URL", f"sqlite:///{tmp / 'mdm.db'}")
    store = Store.open(os.environ["MDM_DATABASE_URL"])
    upgrade(store.engine)
    with WebhookReceiver(tmp / "received.jsonl") as receiver:
        key = history(store, seed_loads(tmp), receiver.url("/ok"))
    with served(store) as base, sync_playwright() as p:
        browser, page = open_page(p, base, key)
        page.wait_for_selector("body[data-ready=true]")
        page.screenshot(path=out, full_page=True)
        browser.close()
    store.close()
    print(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ops.png")

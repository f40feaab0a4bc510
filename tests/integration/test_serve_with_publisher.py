"""`mdm serve --with-publisher`: the server runs the change dispatcher itself."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from receivers.harness import SECRET, WebhookReceiver
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.ingest import load_file, load_mapping
from mdm.publish import subscribers as service
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules

ROOT = Path(__file__).resolve().parents[2]


def subscribe(session, url: str) -> None:
    spec = service.SubscriberSpec(name="crm", target=service.WebhookTarget(url=url, secret=SECRET), from_sequence=1)
    service.add_subscriber(session, spec, now=datetime.now(timezone.utc))
    session.commit()


def test_a_server_with_the_publisher_delivers_golden_changes_to_a_webhook(store, tmp_path):
    with WebhookReceiver(tmp_path / "received.jsonl") as receiver:
        with store.session() as session:
            subscribe(session, receiver.url("/ok"))
        with TestClient(create_app(store, with_publisher=True)) as client:
            assert client.get("/healthz").status_code == 200
            with store.session() as session:
                load_file(session, ROOT / "seed_data" / "crm_contacts.csv",
                          load_mapping(ROOT / "seed_data" / "crm_contacts.mapping.yaml"))
            with store.session() as session:
                report = match_domain(session, "customer", load_match_rules(ROOT / "rules", "customer"),
                                      now=datetime.now(timezone.utc))
            created = report.golden.created
            got = receiver.wait_for(created, timeout=60)
        assert len({r["id"] for r in got}) == created
        assert all(r["type"] == "mdm.customer.created" for r in got)


def test_a_server_without_the_publisher_leaves_events_in_the_outbox(store, tmp_path):
    with WebhookReceiver(tmp_path / "received.jsonl") as receiver:
        with store.session() as session:
            subscribe(session, receiver.url("/ok"))
        with TestClient(create_app(store, with_publisher=False)):
            with store.session() as session:
                load_file(session, ROOT / "seed_data" / "crm_contacts.csv",
                          load_mapping(ROOT / "seed_data" / "crm_contacts.mapping.yaml"))
            with store.session() as session:
                match_domain(session, "customer", load_match_rules(ROOT / "rules", "customer"),
                             now=datetime.now(timezone.utc))
        assert receiver.delivered() == []

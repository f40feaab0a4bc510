"""/readyz: ready only when the database answers and has every migration;
/healthz answers as long as the process runs."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from starlette.testclient import TestClient

from mdm.api import create_app
from mdm.store import Store
from mdm.store.migrate import alembic_config, upgrade


def probe(store: Store) -> tuple[int, dict, int]:
    with TestClient(create_app(store)) as client:
        ready = client.get("/readyz")
        health = client.get("/healthz").status_code
    return ready.status_code, ready.json(), health


@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-dir/mdm.db",
    "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
], ids=["sqlite", "postgres"])
def test_readyz_fails_when_the_database_is_unreachable(url):
    store = Store.open(url)
    status, body, health = probe(store)
    store.close()
    assert status == 503 and body["reason"].startswith("database unreachable: OperationalError")
    assert health == 200


def test_readyz_fails_while_the_schema_is_one_migration_behind(db_url):
    store = Store.open(db_url)
    cfg = alembic_config(store.engine)
    previous = ScriptDirectory.from_config(cfg).get_revision("head").down_revision
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, previous)
    status, body, _ = probe(store)
    assert status == 503 and body["reason"] == "database migrations pending: run `mdm init`"
    upgrade(store.engine)
    assert probe(store)[:2] == (200, {"status": "ready"})
    store.close()


def test_readyz_fails_on_an_empty_database(db_url):
    store = Store.open(db_url)
    status, body, _ = probe(store)
    store.close()
    assert status == 503 and "migrations pending" in body["reason"]

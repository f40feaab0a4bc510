"""Shared fixtures: a fresh store on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from db_fixtures import fresh_database
from mdm.store import Store
from mdm.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "seed_data"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A database URL with an empty schema, on SQLite and on PostgreSQL."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(db_url):
    store = Store.open(db_url)
    upgrade(store.engine)
    yield store
    store.close()


@pytest.fixture
def sqlite_store(tmp_path):
    """A fresh store on SQLite only: for behaviour that is SQLite's own (pragmas), or that
    does not depend on the database."""
    store = Store.open(f"sqlite:///{tmp_path / 'mdm.db'}")
    upgrade(store.engine)
    yield store
    store.close()

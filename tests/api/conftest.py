"""Fixtures of the API tests: a store loaded and matched the real way, the
app around it, and clients holding an API key of each role."""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
import warnings
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from api_client import Api  # noqa: E402
from api_data import load_and_match  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from mdm.api import create_app, create_key  # noqa: E402
from mdm.store import Store  # noqa: E402
from mdm.store.migrate import upgrade  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"


def keys_for(store) -> dict[str, str]:
    keys = {}
    with store.session() as session:
        for role in ("reader", "steward", "admin"):
            keys[role] = create_key(session, role, name=f"test-{role}").key
        keys["publisher"] = create_key(session, "publisher", system="WEB", name="test-web").key
    return keys


@contextlib.contextmanager
def loaded(kind: str, tmp: Path):
    """A store on SQLite or PostgreSQL (own schema), loaded from CSV, matched, with keys."""
    admin = schema = None
    if kind == "sqlite":
        store = Store.open(f"sqlite:///{tmp / 'mdm.db'}")
    else:
        base = os.environ.get("MDM_TEST_DATABASE_URL")
        if not base:
            if IN_CI:
                pytest.fail("CI=true but MDM_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
            pytest.skip("PostgreSQL tests need MDM_TEST_DATABASE_URL")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        store = Store.open(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        upgrade(store.engine)
        load_and_match(store, tmp)
        store.keys = keys_for(store)
        yield store
    finally:
        store.close()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def loaded_store(request, tmp_path_factory):
    """One store per backend for read-only tests."""
    with loaded(request.param, tmp_path_factory.mktemp("loaded")) as store:
        yield store


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fresh(request, tmp_path_factory):
    """One store per backend and test module for tests that write; each test
    writes records of its own (see `person`), so tests do not interfere."""
    with loaded(request.param, tmp_path_factory.mktemp("fresh")) as store:
        yield store


@pytest.fixture(scope="session")
def loaded_app(loaded_store):
    app = create_app(loaded_store)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def reader(loaded_app, loaded_store) -> Api:
    return Api(loaded_app, loaded_store.keys["reader"])


@pytest.fixture(scope="module")
def app_client(fresh):
    with TestClient(create_app(fresh, key_cache_seconds=0, poll_interval=0.05)) as client:
        yield client


@pytest.fixture
def api(app_client, fresh):
    """Clients of the fresh store by role: api['publisher'](query, variables)."""
    return {role: Api(app_client, key) for role, key in fresh.keys.items()}

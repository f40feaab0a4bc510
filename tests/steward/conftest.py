"""Fixtures of the steward tests: the seed customers loaded and matched the
real way (once per backend), an app around them, and keys of each role."""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")

from starlette.testclient import TestClient  # noqa: E402
from steward_api import StewardApi  # noqa: E402
from steward_seed import IN_CI, keys_for, seed_customers, sqlite_copy  # noqa: E402

from mdm.api import create_app  # noqa: E402
from mdm.store import Store  # noqa: E402


@pytest.fixture(scope="session")
def seeded_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite file with the seed customers matched; copy it before writing."""
    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "seeded.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        seed_customers(store, folder)
    finally:
        store.close()
    return path


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def seeded(request, seeded_sqlite_file, tmp_path_factory):
    """A seeded store per backend, shared by the API tests; each test decides
    on records no other test touched (see `StewardApi.fresh_candidate`)."""
    if request.param == "sqlite":
        store = sqlite_copy(seeded_sqlite_file, tmp_path_factory.mktemp("api"))
        store.keys = keys_for(store)
        yield store
        store.close()
        return
    base = os.environ.get("MDM_TEST_DATABASE_URL")
    if not base:
        if IN_CI:
            pytest.fail("CI=true but MDM_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests need MDM_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    store = Store.open(f"{base}{sep}options=-csearch_path%3D{schema}")
    try:
        seed_customers(store, tmp_path_factory.mktemp("pg"))
        store.keys = keys_for(store)
        yield store
    finally:
        store.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def client(seeded):
    with TestClient(create_app(seeded, key_cache_seconds=0)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def touched(seeded) -> set[int]:
    """Source records some test decided on already (per backend run)."""
    return set()


@pytest.fixture
def api(client, seeded, touched) -> dict[str, StewardApi]:
    """Clients by role: api['steward'].data(query, variables)."""
    return {role: StewardApi(client, key, touched) for role, key in seeded.keys.items()}

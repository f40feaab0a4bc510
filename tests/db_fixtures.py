"""Fresh databases for tests: a SQLite file, or a PostgreSQL schema of its own."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

IN_CI = os.environ.get("CI", "").lower() == "true"


def postgres_url() -> str | None:
    url = os.environ.get("MDM_TEST_DATABASE_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI=true but MDM_TEST_DATABASE_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests need MDM_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    return url


@contextmanager
def fresh_database(kind: str, folder: Path):
    """The URL of an empty database: a SQLite file in ``folder``, or a
    PostgreSQL schema of its own that is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'mdm.db'}"
        return
    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

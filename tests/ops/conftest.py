"""Fixtures of the operations tests: a small hub loaded the real way (CRM and
ERP customers with duplicates and a rejected row), API keys, the `mdm` CLI."""

from __future__ import annotations

import warnings

import pytest
from ops_support import load_small_hub
from typer.testing import CliRunner

from mdm.api import create_key
from mdm.cli import app
from mdm.cli.app import console

warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")


@pytest.fixture
def hub(store, tmp_path):
    load_small_hub(store, tmp_path)
    with store.session() as session:
        store.keys = {role: create_key(session, role, name=f"ops-{role}").key for role in ("reader", "steward", "admin")}
        store.keys["publisher"] = create_key(session, "publisher", system="WEB", name="ops-web").key
    return store


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    """`cli("status")` runs `mdm status` in-process against the test database."""
    monkeypatch.setenv("MDM_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "width", 250)  # tables unwrapped, so tests can read them
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return run

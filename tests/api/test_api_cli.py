"""`mdm apikey` and `mdm schema` from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from api_client import GRAPHQL_DIR
from mdm.api.keys import verify_key
from mdm.cli import app
from mdm.store import Store

runner = CliRunner()


def test_apikey_create_list_revoke(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MDM_DATABASE_URL", url)
    created = runner.invoke(app, ["apikey", "create", "--role", "publisher", "--system", "CRM", "--name", "crm-sync"])
    assert created.exit_code == 0, created.output
    key = created.output.splitlines()[0]
    store = Store.open(url)
    with store.session() as session:
        principal = verify_key(session, key)
    assert (principal.role, principal.system, principal.name) == ("publisher", "CRM", "crm-sync")
    listed = runner.invoke(app, ["apikey", "list"])
    assert "crm-sync" in listed.output and key not in listed.output
    assert runner.invoke(app, ["apikey", "revoke", "crm-sync"]).exit_code == 0
    with store.session() as session:
        assert verify_key(session, key) is None
    store.close()


def test_apikey_create_refuses_a_publisher_without_a_system(tmp_path, monkeypatch):
    monkeypatch.setenv("MDM_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = runner.invoke(app, ["apikey", "create", "--role", "publisher"])
    assert result.exit_code != 0 and "needs the source system" in result.output


def test_mdm_schema_prints_the_contract():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and result.output == (GRAPHQL_DIR / "schema.graphql").read_text(encoding="utf-8")

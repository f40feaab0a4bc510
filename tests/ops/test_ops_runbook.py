"""Every `$ mdm ...` line of docs/operations.md parses, and runs, in order,
against a hub set up the way the runbook describes it."""

from __future__ import annotations

import re
import shlex

import pytest
import typer
from typer.testing import CliRunner
from ops_support import ROOT, SEED, subscribe
from starlette.testclient import TestClient
from test_ops_cli import drifted_snapshot

from mdm.api import create_app, create_key
from mdm.cli import app
from mdm.store import Store

RUNBOOK = ROOT / "docs" / "operations.md"
LONG_RUNNING = {("serve",), ("publish",)}  # servers: checked by parsing only


def runbook_commands() -> list[list[str]]:
    blocks = re.findall(r"```console\n(.*?)```", RUNBOOK.read_text(encoding="utf-8"), re.S)
    return [shlex.split(line[2:])[1:] for block in blocks for line in block.splitlines() if line.startswith("$ mdm ")]


def resolve(args: list[str]) -> tuple[tuple[str, ...], object]:
    """The (sub)command a command line names, and its path."""
    command, path = typer.main.get_command(app), []
    for token in args:
        if token not in getattr(command, "commands", {}):
            break
        command, path = command.commands[token], [*path, token]
    return tuple(path), command


def test_the_runbook_covers_the_operations_commands():
    paths = {resolve(args)[0] for args in runbook_commands()}
    assert {("init",), ("serve",), ("publish",), ("status",), ("trace",), ("reconcile",), ("subscriber", "redrive"),
            ("subscriber", "replay"), ("subscriber", "rotate-secret"), ("apikey", "create"), ("apikey", "revoke")} <= paths


@pytest.mark.parametrize("args", runbook_commands(), ids=lambda a: " ".join(a)[:60])
def test_each_runbook_command_names_a_command_and_its_options(args):
    path, command = resolve(args)
    assert path and not hasattr(command, "commands"), f"{args} names no command"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    known = {opt for param in command.params for opt in param.opts}
    assert {a.split("=")[0] for a in args if a.startswith("-")} <= known, args


@pytest.fixture
def world(cli, db_url, tmp_path, monkeypatch):
    """CRM contacts loaded and matched, a subscriber `erp`, an API key
    `crm-2024`, an API ingest with the correlation id `order-sync-42`, and
    today's CRM export (drifted) in the working directory."""
    (tmp_path / "seed_data").symlink_to(SEED)
    cli("init")
    cli("load", str(SEED / "crm_contacts.csv"), "--mapping", str(SEED / "crm_contacts.mapping.yaml"))
    store = Store.open(db_url)
    subscribe(store, "erp", "http://127.0.0.1:9/ok", max_attempts=1, from_sequence=1)
    with store.session() as session:
        create_key(session, "publisher", system="CRM", name="crm-2024")
        key = create_key(session, "publisher", system="WEB", name="web").key
    with TestClient(create_app(store)) as client:
        response = client.post("/graphql", headers={"Authorization": f"Bearer {key}", "X-Correlation-ID": "order-sync-42"},
                               json={"query": 'mutation { upsertSourceRecords(system: "WEB", domain: CUSTOMER, records: '
                                              '[{key: "W1", given_name: "Ada", family_name: "Lovelace"}]) { stored } }'})
        assert response.json()["data"]["upsertSourceRecords"]["stored"] == 1
    store.close()
    cli("publish", "--once")  # dead-letters what the matching published, for the redrive commands
    drifted_snapshot(tmp_path)
    return cli


def test_the_runbook_runs_top_to_bottom(world):
    ran = []
    for args in runbook_commands():
        if resolve(args)[0] in LONG_RUNNING:
            continue
        result = world(*args, ok=False)
        assert result.exit_code == 0, f"$ mdm {shlex.join(args)}\n{result.output}"
        ran.append(args)
    assert len(ran) >= 20

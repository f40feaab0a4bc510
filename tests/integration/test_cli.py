"""The `mdm` command line, run in-process against SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from mdm.cli import app
from mdm.cli.app import console
from mdm.store import Store
from mdm.store.tables import GoldenRecord, GoldenRecordVersion, OutboxEvent, Xref
from mdm.survivorship.lineage import expand as expand_lineage

SEED = Path(__file__).resolve().parents[2] / "seed_data"
RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MDM_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(console, "width", 1000)  # tables unwrapped, so tests can read them
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    run.url = db_url
    return run


def count(url, table) -> int:
    store = Store.open(url)
    with store.session() as s:
        n = s.scalar(select(func.count()).select_from(table))
    store.close()
    return n


def test_load_prints_the_counts_and_a_second_load_stores_nothing(cli):
    first = cli("load", str(SEED / "crm_contacts.csv"), "--mapping", str(SEED / "crm_contacts.mapping.yaml"))
    assert "crm_contacts.csv" in first.output and "384" in first.output
    again = cli("load", str(SEED / "crm_contacts.csv"), "--mapping", str(SEED / "crm_contacts.mapping.yaml"))
    row = next(line for line in again.output.splitlines() if "crm_contacts.csv" in line)
    assert [cell.strip() for cell in row.split("│")[4:8]] == ["384", "0", "384", "0"]


def test_a_bad_mapping_fails_with_a_clear_message_and_exit_code(cli, tmp_path):
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("source: CRM\ndomain: customer\nkey: Id\nfields: {favourite_colour: Color}\n")
    result = cli("load", str(SEED / "crm_contacts.csv"), "--mapping", str(mapping), ok=False)
    assert result.exit_code == 1
    assert "favourite_colour" in result.output and "bad.yaml" in result.output


def test_demo_without_serving_loads_matches_and_reports_golden_records(cli):
    result = cli("demo", "--no-serve")
    assert "golden records" in result.output
    truth = (SEED / "truth.csv").read_text().count("\n") - 1
    assert count(cli.url, Xref) == truth  # every seed record sits in a golden record, prices included
    assert count(cli.url, GoldenRecord) > 3000
    assert "reader key:" in result.output and "steward key:" in result.output


def test_explain_shows_where_each_value_came_from(cli):
    for stem in ("erp_customers", "crm_accounts"):
        cli("load", str(SEED / f"{stem}.csv"), "--mapping", str(SEED / f"{stem}.mapping.yaml"))
    cli("match", "--domain", "customer")
    store = Store.open(cli.url)
    with store.session() as s:
        # A golden record whose organization had a losing candidate from the other system.
        golden_id = next(
            g.id for g in s.scalars(select(GoldenRecord).order_by(GoldenRecord.id))
            if any("lower source priority" in c["reason"]
                   for c in expand_lineage(g.lineage).get("organization", {}).get("candidates", []))
        )
    store.close()
    result = cli("explain", golden_id)
    assert golden_id in result.output
    assert "source_priority [ERP, CRM]" in result.output  # the organization's ownership rule
    assert "lower source priority" in result.output  # why the CRM value lost


def test_rules_apply_dry_run_reports_changes_and_writes_nothing(cli, tmp_path, monkeypatch):
    for stem in ("erp_customers", "crm_accounts"):
        cli("load", str(SEED / f"{stem}.csv"), "--mapping", str(SEED / f"{stem}.mapping.yaml"))
    cli("match", "--domain", "customer")
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    text = (rules / "customer.yaml").read_text()
    (rules / "customer.yaml").write_text(
        text.replace("chain: [{source_priority: [ERP, CRM]}, most_recent, most_complete]",
                     "chain: [{source_priority: [CRM, ERP]}, most_recent, most_complete]", 1)
    )
    assert "chain: [{source_priority: [CRM, ERP]}, most_recent, most_complete]" in (rules / "customer.yaml").read_text()
    monkeypatch.setenv("MDM_RULES_DIR", str(rules))
    versions, events = count(cli.url, GoldenRecordVersion), count(cli.url, OutboxEvent)
    dry = cli("rules", "apply", "--dry-run", "--domain", "customer")
    assert "customer.organization:" in dry.output
    assert (count(cli.url, GoldenRecordVersion), count(cli.url, OutboxEvent)) == (versions, events)
    changed = int(dry.output.split("customer.organization:")[1].split()[0])
    assert changed > 0
    cli("rules", "apply", "--domain", "customer")
    assert count(cli.url, GoldenRecordVersion) == versions + changed
    assert count(cli.url, OutboxEvent) == events + changed

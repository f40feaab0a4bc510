"""The pull feed and file exports: changes (by cursor or consumer), golden snapshot, xref."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from receivers.harness import add_events
from typer.testing import CliRunner

from mdm.cli import app
from mdm.ingest import load_file, load_mapping
from mdm.publish import exports
from mdm.publish.changelog import changes
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.store.tables import GoldenRecord, Xref

ROOT = Path(__file__).resolve().parents[2]


def read(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(newline="") as fh:
            return list(csv.DictReader(fh))
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    return pq.read_table(path).to_pylist()


@pytest.fixture
def matched(store, tmp_path):
    data = tmp_path / "crm.csv"
    data.write_text(
        "Id,FirstName,LastName,Email\n"
        "C1,Robert,Smith,bob@example.com\nC2,Bob,Smith,bob@example.com\nC3,Ann,Lee,ann@example.com\n"
    )
    mapping = tmp_path / "crm.mapping.yaml"
    mapping.write_text(
        "source: CRM\ndomain: customer\nkey: Id\nfields: {given_name: FirstName, family_name: LastName, email: Email}\n"
    )
    with store.session() as session:
        load_file(session, data, load_mapping(mapping))
        match_domain(session, "customer", load_match_rules(ROOT / "rules", "customer"), now=datetime.now(timezone.utc))
    return store


def test_the_changes_feed_pages_through_events_after_a_cursor(store):
    with store.session() as session:
        rows = add_events(session, 25, subjects=3)
        add_events(session, 5, subjects=1, domain="item")
        first = changes(session, since=0, first=10, domain="customer")
        second = changes(session, since=first.end_cursor, first=100, domain="customer")
    assert [e["id"] for e in first.events + second.events] == [r["event_id"] for r in rows]
    assert first.has_next and not second.has_next
    assert second.end_cursor == 30
    assert first.events[0]["specversion"] == "1.0" and first.events[0]["data"]["changed"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_changes_export_from_a_cursor(store, tmp_path, fmt):
    with store.session() as session:
        rows = add_events(session, 12, subjects=3)
    out = tmp_path / f"changes.{fmt}"
    result = exports.export_changes(store, "customer", out, since=4)
    got = read(out)
    assert [g["event_id"] for g in got] == [r["event_id"] for r in rows[4:]]
    assert (result.after, result.through, result.rows) == (4, 12, 8)


def test_an_export_consumer_that_crashes_halfway_loses_nothing(store, tmp_path, monkeypatch):
    out = tmp_path / "changes.jsonl"
    with store.session() as session:
        first = add_events(session, 10, subjects=2)
    exports.export_changes(store, "customer", out, consumer="erp")
    with store.session() as session:
        second = add_events(session, 10_500, subjects=50)

    def crash(self, rows):
        raise OSError("disk full")

    monkeypatch.setattr(exports.AtomicTableWriter, "write", crash)
    with pytest.raises(OSError):
        exports.export_changes(store, "customer", out, consumer="erp")
    monkeypatch.undo()
    assert [g["event_id"] for g in read(out)] == [r["event_id"] for r in first]
    assert exports.watermark(store, "erp", "customer") == 10
    assert not list(tmp_path.glob(".changes.jsonl.*"))
    exports.export_changes(store, "customer", out, consumer="erp")
    assert [g["event_id"] for g in read(out)] == [r["event_id"] for r in second]
    assert exports.watermark(store, "erp", "customer") == 10_510


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_golden_export_is_a_snapshot_of_active_records(matched, tmp_path, fmt):
    out = tmp_path / f"golden.{fmt}"
    result = exports.export_golden(matched, "customer", out)
    got = read(out)
    with matched.session() as session:
        active = session.execute(select(GoldenRecord).where(GoldenRecord.status == "active")).scalars().all()
    assert result.rows == len(got) == len(active)
    assert {g["golden_id"]: g["email"] for g in got} == {a.id: a.attributes["email"] for a in active}
    assert result.through > 0


def test_xref_export_and_the_cli(matched, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("MDM_DATABASE_URL", db_url)
    out = tmp_path / "xref.csv"
    result = CliRunner().invoke(app, ["export", "xref", "--domain", "customer", "--out", str(out)])
    assert result.exit_code == 0, result.output
    got = read(out)
    assert {(g["system"], g["source_key"]) for g in got} == {("CRM", "C1"), ("CRM", "C2"), ("CRM", "C3")}
    with matched.session() as session:
        xref = dict(session.execute(select(Xref.source_key, Xref.golden_id)).all())
    assert {g["source_key"]: g["golden_id"] for g in got} == xref
    assert list(got[0])[:3] == ["system", "source_key", "golden_id"]


def test_subscriber_cli_round_trip(store, db_url, monkeypatch):
    monkeypatch.setenv("MDM_DATABASE_URL", db_url)
    runner = CliRunner()
    added = runner.invoke(app, ["subscriber", "add", "crm", "--webhook", "https://crm.example/hook", "-d", "customer"])
    assert added.exit_code == 0, added.output
    assert "whsec_" in added.output
    for args in (["pause", "crm"], ["resume", "crm"], ["replay", "crm", "--from-sequence", "1"],
                 ["deadletters", "crm"], ["redrive", "crm"], ["list"], ["remove", "crm", "--yes"]):
        result = runner.invoke(app, ["subscriber", *args])
        assert result.exit_code == 0, (args, result.output)
    missing = runner.invoke(app, ["subscriber", "pause", "crm"])
    assert missing.exit_code == 1 and "no subscriber named 'crm'" in missing.output
    bad = runner.invoke(app, ["subscriber", "add", "x", "--webhook", "ftp://nope"])
    assert bad.exit_code == 1 and "http(s)" in bad.output

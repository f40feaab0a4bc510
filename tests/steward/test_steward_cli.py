"""`mdm steward …` on a copy of the seeded SQLite store."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from mdm.cli import app
from mdm.resolve import lookup
from mdm.store.tables import AuditLog, GoldenOverride, GoldenRecord, MatchCandidate, StewardDecision, Xref
from steward_seed import sqlite_copy

runner = CliRunner()


@pytest.fixture
def cli_store(seeded_sqlite_file, tmp_path, monkeypatch):
    store = sqlite_copy(seeded_sqlite_file, tmp_path)
    monkeypatch.setenv("MDM_DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("COLUMNS", "200")
    yield store
    store.close()


def mdm(*args: str) -> str:
    result = runner.invoke(app, ["steward", *args])
    assert result.exit_code == 0, result.output
    return result.output


def table_row(output: str, first_cell: str) -> list[str]:
    """The cells of a rich table row, with text the terminal's width wrapped joined back up."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"│ {first_cell} "))
    pieces: list[list[str]] = []
    for line in lines[start:]:
        if not line.startswith("│"):
            break
        pieces.append([cell.strip() for cell in line.strip("│").split("│")])
    return [" ".join(p for p in column if p) for column in zip(*pieces)]


def decision_id(output: str) -> int:
    return int(re.search(r"decision (\d+)", output).group(1))


def test_queue_merge_undo_from_the_command_line(cli_store):
    listed = mdm("queue", "--domain", "customer", "--limit", "5")
    first = int(re.search(r"│\s+(\d+) │ match", listed).group(1))
    merged = mdm("merge", str(first), "--reason", "same phone", "--actor", "cli:ann")
    assert "mdm.customer.merged" in merged
    with cli_store.session() as s:
        candidate = s.get(MatchCandidate, first)
        assert candidate.status == "accepted"
        golden = {s.get(Xref, r).golden_id for r in (candidate.left_record_id, candidate.right_record_id)}
        assert len(golden) == 1
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "steward.merge")).one()
        assert audit.actor == "cli:ann" and audit.after["reason"] == "same phone"
    again = runner.invoke(app, ["steward", "merge", str(first)])
    assert again.exit_code != 0 and "no longer pending" in again.output

    mdm("undo", str(decision_id(merged)), "-r", "wrong pair")
    with cli_store.session() as s:
        assert s.get(MatchCandidate, first).status == "pending"
        assert s.get(StewardDecision, decision_id(merged)).undone_by is not None


def members_by_golden(store) -> dict[str, list[int]]:
    with store.session() as s:
        rows = s.execute(select(Xref.golden_id, Xref.record_id).order_by(Xref.record_id)).all()
    members: dict[str, list[int]] = {}
    for gid, rid in rows:
        members.setdefault(gid, []).append(rid)
    return members


def a_golden_with_three_members(members: dict[str, list[int]]) -> str:
    # Picked by member ids, not by golden id: ids are ULIDs, random within a millisecond.
    return next(g for g, rids in members.items() if len(rids) >= 3)


def test_override_unpin_split_and_bulk_from_the_command_line(cli_store):
    members = members_by_golden(cli_store)
    golden = a_golden_with_three_members(members)
    pinned = mdm("override", golden, "segment", "Key account", "--reason", "sales asked")
    assert "mdm.customer.updated" in pinned
    refused = runner.invoke(app, ["steward", "override", golden, "email", "not an email", "--reason", "x"])
    assert refused.exit_code != 0 and "invalid" in refused.output
    mdm("unpin", golden, "segment")
    with cli_store.session() as s:
        assert s.scalars(select(GoldenOverride).where(GoldenOverride.unpinned_at.is_(None))).all() == []
    split = mdm("split", str(members[golden][-1]), "-r", "another branch")
    assert "mdm.customer.split" in split
    dry = mdm("bulk", "--domain", "customer", "--accept-above", "0.999", "--dry-run")
    assert dry.startswith("would merge")
    assert "give exactly one" in runner.invoke(app, ["steward", "bulk", "--domain", "customer"]).output
    rejected = mdm("bulk", "--domain", "customer", "--reject-below", "0.8")
    assert "bulk_not_a_match" in rejected or "nothing to decide" in rejected


def test_explain_shows_a_pinned_value_as_the_stewards(cli_store):
    golden = a_golden_with_three_members(members_by_golden(cli_store))
    mdm("override", golden, "segment", "Key account", "--reason", "sales asked", "--actor", "cli:ann")
    with cli_store.session() as s:
        decision = lookup.decisions(s.get(GoldenRecord, golden).lineage)["segment"]
    # A pinned value has no winning candidate: every source value lost to the steward.
    assert decision.winner is None and decision.value == "Key account"
    assert decision.override.actor == "cli:ann" and decision.override.reason == "sales asked"
    assert decision.candidates and all(c.outcome == "lost" for c in decision.candidates)
    result = runner.invoke(app, ["explain", golden])
    assert result.exit_code == 0, result.output
    cells = table_row(result.output, "segment")
    assert "Key account" in cells and "steward" in cells and "cli:ann" in cells

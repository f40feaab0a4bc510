"""Reconciliation finds exactly the planted drift and fixes it with --apply."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from mdm.ingest import load_file, load_mapping
from mdm.ops.reconcile import DIFFERS, MISSING, VANISHED, reconcile
from mdm.store.tables import OutboxEvent, SourceRecord

SEED = Path(__file__).resolve().parents[2] / "seed_data"
MAPPING = load_mapping(SEED / "crm_contacts.mapping.yaml")


def now():
    return datetime.now(timezone.utc)


@pytest.fixture
def drifted(store, tmp_path):
    """The hub holds the seed contacts; the source's snapshot has drifted."""
    with store.session() as s:
        load_file(s, SEED / "crm_contacts.csv", MAPPING)
    rows = list(csv.reader((SEED / "crm_contacts.csv").open(encoding="utf-8", newline="")))
    header, body = rows[0], rows[1:]
    email = header.index("Email")
    vanished = [r[0] for r in body[:3]]
    changed = [r[0] for r in body[10:14]]
    body = body[3:]
    for row in body:
        if row[0] in changed:
            row[email] = f"new.{row[0].lower()}@example.org"
    added = [["NEW00000000000001", "Ada", "Lovelace", "ada@example.org", "", "", "12 Ockham Rd", "Boston", "MA",
              "02108", "US", "12/10/1985", "2025-01-01T00:00:00Z"],
             ["NEW00000000000002", "Alan", "Turing", "alan@example.org", "", "", "4 Bletchley Way", "Boston", "MA",
              "02109", "US", "6/23/1982", "2025-01-01T00:00:00Z"]]
    assert len(added[0]) == len(header)
    path = tmp_path / "crm_contacts_snapshot.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body, *added])
    return path, set(vanished), set(changed), {r[0] for r in added}


def test_reconcile_finds_every_planted_difference_and_nothing_else(store, drifted):
    path, vanished, changed, added = drifted
    with store.session() as s:
        report, _ = reconcile(s, path, MAPPING, apply=False, now=now())
    found = {kind: {d.source_key for d in report.differences if d.kind == kind} for kind in (MISSING, VANISHED, DIFFERS)}
    assert found == {MISSING: added, VANISHED: vanished, DIFFERS: changed}
    assert all(d.columns == ["Email"] for d in report.differences if d.kind == DIFFERS)


def test_reconcile_apply_fixes_the_hub_and_a_second_pass_is_clean(store, drifted):
    path, vanished, changed, added = drifted
    with store.session() as s:
        reconcile(s, path, MAPPING, apply=True, now=now())
    with store.session() as s:
        report, _ = reconcile(s, path, MAPPING, apply=False, now=now())
        deleted = set(s.scalars(select(SourceRecord.source_key).where(SourceRecord.deleted.is_(True))))
    assert report.differences == []
    assert deleted == vanished


def test_a_rejected_snapshot_row_is_not_taken_for_a_vanished_record(store, tmp_path):
    with store.session() as s:
        load_file(s, SEED / "crm_contacts.csv", MAPPING)
    rows = list(csv.reader((SEED / "crm_contacts.csv").open(encoding="utf-8", newline="")))
    header = rows[0]
    rows[1] = [rows[1][0]] + [""] * (len(header) - 1)  # no name at all: rejected
    path = tmp_path / "snapshot.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    with store.session() as s:
        report, _ = reconcile(s, path, MAPPING, apply=False, now=now())
    assert report.rejected == 1
    assert report.differences == []

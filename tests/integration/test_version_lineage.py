"""A golden record's lineage is stored once: its current version reads the golden row's,
and every older version keeps the lineage it was written with, through steward merges
(which retire a golden record) and overrides, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_data import load_and_match  # noqa: E402

from mdm.settings import Settings  # noqa: E402
from mdm.steward import RuleBook, merge, override  # noqa: E402
from mdm.store import Store  # noqa: E402
from mdm.store.tables import GoldenRecord, GoldenRecordVersion, MatchCandidate  # noqa: E402
from test_lineage_compact_store import store_on  # noqa: E402


def golden_lineage(store: Store) -> dict[str, tuple[int, str, dict]]:
    with store.session() as s:
        return {g.id: (g.version, g.status, g.lineage) for g in s.scalars(select(GoldenRecord))}


def version_lineage(store: Store) -> dict[tuple[str, int], dict]:
    with store.session() as s:
        return {(v.golden_id, v.version): v.lineage for v in s.scalars(select(GoldenRecordVersion))}


def stored_versions(store: Store) -> dict[tuple[str, int], bool]:
    """(golden id, version) -> whether the version row holds a lineage of its own."""
    with store.session() as s:
        rows = s.execute(text("SELECT golden_id, version, lineage IS NOT NULL FROM golden_record_version"))
        return {(gid, version): bool(own) for gid, version, own in rows}


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_versions_keep_their_lineage_while_it_is_stored_once(kind, tmp_path):
    with store_on(kind, tmp_path) as store:
        load_and_match(store, tmp_path)
        first = golden_lineage(store)
        own = stored_versions(store)
        # A bulk run writes every lineage once: no version row holds a copy.
        assert own and not any(own.values())
        assert version_lineage(store) == {(gid, version): lin for gid, (version, _, lin) in first.items()}

        rules, now = RuleBook(Settings().rules_dir), datetime.now(timezone.utc)
        with store.session() as s:
            candidate = s.scalars(select(MatchCandidate).where(MatchCandidate.status == "pending")).first()
            outcome = merge(s, candidate.id, actor="test", reason="same", rules=rules, now=now)
            s.commit()
        with store.session() as s:
            pinned = next(g.id for g in s.scalars(select(GoldenRecord).where(GoldenRecord.status == "active"))
                          if len(g.lineage.get("_src", [])) > 1)
            override(s, pinned, "city", "Springfield", actor="test", reason="moved", rules=rules, now=now)
            s.commit()

        last = golden_lineage(store)
        versions = version_lineage(store)
        own = stored_versions(store)
        changed = {gid for gid in first if last[gid][0] != first[gid][0]}
        retired = {gid for gid in changed if last[gid][1] == "merged"}
        # The merge made a new version of its survivor and retired the other; the override pinned one more.
        assert retired and pinned in changed and len(changed - retired) >= 2, outcome
        for gid, (version, _, lineage) in last.items():
            # Every version from the first to the current one is there and reads a lineage.
            assert {v for g, v in versions if g == gid} == set(range(1, version + 1))
            assert versions[(gid, version)] == lineage
            # The version each record had after the bulk run still reads what it was written with.
            assert versions[(gid, first[gid][0])] == first[gid][2]
            # Only the current version reads through to the golden row.
            assert [v for v in range(1, version + 1) if not own[(gid, v)]] == [version]
        for gid in changed - retired:
            assert last[gid][2] != first[gid][2]  # a survivor's and the pinned record's lineage changed ...
            assert own[(gid, first[gid][0])]  # ... so their first version took a copy
        for gid in retired:
            assert last[gid][2] == first[gid][2]  # a retired record keeps its lineage

"""A bulk run that builds golden records in worker processes writes exactly
what a one-process run writes (and keeps the blocking-key table whole)."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mdm.ingest import load_file, load_mapping
from mdm.resolve import parallel
from mdm.store import Store
from mdm.store.migrate import upgrade
from mdm.store.tables import BlockingKey, GoldenRecord, GoldenRecordVersion, OutboxEvent, Xref
from mdm.resolve.run import match_domain
from mdm.rules import load_match_rules
from mdm.settings import BUNDLED_RULES_DIR
from test_match_store import CUSTOMER_FILES, RULES, SEED, load
from pool_spy import spy_on_pool


def _golden_by_members(store) -> dict:
    with store.session() as s:
        members: dict[str, list[str]] = {}
        for gid, system, key in s.execute(select(Xref.golden_id, Xref.system, Xref.source_key)):
            members.setdefault(gid, []).append(f"{system}:{key}")
        rows = s.execute(select(GoldenRecord.id, GoldenRecord.attributes, GoldenRecord.lineage)).all()
        counts = {t.__name__: s.scalar(select(func.count()).select_from(t))
                  for t in (GoldenRecordVersion, OutboxEvent, BlockingKey)}
    return {tuple(sorted(members[gid])): (attrs, lineage) for gid, attrs, lineage in rows}, counts


NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)


ITEM_FILES = ["erp_materials", "crm_products", "wms_items"]
FILES = {"customer": CUSTOMER_FILES, "item": ITEM_FILES}


def _run(loaded: Path, tmp_path, name: str, workers: str, monkeypatch, domain: str = "customer") -> tuple:
    """Bulk match a copy of the loaded store (same records, same clock)."""
    monkeypatch.setenv("MDM_BUILD_WORKERS", workers)
    shutil.copy(loaded, tmp_path / f"{name}.db")
    store = Store.open(f"sqlite:///{tmp_path / name}.db")
    rules = RULES if domain == "customer" else load_match_rules(BUNDLED_RULES_DIR, domain)
    with store.session() as s:
        report = match_domain(s, domain, rules, now=NOW)
    assert report.mode == "bulk"
    out = _golden_by_members(store)
    store.close()
    return out


def _loaded(tmp_path, domain: str = "customer") -> Path:
    """A store holding the seed records of ``domain``, loaded and not matched."""
    loaded = tmp_path / "loaded.db"
    store = Store.open(f"sqlite:///{loaded}")
    upgrade(store.engine)
    for stem in FILES[domain]:
        if stem == "wms_items":  # JSON lines: ``load`` looks for the other data files
            with store.session() as s:
                load_file(s, SEED / "wms_items.jsonl", load_mapping(SEED / "wms_items.mapping.yaml"),
                          rejects_path=tmp_path / "wms_items.rejects.csv")
        else:
            load(store, stem)
    store.close()
    return loaded


def test_worker_processes_build_the_same_golden_records(tmp_path, monkeypatch):
    # Small slices, so the seed data spans many slices across both workers.
    monkeypatch.setattr("mdm.resolve.apply.PARALLEL_SLICE", 97)
    submitted = spy_on_pool(monkeypatch, parallel)
    loaded = _loaded(tmp_path)
    one, one_counts = _run(loaded, tmp_path, "one", "1", monkeypatch)
    assert submitted == []
    two, two_counts = _run(loaded, tmp_path, "two", "2", monkeypatch)
    assert len(submitted) > 5  # the slices went to worker processes
    # Each worker got its slice's member records and nothing more; together, every record once.
    sent = []
    for members, part, pinned, new in submitted:
        assert members.index.tolist() == [rid for ids in part.values() for rid in ids]
        assert pinned == {}
        assert list(new) == list(part)  # a first bulk run: every golden record is new
        sent += members.index.tolist()
    assert len(sent) == len(set(sent)) == sum(len(m) for m in two)
    assert len(one) > 500
    assert two == one
    assert two_counts == one_counts
    assert one_counts["BlockingKey"] > len(one)


@pytest.mark.parametrize("domain", ["customer", "item"])
def test_columnar_survivorship_writes_what_the_engine_writes(tmp_path, monkeypatch, domain):
    """The seed customers (items), bulk matched once with the columnar survivorship path and once
    with the engine alone (one process each): the same golden records, attributes and lineage."""
    from mdm.resolve import golden
    from mdm.survivorship import columnar

    loaded = _loaded(tmp_path, domain)
    built = []
    real = columnar.build
    monkeypatch.setattr(columnar, "build", lambda rules, members: built.append(len(members.sizes)) or
                        real(rules, members))
    fast, fast_counts = _run(loaded, tmp_path, "columnar", "1", monkeypatch, domain)
    assert sum(built) == len(fast) > 500
    monkeypatch.setattr(golden, "COLUMNAR_MIN_CLUSTERS", 10**9)
    built.clear()
    slow, slow_counts = _run(loaded, tmp_path, "engine", "1", monkeypatch, domain)
    assert built == []
    assert fast == slow
    assert fast_counts == slow_counts


@pytest.mark.parametrize("clusters, expected", [(10, 1), (10**6, None)])
def test_workers_only_for_large_bulk_runs(monkeypatch, clusters, expected):
    monkeypatch.delenv("MDM_BUILD_WORKERS", raising=False)
    n = parallel.build_workers(clusters)
    assert n == expected if expected is not None else n >= 1


def _xref_rows(path: Path) -> list[tuple]:
    store = Store.open(f"sqlite:///{path}")
    with store.session() as s:
        by_gid = {gid: tuple(sorted(members)) for gid, members in _members_by_golden(s).items()}
        rows = sorted((system, key, by_gid[gid], how, prob, str(linked))
                      for system, key, gid, how, prob, linked in s.execute(
                          select(Xref.system, Xref.source_key, Xref.golden_id, Xref.decided_by,
                                 Xref.match_probability, Xref.linked_at)))
        check = s.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
        indexes = sorted(r[0] for r in s.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'xref' AND sql IS NOT NULL"))
    store.close()
    return rows, check, indexes


def _members_by_golden(s) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for gid, system, key in s.execute(select(Xref.golden_id, Xref.system, Xref.source_key)):
        members.setdefault(gid, []).append(f"{system}:{key}")
    return members


def test_xref_rows_written_sorted_after_the_slices_equal_those_written_per_slice(tmp_path, monkeypatch):
    """A large bulk write on SQLite keeps its xref rows for one insert by record id after the last
    slice, with the table's indexes built again: the same rows, and the same indexes, intact."""
    from mdm.resolve import apply

    monkeypatch.setattr(apply, "PARALLEL_SLICE", 97)
    loaded = _loaded(tmp_path)
    monkeypatch.setattr(apply, "SORTED_XREF", 10**9)
    _run(loaded, tmp_path, "per_slice", "2", monkeypatch)
    inserted = []
    real = apply._insert_xref_sorted
    monkeypatch.setattr(apply, "_insert_xref_sorted", lambda s, rows: (inserted.append(len(rows)), real(s, rows)))
    monkeypatch.setattr(apply, "SORTED_XREF", 0)
    monkeypatch.setattr("mdm.store.bulk.REBUILD_MIN_ROWS", 0)  # the indexes dropped and built again
    _run(loaded, tmp_path, "sorted", "2", monkeypatch)
    per_slice, sorted_once = _xref_rows(tmp_path / "per_slice.db"), _xref_rows(tmp_path / "sorted.db")
    assert len(inserted) == 1 and inserted[0] == len(per_slice[0]) > 500
    assert sorted_once == per_slice
    assert per_slice[1] == "ok" and per_slice[2] == ["ix_xref_golden_id", "ix_xref_source_key"]

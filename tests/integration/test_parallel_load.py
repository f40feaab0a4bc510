"""A large load standardized in worker processes stores exactly what a
one-process load stores: the same records in the same order, the same
rejects (line, column, value, reason) and the same rejects report."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from db_fixtures import fresh_database
from mdm.cli import app
from mdm.ingest import IngestError, load_file, load_mapping, parallel, prepare_rows, read_source
from mdm.store import Store
from mdm.store.migrate import upgrade
from mdm.store.tables import LoadBatch, Reject, SourceRecord, SourceRecordVersion
from pool_spy import spy_on_pool

SEED = Path(__file__).resolve().parents[2] / "seed_data"
NOW = datetime(2026, 12, 4, 12, tzinfo=timezone.utc)
COPIES = 5  # a few thousand rows from each seed file


def _big_csv(stem: str, folder: Path) -> tuple[Path, Path]:
    """The seed file repeated (keys made unique), plus rows that must be rejected,
    some of them far apart so they land in different chunks."""
    mapping_path = SEED / f"{stem}.mapping.yaml"
    mapping = load_mapping(mapping_path)
    with (SEED / f"{stem}.csv").open(encoding=mapping.encoding, newline="") as fh:
        header, *rows = list(csv.reader(fh, delimiter=mapping.delimiter))
    key = header.index(mapping.key)
    col = {canon: header.index(source) for canon, source in mapping.fields.items()}
    out: list[list[str]] = []
    for copy in range(COPIES):
        for row in rows:
            out.append([f"{v}-{copy}" if i == key else v for i, v in enumerate(row)])

    def bad(at: int, **changes) -> None:
        row = list(out[at])
        for field, value in changes.items():
            row[key if field == "key" else col[field]] = value
        out.insert(at, row)

    first, last = out[3][key], out[-3][key]
    bad(len(out) - 5, key=first)  # a duplicate of a key from the first chunk
    bad(10, key=last)  # a key of the last chunk, early: the last chunk's row is the duplicate
    bad(20, key="")  # an empty key
    bad(21, key="  N/A ")  # a null-like key
    if "phone" in col:
        bad(len(out) // 2, phone="call me maybe")  # a field error: the row is kept
        bad(len(out) // 3, phone="12")
    if "email" in col:
        bad(len(out) // 4, email="not-an-email")
    if "postal_code" in col:
        bad(len(out) - 50, postal_code="ABCDEFG", country="CA")
    if "status" in col:
        bad(len(out) // 5, status="maybe")
    names = [c for c in ("name", "given_name", "family_name", "organization") if c in col]
    bad(len(out) * 2 // 3, key="NONAME", **dict.fromkeys(names, ""))  # no name: the row is rejected
    bad(len(out) - 2, key="NONAME")  # and its key again, in another chunk
    if "date_of_birth" in col:
        bad(30, date_of_birth="31/31/1999")
    data = folder / f"{stem}.csv"
    with data.open("w", encoding=mapping.encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=mapping.delimiter)
        writer.writerow(header)
        writer.writerows(out[: len(out) // 2])
        fh.write(mapping.delimiter.join(["too", "few"]) + "\r\n")  # an unreadable row
        writer.writerows(out[len(out) // 2 :])
    return data, mapping_path


def _big_jsonl(folder: Path) -> tuple[Path, Path]:
    """Item rows as JSON: numbers, nulls and lists as the raw values, and the
    same identifier as 1, 1.0 and true in different chunks."""
    rows = [json.loads(line) for line in (SEED / "wms_items.jsonl").read_text().splitlines() if line.strip()]
    out = []
    for copy in range(COPIES):
        out += [{**row, "item_id": f"{row['item_id']}-{copy}"} for row in rows]
    n = len(out)
    for at, changes in [(5, {"mfr_part": True}), (n // 2, {"mfr_part": 1}), (n - 5, {"mfr_part": 1.0}),
                        (7, {"tags": ["a", {"b": 1}]}), (n // 3, {"upc": "12345"}), (n // 4, {"weight_lb": -2}),
                        (n - 9, {"item_id": out[4]["item_id"]}), (n - 11, {"item_id": None})]:
        out[at] = {**out[at], **changes}
    data = folder / "wms_items.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in out) + "{not json\n", encoding="utf-8")
    return data, SEED / "wms_items.mapping.yaml"


def _load(data: Path, mapping_path: Path, url: str, rejects: Path):
    store = Store.open(url)
    upgrade(store.engine)
    with store.session() as s:
        # Small store batches: batches are stored while later chunks are prepared, across chunk ends.
        result = load_file(s, data, load_mapping(mapping_path), rejects_path=rejects, now=NOW, batch_size=700)
    with store.session() as s:
        records = s.execute(
            select(SourceRecord.system, SourceRecord.source_key, SourceRecordVersion.content_hash,
                   SourceRecordVersion.raw, SourceRecordVersion.fields, SourceRecordVersion.extra,
                   SourceRecordVersion.source_updated_at, SourceRecordVersion.line)
            .join(SourceRecordVersion, SourceRecordVersion.record_id == SourceRecord.id)
            .order_by(SourceRecordVersion.id)
        ).all()
        rejected = s.execute(
            select(Reject.line, Reject.source_key, Reject.column, Reject.value, Reject.reason, Reject.row_rejected)
            .order_by(Reject.id)
        ).all()
        batch = s.execute(select(LoadBatch.read, LoadBatch.stored, LoadBatch.rejected, LoadBatch.field_errors)).one()
    store.close()
    counts = (result.read, result.stored, result.unchanged, result.rejected, result.field_errors)
    return counts, tuple(batch), [tuple(r) for r in records], [tuple(r) for r in rejected], rejects.read_bytes()


@pytest.fixture
def spy_pool(monkeypatch):
    """Chunks submitted to worker processes."""
    return spy_on_pool(monkeypatch, parallel)


@pytest.mark.parametrize("source, db", [
    ("crm_contacts", "sqlite"), ("erp_customers", "sqlite"), ("wms_ship_to", "sqlite"), ("crm_accounts", "sqlite"),
    ("wms_items", "sqlite"), ("erp_customers", "postgres"),
])
def test_worker_processes_store_the_same_records_and_rejects(source, db, tmp_path, monkeypatch, spy_pool):
    data, mapping = _big_jsonl(tmp_path) if source == "wms_items" else _big_csv(source, tmp_path)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ROWS", 100)

    monkeypatch.setenv("MDM_LOAD_WORKERS", "1")
    (tmp_path / "one").mkdir()
    with fresh_database(db, tmp_path / "one") as url:
        one = _load(data, mapping, url, tmp_path / "one.rejects.csv")
    assert spy_pool == []

    # Workers are forked while the store's connection pool holds an open connection.
    monkeypatch.setenv("MDM_LOAD_WORKERS", "2")
    (tmp_path / "two").mkdir()
    with fresh_database(db, tmp_path / "two") as url:
        two = _load(data, mapping, url, tmp_path / "two.rejects.csv")
    assert len(spy_pool) == 2 * parallel.CHUNKS_PER_WORKER  # the rows went to worker processes, in chunks

    counts, _, records, rejects, report = one
    assert counts[1] > 1500 and counts[3] >= 3 and counts[4] >= 2  # stored, rejected rows, field errors
    reasons = " ".join(r[4] for r in rejects)
    assert "duplicate key" in reasons and "empty" in reasons
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert two[2] == records
    assert two[3] == rejects
    assert two[4] == report


def test_the_chunks_of_a_table_are_assembled_in_order(tmp_path, monkeypatch):
    data, mapping_path = _big_csv("wms_ship_to", tmp_path)
    mapping = load_mapping(mapping_path)
    table = read_source(data, mapping)
    one = prepare_rows(table, mapping, workers=1)
    for workers in (2, 3):
        many = prepare_rows(table, mapping, workers=workers)
        assert many.records == one.records
        assert many.rejects == one.rejects
    # A duplicate is rejected as such wherever its first row is, even when that row is itself rejected.
    dupes = [r for r in one.rejects if r.reason.startswith("duplicate key")]
    assert {r.source_key for r in dupes} >= {"NONAME"}
    assert [r.line for r in one.records] == sorted(r.line for r in one.records)


def test_small_tables_never_start_a_process(monkeypatch, spy_pool):
    monkeypatch.setenv("MDM_LOAD_WORKERS", "2")
    mapping = load_mapping(SEED / "crm_contacts.mapping.yaml")
    batch = prepare_rows(read_source(SEED / "crm_contacts.csv", mapping), mapping)
    assert batch.records and spy_pool == []
    assert parallel.load_workers(parallel.PARALLEL_MIN_ROWS - 1) == 1
    assert parallel.load_workers(parallel.PARALLEL_MIN_ROWS) == 2


def test_default_workers(monkeypatch):
    monkeypatch.delenv("MDM_LOAD_WORKERS", raising=False)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 8)
    assert parallel.configured_workers() == 2
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert parallel.configured_workers() == 1
    monkeypatch.setenv("MDM_LOAD_WORKERS", "3")
    assert parallel.configured_workers() == 3


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_a_bad_worker_count_is_a_clear_error(value, tmp_path, monkeypatch):
    monkeypatch.setenv("MDM_LOAD_WORKERS", value)
    with pytest.raises(IngestError, match=rf"MDM_LOAD_WORKERS must be a whole number .* got '{value}'"):
        parallel.load_workers(10)
    # `mdm load`, even of a small file: exit code 1 and the message, no traceback.
    monkeypatch.setenv("MDM_DATABASE_URL", f"sqlite:///{tmp_path / 'mdm.db'}")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["load", str(SEED / "crm_contacts.csv"), "--mapping",
                                      str(SEED / "crm_contacts.mapping.yaml")])
    assert result.exit_code == 1
    assert "MDM_LOAD_WORKERS must be a whole number" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)

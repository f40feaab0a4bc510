"""Loading source files into the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from sqlalchemy import func, select

from mdm.ingest import IngestError, load_file, load_mapping
from mdm.store.tables import Reject, SourceRecord, SourceRecordVersion

CRM_HEADER = ["Id", "FirstName", "LastName", "Email", "Phone", "MailingStreet", "Birthdate", "Notes"]
CRM_ROWS = [
    ["C1", "Robert", "Smith", "Bob.Smith@Example.com", "(617) 555-0100", "12 Main Street", "3/5/1980", "vip"],
    ["C2", "KATE", "o'brien", "kate@example.org", "617.555.0101", "4 Elm Rd Ste 2", "12/31/1975", ""],
    ["C3", "Ann", "Lee", "ann@example.com", "+1 617 555 0102", "9 Oak Ave", "", ""],
]


def write_csv(path: Path, header, rows, delimiter=",", encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_mapping(path: Path, **overrides) -> Path:
    mapping = {
        "source": "CRM",
        "domain": "customer",
        "key": "Id",
        "fields": {
            "given_name": "FirstName",
            "family_name": "LastName",
            "email": "Email",
            "phone": "Phone",
            "address_line1": "MailingStreet",
            "date_of_birth": "Birthdate",
        },
    }
    mapping.update(overrides)
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return path


@pytest.fixture
def crm_file(tmp_path):
    return write_csv(tmp_path / "contacts.csv", CRM_HEADER, CRM_ROWS)


@pytest.fixture
def crm_mapping(tmp_path):
    return load_mapping(write_mapping(tmp_path / "contacts.mapping.yaml"))


def versions(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(SourceRecordVersion))


def test_load_stores_every_row_standardized_with_raw_kept(store, crm_file, crm_mapping):
    with store.session() as s:
        result = load_file(s, crm_file, crm_mapping)
    assert (result.read, result.stored, result.unchanged, result.rejected) == (3, 3, 0, 0)
    with store.session() as s:
        v = s.execute(
            select(SourceRecordVersion).join(SourceRecord).where(SourceRecord.source_key == "C1")
        ).scalar_one()
    assert v.fields["email"] == "bob.smith@example.com"
    assert v.fields["phone"] == "+16175550100"
    assert v.fields["date_of_birth"] == "1980-03-05"
    assert v.raw["Email"] == "Bob.Smith@Example.com"
    assert v.extra == {"Notes": "vip"}


def test_loading_the_same_file_twice_stores_nothing_new(store, crm_file, crm_mapping):
    with store.session() as s:
        load_file(s, crm_file, crm_mapping)
    with store.session() as s:
        again = load_file(s, crm_file, crm_mapping)
    assert (again.read, again.stored, again.unchanged) == (3, 0, 3)
    assert versions(store) == 3


def test_changed_rows_get_new_versions_and_only_they(store, tmp_path, crm_file, crm_mapping):
    with store.session() as s:
        load_file(s, crm_file, crm_mapping)
    rows = [list(r) for r in CRM_ROWS]
    rows[1][3] = "kate.obrien@example.org"
    rows.append(["C4", "Tom", "Hanks", "tom@example.com", "", "", "", ""])
    changed = write_csv(tmp_path / "contacts2.csv", CRM_HEADER, rows)
    with store.session() as s:
        result = load_file(s, changed, crm_mapping)
    assert (result.stored, result.unchanged) == (2, 2)
    with store.session() as s:
        c2 = s.execute(select(SourceRecord).where(SourceRecord.source_key == "C2")).scalar_one()
        latest = s.execute(
            select(SourceRecordVersion).where(SourceRecordVersion.record_id == c2.id, SourceRecordVersion.version == 2)
        ).scalar_one()
    assert c2.version == 2
    assert latest.fields["email"] == "kate.obrien@example.org"


def test_bad_rows_are_rejected_and_good_rows_still_load(store, tmp_path, crm_mapping):
    rows = [
        CRM_ROWS[0],
        ["", "No", "Key", "", "", "", "", ""],  # empty key
        ["C5", "", "", "x@example.com", "", "", "", ""],  # no name at all
        ["C6", "Jo", "Ray", "not-an-email", "", "", "", ""],  # bad field only
        ["C7", "too", "few"],  # wrong field count
        ["C1", "Dup", "Key", "", "", "", "", ""],  # duplicate key in file
    ]
    path = write_csv(tmp_path / "bad.csv", CRM_HEADER, rows)
    with store.session() as s:
        result = load_file(s, path, crm_mapping)
    assert result.read == 6
    assert result.stored == 2  # C1 and C6 (C6 without its email)
    assert result.rejected == 4
    assert result.field_errors == 1
    report = list(csv.DictReader(result.rejects_path.open(encoding="utf-8")))
    by_line = {int(r["line"]): r for r in report}
    assert "key column is empty" in by_line[3]["reason"]
    assert "given_name, family_name or organization" in by_line[4]["reason"]
    assert by_line[5]["column"] == "Email" and by_line[5]["value"] == "not-an-email"
    assert "expected 8 fields, found 3" in by_line[6]["reason"]
    assert "duplicate key" in by_line[7]["reason"] and "line 2" in by_line[7]["reason"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Reject)) == 5


def test_invalid_gtin_rejects_the_field_not_the_row(store, tmp_path):
    path = write_csv(
        tmp_path / "items.csv", ["MATNR", "MAKTX", "EAN11"],
        [["M1", "HEX SCREW 1/4-20", "4006381333931"], ["M2", "WASHER 1/4", "4006381333932"]],
    )
    mapping = load_mapping(
        write_mapping(tmp_path / "m.yaml", source="ERP", domain="item", key="MATNR",
                      fields={"description": "MAKTX", "gtin": "EAN11"})
    )
    with store.session() as s:
        result = load_file(s, path, mapping)
    assert (result.stored, result.rejected, result.field_errors) == (2, 0, 1)
    assert result.rejects[0].column == "EAN11" and "check digit" in result.rejects[0].reason


def test_mapping_with_unknown_canonical_field_fails_naming_it(tmp_path):
    path = write_mapping(tmp_path / "m.yaml", fields={"given_name": "FirstName", "shoe_size": "Size"})
    with pytest.raises(IngestError, match=r"m\.yaml.*shoe_size"):
        load_mapping(path)


def test_mapping_naming_a_missing_column_fails_before_storing(store, tmp_path, crm_file):
    mapping = load_mapping(write_mapping(tmp_path / "m.yaml", fields={"given_name": "First_Name"}))
    with store.session() as s, pytest.raises(IngestError, match="First_Name"):
        load_file(s, crm_file, mapping)
    assert versions(store) == 0


def test_wrong_encoding_rejects_only_the_undecodable_rows(store, tmp_path, crm_mapping):
    rows = [CRM_ROWS[0], ["C9", "Jürgen", "Müller", "", "", "", "", ""]]
    path = write_csv(tmp_path / "latin.csv", CRM_HEADER, rows, encoding="cp1252")
    with store.session() as s:
        result = load_file(s, path, crm_mapping)
    assert (result.stored, result.rejected) == (1, 1)
    assert "not valid utf-8" in result.rejects[0].reason and result.rejects[0].line == 3


def test_declared_encoding_and_delimiter_are_honoured(store, tmp_path):
    rows = [["C9", "JÜRGEN", "MÜLLER", "", "", "", "", ""]]
    path = write_csv(tmp_path / "erp.csv", CRM_HEADER, rows, delimiter=";", encoding="cp1252")
    mapping = load_mapping(write_mapping(tmp_path / "m.yaml", encoding="cp1252", delimiter=";"))
    with store.session() as s:
        result = load_file(s, path, mapping)
    assert result.stored == 1
    with store.session() as s:
        v = s.execute(select(SourceRecordVersion)).scalar_one()
    assert v.fields["family_name"] == "Müller"


def test_empty_file_is_a_clear_error(store, tmp_path, crm_mapping):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with store.session() as s, pytest.raises(IngestError, match="empty"):
        load_file(s, path, crm_mapping)


def test_header_only_file_loads_nothing(store, tmp_path, crm_mapping):
    path = write_csv(tmp_path / "header.csv", CRM_HEADER, [])
    with store.session() as s:
        result = load_file(s, path, crm_mapping)
    assert (result.read, result.stored, result.rejected) == (0, 0, 0)


def test_a_one_megabyte_field_is_stored_intact(store, tmp_path, crm_mapping):
    big = "x" * (1024 * 1024)
    path = write_csv(tmp_path / "big.csv", CRM_HEADER, [["C1", "Ann", "Lee", "", "", "", "", big]])
    with store.session() as s:
        result = load_file(s, path, crm_mapping)
    assert result.stored == 1
    with store.session() as s:
        v = s.execute(select(SourceRecordVersion)).scalar_one()
    assert len(v.extra["Notes"]) == 1024 * 1024


def test_a_binary_file_is_not_taken_for_csv(store, tmp_path, crm_mapping):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with store.session() as s, pytest.raises(IngestError, match="not a CSV file"):
        load_file(s, path, crm_mapping)


def test_a_text_file_that_is_not_this_csv_names_the_missing_columns(store, tmp_path, crm_mapping):
    path = tmp_path / "readme.csv"
    path.write_text("This is a plain text note\nnot a data export at all\n", encoding="utf-8")
    with store.session() as s, pytest.raises(IngestError, match="missing from the file: Id"):
        load_file(s, path, crm_mapping)


def test_json_lines_with_a_bad_line(store, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(
        json.dumps({"item_id": "W1", "desc": "HEX SCREW", "weight_lb": 2.0, "case_qty": 12}) + "\n"
        + "{not json\n"
        + json.dumps({"item_id": "W2", "desc": "WASHER", "weight_lb": "1", "case_qty": "24"}) + "\n",
        encoding="utf-8",
    )
    mapping = load_mapping(
        write_mapping(tmp_path / "m.yaml", source="WMS", domain="item", key="item_id",
                      fields={"description": "desc", "weight_lb": "weight_lb", "pack_qty": "case_qty"})
    )
    with store.session() as s:
        result = load_file(s, path, mapping)
    assert (result.read, result.stored, result.rejected) == (3, 2, 1)
    assert result.rejects[0].line == 2
    with store.session() as s:
        fields = {
            r.raw["item_id"]: r.fields for r in s.execute(select(SourceRecordVersion)).scalars()
        }
    assert fields["W1"]["weight_kg"] == "0.9072"
    assert fields["W2"]["pack_qty"] == 24


def test_parquet(store, tmp_path, crm_mapping):
    table = pa.table({c: [r[i] for r in CRM_ROWS] for i, c in enumerate(CRM_HEADER)})
    path = tmp_path / "contacts.parquet"
    pq.write_table(table, path)
    with store.session() as s:
        result = load_file(s, path, crm_mapping)
    assert (result.read, result.stored) == (3, 3)


def test_a_large_load_refreshes_postgresql_statistics_as_the_table_grows(store, tmp_path, crm_mapping, monkeypatch):
    """Each batch looks its keys up among the rows stored before it, in the same transaction.
    Without statistics PostgreSQL plans that lookup for an empty table: the keys become a filter
    over every stored row of the system (at 200k rows 34 ms a batch instead of 5, growing with
    the table). The load analyzes the tables it fills each time it has doubled them."""
    import mdm.ingest.loader as loader
    from sqlalchemy import text

    monkeypatch.setattr(loader, "ANALYZE_AFTER", 300)
    rows = [[f"K{i:05d}", "Ann", f"Lee{i}", f"ann{i}@example.com", "", f"{i} Oak Ave", "", ""] for i in range(1500)]
    data = write_csv(tmp_path / "many.csv", CRM_HEADER, rows)
    known: list[tuple[int, float]] = []  # (rows stored before the batch, rows the planner knows of)
    with store.session() as s:
        real = loader.store_records

        def store_and_look(session, system, domain, records, **kwargs):
            if session.get_bind().dialect.name == "postgresql":
                stored = session.scalar(select(func.count()).select_from(SourceRecord))
                planner = session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'source_record'::regclass"))
                known.append((stored, planner))
            return real(session, system, domain, records, **kwargs)

        monkeypatch.setattr(loader, "store_records", store_and_look)
        result = load_file(s, data, crm_mapping, batch_size=100)
    assert result.stored == 1500
    if store.engine.dialect.name != "postgresql":
        return
    # Analyzed after 300, 600 and 1200 rows: the planner's count trails the table by less than half.
    assert [planner for stored, planner in known if stored < 300] == [-1.0, -1.0, -1.0]
    assert all(planner >= stored / 2 for stored, planner in known if stored >= 300), known
    assert {planner for _, planner in known} == {-1.0, 300.0, 600.0, 1200.0}

"""Readers for CSV, JSON Lines and Parquet source files.

Each reader returns every row with its line number; rows that cannot be read
(wrong field count, undecodable bytes, bad JSON) come back as bad rows so the
good rows still load."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mdm.ingest.errors import IngestError
from mdm.ingest.mapping import Mapping

# Large free-text fields (notes, descriptions) must not break a load.
csv.field_size_limit(64 * 1024 * 1024)

FORMAT_BY_SUFFIX = {
    ".csv": "csv", ".txt": "csv", ".tsv": "csv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}


@dataclass
class BadRow:
    line: int
    reason: str
    value: str | None = None


@dataclass
class SourceTable:
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    @property
    def read(self) -> int:
        return len(self.rows) + len(self.bad)


def detect_format(path: Path, mapping: Mapping) -> str:
    if mapping.format:
        return mapping.format
    fmt = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; "
            "set `format: csv|jsonl|parquet` in the mapping"
        )
    return fmt


def read_source(path: str | Path, mapping: Mapping) -> SourceTable:
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: file not found")
    fmt = detect_format(path, mapping)
    reader = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}[fmt]
    table = reader(path, mapping)
    _check_columns(path, mapping, table)
    return table


def _check_columns(path: Path, mapping: Mapping, table: SourceTable) -> None:
    missing = [c for c in mapping.source_columns() if c not in table.columns]
    if missing:
        raise IngestError(
            f"{path}: column(s) named in the mapping are missing from the file: {', '.join(missing)}; "
            f"the file has: {', '.join(table.columns) or '(no columns)'}"
        )


def _looks_binary(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(8192)
    return b"\x00" in head


def read_csv(path: Path, mapping: Mapping) -> SourceTable:
    if _looks_binary(path):
        raise IngestError(f"{path}: not a CSV file: it holds binary data (NUL bytes)")
    # surrogateescape keeps undecodable bytes visible per row instead of
    # failing the whole file on its first bad byte.
    with path.open("r", encoding=mapping.encoding, errors="surrogateescape", newline="") as fh:
        reader = csv.reader(fh, delimiter=mapping.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise IngestError(f"{path}: the file is empty: no header row") from None
        except csv.Error as exc:
            raise IngestError(f"{path}: line 1: not a readable CSV header: {exc}") from None
        header = [h.lstrip("\ufeff").strip() for h in header]
        if any(_has_surrogates(h) for h in header):
            raise IngestError(f"{path}: line 1: the header is not valid {mapping.encoding} text")
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise IngestError(f"{path}: line 1: duplicate column name(s): {', '.join(dupes)}")
        table = SourceTable(columns=header)
        width = len(header)
        last_line = reader.line_num
        while True:
            start = last_line + 1
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                table.bad.append(BadRow(start, f"malformed CSV: {exc}"))
                last_line = reader.line_num
                continue
            last_line = reader.line_num
            if not values or values == [""] and width > 1:
                continue  # a blank line is not a row
            if len(values) != width:
                table.bad.append(
                    BadRow(start, f"expected {width} fields, found {len(values)}", mapping.delimiter.join(values)[:200])
                )
                continue
            bad = next((v for v in values if _has_surrogates(v)), None) if _has_surrogates("".join(values)) else None
            if bad is not None:
                table.bad.append(
                    BadRow(start, f"not valid {mapping.encoding} text; check the mapping's encoding", _printable(bad))
                )
                continue
            table.rows.append(dict(zip(header, values)))
            table.lines.append(start)
    return table


_SURROGATE = re.compile("[\udc80-\udcff]")


def _has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _printable(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")[:200]


def read_jsonl(path: Path, mapping: Mapping) -> SourceTable:
    if _looks_binary(path):
        raise IngestError(f"{path}: not a JSON Lines file: it holds binary data (NUL bytes)")
    table = SourceTable(columns=[])
    seen: dict[str, None] = {}
    with path.open("r", encoding=mapping.encoding, errors="surrogateescape") as fh:
        for lineno, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            if _has_surrogates(text):
                table.bad.append(BadRow(lineno, f"not valid {mapping.encoding} text", _printable(text)))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                table.bad.append(BadRow(lineno, f"not valid JSON: {exc.msg} at column {exc.colno}", text[:200]))
                continue
            if not isinstance(obj, dict):
                table.bad.append(BadRow(lineno, "a JSON Lines row must be an object", text[:200]))
                continue
            seen.update(dict.fromkeys(obj))
            table.rows.append(obj)
            table.lines.append(lineno)
    if not table.rows and not table.bad:
        raise IngestError(f"{path}: the file is empty: no JSON rows")
    table.columns = list(seen)
    return table


def read_parquet(path: Path, mapping: Mapping) -> SourceTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        arrow = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: not a readable Parquet file: {exc}") from None
    rows = arrow.to_pylist()
    return SourceTable(columns=list(arrow.column_names), rows=rows, lines=list(range(1, len(rows) + 1)))

"""Read current source records out of the store as frames for the matcher."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import orjson
import pandas as pd
from pandas.core.arrays import DatetimeArray
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from mdm.match.features import SMALL_FRAME_ROWS, prepare, prepare_columns, small_frame, text_value
from mdm.match.rules import MatchRules
from mdm.models.fields import CANONICAL_FIELDS
from mdm.store.jsonenc import loads
from mdm.store.statements import ids_statement, ids_statements
from mdm.store.tables import SourceRecord, SourceRecordVersion

ID_CHUNK = 900


def current_records(session: Session, domain: str, record_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per live source record (latest version), indexed by record id.

    Columns: the domain's canonical fields, plus system, source_key, version,
    updated_at (the source's change time, else when it was loaded), loaded_at
    and the correlation id of the ingest that brought the version."""
    if record_ids is None and session.get_bind().dialect.name == "sqlite":
        return _whole_domain_sqlite(session, domain)
    return records_frame(domain, _current_rows(session, domain, record_ids))


def _whole_domain_sqlite(session: Session, domain: str) -> pd.DataFrame:
    """``records_frame(domain, _current_rows(...))`` for a whole domain on SQLite, built faster.

    A bulk run reads every record: SQLAlchemy's result processing parsed two
    timestamps and a JSON document per row. Here the rows come as stored
    text from the driver, JSON goes through orjson, the timestamps through one
    vectorized parse. The frame is the same, value for value and type for type."""
    conn = session.connection()
    statement = _CURRENT.order_by(SourceRecord.id).compile(dialect=conn.dialect)
    params = statement.construct_params({"domain": domain})
    cursor = conn.connection.driver_connection.execute(str(statement), [params[name] for name in statement.positiontup])
    rows = cursor.fetchall()
    if not rows:
        return records_frame(domain, rows)
    ids, systems, keys, versions, documents, source_times, load_times, correlations = zip(*rows)
    del rows
    frame = _field_frame(domain, [loads(text) for text in documents])
    del documents
    loaded = _utc_times(load_times)
    changed = _utc_times(source_times)
    changed = changed.where(changed.notna(), loaded)
    frame["system"] = np.array(systems, dtype=object)
    frame["source_key"] = np.array(keys, dtype=object)
    frame["version"] = np.asarray(versions, dtype=np.int64)
    frame["updated_at"] = changed
    frame["loaded_at"] = loaded
    frame["correlation_id"] = np.array(correlations, dtype=object)
    frame.index = pd.Index(np.asarray(ids, dtype=np.int64), name="record_id")
    return frame


def _utc_times(texts) -> pd.Series:
    """SQLite's stored DATETIME text (naive, UTC) as a UTC timestamp column."""
    return pd.Series(pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601", utc=True))


def prepared_records(session: Session, domain: str, rules: MatchRules, record_ids: list[int]) -> pd.DataFrame:
    """``prepare(current_records(...), rules)``. The handful of rows an
    incremental run reads go from rows to features on plain lists, with one
    frame built at the end: pandas' fixed costs dominate at that size."""
    rows = _current_rows(session, domain, record_ids)
    if 0 < len(rows) <= min(SMALL_ROWS, SMALL_FRAME_ROWS):
        # Blanks as None while the columns are built: what ``prepare`` does to text first.
        columns = _small_columns(domain, rows, blank_as_none=True)
        if columns is not None:
            index = _index(rows)
            _typed_arrays(columns)
            return small_frame(prepare_columns(columns, index, rules), index)
    return prepare(records_frame(domain, rows), rules)


def _current_rows(session: Session, domain: str, record_ids: list[int] | None) -> list:
    # Plain rows from the connection: the ORM's result machinery costs more than the fetch itself.
    conn = session.connection()
    if record_ids is None:
        return conn.execute(_CURRENT.order_by(SourceRecord.id), {"domain": domain}).all()
    ids = sorted(set(record_ids))
    if conn.dialect.name == "sqlite":
        return _current_rows_sqlite(conn, domain, ids)
    rows = []
    for start in range(0, len(ids), ID_CHUNK):
        rows.extend(conn.execute(ids_statement(conn, _CURRENT_OF), {"domain": domain, "ids": ids[start : start + ID_CHUNK]}).all())
    rows.sort(key=lambda r: r[0])
    return rows


def _current_rows_sqlite(conn, domain: str, ids: list[int]) -> list[tuple]:
    """``_current_rows`` of ``ids`` on SQLite, from the driver: the ids as one JSON array, the
    document through orjson and the timestamps through ``fromisoformat``, the values SQLAlchemy's
    result processing gives (a third of an incremental run's read of its hundred neighbours)."""
    cursor = conn.connection.driver_connection.execute(_CURRENT_OF_JSON_IDS, (domain, orjson.dumps(ids).decode()))
    return [(rid, system, key, version, loads(fields), _stored_time(changed), _stored_time(loaded), correlation)
            for rid, system, key, version, fields, changed, loaded, correlation in cursor.fetchall()]


def _stored_time(text: str | None) -> datetime | None:
    # SQLite's DATETIME text, naive (UTC), as SQLAlchemy parses it.
    return None if text is None else datetime.fromisoformat(text)


# Built once: building the statement per call costs about as much as running it
# for the hundred rows an incremental run reads.
_CURRENT = (
    select(
        SourceRecord.id,
        SourceRecord.system,
        SourceRecord.source_key,
        SourceRecord.version,
        SourceRecordVersion.fields,
        SourceRecordVersion.source_updated_at,
        SourceRecordVersion.loaded_at,
        SourceRecordVersion.correlation_id,
    )
    .join(
        SourceRecordVersion,
        and_(SourceRecordVersion.record_id == SourceRecord.id, SourceRecordVersion.version == SourceRecord.version),
    )
    .where(SourceRecord.domain == bindparam("domain"), SourceRecord.deleted.is_(False))
)
_CURRENT_OF = ids_statements(lambda ids: _CURRENT.where(ids(SourceRecord.id)))
_CURRENT_OF_JSON_IDS = (
    "SELECT r.id, r.system, r.source_key, r.version, v.fields, v.source_updated_at, v.loaded_at, v.correlation_id "
    f"FROM {SourceRecord.__tablename__} AS r JOIN {SourceRecordVersion.__tablename__} AS v "
    "ON v.record_id = r.id AND v.version = r.version "
    "WHERE r.domain = ? AND r.deleted = 0 AND r.id IN (SELECT value FROM json_each(?)) ORDER BY r.id"
)


# Up to this many rows, text-only records skip ``DataFrame.from_records`` (its
# fixed cost dominates for the handful of rows an incremental run reads).
SMALL_ROWS = 256


def records_frame(domain: str, rows) -> pd.DataFrame:
    if 0 < len(rows) <= SMALL_ROWS:
        columns = _small_columns(domain, rows)
        if columns is not None:
            return pd.DataFrame(columns, index=_index(rows))
    fields = _field_frame(domain, [r[4] for r in rows])
    meta = pd.DataFrame(
        {
            "system": [r[1] for r in rows],
            "source_key": [r[2] for r in rows],
            "version": [r[3] for r in rows],
            "updated_at": [_as_utc(r[5] or r[6]) for r in rows],
            "loaded_at": [_as_utc(r[6]) for r in rows],
            "correlation_id": [r[7] for r in rows],
        }
    )
    frame = pd.concat([fields, meta], axis=1)
    frame.index = _index(rows)
    return frame


def _field_frame(domain: str, documents: list[dict]) -> pd.DataFrame:
    """The domain's canonical fields of ``documents`` as object columns, None where a value is missing.

    pandas infers each column's type first (ints with gaps become floats), as it always did here.
    A text column's gaps become None by a mask: ``where`` over a million rows cost seconds."""
    fields = pd.DataFrame.from_records(documents, columns=list(CANONICAL_FIELDS[domain]))
    data = {}
    for name in fields.columns:
        column = fields[name]
        if column.dtype == object:
            values = column.to_numpy(copy=True)
            values[pd.isna(values)] = None
        else:  # a typed column (numbers)
            values = column.astype(object).where(column.notna(), None).to_numpy()
        data[name] = values
    return pd.DataFrame(data, columns=fields.columns, copy=False)


def _small_columns(domain: str, rows, blank_as_none: bool = False) -> dict | None:
    """The frame's columns as plain lists when every field value is text (or
    missing): then ``records_frame`` gives object columns with None for missing
    either way. None when any value is not a string. With ``blank_as_none``
    every text column (fields and the text metadata) has None for blank values,
    as ``text_value`` gives them."""
    columns = list(CANONICAL_FIELDS[domain])
    # Row-wise reads, then one transpose: cheaper than filling a 2-D array cell by cell.
    table = [[fields.get(column) for column in columns] for fields in (r[4] for r in rows)]
    data = {}
    for column, values in zip(columns, zip(*table)):
        cleaned = _text_list(values, blank_as_none)
        if cleaned is None:
            return None
        data[column] = cleaned
    data.update(
        system=[r[1] for r in rows],
        source_key=[r[2] for r in rows],
        version=[r[3] for r in rows],
        updated_at=[_as_utc(r[5] or r[6]) for r in rows],
        loaded_at=[_as_utc(r[6]) for r in rows],
        correlation_id=[r[7] for r in rows],
    )
    if blank_as_none:
        for name in ("system", "source_key", "correlation_id"):
            data[name] = [text_value(v) for v in data[name]]
    return data


def _text_list(values: tuple, blank_as_none: bool) -> list | None:
    """``values`` as a list, blanks as None if asked; None when a value is neither None nor a string."""
    out = []
    for value in values:
        if value is not None:
            if type(value) is not str:
                return None
            if blank_as_none and not value.strip():
                value = None
        out.append(value)
    return out


def _index(rows) -> pd.Index:
    return pd.Index(np.fromiter((r[0] for r in rows), np.int64, len(rows)), name="record_id")


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


def _typed_arrays(columns: dict) -> None:
    """The small path's typed columns (version, updated_at, loaded_at) as arrays, with the
    dtypes ``pd.Series`` would infer from the values (int64; UTC timestamps in ns)."""
    columns["version"] = np.array(columns["version"], dtype=np.int64)
    for name in ("updated_at", "loaded_at"):
        columns[name] = _utc_array(columns[name])


def _utc_array(values: list):
    """``pd.Series(values).array`` for UTC datetimes, from their microseconds since
    the epoch: pandas' inference costs more than the hundred values an incremental run reads."""
    if not all(v is not None and v.tzinfo is timezone.utc for v in values):
        return pd.Series(values).array
    micros = np.fromiter(((v - _EPOCH) // _MICROSECOND for v in values), np.int64, len(values))
    return DatetimeArray._simple_new((micros * 1000).view("M8[ns]"), dtype=_UTC_NS)


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value

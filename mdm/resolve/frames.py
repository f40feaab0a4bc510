"""Read current source records out of the store as frames for the matcher."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from mdm.models.fields import CANONICAL_FIELDS
from mdm.store.tables import SourceRecord, SourceRecordVersion

ID_CHUNK = 900


def current_records(session: Session, domain: str, record_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per live source record (latest version), indexed by record id.

    Columns: the domain's canonical fields, plus system, source_key, version,
    updated_at (the source's change time, else when it was loaded), loaded_at
    and the correlation id of the ingest that brought the version."""
    query = (
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
        .where(SourceRecord.domain == domain, SourceRecord.deleted.is_(False))
    )
    if record_ids is None:
        rows = session.execute(query.order_by(SourceRecord.id)).all()
    else:
        rows = []
        ids = sorted(set(record_ids))
        for start in range(0, len(ids), ID_CHUNK):
            rows.extend(session.execute(query.where(SourceRecord.id.in_(ids[start : start + ID_CHUNK]))).all())
        rows.sort(key=lambda r: r[0])
    return records_frame(domain, rows)


# Up to this many rows, text-only records skip ``DataFrame.from_records`` (its
# fixed cost dominates for the handful of rows an incremental run reads).
SMALL_ROWS = 256


def records_frame(domain: str, rows) -> pd.DataFrame:
    columns = list(CANONICAL_FIELDS[domain])
    if 0 < len(rows) <= SMALL_ROWS:
        frame = _small_records_frame(columns, rows)
        if frame is not None:
            return frame
    fields = pd.DataFrame.from_records([r[4] for r in rows], columns=columns)
    fields = fields.astype(object).where(fields.notna(), None)
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
    frame.index = pd.Index([r[0] for r in rows], dtype="int64", name="record_id")
    return frame


def _small_records_frame(columns: list[str], rows) -> pd.DataFrame | None:
    """``records_frame`` without pandas' record parsing when every field value is
    text (or missing): then both give object columns with None for missing.
    None (use the general path) when any value is not a string."""
    block = np.empty((len(rows), len(columns)), dtype=object)
    for i, r in enumerate(rows):
        fields = r[4]
        for j, column in enumerate(columns):
            value = fields.get(column)
            if value is not None and type(value) is not str:
                return None
            block[i, j] = value
    data = {column: block[:, j] for j, column in enumerate(columns)}
    data.update(
        system=[r[1] for r in rows],
        source_key=[r[2] for r in rows],
        version=[r[3] for r in rows],
        updated_at=[_as_utc(r[5] or r[6]) for r in rows],
        loaded_at=[_as_utc(r[6]) for r in rows],
        correlation_id=[r[7] for r in rows],
    )
    return pd.DataFrame(data, index=pd.Index([r[0] for r in rows], dtype="int64", name="record_id"))


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value

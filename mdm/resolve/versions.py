"""Golden record versions keep their own lineage while it is stored once.

A version row written with the golden record's current lineage stores NULL
and reads the golden record's (``GoldenRecordVersion.lineage``): a bulk run
writes each lineage once instead of twice. Before a golden record's lineage
or version changes, its versions that still read through take a copy of the
lineage they were written with; every writer that updates golden records
calls ``keep_version_lineage`` first, and inserts its new version rows after.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mdm.store.statements import ids_statement, ids_statements
from mdm.store.tables import GoldenRecord, GoldenRecordVersion

CHUNK = 900

_VERSIONS = GoldenRecordVersion.__table__
_KEEP = ids_statements(
    lambda ids: update(_VERSIONS)
    .where(ids(_VERSIONS.c.golden_id), _VERSIONS.c.lineage.is_(None))
    .values(lineage=select(GoldenRecord.lineage).where(GoldenRecord.id == _VERSIONS.c.golden_id).scalar_subquery())
)


def keep_version_lineage(session: Session, golden_ids: Iterable[str]) -> None:
    """Copy the lineage of ``golden_ids`` into their versions that read it through (before it changes)."""
    ids = sorted(set(golden_ids))
    for start in range(0, len(ids), CHUNK):
        session.connection().execute(ids_statement(session, _KEEP), {"ids": ids[start : start + CHUNK]})

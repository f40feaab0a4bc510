"""Bulk inserts that are fast on both databases.

SQLite's executemany is already quick. On PostgreSQL a RETURNING clause
switches SQLAlchemy to "insertmanyvalues": one multi-row statement per
batch of rows instead of a round trip per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table | type, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys) in the session's transaction."""
    if not rows:
        return
    table = getattr(table, "__table__", table)
    conn = session.connection()
    statement = insert(table)
    if conn.dialect.name == "postgresql":
        statement = statement.returning(*table.primary_key.columns)
    conn.execute(statement, list(rows))

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


def insert_plain(session: Session, table: Table | type, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert tuples of plain values (ints, strings: nothing to convert) fast:
    one executemany of tuples on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    table = getattr(table, "__table__", table)
    conn = session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})", list(rows))
    elif conn.dialect.name == "postgresql":
        # The session's own DBAPI connection: COPY runs inside its transaction.
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        bulk_insert(session, table, [dict(zip(columns, row)) for row in rows])

"""Statements built once for the incremental path, with the id list as one parameter.

Building a statement per call costs more than running it for a handful of
rows. The ids are bound as ``:ids``: an expanding IN on SQLite, and
``= ANY(:ids)`` with one array on PostgreSQL, whose SQL text is then the same
for any number of ids, so psycopg prepares it once per connection and the
server stops planning it per call (planning an IN of a hundred ids costs
more than running it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, Connection, String, any_, bindparam
from sqlalchemy.orm import Session
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

Statements = dict[str, object]


def ids_statements(build: Callable[[Callable[[ColumnElement], ColumnElement]], object], name: str = "ids") -> Statements:
    """``build(ids)`` per dialect, where ``ids(column)`` is the "column is one of :name" condition."""
    def expanding(column: ColumnElement) -> ColumnElement:
        return column.in_(bindparam(name, expanding=True))

    def array(column: ColumnElement) -> ColumnElement:
        item = BigInteger() if isinstance(column.type, BigInteger) or column.type.python_type is int else String()
        return column == any_(bindparam(name, type_=ARRAY(item)))

    return {"default": build(expanding), "postgresql": build(array)}


def ids_statement(conn: Connection | Session, statements: Statements):
    """The statement of ``ids_statements`` for the database of ``conn`` (a connection or a session)."""
    dialect = conn.dialect if isinstance(conn, Connection) else conn.get_bind().dialect
    return statements.get(dialect.name, statements["default"])

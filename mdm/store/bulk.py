"""Bulk inserts that are fast on both databases.

SQLite's executemany is already quick. On PostgreSQL a RETURNING clause
switches SQLAlchemy to "insertmanyvalues": one multi-row statement per
batch of rows instead of a round trip per row."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

import numpy as np
import orjson
from sqlalchemy import JSON, Column, Table, func, insert, select
from sqlalchemy.orm import Session

from mdm.store.engine import ROLLBACK_JOURNAL, SQLITE_MMAP_BYTES, wal_mode
from mdm.store.jsonenc import EncodedJSON


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


# A batch this large gets a large SQLite page cache while it is inserted (see ``write_cache``).
LARGE_INSERT = 10_000
WRITE_CACHE_MIB = 128
SMALL_INSERT = 64  # rows; up to this many, PostgreSQL gets an INSERT rather than COPY


def insert_plain(session: Session, table: Table | type, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert tuples of plain values (ints, strings: nothing to convert) fast:
    one executemany of tuples on SQLite, COPY on PostgreSQL."""
    if not rows:
        return
    table = getattr(table, "__table__", table)
    conn = session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
        if len(rows) < LARGE_INSERT:
            conn.exec_driver_sql(statement, list(rows))
        else:
            with write_cache(session, WRITE_CACHE_MIB):
                conn.exec_driver_sql(statement, list(rows))
    elif conn.dialect.name == "postgresql":
        # The session's own DBAPI connection: COPY (or the INSERT) runs inside its transaction.
        with conn.connection.driver_connection.cursor() as cursor:
            if len(rows) <= SMALL_INSERT:
                # A few rows (an incremental run's): one INSERT is one round trip, COPY three.
                one = f"({', '.join(['%s'] * len(columns))})"
                cursor.execute(f"INSERT INTO {table.name} ({names}) VALUES {', '.join([one] * len(rows))}",
                               [value for row in rows for value in row])
                return
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        bulk_insert(session, table, row_dicts(table, columns, rows))


def update_plain(session: Session, table: Table | type, key: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """``UPDATE table SET columns... WHERE key = ?`` for tuples of plain values (``insert_plain``'s
    kind: JSON as its text, timestamps from ``plain_value``), the key's value last in each tuple.

    One executemany of the driver's own statement: an ORM bulk update by primary key
    processed every value of every row again (an incremental run's largest write)."""
    if not rows:
        return
    table = getattr(table, "__table__", table)
    conn = session.connection()
    if conn.dialect.name not in ("sqlite", "postgresql"):
        for row in row_dicts(table, [*columns, key], rows):
            conn.execute(table.update().where(table.c[key] == row.pop(key)).values(**row))
        return
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    assignments = ", ".join(f"{name} = {mark}" for name in columns)
    conn.exec_driver_sql(f"UPDATE {table.name} SET {assignments} WHERE {key} = {mark}", list(rows))


def insert_int_pairs(session: Session, table: Table | type, columns: tuple[str, str], first, second) -> None:
    """Insert rows of two integer columns from two int64 arrays (millions of blocking keys).

    On SQLite one statement per batch reads the rows out of a JSON array text in C
    (``json_each``): a third less time than executemany of as many Python tuples, which
    need not be made either. Elsewhere ``insert_plain`` of the tuples."""
    table = getattr(table, "__table__", table)
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        insert_plain(session, table, columns, list(zip(first.tolist(), second.tolist())))
        return
    if not len(first):
        return
    # orjson writes int64 exactly; SQLite's JSON reads any 64-bit integer back as an integer.
    text = orjson.dumps(np.stack([np.asarray(first, np.int64), np.asarray(second, np.int64)], axis=1),
                        option=orjson.OPT_SERIALIZE_NUMPY).decode()
    statement = (f"INSERT INTO {table.name} ({columns[0]}, {columns[1]}) "
                 "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)")
    with write_cache(session, WRITE_CACHE_MIB) if len(first) >= LARGE_INSERT else nullcontext():
        conn.exec_driver_sql(statement, (text,))


# Ids per statement of ``update_ids``: the JSON text of 100,000 ids is about 0.7 MB.
JSON_IDS_CHUNK = 100_000


def update_ids(session: Session, table: Table | type, assignments: str, ids: Sequence[int]) -> None:
    """``UPDATE table SET <assignments> WHERE id IN (ids)`` for many integer ids, on SQLite.

    The ids go in as one JSON array text per 100,000 (read back in C by ``json_each``)
    instead of a statement per 900 bound parameters: a bulk run marks a million records.
    ``assignments`` is SQL written by the caller, never user input."""
    table = getattr(table, "__table__", table)
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        raise ValueError("update_ids is for SQLite; other databases take an array parameter")
    statement = f"UPDATE {table.name} SET {assignments} WHERE id IN (SELECT value FROM json_each(?))"
    for start in range(0, len(ids), JSON_IDS_CHUNK):
        conn.exec_driver_sql(statement, (orjson.dumps(list(ids[start : start + JSON_IDS_CHUNK])).decode(),))


def row_dicts(table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> list[dict[str, Any]]:
    """``insert_plain``'s tuples as SQLAlchemy's insert takes them: a JSON column's value comes
    as its text, so it is marked as such (``EncodedJSON``) and the engine's serializer stores it as is."""
    text = [isinstance(table.c[name].type, JSON) for name in columns]
    return [
        {name: EncodedJSON(value) if is_json and isinstance(value, str) else value
         for name, value, is_json in zip(columns, row, text)}
        for row in rows
    ]


def plain_value(session: Session, column: Column, value: Any) -> Any:
    """``value`` as ``insert_plain`` takes it for ``column``: what SQLAlchemy would bind on SQLite
    (a datetime becomes its stored text), as it is elsewhere (COPY and the fallback convert it).

    For a value written to many rows (a run's timestamp): converted once."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return value
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process(value) if process is not None else value


def plain_converter(session: Session, column: Column) -> Callable[[Any], Any]:
    """``plain_value`` for many different values of ``column``: the conversion looked up once."""
    conn = session.connection()
    process = None if conn.dialect.name != "sqlite" else column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process if process is not None else (lambda value: value)


@contextmanager
def foreign_keys_unchecked(session: Session) -> Iterator[None]:
    """On SQLite, the session's next transaction without foreign-key checks, for a bulk write whose
    references hold by construction (a bulk match links records it read to golden records it
    wrote in the same transaction, and deletes nothing a cascade would follow).

    Each xref row (two parents), version row and review pair otherwise costs a parent lookup:
    4-9 s of a million-record run's 35-49 s single-writer time. SQLite takes the pragma only
    outside a transaction: if the caller has one open already, the checks stay on. The engine
    turns them on again whenever a connection returns to its pool (``engine._pool_defaults``),
    so a failed run cannot leave them off; here they are also turned on when the block ends
    outside a transaction (after its commit)."""
    with _sqlite_pragma_for_block(session, "foreign_keys=OFF", "foreign_keys=ON", outside_transaction=True):
        yield


@contextmanager
def write_cache(session: Session, mib: int) -> Iterator[None]:
    """A page cache of ``mib`` MiB on SQLite while a bulk write runs, the connection's own size after.

    SQLite's default cache is 2 MiB. Rows inserted in key order append, but a bulk write also
    inserts into indexes in random order (the outbox's unique event ids, xref by source key):
    with a small cache every such insert evicts a page that is soon needed again and spills it,
    dirty, to the WAL, so the same index pages are written over and over within the transaction."""
    with _sqlite_pragma(session, "cache_size", -int(mib) * 1024):
        yield


# Fewer rows than this never pay for rebuilding a table's indexes.
REBUILD_MIN_ROWS = 50_000


def rebuild_pays(session: Session, table: Table | type, rows: int) -> bool:
    """Whether ``indexes_rebuilt`` pays for writing ``rows`` rows of ``table``: enough of them,
    and at least half as many as the table holds (estimated from its largest integer key,
    which is instant). Rebuilding sorts the whole table, every domain's rows, while keeping
    an index up to date costs per row written: a domain of 50,000 records in a store of a
    million would pay a million rows' sort for 50,000 rows' updates."""
    if rows < REBUILD_MIN_ROWS:
        return False
    table = getattr(table, "__table__", table)
    (key,) = table.primary_key.columns
    return 2 * rows >= (session.execute(select(func.max(key))).scalar() or 0)


@contextmanager
def indexes_rebuilt(session: Session, table: Table | type, rebuild: bool = True,
                    only: Iterable[str] | None = None) -> Iterator[None]:
    """On SQLite, when ``rebuild``: drop ``table``'s indexes (those named in ``only``,
    when given), let the caller delete, insert or update, then create them again,
    within the transaction.

    Millions of rows (a bulk run's blocking keys) go in faster into a bare
    table, with each index then built in one sort, than into indexes kept up
    to date row by row in random key order (24.8 s -> 17.0 s for 6.7M keys).
    The indexes are the table's own definitions, so the schema stays what the
    migrations made. WAL readers keep their snapshot meanwhile. PostgreSQL
    keeps its indexes: dropping one would lock every reader of the table out
    until the commit."""
    table = getattr(table, "__table__", table)
    conn = session.connection()
    if not rebuild or conn.dialect.name != "sqlite":
        yield
        return
    if not conn.connection.driver_connection.in_transaction:
        # pysqlite opens a transaction only before DML: DDL first would autocommit.
        conn.exec_driver_sql("BEGIN")
    wanted = None if only is None else set(only)
    indexes = sorted((i for i in table.indexes if wanted is None or i.name in wanted), key=lambda index: index.name)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    yield
    with write_cache(session, WRITE_CACHE_MIB), sorter_threads(session, SORT_THREADS):
        for index in indexes:
            index.create(conn)


# Helper threads for SQLite's sorter while an index is built: 15.1 -> 11.5 s for
# the 6.7M-key lookup index of a 1M-record run on 2 cores.
SORT_THREADS = min(os.cpu_count() or 1, 4)


@contextmanager
def sorter_threads(session: Session, threads: int) -> Iterator[None]:
    """``PRAGMA threads`` on SQLite while a large sort runs (CREATE INDEX), the connection's own after."""
    with _sqlite_pragma(session, "threads", int(threads)) if threads > 1 else nullcontext():
        yield


@contextmanager
def unmapped(session: Session) -> Iterator[None]:
    """On SQLite, the session's reads without a memory map for the block (a bulk run's: the
    pages of a whole domain it reads once would stay mapped, and count in its memory). The
    block may commit: the map comes back on the session's connection after it, and on any
    connection the pool takes back (``engine._pool_defaults``)."""
    with _sqlite_pragma_for_block(session, "mmap_size=0", f"mmap_size={SQLITE_MMAP_BYTES}"):
        yield


@contextmanager
def rollback_journal(session: Session) -> Iterator[bool]:
    """On SQLite, when no other connection has the store open: the block's writes go straight
    into the database file under a rollback journal, instead of into the WAL and then, at the
    commit's checkpoint, copied into the file a second time (a million-record bulk run writes
    gigabytes: the commit took 6.6-8 s of it). Yields whether it switched.

    Only a store nobody else reads is switched: the attempt does not wait for locks, and any
    other connection (``mdm serve``, its checkpointer, another pooled connection) keeps the WAL
    and this block's writes go through it as before. A process that opens the store during the
    block waits for it, as it would for any writer in rollback mode. The commit then syncs as
    ``synchronous=FULL`` does (what rollback mode needs to survive a power loss). The WAL comes
    back when the block ends outside a transaction, else when the pool takes the connection
    back (``engine._pool_defaults``); each new connection asks for WAL too."""
    conn = session.connection()
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.name != "sqlite" or dbapi.in_transaction:
        yield False
        return
    timeout = dbapi.execute("PRAGMA busy_timeout").fetchone()[0]
    dbapi.execute("PRAGMA busy_timeout=0")
    try:
        mode = dbapi.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:  # "database is locked": another connection has it open
        mode = None
    finally:
        dbapi.execute(f"PRAGMA busy_timeout={int(timeout)}")
    if mode != "delete":  # locked, or a store without WAL (in memory): as it was
        yield False
        return
    conn.connection.info[ROLLBACK_JOURNAL] = True
    dbapi.execute("PRAGMA synchronous=FULL")
    try:
        yield True
    finally:
        conn = session.connection()
        dbapi = conn.connection.dbapi_connection
        if not dbapi.in_transaction:
            wal_mode(dbapi)
            conn.connection.info.pop(ROLLBACK_JOURNAL, None)


@contextmanager
def _sqlite_pragma_for_block(
    session: Session, during: str, after: str, outside_transaction: bool = False,
) -> Iterator[None]:
    """On SQLite, ``PRAGMA during`` for the block and ``PRAGMA after`` when it ends outside a transaction
    (else the pool's checkin sets the connection's defaults again). ``outside_transaction``: only when no
    transaction is open at the start (a pragma SQLite ignores inside one)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or (outside_transaction and conn.connection.dbapi_connection.in_transaction):
        yield
        return
    conn.exec_driver_sql(f"PRAGMA {during}")
    try:
        yield
    finally:
        conn = session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql(f"PRAGMA {after}")


@contextmanager
def _sqlite_pragma(session: Session, name: str, value: int) -> Iterator[None]:
    """On SQLite, the connection's integer pragma ``name`` set to ``value`` for the block, its own value after."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    (before,) = conn.exec_driver_sql(f"PRAGMA {name}").one()
    conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA {name} = {int(before)}")


def refresh_statistics(session: Session, tables: Iterable[str]) -> None:
    """After a bulk write on PostgreSQL: ANALYZE the tables it filled or rewrote.

    Until autovacuum gets to them, the planner sees a freshly loaded table as
    the near-empty one it was and picks plans (sequential scans, the wrong
    index) that make the first incremental runs slow. ANALYZE samples a
    fixed number of rows, so it takes about a second a table even at a
    million rows. SQLite keeps no statistics unless asked: nothing to do."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.exec_driver_sql(f'ANALYZE "{table}"')

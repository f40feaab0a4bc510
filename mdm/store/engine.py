"""Engine and session creation; SQLite gets WAL and foreign keys."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from mdm.store import jsonenc


# New SQLite stores get 16 KiB pages. A golden record row (attributes and compact lineage,
# ~2.8 KB) left about a third of each 4 KiB page unused: at a million records the store is
# 12% smaller and the bulk run's commit (the WAL copied into the file) 5-8 s shorter.
SQLITE_PAGE_SIZE = 16384
# Reads through a memory map: an incremental match reads a few hundred rows at random places
# (records, keys, xref, golden rows), and a page mapped costs no read() and copy (about 30%
# of a 42-row read). SQLite caps it at its build's limit (2 GiB on Debian). A bulk match turns
# it off for its run (``bulk.unmapped``): it reads the whole domain once.
SQLITE_MMAP_BYTES = 2**31


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("json_serializer", jsonenc.dumps)
    kwargs.setdefault("json_deserializer", jsonenc.loads)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _pool_defaults)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgres_session)
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # Before anything is written: only a new database takes it (an existing one keeps its own).
    cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
    # WAL lets readers (serve) run beside one writer (load/match).
    wal_mode(cur)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.close()


# Set on a pooled connection's record while its store is out of WAL mode (``bulk.rollback_journal``).
ROLLBACK_JOURNAL = "mdm_rollback_journal"


def wal_mode(dbapi_conn) -> None:
    """The store in WAL mode, synced as WAL needs (NORMAL: at checkpoints, not every commit)."""
    dbapi_conn.execute("PRAGMA journal_mode=WAL")
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def _pool_defaults(dbapi_conn, _record) -> None:
    # A bulk run turns the checks and the memory map off for its own transaction
    # (``bulk.foreign_keys_unchecked``, ``bulk.unmapped``): whatever way it ended, the
    # connection goes back to the pool with both on.
    if dbapi_conn is not None and not dbapi_conn.in_transaction:
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        if _record is not None and _record.info.pop(ROLLBACK_JOURNAL, False):
            # A bulk run that failed inside its transaction left the store out of WAL (``bulk.rollback_journal``).
            wal_mode(dbapi_conn)


def _postgres_session(dbapi_conn, _record) -> None:
    # The session's time zone named "UTC": psycopg then returns timestamps with
    # ``datetime.timezone.utc``, which pandas converts many times faster than the
    # ``ZoneInfo("Etc/UTC")`` a server's default zone gives. Values are unchanged.
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    dbapi_conn.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.autocommit = autocommit


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after the unit of work ends.
    return sessionmaker(engine, expire_on_commit=False)

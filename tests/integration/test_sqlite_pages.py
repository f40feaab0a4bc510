"""New SQLite stores are made with 16 KiB pages; an existing store keeps the page size it has."""

import sqlite3

from mdm.store import Store
from mdm.store.engine import SQLITE_PAGE_SIZE
from mdm.store.migrate import pending, upgrade


def page_size(path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()


def test_a_new_store_gets_large_pages(tmp_path):
    path = tmp_path / "new.db"
    store = Store.open(f"sqlite:///{path}")
    upgrade(store.engine)
    store.close()
    assert SQLITE_PAGE_SIZE == 16384
    assert page_size(path) == SQLITE_PAGE_SIZE


def test_an_existing_store_keeps_its_pages_and_still_migrates(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE made_before (x INTEGER)")
    con.commit()
    con.close()
    store = Store.open(f"sqlite:///{path}")
    upgrade(store.engine)
    assert not pending(store.engine)
    store.close()
    assert page_size(path) == 4096

"""The schema comes from Alembic migrations, and they match the tables in code."""

from contextlib import contextmanager

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mdm.store import Store
from mdm.store.migrate import pending, upgrade
from mdm.store.tables import Base


def migrator(store):
    """``run(command.upgrade | command.downgrade, revision)`` on ``store``'s database."""
    from mdm.store.migrate import alembic_config

    cfg = alembic_config(store.engine)

    def run(step, revision):
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)

    return run


def test_a_new_database_is_pending_until_upgraded(db_url):
    store = Store.open(db_url)
    assert pending(store.engine)
    upgrade(store.engine)
    assert not pending(store.engine)
    store.close()


def test_migrations_match_the_table_definitions(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(store):
    upgrade(store.engine)
    assert not pending(store.engine)


def test_the_match_model_keeps_its_row_when_its_stamp_moves_first(db_url):
    """0007 rebuilds match_model with trained_at before the model; the stored model survives, both ways."""
    from alembic import command
    from sqlalchemy import inspect, text

    store = Store.open(db_url)
    run = migrator(store)

    def columns():
        return [c["name"] for c in inspect(store.engine).get_columns("match_model")]

    def row():
        with store.engine.connect() as conn:
            return conn.execute(text("SELECT domain, rules_hash, model, trained_at FROM match_model")).one()

    run(command.upgrade, "0006")
    assert columns() == ["domain", "rules_hash", "model", "trained_at"]
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO match_model (domain, rules_hash, model, trained_at) "
                          "VALUES ('customer', 'abc', '{\"model\": {\"prior\": 0.01}}', '2026-12-04 10:00:00+00:00')"))
    before = row()
    run(command.upgrade, "0007")
    assert columns() == ["domain", "rules_hash", "trained_at", "model"]
    assert row() == before
    run(command.downgrade, "0006")
    assert columns() == ["domain", "rules_hash", "model", "trained_at"]
    assert row() == before
    store.close()


@contextmanager
def _page_queries(store):
    """The page statements (golden_record with a LIMIT) run inside the block, as (statement, parameters)."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM golden_record" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)


def _assert_page_index_plan(store, session, seen) -> None:
    """On SQLite: each statement seeks in ix_golden_record_page and sorts nothing."""
    if store.engine.dialect.name != "sqlite":
        return
    for statement, parameters in seen:
        plan = " ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "ix_golden_record_page" in plan and "TEMP B-TREE" not in plan, plan


def test_a_page_of_golden_records_is_read_in_index_order_not_sorted(store):
    """The API's keyset page (first page and after a cursor) is a range of ix_golden_record_page:
    no sort of every record of the domain per page."""
    from datetime import datetime, timezone

    from sqlalchemy import text

    from mdm.api.reads import PageFilter, encode_cursor, page_of_golden
    from mdm.store.tables import GoldenRecord

    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.session() as s:
        s.add_all([GoldenRecord(id=f"G{i:03d}", domain="customer", version=1, status="active", attributes={},
                                lineage={}, created_at=stamp, updated_at=stamp.replace(minute=i % 7))
                   for i in range(40)])
        s.commit()
        with _page_queries(store) as seen:
            first = page_of_golden(s, PageFilter(domain="customer"), 10, None)
            after = page_of_golden(s, PageFilter(domain="customer"), 10, encode_cursor(first.rows[-1]))
        every = s.execute(text("SELECT id FROM golden_record ORDER BY updated_at, id")).scalars().all()
        assert [r.id for r in first.rows + after.rows] == every[:20]
        assert len(seen) == 2
        _assert_page_index_plan(store, s, seen)


def test_blocking_keys_are_converted_to_hashes_and_a_downgrade_forces_a_bulk_run(db_url):
    """0010 turns the stored key texts into (hash, record id) pairs that lookups find; going back
    cannot restore the texts, so it empties the old table and drops the models (next match: bulk)."""
    from datetime import datetime, timezone

    from alembic import command
    from sqlalchemy import inspect, text

    from mdm.match.keyhash import key_hashes
    from mdm.store.tables import LoadBatch, SourceRecord

    store = Store.open(db_url)
    run = migrator(store)

    upgrade(store.engine)
    stamp = datetime(2026, 12, 6, tzinfo=timezone.utc)
    with store.session() as s:
        s.add(LoadBatch(id=1, system="CRM", domain="customer", started_at=stamp))
        s.add_all([SourceRecord(id=rid, system="CRM", domain="customer", source_key=f"K{rid}", version=1,
                                content_hash="x", created_at=stamp, updated_at=stamp) for rid in (1, 2)])
        s.commit()
        s.execute(text("INSERT INTO match_model (domain, rules_hash, trained_at, model) "
                       "VALUES ('customer', 'abc', '2026-12-06 10:00:00+00:00', '{\"model\": {}}')"))
        s.commit()
    run(command.downgrade, "0009")
    assert [c["name"] for c in inspect(store.engine).get_columns("blocking_key")] == [
        "id", "record_id", "domain", "key_name", "key_value"]
    long = "x" * 300
    old = [(1, "customer", "phone", "+15551234567"), (1, "customer", "phone", "+15551234567"),
           (2, "customer", "phone", "+15551234567"), (2, "customer", "email", "a@b.com"),
           (1, "customer", "name_tokens", long[:255])]
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM match_model")).scalar() == 0
        for rid, domain, name, value in old:
            conn.execute(text("INSERT INTO blocking_key (record_id, domain, key_name, key_value) "
                              "VALUES (:r, :d, :n, :v)"), {"r": rid, "d": domain, "n": name, "v": value})
    run(command.upgrade, "0010")
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT key_hash, record_id FROM blocking_key ORDER BY key_hash, record_id")).all()
    phone, email, tokens = key_hashes("customer", ["phone", "email", "name_tokens"],
                                      ["+15551234567", "a@b.com", long]).tolist()
    assert [tuple(r) for r in rows] == sorted({(phone, 1), (phone, 2), (email, 2), (tokens, 1)})
    assert [ix["name"] for ix in inspect(store.engine).get_indexes("blocking_key")] == ["ix_blocking_key_record_id"]
    run(command.upgrade, "head")
    assert not pending(store.engine)
    store.close()


def test_golden_record_keeps_one_index_for_domain_status_and_time(db_url):
    """0011 drops the single-column indexes the page index makes redundant; a downgrade restores them."""
    from alembic import command
    from sqlalchemy import inspect

    store = Store.open(db_url)
    run = migrator(store)

    def indexes():
        return sorted(i["name"] for i in inspect(store.engine).get_indexes("golden_record"))

    run(command.upgrade, "0010")
    assert indexes() == ["ix_golden_record_domain", "ix_golden_record_page", "ix_golden_record_status",
                         "ix_golden_record_updated_at"]
    run(command.upgrade, "head")
    assert indexes() == ["ix_golden_record_page"]
    run(command.downgrade, "0010")
    assert "ix_golden_record_updated_at" in indexes()
    store.close()


def test_changes_since_a_moment_are_read_through_the_page_index(store):
    """Without an index on updated_at alone, a page filtered by ``updated_since`` still seeks
    in ix_golden_record_page (SQLite's plan) and gives the records changed since, in order."""
    from datetime import datetime, timezone

    from mdm.api.reads import PageFilter, page_of_golden
    from mdm.store.tables import GoldenRecord

    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with store.session() as s:
        s.add_all([GoldenRecord(id=f"G{i:03d}", domain="customer" if i % 3 else "item", version=1, status="active",
                                attributes={}, lineage={}, created_at=stamp, updated_at=stamp.replace(minute=i))
                   for i in range(40)])
        s.commit()
        with _page_queries(store) as seen:
            page = page_of_golden(s, PageFilter(domain="customer", updated_since=stamp.replace(minute=20)), 50, None)
        assert [r.id for r in page.rows] == [f"G{i:03d}" for i in range(20, 40) if i % 3]
        assert seen
        _assert_page_index_plan(store, s, seen)

"""The schema comes from Alembic migrations, and they match the tables in code."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mdm.store import Store
from mdm.store.migrate import pending, upgrade
from mdm.store.tables import Base


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

    from mdm.store.migrate import alembic_config

    store = Store.open(db_url)
    cfg = alembic_config(store.engine)

    def run(step, revision):
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)

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

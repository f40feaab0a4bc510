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

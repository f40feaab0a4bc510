"""blocking_key: (key hash, record id) pairs instead of key texts

The key table only answers "which records share this block". It held
(id, record_id, domain, key_name, key_value) rows with a text index over
four columns, and a foreign key checked on every insert: 764 MiB at a
million records, and a third of a bulk run's write. It now holds the
64-bit hash of (domain, key name, value) with the record id, clustered on
the pair (WITHOUT ROWID on SQLite), plus the record-id index that drops a
re-matched record's keys (``mdm.match.keyhash``).

Upgrading converts the stored keys. Downgrading cannot turn hashes back
into texts: it leaves the old table empty and deletes the stored match
models, so the next ``mdm match`` is a bulk run and writes the keys again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

from mdm.match.keyhash import key_hashes


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
BATCH = 200_000


def upgrade() -> None:
    op.create_table(
        'blocking_key_hash',
        sa.Column('key_hash', ID, autoincrement=False, nullable=False),
        sa.Column('record_id', ID, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('key_hash', 'record_id', name='pk_blocking_key'),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    old = sa.table('blocking_key', sa.column('id'), sa.column('record_id'), sa.column('domain'),
                   sa.column('key_name'), sa.column('key_value'))
    new = sa.table('blocking_key_hash', sa.column('key_hash'), sa.column('record_id'))
    after = None
    while True:
        query = sa.select(old.c.id, old.c.record_id, old.c.domain, old.c.key_name, old.c.key_value).order_by(old.c.id)
        rows = bind.execute((query if after is None else query.where(old.c.id > after)).limit(BATCH)).all()
        if not rows:
            break
        after = rows[-1][0]
        pairs = set()
        for domain in {row[2] for row in rows}:
            mine = [row for row in rows if row[2] == domain]
            hashes = key_hashes(domain, [row[3] for row in mine], [row[4] for row in mine])
            pairs.update(zip(hashes.tolist(), (row[1] for row in mine)))
        # The old table allowed a row twice (and two keys of a record may hash alike): keep the first.
        insert = (postgresql.insert if bind.dialect.name == 'postgresql' else sqlite.insert)(new)
        bind.execute(insert.on_conflict_do_nothing(),
                     [{"key_hash": h, "record_id": r} for h, r in sorted(pairs)])
    op.drop_table('blocking_key')
    op.rename_table('blocking_key_hash', 'blocking_key')
    op.create_index('ix_blocking_key_record_id', 'blocking_key', ['record_id'], unique=False)


def downgrade() -> None:
    op.drop_table('blocking_key')
    op.create_table(
        'blocking_key',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('record_id', ID, nullable=False),
        sa.Column('domain', sa.String(length=16), nullable=False),
        sa.Column('key_name', sa.String(length=64), nullable=False),
        sa.Column('key_value', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['source_record.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_blocking_key_lookup', 'blocking_key', ['domain', 'key_name', 'key_value', 'record_id'],
                    unique=False)
    op.create_index('ix_blocking_key_record_id', 'blocking_key', ['record_id'], unique=False)
    # The keys are gone: the next match of every domain must be a bulk run, which writes them.
    op.execute('DELETE FROM match_model')

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
import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import op

from mdm.match.keyhash import key_rows, unique_pairs


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
    hashes, ids = _converted(bind)
    # Sorted and without repeats: the rows append to the new table's primary key.
    for start in range(0, len(hashes), BATCH):
        _insert(bind, list(zip(hashes[start:start + BATCH].tolist(), ids[start:start + BATCH].tolist())))
    op.drop_table('blocking_key')
    op.rename_table('blocking_key_hash', 'blocking_key')
    op.create_index('ix_blocking_key_record_id', 'blocking_key', ['record_id'], unique=False)


def _converted(bind) -> tuple[np.ndarray, np.ndarray]:
    """Every stored key as (hash, record id), in primary-key order, each pair once
    (the old table allowed a row twice, and two keys of a record may hash alike)."""
    cursor = bind.exec_driver_sql('SELECT record_id, domain, key_name, key_value FROM blocking_key').cursor
    hashes, ids = [], []
    while rows := cursor.fetchmany(BATCH):
        frame = pd.DataFrame(rows, columns=['record_id', 'domain', 'key_name', 'key_value'])
        for domain, part in frame.groupby('domain', sort=False):
            found, rids = key_rows(domain, part)
            hashes.append(found)
            ids.append(rids)
    if not hashes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return unique_pairs(np.concatenate(hashes), np.concatenate(ids))


def _insert(bind, rows: list[tuple[int, int]]) -> None:
    if bind.dialect.name == 'postgresql':
        with bind.connection.driver_connection.cursor() as cursor:
            with cursor.copy('COPY blocking_key_hash (key_hash, record_id) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        bind.exec_driver_sql('INSERT INTO blocking_key_hash (key_hash, record_id) VALUES (?, ?)', rows)


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

"""golden_record_version: lineage stored once

A golden record's current version has the same lineage as the golden record
(about 1.6 KB of JSON each); storing it twice was a fifth of a 1M-record
store and of what a bulk run writes. The version's column may now be NULL:
it then reads the golden record's lineage, and writers copy that lineage in
before the golden record changes (``mdm.resolve.versions``). Rows written
before keep their copy.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 06:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LINEAGE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('golden_record_version') as batch:
        batch.alter_column('lineage', existing_type=LINEAGE, nullable=True)


def downgrade() -> None:
    op.execute('UPDATE golden_record_version SET lineage = (SELECT g.lineage FROM golden_record g '
               'WHERE g.id = golden_record_version.golden_id) WHERE lineage IS NULL')
    with op.batch_alter_table('golden_record_version') as batch:
        batch.alter_column('lineage', existing_type=LINEAGE, nullable=False)

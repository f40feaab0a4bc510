"""golden_record: drop the single-column indexes on domain, status and updated_at

Every query of golden records by these columns names the domain and the
status first (the API's lists and filters, exports, search, the steward and
ops views), which ``ix_golden_record_page`` (domain, status, updated_at, id)
answers. The three single-column indexes only cost time on every write: a
bulk run of a million records inserted each golden row into six B-trees.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 00:40:00
"""
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_DROPPED = (('ix_golden_record_domain', 'domain'), ('ix_golden_record_status', 'status'),
            ('ix_golden_record_updated_at', 'updated_at'))


def upgrade() -> None:
    for name, _ in _DROPPED:
        op.drop_index(name, table_name='golden_record')


def downgrade() -> None:
    for name, column in _DROPPED:
        op.create_index(name, 'golden_record', [column], unique=False)

"""golden_record: an index for the API's keyset pages

`customers(first: 50)` lists golden records of a domain and status in
(updated_at, id) order. With single-column indexes SQLite sorted every
active record of the domain for each page (160 ms at 100k records); in this
index the page is the next 51 entries.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:00:00
"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_golden_record_page', 'golden_record', ['domain', 'status', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_golden_record_page', table_name='golden_record')

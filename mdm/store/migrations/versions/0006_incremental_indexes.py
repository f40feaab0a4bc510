"""incremental indexes: pending records by domain, review pairs by record,
links by their right record, blocking-key lookups answered from the index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 14:00:00
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `matched_version IS NULL AND domain = ?` (every match run): with only
    # single-column indexes SQLite picks the domain index and scans the domain.
    op.create_index('ix_source_record_pending', 'source_record', ['domain', 'matched_version'], unique=False)
    # Superseding a re-clustered record's review pairs looks them up by either side.
    op.create_index('ix_match_candidate_left', 'match_candidate', ['left_record_id'], unique=False)
    op.create_index('ix_match_candidate_right', 'match_candidate', ['right_record_id'], unique=False)
    op.create_index('ix_must_link_right', 'must_link', ['right_record_id'], unique=False)
    op.create_index('ix_cannot_link_right', 'cannot_link', ['right_record_id'], unique=False)
    # Record ids straight from the index, no visit to the table rows.
    op.drop_index('ix_blocking_key_lookup', table_name='blocking_key')
    op.create_index('ix_blocking_key_lookup', 'blocking_key', ['domain', 'key_name', 'key_value', 'record_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_blocking_key_lookup', table_name='blocking_key')
    op.create_index('ix_blocking_key_lookup', 'blocking_key', ['domain', 'key_name', 'key_value'], unique=False)
    op.drop_index('ix_cannot_link_right', table_name='cannot_link')
    op.drop_index('ix_must_link_right', table_name='must_link')
    op.drop_index('ix_match_candidate_right', table_name='match_candidate')
    op.drop_index('ix_match_candidate_left', table_name='match_candidate')
    op.drop_index('ix_source_record_pending', table_name='source_record')

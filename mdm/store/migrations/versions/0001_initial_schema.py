"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 17:56:25.541680
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('after', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('golden_alias',
    sa.Column('alias_id', sa.String(length=40), nullable=False),
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('alias_id')
    )
    with op.batch_alter_table('golden_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_alias_golden_id'), ['golden_id'], unique=False)

    op.create_table('golden_record',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('merged_into', sa.String(length=40), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_record_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_golden_record_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_golden_record_updated_at'), ['updated_at'], unique=False)

    op.create_table('load_batch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('file', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read', sa.Integer(), nullable=False),
    sa.Column('stored', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('field_errors', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('match_model',
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('rules_hash', sa.String(length=64), nullable=False),
    sa.Column('model', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('domain')
    )
    op.create_table('outbox',
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.PrimaryKeyConstraint('sequence'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_subject'), ['subject'], unique=False)

    op.create_table('source_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('matched_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('system', 'domain', 'source_key', name='uq_source_record_key')
    )
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_record_matched_version'), ['matched_version'], unique=False)

    op.create_table('steward_decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_by', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('blocking_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('key_name', sa.String(length=64), nullable=False),
    sa.Column('key_value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('blocking_key', schema=None) as batch_op:
        batch_op.create_index('ix_blocking_key_lookup', ['domain', 'key_name', 'key_value'], unique=False)
        batch_op.create_index(batch_op.f('ix_blocking_key_record_id'), ['record_id'], unique=False)

    op.create_table('cannot_link',
    sa.Column('left_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('right_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('left_hash', sa.String(length=64), nullable=False),
    sa.Column('right_hash', sa.String(length=64), nullable=False),
    sa.Column('decision_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['left_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['right_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('left_record_id', 'right_record_id')
    )
    op.create_table('golden_record_version',
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change_type', sa.String(length=16), nullable=False),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lineage', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('members', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('golden_id', 'version')
    )
    op.create_table('match_candidate',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('left_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('right_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=True),
    sa.Column('match_probability', sa.Float(), nullable=True),
    sa.Column('explanation', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['left_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['right_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain', 'left_record_id', 'right_record_id', name='uq_match_candidate_pair')
    )
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_candidate_domain'), ['domain'], unique=False)
        batch_op.create_index(batch_op.f('ix_match_candidate_status'), ['status'], unique=False)

    op.create_table('reject',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('load_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.Text(), nullable=True),
    sa.Column('column', sa.Text(), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('row_rejected', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['load_id'], ['load_batch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reject_load_id'), ['load_id'], unique=False)

    op.create_table('source_record_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('load_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('correlation_id', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['load_id'], ['load_batch.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('record_id', 'version', name='uq_source_record_version')
    )
    with op.batch_alter_table('source_record_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_record_version_correlation_id'), ['correlation_id'], unique=False)

    op.create_table('xref',
    sa.Column('record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('golden_id', sa.String(length=40), nullable=False),
    sa.Column('domain', sa.String(length=16), nullable=False),
    sa.Column('system', sa.String(length=64), nullable=False),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('decided_by', sa.String(length=16), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_record.id'], ),
    sa.ForeignKeyConstraint(['record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_id')
    )
    with op.batch_alter_table('xref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xref_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index('ix_xref_source_key', ['system', 'domain', 'source_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('xref', schema=None) as batch_op:
        batch_op.drop_index('ix_xref_source_key')
        batch_op.drop_index(batch_op.f('ix_xref_golden_id'))

    op.drop_table('xref')
    with op.batch_alter_table('source_record_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_version_correlation_id'))

    op.drop_table('source_record_version')
    with op.batch_alter_table('reject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reject_load_id'))

    op.drop_table('reject')
    with op.batch_alter_table('match_candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_candidate_status'))
        batch_op.drop_index(batch_op.f('ix_match_candidate_domain'))

    op.drop_table('match_candidate')
    op.drop_table('golden_record_version')
    op.drop_table('cannot_link')
    with op.batch_alter_table('blocking_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blocking_key_record_id'))
        batch_op.drop_index('ix_blocking_key_lookup')

    op.drop_table('blocking_key')
    op.drop_table('steward_decision')
    with op.batch_alter_table('source_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_record_matched_version'))
        batch_op.drop_index(batch_op.f('ix_source_record_domain'))

    op.drop_table('source_record')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_subject'))
        batch_op.drop_index(batch_op.f('ix_outbox_domain'))
        batch_op.drop_index(batch_op.f('ix_outbox_created_at'))

    op.drop_table('outbox')
    op.drop_table('match_model')
    op.drop_table('load_batch')
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_record_updated_at'))
        batch_op.drop_index(batch_op.f('ix_golden_record_status'))
        batch_op.drop_index(batch_op.f('ix_golden_record_domain'))

    op.drop_table('golden_record')
    with op.batch_alter_table('golden_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_alias_golden_id'))

    op.drop_table('golden_alias')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')

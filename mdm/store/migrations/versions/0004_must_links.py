"""must links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:33:04.682973
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('must_link',
    sa.Column('left_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('right_record_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decision_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['left_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['right_record_id'], ['source_record.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('left_record_id', 'right_record_id')
    )


def downgrade() -> None:
    op.drop_table('must_link')

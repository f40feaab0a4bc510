"""match_model: the training stamp before the model payload

Every incremental run reads (trained_at, rules_hash) to see whether its
cached model is current. SQLite stores a row's columns in order, so a
stamp after a multi-megabyte model is reached only by walking the model's
overflow pages: about 2 ms a read at a million records. The table is
rebuilt with the small columns first.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 21:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _rebuild(stamp_first: bool) -> None:
    model = sa.Column('model', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                      nullable=False)
    trained = sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False)
    columns = [trained, model] if stamp_first else [model, trained]
    op.create_table('match_model_new',
                    sa.Column('domain', sa.String(length=16), nullable=False),
                    sa.Column('rules_hash', sa.String(length=64), nullable=False),
                    *columns,
                    sa.PrimaryKeyConstraint('domain'))
    op.execute('INSERT INTO match_model_new (domain, rules_hash, trained_at, model) '
               'SELECT domain, rules_hash, trained_at, model FROM match_model')
    op.drop_table('match_model')
    op.rename_table('match_model_new', 'match_model')


def upgrade() -> None:
    _rebuild(stamp_first=True)


def downgrade() -> None:
    _rebuild(stamp_first=False)

"""pack synonyms for topic search

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synonyms', store.types.JSONType, nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.drop_column('synonyms')

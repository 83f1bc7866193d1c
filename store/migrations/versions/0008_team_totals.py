"""team totals: every manager's subtree counted by the database and kept, so a director's summary reads a few
rows (refreshed by the scheduler, by org import)

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('teamtotal',
    sa.Column('head_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('competency', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('a', sa.Integer(), nullable=False),
    sa.Column('b', sa.Integer(), nullable=False),
    sa.Column('c', sa.Integer(), nullable=False),
    sa.Column('d', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('head_id', 'kind', 'role', 'competency')
    )
    state = op.create_table('teamtotalsstate',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('as_of', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(state, [{'name': 'totals', 'as_of': None, 'rule': ''}])


def downgrade() -> None:
    op.drop_table('teamtotalsstate')
    op.drop_table('teamtotal')

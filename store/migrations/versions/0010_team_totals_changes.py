"""team totals keyed to the org chart: the org state's write counter the kept totals were counted on, so a
summary never shows totals counted before a change to the chart (and `coach org import` no longer counts them)

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # None: counted on no known chart, so the totals kept so far are counted again at the scheduler's next tick
    op.add_column('teamtotalsstate', sa.Column('changes', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('teamtotalsstate') as batch:  # SQLite drops a column by copying the table
        batch.drop_column('changes')

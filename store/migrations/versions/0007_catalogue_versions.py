"""catalogue versions: counters bumped by content import and `coach fit`, so each process knows when its cached
catalogue and fitted model are stale

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('catalogueversion',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(table, [{'name': 'catalogue', 'version': 0}, {'name': 'model', 'version': 0}])


def downgrade() -> None:
    op.drop_table('catalogueversion')

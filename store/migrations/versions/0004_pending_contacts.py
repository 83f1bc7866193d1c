"""pending contacts: people a platform could not identify yet, retried by any process after a restart

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pendingcontact',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('address', store.types.JSONType, nullable=False),
    sa.Column('welcome', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lease_until', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'external_id')
    )
    op.create_index(op.f('ix_pendingcontact_due_at'), 'pendingcontact', ['due_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_pendingcontact_due_at'), table_name='pendingcontact')
    op.drop_table('pendingcontact')

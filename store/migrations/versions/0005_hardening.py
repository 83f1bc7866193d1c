"""hardening: learners' planning lease on its own clock; triggers' idempotency keys and fingerprints

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('learnersettings', sa.Column('planning_until', store.types.UTCDateTime(timezone=True),
                                               nullable=True))
    op.add_column('delivery', sa.Column('trigger_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.add_column('delivery', sa.Column('trigger_fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64),
                                        nullable=True))
    op.create_index('ix_delivery_trigger_key', 'delivery', ['trigger_key'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_delivery_trigger_key', table_name='delivery')
    with op.batch_alter_table('delivery') as batch:
        batch.drop_column('trigger_fingerprint')
        batch.drop_column('trigger_key')
    with op.batch_alter_table('learnersettings') as batch:
        batch.drop_column('planning_until')

"""topic search learns: lessons' example questions, packs' phrasing, searches and query -> lesson evidence

Revision ID: 0006
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import store.types

revision: str = '0006'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asks', store.types.JSONType, nullable=False, server_default='[]'))
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phrasing', store.types.JSONType, nullable=False, server_default='[]'))
    op.create_table('topicsearch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('words', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('offered', store.types.JSONType, nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=True),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_topicsearch_org_outcome', 'topicsearch', ['org', 'outcome', 'created_at'], unique=False)
    op.create_index(op.f('ix_topicsearch_delivery_id'), 'topicsearch', ['delivery_id'], unique=False)
    op.create_index(op.f('ix_topicsearch_person_id'), 'topicsearch', ['person_id'], unique=False)
    op.create_table('searchevidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('search_id', sa.Integer(), nullable=False),
    sa.Column('org', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('lesson_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('signal', sa.Integer(), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.ForeignKeyConstraint(['search_id'], ['topicsearch.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('search_id', 'source', name='uq_searchevidence_search_source')
    )
    op.create_index('ix_searchevidence_org_key', 'searchevidence', ['org', 'key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_searchevidence_org_key', table_name='searchevidence')
    op.drop_table('searchevidence')
    op.drop_index(op.f('ix_topicsearch_person_id'), table_name='topicsearch')
    op.drop_index(op.f('ix_topicsearch_delivery_id'), table_name='topicsearch')
    op.drop_index('ix_topicsearch_org_outcome', table_name='topicsearch')
    op.drop_table('topicsearch')
    with op.batch_alter_table('pack', schema=None) as batch_op:
        batch_op.drop_column('phrasing')
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('asks')

"""org state: a counter that database triggers move whenever people, chat ids or enrolments are written, and the
digest of the last org chart import, so re-importing an unchanged file is one small read

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = {
    # table: the columns an org import compares (an UPDATE of other columns, such as a learner's schedule or a
    # Slack DM channel, leaves the org chart as it was)
    'person': ('email', 'name', 'role_id', 'timezone', 'manager_id', 'active'),
    'chatidentity': ('person_id', 'platform', 'external_id'),
    'learnersettings': ('person_id',),
}
BUMP = 'UPDATE orgstate SET changes = changes + 1'


def upgrade() -> None:
    table = op.create_table('orgstate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('digest_changes', sa.BigInteger(), nullable=True),
    sa.Column('catalogue', sa.Integer(), nullable=True),
    sa.Column('listed', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(table, [{'id': 1, 'changes': 0}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'CREATE FUNCTION orgstate_changed() RETURNS trigger AS $$ BEGIN {BUMP}; RETURN NULL; END $$ '
                   'LANGUAGE plpgsql')
        for name, columns in WATCHED.items():
            op.execute(f'CREATE TRIGGER {name}_orgstate AFTER INSERT OR DELETE OR UPDATE OF {", ".join(columns)} '
                       f'ON {name} FOR EACH STATEMENT EXECUTE FUNCTION orgstate_changed()')
        return
    for name, columns in WATCHED.items():  # SQLite has row triggers only
        for event in ('INSERT', 'DELETE', f'UPDATE OF {", ".join(columns)}'):
            op.execute(f'CREATE TRIGGER {name}_orgstate_{event.split()[0].lower()} AFTER {event} ON {name} '
                       f'BEGIN {BUMP}; END')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in WATCHED:
            op.execute(f'DROP TRIGGER {name}_orgstate ON {name}')
        op.execute('DROP FUNCTION orgstate_changed()')
    else:
        for name in WATCHED:
            for event in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER {name}_orgstate_{event}')
    op.drop_table('orgstate')

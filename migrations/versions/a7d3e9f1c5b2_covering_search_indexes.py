"""Trainee searches answered from their indexes alone on PostgreSQL: the ID-number, mobile and name
prefix indexes also carry the trainee's id (a search for "杨" read 3,259 table pages to find 6,768 ids)

Revision ID: a7d3e9f1c5b2
Revises: f2c8d4b6a9e1
Create Date: 2026-12-01 04:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7d3e9f1c5b2'
down_revision = 'f2c8d4b6a9e1'
branch_labels = None
depends_on = None

PREFIX_INDEXES = (('ix_trainee_id_number_prefix', 'id_number'), ('ix_trainee_mobile_prefix', 'mobile'),
                  ('ix_trainee_name_prefix', 'name'))


def _recreate(include: list[str]) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite has no INCLUDE: its prefix indexes stay as they are
    for name, column in PREFIX_INDEXES:
        op.drop_index(name, table_name='trainee')
        op.create_index(name, 'trainee', [column], unique=False, postgresql_include=include,
                        postgresql_ops={column: 'varchar_pattern_ops'})


def upgrade():
    _recreate(['id'])


def downgrade():
    _recreate([])

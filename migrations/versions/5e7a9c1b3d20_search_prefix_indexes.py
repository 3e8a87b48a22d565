"""Searches through indexes: ID-number, mobile and name prefixes (pattern b-trees on PostgreSQL), the
unit name's "contains" (a pg_trgm GIN index on PostgreSQL; a plain index on SQLite); the bases a
county's or city's applications are assigned to; the list's total order (submitted_at, id)

Revision ID: 5e7a9c1b3d20
Revises: 1d5d4b95fd50
Create Date: 2026-11-30 10:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e7a9c1b3d20'
down_revision = '1d5d4b95fd50'
branch_labels = None
depends_on = None

PREFIX_INDEXES = (('ix_trainee_id_number_prefix', 'id_number'), ('ix_trainee_mobile_prefix', 'mobile'),
                  ('ix_trainee_name_prefix', 'name'))


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for name, column in PREFIX_INDEXES:
        op.create_index(name, 'trainee', [column], unique=False,
                        postgresql_ops={column: 'varchar_pattern_ops'})
    op.create_index('ix_application_unit_name_trgm', 'application', ['unit_name'], unique=False,
                    postgresql_using='gin', postgresql_ops={'unit_name': 'gin_trgm_ops'})
    op.create_index('ix_application_submitted_at_id', 'application', ['submitted_at', 'id'], unique=False)
    for region in ('county_id', 'city_id'):
        op.create_index(f'ix_application_{region}_base_id_batch_id', 'application', [region, 'base_id', 'batch_id'],
                        unique=False)


def downgrade():
    op.drop_index('ix_application_submitted_at_id', table_name='application')
    for region in ('county_id', 'city_id'):
        op.drop_index(f'ix_application_{region}_base_id_batch_id', table_name='application')
    op.drop_index('ix_application_unit_name_trgm', table_name='application')
    for name, _column in PREFIX_INDEXES:
        op.drop_index(name, table_name='trainee')

"""The lists' order by waiting time: each scope's column with status_changed_at and id (the default
order), replacing the scope-with-submitted_at indexes of the earlier order; the base filter's options
come from the maintained counts, so its two indexes go

Revision ID: d1e4a7b2c9f0
Revises: b8d4e1f6a273
Create Date: 2026-11-30 18:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd1e4a7b2c9f0'
down_revision = 'b8d4e1f6a273'
branch_labels = None
depends_on = None

SCOPES = ('county_id', 'city_id', 'base_id')


def upgrade():
    for column in SCOPES:
        op.create_index(f'ix_application_{column}_status_changed_at_id', 'application',
                        [column, 'status_changed_at', 'id'], postgresql_include=['batch_id', 'status'])
        op.drop_index(f'ix_application_{column}_submitted_at', table_name='application')
    op.create_index('ix_application_status_changed_at_id', 'application', ['status_changed_at', 'id'])
    for column in ('county_id', 'city_id'):
        op.drop_index(f'ix_application_{column}_base_id_batch_id', table_name='application')


def downgrade():
    for column in ('county_id', 'city_id'):
        op.create_index(f'ix_application_{column}_base_id_batch_id', 'application', [column, 'base_id', 'batch_id'])
    op.drop_index('ix_application_status_changed_at_id', table_name='application')
    for column in SCOPES:
        op.create_index(f'ix_application_{column}_submitted_at', 'application', [column, 'submitted_at'])
        op.drop_index(f'ix_application_{column}_status_changed_at_id', table_name='application')

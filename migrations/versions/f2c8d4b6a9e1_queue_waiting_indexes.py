"""The dashboard's waiting times of a county's and a base's queues timed from submission, from indexes
alone: (county_id | base_id, status, batch_id, submitted_at)

Revision ID: f2c8d4b6a9e1
Revises: e5b9c3a1f7d2
Create Date: 2026-11-30 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f2c8d4b6a9e1'
down_revision = 'e5b9c3a1f7d2'
branch_labels = None
depends_on = None

SCOPES = ('county_id', 'base_id')


def upgrade():
    for column in SCOPES:
        op.create_index(f'ix_application_{column}_status_batch_id_submitted_at', 'application',
                        [column, 'status', 'batch_id', 'submitted_at'])


def downgrade():
    for column in SCOPES:
        op.drop_index(f'ix_application_{column}_status_batch_id_submitted_at', table_name='application')

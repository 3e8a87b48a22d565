"""Indexes for the dashboard's waiting times per queue, its score histogram and the season's scores and 缺考

Revision ID: c6d2e8f1a3b7
Revises: b3f1d2c4a5e6
Create Date: 2026-11-30 14:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c6d2e8f1a3b7'
down_revision = 'b3f1d2c4a5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_application_status_batch_id_status_changed_at', 'application',
                    ['status', 'batch_id', 'status_changed_at'])
    op.create_index('ix_application_batch_id_combined_score', 'application', ['batch_id', 'combined_score'])
    op.create_index('ix_application_batch_id_exam_absent', 'application', ['batch_id', 'exam_absent'])


def downgrade():
    op.drop_index('ix_application_batch_id_exam_absent', table_name='application')
    op.drop_index('ix_application_batch_id_combined_score', table_name='application')
    op.drop_index('ix_application_status_batch_id_status_changed_at', table_name='application')

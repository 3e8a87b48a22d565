"""Each application records when it entered its current status (the review queues' "waiting since")

Revision ID: d1f0a7c3b925
Revises: c4e8a1f2d7b3
Create Date: 2026-11-30 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1f0a7c3b925'
down_revision = 'c4e8a1f2d7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_changed_at', sa.DateTime(), nullable=True))
    # the moment of the last status change on record: the latest review record's, else the
    # submission's, else the application's creation
    op.execute("""
        UPDATE application SET status_changed_at = COALESCE(
            (SELECT MAX(review_record.created_at) FROM review_record
              WHERE review_record.application_id = application.id
                AND review_record.status_after = application.status),
            submitted_at, created_at)
    """)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.alter_column('status_changed_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_index('ix_application_status_status_changed_at',
                              ['status', 'status_changed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_status_status_changed_at')
        batch_op.drop_column('status_changed_at')

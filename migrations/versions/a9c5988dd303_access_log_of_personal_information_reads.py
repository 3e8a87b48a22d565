"""access log of personal-information reads

One row per read of personal information (detail pages, downloads, exports, searches, reveals);
indexed on the time (retention purge, date filters) and the actor.

Revision ID: a9c5988dd303
Revises: b7d41c2e9a05
Create Date: 2026-11-30 07:25:46.511611

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9c5988dd303'
down_revision = 'b7d41c2e9a05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=True),
    sa.Column('field_name', sa.String(length=50), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.CheckConstraint("action IN ('view', 'review', 'reveal', 'download', 'thumbnail', 'pdf', 'export', 'export_full', 'search')", name=op.f('ck_access_log_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['account.id'], name=op.f('fk_access_log_actor_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_access_log_record_type_record_id', ['record_type', 'record_id'], unique=False)



def downgrade():
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_record_type_record_id')
        batch_op.drop_index(batch_op.f('ix_access_log_at'))
        batch_op.drop_index(batch_op.f('ix_access_log_actor_id'))

    op.drop_table('access_log')

"""Withdrawals (退培) and the bar list (黑名单); notices (通知公告) with their read receipts and attachments

Revision ID: 70978bb7f1b2
Revises: e5a2c9d4b180
Create Date: 2026-11-30 10:34:05.766278

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '70978bb7f1b2'
down_revision = 'e5a2c9d4b180'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bar_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_bar_entry_period_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_bar_entry_created_by_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bar_entry'))
    )
    with op.batch_alter_table('bar_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bar_entry_id_number'), ['id_number'], unique=False)

    op.create_table('withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('trainee_id', sa.Integer(), nullable=True),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number', sa.String(length=30), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('reason_other', sa.String(length=200), nullable=True),
    sa.Column('refund_required', sa.Boolean(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('return_reason', sa.String(length=500), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("reason IN ('personal', 'health', 'study', 'employment', 'discipline', 'not_graduated', 'other')", name=op.f('ck_withdrawal_reason')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'returned')", name=op.f('ck_withdrawal_status')),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_withdrawal_application_id_application'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['base_id'], ['training_base.id'], name=op.f('fk_withdrawal_base_id_training_base'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['account.id'], name=op.f('fk_withdrawal_decided_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_id'], ['attachment.id'], name=op.f('fk_withdrawal_document_id_attachment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['account.id'], name=op.f('fk_withdrawal_recorded_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trainee_id'], ['trainee.id'], name=op.f('fk_withdrawal_trainee_id_trainee'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withdrawal'))
    )
    with op.batch_alter_table('withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withdrawal_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawal_base_id'), ['base_id'], unique=False)
        batch_op.create_index('ix_withdrawal_id_number_status', ['id_number', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_withdrawal_trainee_id'), ['trainee_id'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('base_id', sa.Integer(), nullable=True),
    sa.Column('program', sa.String(length=30), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('publish_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('must_read', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("level IN ('province', 'city', 'county', 'base')", name=op.f('ck_notice_level')),
    sa.ForeignKeyConstraint(['author_id'], ['account.id'], name=op.f('fk_notice_author_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['base_id'], ['training_base.id'], name=op.f('fk_notice_base_id_training_base'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_notice_batch_id_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], name=op.f('fk_notice_region_id_region'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_base_id'), ['base_id'], unique=False)
        batch_op.create_index('ix_notice_level_publish_at', ['level', 'publish_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_region_id'), ['region_id'], unique=False)

    op.create_table('notice_read',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_notice_read_account_id_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_read_notice_id_notice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_read')),
    sa.UniqueConstraint('notice_id', 'account_id', name=op.f('uq_notice_read_notice_id_account_id'))
    )
    with op.batch_alter_table('notice_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_read_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_id', sa.Integer(), nullable=True))
        batch_op.alter_column('trainee_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_attachment_notice_id'), ['notice_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_notice_id_notice'), 'notice', ['notice_id'], ['id'], ondelete='CASCADE')


def downgrade():
    op.execute("DELETE FROM attachment WHERE trainee_id IS NULL")  # notices' files have no trainee
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachment_notice_id_notice'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_notice_id'))
        batch_op.alter_column('trainee_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('notice_id')

    with op.batch_alter_table('notice_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_read_account_id'))

    op.drop_table('notice_read')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_region_id'))
        batch_op.drop_index('ix_notice_level_publish_at')
        batch_op.drop_index(batch_op.f('ix_notice_base_id'))

    op.drop_table('notice')

    with op.batch_alter_table('withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_withdrawal_trainee_id'))
        batch_op.drop_index('ix_withdrawal_id_number_status')
        batch_op.drop_index(batch_op.f('ix_withdrawal_base_id'))
        batch_op.drop_index(batch_op.f('ix_withdrawal_application_id'))

    op.drop_table('withdrawal')
    with op.batch_alter_table('bar_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bar_entry_id_number'))

    op.drop_table('bar_entry')

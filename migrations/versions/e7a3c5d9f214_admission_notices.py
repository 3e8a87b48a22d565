"""Admission notices (录取通知) with the trainee's answer, the bases' 报到 arrangements and the
batch's acceptance window; training records after admission (length, dates, agreement, diploma
deadline, withdrawal for not graduating) and the attachment kind of a signed agreement

Revision ID: e7a3c5d9f214
Revises: 70978bb7f1b2
Create Date: 2026-11-30 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a3c5d9f214'
down_revision = '70978bb7f1b2'
branch_labels = None
depends_on = None

OLD_KINDS = ("kind IN ('photo', 'id_card', 'diploma', 'degree_cert', 'title_cert', 'licence_page', "
             "'qualification_cert', 'outing_proof', 'gp_work_proof', 'teacher_cert', 'residency_cert', "
             "'backbone_cert', 'other')")
NEW_KINDS = OLD_KINDS.replace("'other')", "'agreement', 'other')")


def _kinds(check: str) -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachment_kind'), check)


def _training_record() -> None:
    op.create_table(
        'training_record',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('training_years', sa.Integer(), nullable=True),
        sa.Column('planned_start', sa.Date(), nullable=True),
        sa.Column('planned_completion', sa.Date(), nullable=True),
        sa.Column('agreement_kind', sa.String(length=30), nullable=True),
        sa.Column('agreement_party', sa.String(length=100), nullable=True),
        sa.Column('agreement_file_id', sa.Integer(), nullable=True),
        sa.Column('diploma_due', sa.Date(), nullable=True),
        sa.Column('diploma_file_id', sa.Integer(), nullable=True),
        sa.Column('degree_file_id', sa.Integer(), nullable=True),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.Column('withdrawal_reason', sa.String(length=30), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("agreement_kind IS NULL OR agreement_kind IN ('training_agreement', 'labour_contract')",
                           name=op.f('ck_training_record_agreement_kind')),
        sa.CheckConstraint("withdrawal_reason IS NULL OR withdrawal_reason IN ('personal', 'health', 'study', 'employment', 'discipline', 'not_graduated', 'other')",
                           name=op.f('ck_training_record_withdrawal_reason')),
        sa.ForeignKeyConstraint(['agreement_file_id'], ['attachment.id'],
                                name=op.f('fk_training_record_agreement_file_id_attachment'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_training_record_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['base_id'], ['training_base.id'],
                                name=op.f('fk_training_record_base_id_training_base'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['degree_file_id'], ['attachment.id'],
                                name=op.f('fk_training_record_degree_file_id_attachment'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['diploma_file_id'], ['attachment.id'],
                                name=op.f('fk_training_record_diploma_file_id_attachment'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['account.id'],
                                name=op.f('fk_training_record_withdrawn_by_id_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_training_record')),
        sa.UniqueConstraint('application_id', name=op.f('uq_training_record_application_id')),
    )
    with op.batch_alter_table('training_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_record_base_id'), ['base_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_record_withdrawal_reason'), ['withdrawal_reason'],
                              unique=False)


def upgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acceptance_opens_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('acceptance_closes_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('diploma_deadline', sa.Date(), nullable=True))
    op.create_table(
        'report_arrangement',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('specialty_id', sa.Integer(), nullable=True),
        sa.Column('specialty_key', sa.Integer(), nullable=False),
        sa.Column('report_at', sa.DateTime(), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['base_id'], ['training_base.id'],
                                name=op.f('fk_report_arrangement_base_id_training_base'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id'],
                                name=op.f('fk_report_arrangement_batch_id_batch'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'],
                                name=op.f('fk_report_arrangement_specialty_id_specialty'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['account.id'],
                                name=op.f('fk_report_arrangement_updated_by_id_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_arrangement')),
        sa.UniqueConstraint('batch_id', 'base_id', 'specialty_key',
                            name=op.f('uq_report_arrangement_batch_id_base_id_specialty_key')),
    )
    with op.batch_alter_table('report_arrangement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_arrangement_base_id'), ['base_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_arrangement_batch_id'), ['batch_id'], unique=False)
    op.create_table(
        'admission_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('specialty_id', sa.Integer(), nullable=False),
        sa.Column('report_at', sa.DateTime(), nullable=False),
        sa.Column('report_place', sa.String(length=200), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('reply_by', sa.Date(), nullable=True),
        sa.Column('acceptance', sa.String(length=20), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('answered_by_id', sa.Integer(), nullable=True),
        sa.Column('answer_reason', sa.String(length=200), nullable=True),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.CheckConstraint("acceptance IN ('pending', 'accepted', 'declined', 'expired')",
                           name=op.f('ck_admission_notice_acceptance')),
        sa.CheckConstraint("acceptance = 'pending' OR answered_at IS NOT NULL",
                           name=op.f('ck_admission_notice_answer_has_time')),
        sa.ForeignKeyConstraint(['answered_by_id'], ['account.id'],
                                name=op.f('fk_admission_notice_answered_by_id_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_admission_notice_application_id_application'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['base_id'], ['training_base.id'],
                                name=op.f('fk_admission_notice_base_id_training_base'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['issued_by_id'], ['account.id'],
                                name=op.f('fk_admission_notice_issued_by_id_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'],
                                name=op.f('fk_admission_notice_specialty_id_specialty'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_notice')),
    )
    with op.batch_alter_table('admission_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_notice_acceptance'), ['acceptance'], unique=False)
        batch_op.create_index(batch_op.f('ix_admission_notice_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admission_notice_base_id'), ['base_id'], unique=False)
    _kinds(NEW_KINDS)
    _training_record()


def downgrade():
    op.drop_table('training_record')
    op.execute("DELETE FROM attachment WHERE kind = 'agreement'")
    _kinds(OLD_KINDS)
    op.drop_table('admission_notice')
    op.drop_table('report_arrangement')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_column('diploma_deadline')
        batch_op.drop_column('acceptance_closes_on')
        batch_op.drop_column('acceptance_opens_on')

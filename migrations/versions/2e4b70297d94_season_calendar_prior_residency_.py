"""season calendar, prior residency training, typed unit kind, support contacts

The single date of a failed completion exam (completion_exam_failed_on) becomes an earlier training
that was not passed (prior_residency_passed = false); its end date is not known and is left for the
trainee or support to fill in.

Revision ID: 2e4b70297d94
Revises: 7e123f86dc44
Create Date: 2026-11-30 04:42:37.819323

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2e4b70297d94'
down_revision = '7e123f86dc44'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('support_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_contact'))
    )
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expected_base_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resubmission_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('phase_one_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('phase_two_deadline', sa.Date(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_batch_expected_bases_not_negative'),
                                         'expected_base_count IS NULL OR expected_base_count >= 0')

    with op.batch_alter_table('employment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_kind', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_employment_unit_kind'),
            "unit_kind IS NULL OR unit_kind IN ('township', 'community', 'village', 'hospital', 'maternal', 'cdc', "
            "'other')")

    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prior_residency_base', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('prior_residency_ended_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('prior_residency_passed', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('prior_residency_passed_on', sa.Date(), nullable=True))
    op.execute("UPDATE trainee SET prior_residency_passed = false WHERE completion_exam_failed_on IS NOT NULL")
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.drop_column('completion_exam_failed_on')



def downgrade():
    with op.batch_alter_table('trainee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completion_exam_failed_on', sa.DATE(), nullable=True))
        batch_op.drop_column('prior_residency_passed_on')
        batch_op.drop_column('prior_residency_passed')
        batch_op.drop_column('prior_residency_ended_on')
        batch_op.drop_column('prior_residency_base')

    with op.batch_alter_table('employment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_employment_unit_kind'), type_='check')
        batch_op.drop_column('unit_kind')

    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_batch_expected_bases_not_negative'), type_='check')
        batch_op.drop_column('phase_two_deadline')
        batch_op.drop_column('phase_one_deadline')
        batch_op.drop_column('resubmission_deadline')
        batch_op.drop_column('expected_base_count')

    op.drop_table('support_contact')

"""The professional master's filing (专硕备案): universities, university administrators, the filed
students, the yearly deadline, reopenings and cross-city approvals

Revision ID: e5a2c9d4b180
Revises: 5e7a9c1b3d20
Create Date: 2026-11-30 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5a2c9d4b180'
down_revision = '5e7a9c1b3d20'
branch_labels = None
depends_on = None

OLD_ROLES = "'trainee', 'county_reviewer', 'city_reviewer', 'base_staff', 'province_admin', 'support', 'superuser'"
NEW_ROLES = OLD_ROLES + ", 'university_admin'"


def upgrade():
    op.create_table('university',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('province', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=30), nullable=False),
    sa.Column('in_henan', sa.Boolean(), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('in_henan = (city_id IS NOT NULL)', name=op.f('ck_university_henan_city_matches')),
    sa.ForeignKeyConstraint(['city_id'], ['region.id'], name=op.f('fk_university_city_id_region'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_university')),
    sa.UniqueConstraint('name', name=op.f('uq_university_name'))
    )
    op.create_index(op.f('ix_university_city_id'), 'university', ['city_id'], unique=False)
    op.create_table('filing_deadline',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_filing_deadline'))
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('university_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_account_university_id'), ['university_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_account_university_id_university'), 'university',
                                    ['university_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_constraint(op.f('ck_account_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_account_role'), sa.text(f"role IN ({NEW_ROLES})"))
        batch_op.create_check_constraint(op.f('ck_account_university_scope_matches_role'),
                                         sa.text("(role = 'university_admin') = (university_id IS NOT NULL)"))
    op.create_table('master_filing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('major', sa.String(length=20), nullable=False),
    sa.Column('enrolment_year', sa.Integer(), nullable=False),
    sa.Column('base_id', sa.Integer(), nullable=False),
    sa.Column('specialty_id', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.Column('flagged_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("major IN ('clinical', 'dental')", name=op.f('ck_master_filing_major')),
    sa.ForeignKeyConstraint(['base_id'], ['training_base.id'], name=op.f('fk_master_filing_base_id_training_base'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['filed_by_id'], ['account.id'], name=op.f('fk_master_filing_filed_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['specialty_id'], ['specialty.id'], name=op.f('fk_master_filing_specialty_id_specialty'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_master_filing_university_id_university'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_filing')),
    sa.UniqueConstraint('year', 'id_number', name=op.f('uq_master_filing_year_id_number'))
    )
    op.create_index('ix_master_filing_base_id_year_specialty_id', 'master_filing', ['base_id', 'year', 'specialty_id'], unique=False)
    op.create_index('ix_master_filing_university_id_year', 'master_filing', ['university_id', 'year'], unique=False)
    op.create_index(op.f('ix_master_filing_id_number'), 'master_filing', ['id_number'], unique=False)
    op.create_table('filing_reopening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'], name=op.f('fk_filing_reopening_created_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_filing_reopening_university_id_university'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filing_reopening'))
    )
    op.create_index(op.f('ix_filing_reopening_university_id'), 'filing_reopening', ['university_id'], unique=False)
    op.create_table('cross_city_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('university_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('request_reason', sa.String(length=200), nullable=False),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'approved', 'refused')", name=op.f('ck_cross_city_approval_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['account.id'], name=op.f('fk_cross_city_approval_decided_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['account.id'], name=op.f('fk_cross_city_approval_requested_by_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['university_id'], ['university.id'], name=op.f('fk_cross_city_approval_university_id_university'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cross_city_approval')),
    sa.UniqueConstraint('university_id', 'year', name=op.f('uq_cross_city_approval_university_id_year'))
    )


def downgrade():
    op.drop_table('cross_city_approval')
    op.drop_index(op.f('ix_filing_reopening_university_id'), table_name='filing_reopening')
    op.drop_table('filing_reopening')
    op.drop_index(op.f('ix_master_filing_id_number'), table_name='master_filing')
    op.drop_index('ix_master_filing_university_id_year', table_name='master_filing')
    op.drop_index('ix_master_filing_base_id_year_specialty_id', table_name='master_filing')
    op.drop_table('master_filing')
    op.execute("DELETE FROM account WHERE role = 'university_admin'")
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_account_university_scope_matches_role'), type_='check')
        batch_op.drop_constraint(op.f('ck_account_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_account_role'), sa.text(f"role IN ({OLD_ROLES})"))
        batch_op.drop_constraint(batch_op.f('fk_account_university_id_university'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_account_university_id'))
        batch_op.drop_column('university_id')
    op.drop_table('filing_deadline')
    op.drop_index(op.f('ix_university_city_id'), table_name='university')
    op.drop_table('university')

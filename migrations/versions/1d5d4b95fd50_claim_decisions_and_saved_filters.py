"""Decisions on exemption claims (county and city) and saved list filters (我的筛选)

Revision ID: 1d5d4b95fd50
Revises: d1f0a7c3b925
Create Date: 2026-11-30 10:35:18.457515

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1d5d4b95fd50'
down_revision = 'd1f0a7c3b925'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['account.id'], name=op.f('fk_saved_filter_owner_id_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filter')),
    sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_saved_filter_owner_id_name'))
    )
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_filter_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_filter_role'), ['role'], unique=False)

    op.create_table('claim_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exemption_request_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("agreed OR reason <> ''", name=op.f('ck_claim_decision_refusal_has_reason')),
    sa.CheckConstraint("level IN ('county', 'city')", name=op.f('ck_claim_decision_county_or_city')),
    sa.ForeignKeyConstraint(['actor_id'], ['account.id'], name=op.f('fk_claim_decision_actor_id_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_claim_decision_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['exemption_request_id'], ['exemption_request.id'], name=op.f('fk_claim_decision_exemption_request_id_exemption_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_decision')),
    sa.UniqueConstraint('exemption_request_id', 'level', name=op.f('uq_claim_decision_exemption_request_id_level'))
    )
    with op.batch_alter_table('claim_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_decision_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_decision_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_decision_exemption_request_id'), ['exemption_request_id'], unique=False)




def downgrade():

    with op.batch_alter_table('claim_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_decision_exemption_request_id'))
        batch_op.drop_index(batch_op.f('ix_claim_decision_application_id'))
        batch_op.drop_index(batch_op.f('ix_claim_decision_actor_id'))

    op.drop_table('claim_decision')
    with op.batch_alter_table('saved_filter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_filter_role'))
        batch_op.drop_index(batch_op.f('ix_saved_filter_owner_id'))

    op.drop_table('saved_filter')


"""Admission by the bases: the batch's switch and each base's dry run and publication

Revision ID: b4a5e1d2c3f6
Revises: c6d2e8f1a3b7
Create Date: 2026-11-30 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4a5e1d2c3f6'
down_revision = 'c6d2e8f1a3b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_admission_enabled', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        'base_admission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('dry_run_at', sa.DateTime(), nullable=True),
        sa.Column('dry_run_by_id', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.Column('published_by_id', sa.Integer(), nullable=True),
        sa.Column('admitted', sa.Integer(), nullable=True),
        sa.Column('candidates', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['base_id'], ['training_base.id'], name=op.f('fk_base_admission_base_id_training_base'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_base_admission_batch_id_batch'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['dry_run_by_id'], ['account.id'], name=op.f('fk_base_admission_dry_run_by_id_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['published_by_id'], ['account.id'],
                                name=op.f('fk_base_admission_published_by_id_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_base_admission')),
        sa.UniqueConstraint('batch_id', 'base_id', name=op.f('uq_base_admission_batch_id_base_id')),
    )
    with op.batch_alter_table('base_admission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_base_admission_base_id'), ['base_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_base_admission_batch_id'), ['batch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('base_admission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_base_admission_batch_id'))
        batch_op.drop_index(batch_op.f('ix_base_admission_base_id'))
    op.drop_table('base_admission')
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_column('base_admission_enabled')

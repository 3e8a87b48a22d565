"""The province's default 准考证 download window on the batch (a base may set its own)

Revision ID: b8d4e1f6a273
Revises: b4a5e1d2c3f6
Create Date: 2026-11-30 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e1f6a273'
down_revision = 'b4a5e1d2c3f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_opens_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('card_closes_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_batch_card_window_ordered'),
            'card_closes_on IS NULL OR card_opens_on IS NULL OR card_closes_on >= card_opens_on')


def downgrade():
    with op.batch_alter_table('batch', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_batch_card_window_ordered'), type_='check')
        batch_op.drop_column('card_closes_on')
        batch_op.drop_column('card_opens_on')

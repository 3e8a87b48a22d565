"""The SMS log becomes the notifications' outbox: a state, attempts, the next attempt, the provider's
answer and an idempotency key per message

Revision ID: c4e8a1f2d7b3
Revises: a9c5988dd303
Create Date: 2026-05-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a1f2d7b3'
down_revision = 'a9c5988dd303'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=10), server_default='sent', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('provider_answer', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=36), nullable=True))
    # the messages already logged were each sent (or refused) once, at once
    op.execute("UPDATE sms_log SET state = 'failed' WHERE succeeded = false")
    op.execute("UPDATE sms_log SET sent_at = created_at WHERE succeeded = true")
    with op.batch_alter_table('sms_log', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_sms_log_state'),
                                         sa.text("state IN ('pending', 'sending', 'sent', 'failed')"))
        batch_op.create_check_constraint(op.f('ck_sms_log_attempts_not_negative'), sa.text('attempts >= 0'))
        batch_op.create_unique_constraint(op.f('uq_sms_log_idempotency_key'), ['idempotency_key'])
        batch_op.create_index('ix_sms_log_state_next_attempt_at', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    # a notification still waiting in the outbox is dropped with its state: say it failed
    op.execute("UPDATE sms_log SET succeeded = false, error = 'not sent (outbox removed)' "
               "WHERE state IN ('pending', 'sending')")
    with op.batch_alter_table('sms_log', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_log_state_next_attempt_at')
        batch_op.drop_constraint(op.f('uq_sms_log_idempotency_key'), type_='unique')
        batch_op.drop_constraint(op.f('ck_sms_log_attempts_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_sms_log_state'), type_='check')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('provider_answer')
        batch_op.drop_column('sent_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('state')

"""Staff sign-in: accounts must change an administrator's password; SMS codes to unlock and to log in

Revision ID: b7d41c2e9a05
Revises: b7d3e1a4c9f2
Create Date: 2026-05-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a05'
down_revision = 'b7d3e1a4c9f2'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('register', 'reset_password', 'notify', 'password_sent', 'reset_link')"
NEW_PURPOSES = "purpose IN ('register', 'reset_password', 'notify', 'password_sent', 'reset_link', 'unlock', 'login')"


def _purposes(check: str) -> None:
    for table in ('sms_code', 'sms_log'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_purpose'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_purpose'), sa.text(check))


def upgrade():
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    _purposes(NEW_PURPOSES)


def downgrade():
    op.execute("DELETE FROM sms_code WHERE purpose IN ('unlock', 'login')")
    op.execute("DELETE FROM sms_log WHERE purpose IN ('unlock', 'login')")
    _purposes(OLD_PURPOSES)
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

"""password reset links; the SMS log keeps no code or password in clear

Support no longer texts a new password: it sends a one-time link (table password_reset, the token
stored as SHA-256), whose messages have the purpose 'reset_link'. The SMS log rows written before
are masked here: the verification codes of registration and password-reset messages, and the
whole text of every 'password_sent' message (it held a password in clear). Not reversible.

Revision ID: ac2054e089a6
Revises: 2e4b70297d94
Create Date: 2026-12-02 10:00:00.000000

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ac2054e089a6'
down_revision = '2e4b70297d94'
branch_labels = None
depends_on = None

OLD_PURPOSES = "purpose IN ('register', 'reset_password', 'notify', 'password_sent')"
NEW_PURPOSES = "purpose IN ('register', 'reset_password', 'notify', 'password_sent', 'reset_link')"
CODE = re.compile(r"\d{6}")
PASSWORD_SENT_TEXT = "【河南省卫生健康培训招收平台】（原短信含新密码，已隐去）"


def _purposes(table: str, check: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f'ck_{table}_purpose'), type_='check')
        batch_op.create_check_constraint(op.f(f'ck_{table}_purpose'), check)


def _mask_sms_log() -> None:
    connection = op.get_bind()
    sms_log = sa.table('sms_log', sa.column('id', sa.Integer), sa.column('purpose', sa.String),
                       sa.column('content', sa.Text))
    connection.execute(sms_log.update().where(sms_log.c.purpose == 'password_sent')
                       .values(content=PASSWORD_SENT_TEXT))
    rows = connection.execute(sa.select(sms_log.c.id, sms_log.c.content)
                              .where(sms_log.c.purpose.in_(('register', 'reset_password')))).all()
    changed = [{"row_id": row_id, "content": CODE.sub("****", content)}
               for row_id, content in rows if CODE.search(content or "")]
    if changed:
        connection.execute(sms_log.update().where(sms_log.c.id == sa.bindparam("row_id"))
                           .values(content=sa.bindparam("content")), changed)


def upgrade():
    op.create_table('password_reset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], name=op.f('fk_password_reset_account_id_account'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['account.id'],
                            name=op.f('fk_password_reset_created_by_id_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_hash'))
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_account_id'), ['account_id'], unique=False)

    _purposes('sms_log', NEW_PURPOSES)
    _purposes('sms_code', NEW_PURPOSES)
    _mask_sms_log()


def downgrade():
    op.execute("DELETE FROM sms_log WHERE purpose = 'reset_link'")
    op.execute("DELETE FROM sms_code WHERE purpose = 'reset_link'")
    _purposes('sms_code', OLD_PURPOSES)
    _purposes('sms_log', OLD_PURPOSES)
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_account_id'))

    op.drop_table('password_reset')

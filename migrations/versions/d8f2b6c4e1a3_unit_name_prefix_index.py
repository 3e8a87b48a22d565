"""A prefix b-tree of the unit name (``varchar_pattern_ops`` on PostgreSQL): the list's unit-name search
counts the units whose name starts with the term first, and stops at the cap when those alone pass it
(a big hospital typed from its start), instead of reading every unit name for the "contains" count.

Revision ID: d8f2b6c4e1a3
Revises: c4e8a2f6b1d9
Create Date: 2026-12-01 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd8f2b6c4e1a3'
down_revision = 'c4e8a2f6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_application_unit_name_prefix', 'application', ['unit_name'], unique=False,
                    postgresql_ops={'unit_name': 'varchar_pattern_ops'})


def downgrade():
    op.drop_index('ix_application_unit_name_prefix', table_name='application')

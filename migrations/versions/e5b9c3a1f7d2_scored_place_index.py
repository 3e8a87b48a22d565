"""The residency season's scored applicants per base and specialty from an index alone: a partial
index of the scored, present applicants by (batch, base, first-choice specialty, status), with the
columns of its condition included so that PostgreSQL answers the count without reading the rows

Revision ID: e5b9c3a1f7d2
Revises: d1e4a7b2c9f0
Create Date: 2026-11-30 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5b9c3a1f7d2'
down_revision = 'd1e4a7b2c9f0'
branch_labels = None
depends_on = None

SCORED = sa.text('combined_score IS NOT NULL AND exam_absent IS FALSE')


def upgrade():
    op.create_index('ix_application_scored_place', 'application',
                    ['batch_id', 'base_id', 'first_specialty_id', 'status'],
                    postgresql_include=['combined_score', 'exam_absent'],
                    postgresql_where=SCORED, sqlite_where=SCORED)


def downgrade():
    op.drop_index('ix_application_scored_place', table_name='application')

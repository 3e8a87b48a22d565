"""Indexes of the maintained counts by city, county and base (each with the batch): a reviewer's counts
(the list's and the menu's, on every back-office page) and the bases the application list offers read
the scope's own ledger rows instead of scanning the whole ledger (2,847 rows at 200,000 applications).
At 200,000 applications, a base's counts 0.50 -> 0.26 ms and a city's list choices 0.97 -> 0.25 ms.

Revision ID: c7e3a9d1f5b2
Revises: b5d1e7a3c9f2
Create Date: 2026-12-02 02:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c7e3a9d1f5b2'
down_revision = 'b5d1e7a3c9f2'
branch_labels = None
depends_on = None

COLUMNS = ("city_id", "county_id", "base_id")


def upgrade():
    for column in COLUMNS:
        op.create_index(f"ix_application_count_{column}_batch_id", "application_count", [column, "batch_id"],
                        unique=False)


def downgrade():
    for column in COLUMNS:
        op.drop_index(f"ix_application_count_{column}_batch_id", table_name="application_count")

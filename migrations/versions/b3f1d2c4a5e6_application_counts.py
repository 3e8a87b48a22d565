"""Maintained application counts: ledger tables written by triggers, and the first-choice specialty

Revision ID: b3f1d2c4a5e6
Revises: e7a2c4b9d310
Create Date: 2026-11-30 14:00:00

The triggers are the only writers of the ledgers besides compaction and recount
(app/domain/reporting/counts.py). On PostgreSQL they are statement-level with transition tables, so a
bulk UPDATE of 5,000 applications writes one grouped row per key, not 10,000 rows; SQLite has only
row-level triggers. The SQL is written out here, not imported, so that this migration stays as it was.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1d2c4a5e6'
down_revision = 'e7a2c4b9d310'
branch_labels = None
depends_on = None

# (ledger table, its key columns)
LEDGERS = (
    ("application_count", ("batch_id", "status", "city_id", "county_id", "base_id")),
    ("application_place_count", ("batch_id", "status", "base_id", "first_specialty_id", "admitted_specialty_id")),
)
FIRST_CHOICE = ("(SELECT c.specialty_id FROM application_choice c "
                "WHERE c.application_id = {app} AND c.rank = 1)")


def _ledger_columns(table, keys):
    # the place ledger calls the first-choice column specialty_id
    return ", ".join("specialty_id" if k == "first_specialty_id" else k for k in keys)


def _recount_sql(table, keys):
    return (f"INSERT INTO {table} ({_ledger_columns(table, keys)}, n) "
            f"SELECT {', '.join(keys)}, count(*) FROM application GROUP BY {', '.join(keys)}")


# --- SQLite: row-level triggers ---------------------------------------------------------------------

def _sqlite_triggers():
    statements = []
    for table, keys in LEDGERS:
        columns = _ledger_columns(table, keys)
        new = ", ".join(f"NEW.{k}" for k in keys)
        old = ", ".join(f"OLD.{k}" for k in keys)
        changed = " OR ".join(f"OLD.{k} IS NOT NEW.{k}" for k in keys)
        statements += [
            f"CREATE TRIGGER {table}_insert AFTER INSERT ON application BEGIN "
            f"INSERT INTO {table} ({columns}, n) VALUES ({new}, 1); END",
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON application BEGIN "
            f"INSERT INTO {table} ({columns}, n) VALUES ({old}, -1); END",
            f"CREATE TRIGGER {table}_update AFTER UPDATE OF {', '.join(keys)} ON application WHEN {changed} BEGIN "
            f"INSERT INTO {table} ({columns}, n) VALUES ({old}, -1), ({new}, 1); END",
        ]
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        first = FIRST_CHOICE.format(app=f"{row}.application_id")
        statements.append(
            f"CREATE TRIGGER application_first_choice_{event.lower()} AFTER {event} ON application_choice "
            f"WHEN {row}.rank = 1 BEGIN UPDATE application SET first_specialty_id = {first} "
            f"WHERE id = {row}.application_id AND first_specialty_id IS NOT {first}; END")
    statements.append(
        "CREATE TRIGGER application_first_choice_update AFTER UPDATE OF rank, specialty_id, application_id "
        "ON application_choice BEGIN "
        f"UPDATE application SET first_specialty_id = {FIRST_CHOICE.format(app='application.id')} "
        "WHERE id IN (OLD.application_id, NEW.application_id) "
        f"AND first_specialty_id IS NOT {FIRST_CHOICE.format(app='application.id')}; END")
    return statements


SQLITE_TRIGGER_NAMES = [f"{table}_{event}" for table, _keys in LEDGERS for event in ("insert", "delete", "update")] + [
    f"application_first_choice_{event}" for event in ("insert", "delete", "update")]


# --- PostgreSQL: statement-level triggers with transition tables ------------------------------------

def _pg_ledger_function(table, keys):
    columns = _ledger_columns(table, keys)
    plain = ", ".join(keys)
    o = ", ".join(f"o.{k}" for k in keys)
    w = ", ".join(f"w.{k}" for k in keys)
    return f"""
CREATE FUNCTION {table}_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO {table} ({columns}, n) SELECT {plain}, count(*) FROM new_rows GROUP BY {plain};
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO {table} ({columns}, n) SELECT {plain}, -count(*) FROM old_rows GROUP BY {plain};
  ELSE
    INSERT INTO {table} ({columns}, n)
    SELECT {plain}, sum(n) FROM (
        SELECT {o}, -1 AS n FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE ({o}) IS DISTINCT FROM ({w})
        UNION ALL
        SELECT {w}, 1 AS n FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE ({o}) IS DISTINCT FROM ({w})
    ) AS moved({plain}, n)
    GROUP BY {plain} HAVING sum(n) <> 0;
  END IF;
  RETURN NULL;
END $$"""


PG_FIRST_CHOICE_FUNCTION = f"""
CREATE FUNCTION application_first_choice_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE application a SET first_specialty_id = {FIRST_CHOICE.format(app='a.id')}
     WHERE a.id IN (SELECT application_id FROM new_rows)
       AND a.first_specialty_id IS DISTINCT FROM {FIRST_CHOICE.format(app='a.id')};
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE application a SET first_specialty_id = {FIRST_CHOICE.format(app='a.id')}
     WHERE a.id IN (SELECT application_id FROM old_rows)
       AND a.first_specialty_id IS DISTINCT FROM {FIRST_CHOICE.format(app='a.id')};
  ELSE
    UPDATE application a SET first_specialty_id = {FIRST_CHOICE.format(app='a.id')}
     WHERE a.id IN (SELECT application_id FROM new_rows UNION SELECT application_id FROM old_rows)
       AND a.first_specialty_id IS DISTINCT FROM {FIRST_CHOICE.format(app='a.id')};
  END IF;
  RETURN NULL;
END $$"""


def _pg_triggers():
    statements = []
    for table, keys in LEDGERS:
        statements.append(_pg_ledger_function(table, keys))
        statements += [
            f"CREATE TRIGGER {table}_insert AFTER INSERT ON application REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_track()",
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON application REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_track()",
            f"CREATE TRIGGER {table}_update AFTER UPDATE ON application "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_track()",
        ]
    statements.append(PG_FIRST_CHOICE_FUNCTION)
    statements += [
        "CREATE TRIGGER application_first_choice_insert AFTER INSERT ON application_choice "
        "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION application_first_choice_track()",
        "CREATE TRIGGER application_first_choice_delete AFTER DELETE ON application_choice "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION application_first_choice_track()",
        "CREATE TRIGGER application_first_choice_update AFTER UPDATE ON application_choice "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION application_first_choice_track()",
    ]
    return statements


def upgrade():
    # a plain column (no foreign key), so SQLite adds it without rebuilding the table
    op.add_column('application', sa.Column('first_specialty_id', sa.Integer(), nullable=True))
    op.execute(f"UPDATE application SET first_specialty_id = {FIRST_CHOICE.format(app='application.id')}")
    ledger_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    for table, keys in LEDGERS:
        op.create_table(
            table,
            sa.Column('id', ledger_id, primary_key=True, autoincrement=True),
            sa.Column('batch_id', sa.Integer(), nullable=False),
            sa.Column('status', sa.String(length=20), nullable=False),
            *[sa.Column("specialty_id" if k == "first_specialty_id" else k, sa.Integer(), nullable=True)
              for k in keys[2:]],
            sa.Column('n', sa.Integer(), nullable=False),
        )
        op.create_index(f'ix_{table}_batch_id_status', table, ['batch_id', 'status'])
        op.execute(_recount_sql(table, keys))
    statements = _pg_triggers() if op.get_bind().dialect.name == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in SQLITE_TRIGGER_NAMES:
        table = "application_choice" if name.startswith("application_first_choice") else "application"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        for function in ("application_count_track", "application_place_count_track",
                         "application_first_choice_track"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    for table, _keys in LEDGERS:
        op.drop_index(f'ix_{table}_batch_id_status', table_name=table)
        op.drop_table(table)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('first_specialty_id')

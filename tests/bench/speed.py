"""Speed at province scale (issue 13): the app against the raw SQL of the same rows and against a
naive Flask-Admin ``ModelView`` over the same models, on PostgreSQL, interleaved in one run.

    make bench                              # 200k and 20k databases, built when missing
    python -m tests.bench --large 1000000   # the 1,000,000-row option
    python -m tests.bench --repeat 9 --server postgresql://postgres@127.0.0.1:5432 --prefix bench

Each database is ``<prefix>_<n>`` on ``--server``; a missing one is created, migrated, seeded and
filled with ``flask demo --trainees n`` (about 30 s per 20,000 on 2 cores); an existing one is only
migrated. Prints one table: page, the app's median ms, the raw SQL's, the naive view's, the ratios,
the statements each ran, and how the app's time grew from the small database to the large one.
Not a test: timings belong here, never in the suite.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla import filters as sqla_filters
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from app import create_app
from app.extensions import db
from app.seed.demo import DEMO_PASSWORD
from models import Application, Batch
from tests.isolated_client import IsolatedClient
from tests.queries import counting_statements

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST_COLUMNS = ("id", "trainee.name", "trainee.id_number", "batch", "identity", "status", "county", "city",
                "unit_name", "base", "submitted_at")
# the same 20 rows the list shows (its default order, longest waiting first), with their count, in hand-written SQL
RAW_PAGE = """
SELECT a.id, t.name, t.id_number, b.name, a.identity, a.status, co.name, ci.name, a.unit_name, tb.name,
       a.submitted_at
  FROM application a JOIN trainee t ON t.id = a.trainee_id JOIN batch b ON b.id = a.batch_id
  LEFT JOIN region co ON co.id = a.county_id LEFT JOIN region ci ON ci.id = a.city_id
  LEFT JOIN training_base tb ON tb.id = a.base_id
 WHERE {where} ORDER BY a.status_changed_at, a.id LIMIT 20 OFFSET {offset}"""
RAW_COUNT = "SELECT count(*) FROM application a WHERE {where}"
RAW_COUNT_SEARCH = "SELECT count(*) FROM application a JOIN trainee t ON t.id = a.trainee_id WHERE {where}"
GP = "a.batch_id IN (SELECT id FROM batch WHERE program = 'gp_transfer')"


class NaiveApplicationView(ModelView):
    """What a first Flask-Admin version looks like: a plain ModelView with the same columns, a
    "contains" search over the joined trainee, and the reviewer's scope as one WHERE clause."""

    bench_scope = None  # set by the bench before each request
    column_list = LIST_COLUMNS
    column_default_sort = ("status_changed_at", False)  # the app's order: longest waiting first
    column_searchable_list = ("trainee.name", "trainee.id_number", "trainee.mobile", "unit_name")
    named_filter_urls = True
    column_filters = (sqla_filters.FilterEqual(Application.status, "Status"),)
    can_create = can_edit = can_delete = False

    def get_query(self):
        return super().get_query().filter(type(self).bench_scope)

    def get_count_query(self):
        return super().get_count_query().filter(type(self).bench_scope)


@dataclass
class Page:
    name: str
    user: str
    url: str  # query string of /admin/application/ (or a full path)
    raw_where: str | None = None
    raw_offset: int = 0
    naive: bool = True
    key: str = ""  # the same page in the small and the large database (for the growth column)
    times: dict = field(default_factory=lambda: {"app": [], "raw": [], "naive": []})
    statements: dict = field(default_factory=dict)


def ensure_database(server: str, name: str, trainees: int) -> str:
    """The database's URL; created, migrated, seeded and filled when it does not exist yet."""
    url = f"{server}/{name}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": url}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=PROJECT, env=env, check=True, capture_output=True)
    if not exists:
        print(f"building {name}: flask demo --trainees {trainees} …", flush=True)
        subprocess.run([*flask, "seed"], cwd=PROJECT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "demo", "--trainees", str(trainees)], cwd=PROJECT, env=env, check=True,
                       capture_output=True)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def build_app(url: str, **settings):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "STAFF_TWO_FACTOR": False,
                      **settings})
    # each request in an app context of its own, as under gunicorn: the bench holds one open around its
    # requests, and Flask would otherwise share its ``g`` between them (what one request keeps for
    # itself leaking into the next)
    app.test_client_class = IsolatedClient
    naive = Admin(app, name="naive", url="/naive", endpoint="naive_admin")
    with app.app_context():
        naive.add_view(NaiveApplicationView(Application, db.session, endpoint="naive_application",
                                            url="/naive/application"))
    return app


def scopes(connection) -> dict:
    """Each demo reviewer's scope as raw SQL and as a condition for the naive view."""
    rows = {u: (r, b) for u, r, b in connection.execute(text(
        "SELECT username, region_id, base_id FROM account WHERE username IN "
        "('county_zy', 'city_zz', 'base_one', 'province')"))}
    county, city, base = rows["county_zy"][0], rows["city_zz"][0], rows["base_one"][1]
    gp = Application.batch_id.in_(db.select(Batch.id).where(Batch.program == "gp_transfer"))
    return {
        "county_zy": (f"a.county_id = {county} AND {GP}", (Application.county_id == county) & gp),
        "city_zz": (f"a.city_id = {city} AND {GP}", (Application.city_id == city) & gp),
        "base_one": (f"a.base_id = {base} AND a.status <> 'draft'",
                     (Application.base_id == base) & (Application.status != "draft")),
        "province": ("true", db.true()),
    }


def pages(connection, scope: dict) -> list[Page]:
    """The measured pages; deep pages sit at 90 % of each list (page 5000 of the province at 200k)."""
    def count(where):
        return connection.execute(text(RAW_COUNT.format(where=where))).scalar()

    sample = connection.execute(text("SELECT id_number, mobile, name FROM trainee ORDER BY id LIMIT 1")).one()
    unit = connection.execute(text("SELECT unit_name FROM application ORDER BY id LIMIT 1")).scalar()
    id_prefix, phone_prefix, name_prefix = sample.id_number[:10], sample.mobile[:7], sample.name[:1]
    result = []
    for user, queue in (("county_zy", "submitted"), ("city_zz", "county_approved"), ("base_one", "submitted"),
                        ("province", "city_approved")):
        where = scope[user][0]
        deep = max(0, count(where) // 20 * 9 // 10)
        label = user.split("_")[0]
        result += [
            Page(f"{label} list p1", user, "", where, key=f"{label} list"),
            Page(f"{label} list p{deep + 1}", user, f"page={deep}", where, deep * 20, key=f"{label} deep"),
            Page(f"{label} queue {queue} p1", user, f"flt0_status_equals={queue}",
                 f"{where} AND a.status = '{queue}'", key=f"{label} queue"),
        ]
    where = scope["province"][0]
    result += [
        Page(f"search ID prefix {id_prefix}", "province", f"search={id_prefix}",
             f"{where} AND t.id_number LIKE '{id_prefix}%'"),
        Page(f"search phone prefix {phone_prefix}", "province", f"search={phone_prefix}",
             f"{where} AND (t.id_number LIKE '{phone_prefix}%' OR t.mobile LIKE '{phone_prefix}%')"),
        # an ID number's first 6 digits (the county of birth): shared by a tenth of the trainees
        Page(f"search ID prefix {sample.id_number[:6]}", "province", f"search={sample.id_number[:6]}",
             f"{where} AND (t.id_number LIKE '{sample.id_number[:6]}%' OR t.mobile LIKE '{sample.id_number[:6]}%')",
             key="search ID prefix 6"),
        Page("search ID exact", "province", f"search={sample.id_number}",
             f"{where} AND t.id_number = '{sample.id_number}'"),
        Page(f"search name prefix {name_prefix}", "province", f"search={name_prefix}",
             f"{where} AND t.name LIKE '{name_prefix}%'"),
        # 3 characters or more that are not a number: also the units whose name contains them
        Page("search unit name 人民医院 (county)", "county_zy", "search=人民医院",
             f"{scope['county_zy'][0]} AND (a.unit_name LIKE '%人民医院%' OR t.name LIKE '人民医院%')"),
        Page(f"search unit name {unit}", "province", f"search={unit}",
             f"{where} AND (a.unit_name LIKE '%{unit}%' OR t.name LIKE '{unit}%')", key="search unit name"),
        Page("province dashboard", "province", "/admin/", naive=False),
        Page("county dashboard", "county_zy", "/admin/", naive=False),
    ]
    return result


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return (time.perf_counter() - start) * 1000


class Run:
    """The measured pages of one database: its app (signed in as each reviewer), the raw connection."""

    def __init__(self, url: str):
        self.app = build_app(url)
        self.engine = create_engine(url)
        self.raw = self.engine.connect()
        with self.app.app_context():
            self.scope = scopes(self.raw)
            self.todo = pages(self.raw, self.scope)
            self.clients = {}
            for user in {p.user for p in self.todo}:
                self.clients[user] = self.app.test_client()
                response = self.clients[user].post("/login", data={"username": user, "password": DEMO_PASSWORD})
                assert response.status_code == 302, f"cannot log in as {user}"

    def round(self, counted: bool) -> None:
        """Each page once: the app, the raw SQL, the naive view (timings kept when ``counted``)."""
        raw = self.raw
        with self.app.app_context():
            for page in self.todo:
                client = self.clients[page.user]
                path = page.url if page.url.startswith("/") else f"/admin/application/?{page.url}"
                with counting_statements() as counter:
                    elapsed = timed(lambda: _ok(client.get(path)))
                page.statements["app"] = counter.count
                if counted:
                    page.times["app"].append(elapsed)
                if page.raw_where is not None:
                    def raw_page():
                        raw.execute(text(RAW_PAGE.format(where=page.raw_where, offset=page.raw_offset))).all()
                        counting = RAW_COUNT_SEARCH if "t." in page.raw_where else RAW_COUNT
                        raw.execute(text(counting.format(where=page.raw_where))).scalar()
                    elapsed = timed(raw_page)
                    page.statements["raw"] = 2
                    if counted:
                        page.times["raw"].append(elapsed)
                if page.naive:
                    NaiveApplicationView.bench_scope = self.scope[page.user][1]
                    with counting_statements() as counter:
                        elapsed = timed(lambda: _ok(client.get(f"/naive/application/?{page.url}")))
                    page.statements["naive"] = counter.count
                    if counted:
                        page.times["naive"].append(elapsed)

    def close(self) -> None:
        self.raw.close()
        self.engine.dispose()

    def results(self) -> dict[str, Page]:
        return {page.key or page.name.rsplit(" ", 1)[0]: page for page in self.todo}


# rounds run before the counted ones: a server runs each statement thousands of times, and its first
# runs on a connection cost more than the rest. psycopg prepares a statement on its sixth run (its
# ``prepare_threshold``, 5), and PostgreSQL plans a prepared statement five more times before it may
# keep a generic plan; until then every run is planned again, which costs most for the statements with
# the most joins (the app's page rows: eleven tables). After one round, the app's first pages measured
# 14-17 ms; after twelve, 11-13 ms (the naive view's and the raw SQL's times move too, less).
WARM_ROUNDS = 12


def measure(urls: list[str], repeat: int, warm: int = WARM_ROUNDS) -> list[dict[str, Page]]:
    """Each database's pages, the databases' rounds alternating (the small one's, then the large one's,
    ``repeat`` times after ``warm`` rounds that are not counted): a machine whose speed drifts during
    the run moves both sides of the growth column alike."""
    runs = [Run(url) for url in urls]
    try:
        for round_ in range(warm + repeat):
            for run in runs:
                run.round(counted=round_ >= warm)
    finally:
        for run in runs:
            run.close()
    return [run.results() for run in runs]


def _ok(response):
    assert response.status_code == 200, response.status_code
    response.get_data()


def measure_export(url: str, repeat: int) -> tuple[int, float, float, float]:
    """The province's export of the GP-transfer applications: (rows, first byte ms, total ms, openpyxl ms).

    Streamed in the request (``EXPORT_JOB_ROWS`` raised for the benchmark): the job that the platform uses
    above 5,000 rows writes the same stream to its file, so this times both."""
    app = build_app(url, EXPORT_JOB_ROWS=10**9)
    engine = create_engine(url)
    where = GP
    sql = RAW_PAGE.replace(" LIMIT 20 OFFSET {offset}", "").format(where=where)
    first, total, dump = [], [], []
    with app.app_context(), engine.connect() as raw:
        rows = raw.execute(text(RAW_COUNT.format(where=where))).scalar()
        client = app.test_client()
        client.post("/login", data={"username": "province", "password": DEMO_PASSWORD})
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get("/admin/application/export/xlsx/?flt0_program_equals=gp_transfer",
                                  buffered=False)
            assert response.status_code == 200 and response.mimetype.endswith("sheet"), response.status
            chunks = iter(response.response)
            next(chunks)
            first.append((time.perf_counter() - start) * 1000)
            for _chunk in chunks:
                pass
            response.close()
            total.append((time.perf_counter() - start) * 1000)
            dump.append(timed(lambda: _openpyxl_dump(raw, sql)))
    engine.dispose()
    return rows, statistics.median(first), statistics.median(total), statistics.median(dump)


def _openpyxl_dump(raw, sql: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("raw")
    for row in raw.execution_options(yield_per=1000).execute(text(sql)):
        sheet.append([None if v is None else str(v) for v in row])
    workbook.save(io.BytesIO())


def report(large: dict[str, Page], small: dict[str, Page] | None, sizes: tuple[int, int | None]) -> None:
    head = (f"{'page':34} {'app ms':>8} {'raw ms':>8} {'naive ms':>9} {'app/raw':>8} {'naive/app':>9} "
            f"{'stmts app/naive':>16} {'growth':>7}")
    print(f"\n{sizes[0]:,} trainees" + (f" (growth from {sizes[1]:,})" if small else ""))
    print(head)
    print("-" * len(head))
    for key, page in large.items():
        app_ms = statistics.median(page.times["app"])
        raw_ms = statistics.median(page.times["raw"]) if page.times["raw"] else None
        naive_ms = statistics.median(page.times["naive"]) if page.times["naive"] else None
        growth = ""
        if small and key in small:
            growth = f"{app_ms / statistics.median(small[key].times['app']):.2f}×"
        print(f"{page.name[:34]:34} {app_ms:8.1f} {_ms(raw_ms):>8} {_ms(naive_ms):>9} "
              f"{_ratio(app_ms, raw_ms):>8} {_ratio(naive_ms, app_ms):>9} "
              f"{page.statements['app']:>7}/{page.statements.get('naive', '-'):<8} {growth:>7}")


def _ms(value):
    return "" if value is None else f"{value:.1f}"


def _ratio(a, b):
    return "" if a is None or b is None else f"{a / b:.2f}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--prefix", default=os.environ.get("BENCH_PREFIX", "bench"))
    parser.add_argument("--large", type=int, default=200_000, help="trainees in the large database (1000000: the option)")
    parser.add_argument("--small", type=int, default=20_000, help="trainees in the small one (0: no growth column)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warm", type=int, default=WARM_ROUNDS, help="rounds run before the counted ones")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args(argv)
    large_url = ensure_database(args.server, f"{args.prefix}_{_short(args.large)}", args.large)
    small_url = ensure_database(args.server, f"{args.prefix}_{_short(args.small)}", args.small) if args.small else None
    print(f"{os.cpu_count()} cores; median of {args.repeat} after {args.warm} rounds of warm-up, "
          f"app / raw SQL / naive ModelView interleaved, "
          f"the two databases' rounds alternating; {machine_speed()}")
    if small_url:
        small, large = measure([small_url, large_url], args.repeat, args.warm)
    else:
        small, (large,) = None, measure([large_url], args.repeat, args.warm)
    report(large, small, (args.large, args.small or None))
    print(f"\nafter the run: {machine_speed()}")
    if not args.no_export:
        rows, first, total, dump = measure_export(large_url, max(1, args.repeat // 2))
        print(f"\nexport of {rows:,} rows (province, 全科转岗): first byte {first:.0f} ms, total {total:.0f} ms; "
              f"openpyxl write-only dump of the same rows from raw SQL {dump:.0f} ms "
              f"(export/raw {total / dump:.2f})")


def machine_speed() -> str:
    """How fast the machine is just now: a shared virtual machine's speed changes within minutes (two to
    four times), so figures are comparable only within one run, and this tells which phase it was."""
    start = time.perf_counter()
    sum(range(10**7))
    return f"sum(range(10**7)) {(time.perf_counter() - start) * 1000:.0f} ms"


def _short(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k"

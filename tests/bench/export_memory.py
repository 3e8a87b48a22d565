"""Benchmark: the 报名汇总表 export streams, so memory does not grow with the number of rows.

    PYTHONPATH=. .venv/bin/python tests/bench/export_memory.py [--rows 10000 100000]

For each size it builds a fresh SQLite database (or uses DATABASE_URL's PostgreSQL server, in a
database of its own) with that many applications, exports the whole province-wide list as the
province administrator through the real view, and prints the peak of Python memory allocated
during the export (tracemalloc) with the number of data rows found in the file. The export reads
the list's ids, then its rows a chunk of ids at a time, into the streamed workbook
(``app.infra.xlsx_stream``), so the peak grows only by the list of ids from 10,000 to 100,000 rows. Not a test: run it by hand.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import insert, select

from app import create_app
from app.extensions import db
from app.seed.demo import DEMO_PASSWORD, ensure_fixtures
from models import Application, Batch, Region, Status, Trainee
from models.clock import now
from models.enums import Program, RegionLevel


def fill(rows: int) -> None:
    """``rows`` trainees, each with one submitted GP application in a random county."""
    batch = db.session.scalar(select(Batch).where(Batch.program == Program.GP_TRANSFER))
    counties = db.session.execute(select(Region.id, Region.parent_id).where(Region.level == RegionLevel.COUNTY)).all()
    rng = random.Random(7)
    moment = now()
    first = db.session.scalar(select(db.func.coalesce(db.func.max(Trainee.id), 0))) + 1
    for start in range(0, rows, 10_000):
        size = min(10_000, rows - start)
        ids = range(first + start, first + start + size)
        db.session.execute(insert(Trainee), [
            {"id": i, "name": f"导出测试{i}", "id_number": f"9{i:017d}", "mobile": f"139{i:08d}",
             "created_at": moment, "updated_at": moment} for i in ids])
        applications = []
        for i in ids:
            county, city = rng.choice(counties)
            applications.append({"trainee_id": i, "batch_id": batch.id, "status": Status.SUBMITTED,
                                 "county_id": county, "city_id": city, "unit_name": "示例卫生院",
                                 "submitted_at": moment - timedelta(minutes=i % 5000), "created_at": moment,
                                 "updated_at": moment, "version": 1})
        db.session.execute(insert(Application), applications)
        db.session.commit()


def measure(rows: int, url: str, trace: bool = True) -> None:
    from flask_migrate import upgrade

    from app.cli import seed_reference_data
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "STAFF_TWO_FACTOR": False})
    with app.app_context():
        upgrade()
        seed_reference_data()
        ensure_fixtures(lambda *_: None)
        fill(rows)
    client = app.test_client()
    assert client.post("/login", data={"username": "province", "password": DEMO_PASSWORD}).status_code == 302
    out = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    response = client.get("/admin/application/export/xlsx/", buffered=False)
    with open(out, "wb") as handle:
        for chunk in response.response:
            handle.write(chunk)
    response.close()
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
    tracemalloc.stop()
    sheet = load_workbook(out, read_only=True).active
    data_rows = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
    print(f"{rows:>8} applications: {data_rows:>8} rows exported in {seconds:6.1f} s, "
          f"file {out.stat().st_size / 1e6:5.1f} MB"
          + (f", peak Python memory during export {peak / 1e6:6.1f} MB" if trace else ""))
    out.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--time-only", action="store_true", help="no tracemalloc (it slows the export down)")
    args = parser.parse_args()
    for rows in args.rows:
        folder = tempfile.mkdtemp()
        measure(rows, os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/export.db",
                not args.time_only)


if __name__ == "__main__":
    main()

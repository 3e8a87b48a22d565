"""Benchmark: the residency admission dry run and publication on a province-sized batch.

    PYTHONPATH=. .venv/bin/python tests/bench/admission_publish.py [--applicants 20000]

Builds a fresh SQLite database (or BENCH_DATABASE_URL) with the demo fixtures and that many
confirmed applicants with scores in the demo's residency batch, then times ``admission.plan``
(the dry run the province administrator looks at) and ``admission.publish`` (one transaction:
statuses, results, review and audit rows, SMS queued), and prints the number of SQL statements
each ran. Not a test: run it by hand.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, insert, select

from app import create_app
from app.extensions import db
from app.seed.demo import ensure_fixtures
from models import Account, Application, ApplicationChoice, Batch, Quota, Role, Status, Trainee
from models.clock import now
from models.enums import Identity, Program


def fill(count: int) -> Batch:
    batch = db.session.scalar(select(Batch).where(Batch.program == Program.RESIDENCY, Batch.round == "first"))
    quotas = db.session.execute(select(Quota.base_id, Quota.specialty_id).where(Quota.batch_id == batch.id)).all()
    by_base: dict[int, list[int]] = {}
    for base_id, specialty_id in quotas:
        by_base.setdefault(base_id, []).append(specialty_id)
    rng = random.Random(3)
    moment = now()
    first = (db.session.scalar(select(db.func.max(Trainee.id))) or 0) + 1
    first_app = (db.session.scalar(select(db.func.max(Application.id))) or 0) + 1
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        ids = range(first + start, first + start + size)
        db.session.execute(insert(Trainee), [
            {"id": i, "name": f"录取测试{i}", "id_number": f"8{i:017d}", "mobile": f"137{i:08d}",
             "created_at": moment, "updated_at": moment} for i in ids])
        applications, choices = [], []
        for offset, trainee_id in enumerate(ids):
            application_id = first_app + start + offset
            base_id = rng.choice(list(by_base))
            theory, skills = Decimal(rng.randint(300, 1000)) / 10, Decimal(rng.randint(300, 1000)) / 10
            applications.append({
                "id": application_id, "trainee_id": trainee_id, "batch_id": batch.id, "base_id": base_id,
                "status": Status.CONFIRMED, "identity": Identity.OPEN_ENTRY,
                "submitted_at": moment - timedelta(minutes=offset), "created_at": moment, "updated_at": moment,
                "version": 1, "theory_score": theory, "skills_score": skills,
                "combined_score": ((theory + skills) / 2).quantize(Decimal("0.01"))})
            for rank, specialty_id in enumerate(rng.sample(by_base[base_id], 2), start=1):
                choices.append({"application_id": application_id, "rank": rank, "specialty_id": specialty_id})
        db.session.execute(insert(Application), applications)
        db.session.execute(insert(ApplicationChoice), choices)
        db.session.commit()
    return batch


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def timed(label: str, function):
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    started = time.perf_counter()
    try:
        result = function()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    print(f"{label:<10} {time.perf_counter() - started:7.1f} s  {counter.count:6d} SQL statements")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=20_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/admission.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SMS_BACKEND": "console"})
    with app.test_request_context():
        from flask_migrate import upgrade

        from app.cli import seed_reference_data
        from app.domain import admission
        upgrade()
        seed_reference_data()
        ensure_fixtures(lambda *_: None)
        batch = fill(args.applicants)
        province = db.session.scalar(select(Account).where(Account.role == Role.PROVINCE_ADMIN))
        plan = timed("dry run", lambda: admission.plan(batch))
        print(f"           {len(plan.order)} candidates")
        timed("publish", lambda: admission.publish(batch, province))
        admitted = db.session.scalar(select(db.func.count()).where(Application.batch_id == batch.id,
                                                                   Application.status == Status.ADMITTED))
        print(f"           {admitted} admitted")


if __name__ == "__main__":
    main()

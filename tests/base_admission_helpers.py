"""Shared by the tests of admission by the bases: opening a batch to the bases, running workers at once."""
from __future__ import annotations

import threading
from datetime import timedelta

from app.extensions import db
from models import Account, Batch
from models.clock import today

BASE_PAGE = "/admin/base-admission/"
BASE_DRY_RUN = "/admin/base-admission/dry-run/"
BASE_PUBLISH = "/admin/base-admission/publish/"
BASE_EXPORT = "/admin/base-admission/export/"
PROVINCE_BASES = "/admin/admission/bases/"
# the seed (2024 plan): 依据理论和技能综合成绩择优录取。5 月 31 日前完成第一阶段招收工作。
SEED_SENTENCE = "各住培基地…依据理论和技能综合成绩择优录取。5 月 31 日前完成第一阶段招收工作。"


def open_to_bases(batch: Batch, days_left: int = 3) -> Batch:
    """The province opens admission by the bases until today + ``days_left`` (the day included)."""
    batch.base_admission_enabled = True
    batch.phase_one_deadline = today() + timedelta(days=days_left)
    db.session.commit()
    return batch


def at_once(app, jobs: list) -> list[str]:
    """Run each ``(function, batch id, account id, *args)`` in its own thread and session, all released
    together; their outcomes ("done", "refused: …", "error: …")."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(function, batch_id, account_id, *args):
        with app.app_context():
            try:
                batch = db.session.get(Batch, batch_id)
                actor = db.session.get(Account, account_id)
                barrier.wait(timeout=10)
                function(batch, actor, *args)
                result = "done"
            except Exception as error:  # noqa: BLE001 - the caller looks at every outcome
                db.session.rollback()
                result = f"{'refused' if type(error).__name__ == 'AdmissionError' else 'error'}: {error}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=worker, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes

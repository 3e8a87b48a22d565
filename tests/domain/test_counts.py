"""The maintained application counts (issue 13: "Maintain counts by (batch, status, region, base) … The
numbers must equal a full recount, which a test checks"): after every kind of change — creation,
submission, a single transition, a bulk one, a rolled-back one, a first-choice change, an admission, a
deletion, compaction, concurrent writers — the ledgers agree with a recount of the applications."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime

from sqlalchemy import delete, func, insert, select, text, update

from app.domain.reporting.dashboard import dashboard_context
from app.domain.workflow import transition, transition_many
from app.extensions import db
from app.infra import counts
from app.infra.queue import DECLARED
from models import Account, Application, ApplicationChoice, ApplicationCount, ApplicationPlaceCount, Status
from models.enums import Program
from tests.factories import ApplicationFactory, BatchFactory, TraineeFactory, id_number, specialty


def agree() -> None:
    db.session.expire_all()
    assert counts.differences() == []


def counted(status: str, **key) -> int:
    """The ledger's count of applications in ``status`` (and the given key columns)."""
    condition = [ApplicationCount.status == status] + [getattr(ApplicationCount, k) == v for k, v in key.items()]
    return db.session.scalar(select(func.coalesce(func.sum(ApplicationCount.n), 0)).where(*condition))


def more_gp(world, n: int, status: str = Status.SUBMITTED) -> list[Application]:
    """``n`` more GP applications of 中原区 (郑州) in ``status``; committed."""
    made = []
    for i in range(n):
        trainee = TraineeFactory(name=f"计数{i}", id_number=id_number(birth=date(1980, 1, 1 + i)))
        made.append(ApplicationFactory(trainee=trainee, batch=world.applications["zy"].batch, status=status,
                                       county=world.regions["zy"], city=world.regions["zz"]))
    db.session.commit()
    return made


def residency_application(world, codes=("0100", "0200")) -> Application:
    batch = BatchFactory(name="计数住培批次", program=Program.RESIDENCY)
    application = ApplicationFactory(trainee=world.trainees["zy"], batch=batch, county=world.regions["zy"],
                                     city=world.regions["zz"], base=world.bases["zz"], status=Status.DRAFT)
    db.session.flush()
    for rank, code in enumerate(codes, start=1):
        db.session.add(ApplicationChoice(application_id=application.id, rank=rank, specialty_id=specialty(code).id))
    db.session.commit()
    return application


def submitted(world) -> Application:
    """中原区's GP application, put back to 待审核 (a plain UPDATE: the triggers count that too)."""
    application = world.applications["zy"]
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(status=Status.SUBMITTED, base_id=None).execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(application)
    return application


def test_creation_and_a_plain_update_are_counted(world):
    agree()
    zy = world.applications["zy"]
    assert counted(Status.ASSIGNED, county_id=world.regions["zy"].id, batch_id=zy.batch_id) == 1
    submitted(world)
    agree()
    assert counted(Status.SUBMITTED, county_id=world.regions["zy"].id, batch_id=zy.batch_id) == 1


def test_single_transitions_move_one_count(world):
    application = submitted(world)
    before = counted(Status.COUNTY_APPROVED)
    transition(application, "county_approve", world.accounts["county_zy"])
    db.session.commit()
    agree()
    assert counted(Status.COUNTY_APPROVED) == before + 1
    transition(application, "city_return", world.accounts["city_zz"], reason="材料不全")
    db.session.commit()
    agree()


def test_a_bulk_transition_moves_every_count(world):
    made = more_gp(world, 30)
    transition_many({"county_approve": made}, world.accounts["county_zy"])
    db.session.commit()
    agree()
    assert counted(Status.COUNTY_APPROVED, county_id=world.regions["zy"].id) == 30


def test_a_rolled_back_transition_leaves_the_counts(world):
    application = submitted(world)
    others = more_gp(world, 3)
    transition(application, "county_approve", world.accounts["county_zy"])
    transition_many({"county_approve": others}, world.accounts["county_zy"])
    db.session.rollback()
    agree()
    assert counted(Status.COUNTY_APPROVED) == 0


def test_a_rolled_back_savepoint_leaves_only_its_own_changes(world):
    made = more_gp(world, 2)
    with db.session.begin_nested() as savepoint:
        transition(made[0], "county_approve", world.accounts["county_zy"])
        savepoint.rollback()
    transition(made[1], "county_approve", world.accounts["county_zy"])
    db.session.commit()
    agree()
    assert counted(Status.COUNTY_APPROVED) == 1


def test_first_choice_changes_and_admission_follow_the_place_counts(world):
    application = residency_application(world)
    agree()
    # the choice step replaces the choices: a new first choice
    db.session.execute(delete(ApplicationChoice).where(ApplicationChoice.application_id == application.id))
    db.session.add(ApplicationChoice(application_id=application.id, rank=1, specialty_id=specialty("0200").id))
    db.session.commit()
    agree()
    assert db.session.get(Application, application.id).first_specialty_id == specialty("0200").id
    # an edited choice row
    db.session.execute(update(ApplicationChoice).where(ApplicationChoice.application_id == application.id)
                       .values(specialty_id=specialty("0100").id))
    db.session.commit()
    agree()
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(status=Status.ADMITTED, admitted_specialty_id=specialty("0100").id))
    db.session.commit()
    agree()
    place = db.session.scalar(select(func.sum(ApplicationPlaceCount.n)).where(
        ApplicationPlaceCount.status == Status.ADMITTED, ApplicationPlaceCount.admitted_specialty_id
        == specialty("0100").id))
    assert place == 1


def test_a_deleted_application_leaves_the_counts(world):
    application = residency_application(world)
    db.session.execute(delete(Application).where(Application.id == application.id))
    db.session.commit()
    agree()


def test_compaction_folds_the_ledger_and_keeps_every_count(world):
    made = more_gp(world, 12)
    for application in made[:6]:
        transition(application, "county_approve", world.accounts["county_zy"])
    db.session.commit()
    transition_many({"county_approve": made[6:]}, world.accounts["county_zy"])
    db.session.commit()
    before = {k: v for k, v in _sums().items() if v}
    assert counts.compact() > 0
    agree()
    assert _sums() == before
    rows = db.session.scalar(select(func.count()).select_from(ApplicationCount))
    assert rows == len(before)  # one row per key with a non-zero count
    assert counts.compact() == len(before) + db.session.scalar(
        select(func.count()).select_from(ApplicationPlaceCount))  # folding again changes nothing
    agree()


def _sums() -> dict:
    keys = (ApplicationCount.batch_id, ApplicationCount.status, ApplicationCount.city_id,
            ApplicationCount.county_id, ApplicationCount.base_id)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(*keys, func.sum(ApplicationCount.n)).group_by(*keys))}


def test_recount_repairs_a_ledger_and_the_check_command_says_so(world, app):
    zy = world.applications["zy"]
    db.session.execute(insert(ApplicationCount).values(batch_id=zy.batch_id, status=Status.ASSIGNED, n=5))
    db.session.commit()
    broken = app.test_cli_runner().invoke(args=["counts", "check"])
    assert broken.exit_code == 1 and "1 count(s) differ" in broken.output
    assert app.test_cli_runner().invoke(args=["counts", "recount"]).exit_code == 0
    fixed = app.test_cli_runner().invoke(args=["counts", "check"])
    assert fixed.exit_code == 0 and "agree" in fixed.output
    agree()


def test_the_dashboard_shows_the_counted_numbers(world):
    more_gp(world, 4)
    province = world.accounts["province"]
    context = dashboard_context(province)
    shown = {(b["id"], s["status"]): s["count"] for b in context["batches"] for s in b["statuses"]}
    actual = dict(((batch, status), n) for batch, status, n in db.session.execute(
        select(Application.batch_id, Application.status, func.count()).group_by(Application.batch_id,
                                                                                  Application.status)))
    assert {k: v for k, v in shown.items() if k in actual} == actual


def test_concurrent_reviewers_and_a_compaction_keep_the_counts(world, app):
    """Reviewers approving at once in separate sessions, while the worker folds the ledger: the ledger
    rows are only inserted, so nobody waits on anybody and nothing is lost. (On PostgreSQL a fold in two
    statements lost the rows committed between them; this caught it about one run in four.)"""
    made = more_gp(world, 24)
    reviewer_id = world.accounts["county_zy"].id
    groups = [[a.id for a in made[i::3]] for i in range(3)]
    barrier = threading.Barrier(4)
    errors: list[str] = []

    def review(ids):
        with app.app_context():
            try:
                actor = db.session.get(Account, reviewer_id)
                barrier.wait(timeout=10)
                for application_id in ids:
                    transition(db.session.get(Application, application_id), "county_approve", actor)
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    def fold():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                for _ in range(15):  # folds while the reviewers commit: a fold must not lose their rows
                    counts.compact()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=review, args=(ids,)) for ids in groups] + [threading.Thread(target=fold)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    agree()
    assert counted(Status.COUNTY_APPROVED) == 24


def test_metrics_show_the_ledger_rows_and_compaction_shrinks_them(world, client):
    transition_many({"county_approve": more_gp(world, 5)}, world.accounts["county_zy"])
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(ApplicationCount)) + db.session.scalar(
        select(func.count()).select_from(ApplicationPlaceCount))
    assert f"platform_count_ledger_rows {float(before)}" in client.get("/metrics").get_data(as_text=True)
    counts.compact()
    after = counts.ledger_rows()
    assert after < before
    assert f"platform_count_ledger_rows {float(after)}" in client.get("/metrics").get_data(as_text=True)


def test_the_worker_folds_the_ledger_every_five_minutes():
    declared = DECLARED[counts.COMPACT]
    assert declared.function is counts.compact_task
    runs = [minute for minute in range(60) if declared.validate(datetime(2026, 5, 1, 9, minute, 0), 5)]
    assert runs == list(range(0, 60, 5))


def _pages(table: str) -> int:
    return db.session.scalar(text(f"SELECT pg_relation_size('{table}') / current_setting('block_size')::int"))


def _rounds_until_small(round_) -> None:
    """Run ``round_`` again (at most 10 s) until the ledger is small: a transaction running anywhere on the
    server (the suite's other workers) can keep the folded rows visible for a moment, and a rewrite then
    copies them; a later round gives them back."""
    for _ in range(40):
        db.session.close()  # this test's reads hold a lock on the ledger until their transaction ends
        if _pages("application_count") < counts.SHRINK_MIN_PAGES:
            return
        db.session.close()
        time.sleep(0.25)
        round_()


def _ledger_burst(world, rows: int) -> None:
    """``rows`` +1/−1 ledger rows on 中原区's key, as an import's or a publication's changes leave them."""
    zy = world.applications["zy"]
    key = {"batch_id": zy.batch_id, "status": Status.SUBMITTED, "city_id": zy.city_id, "county_id": zy.county_id}
    db.session.execute(insert(ApplicationCount), [{**key, "n": 1 if i % 2 else -1} for i in range(rows)])
    db.session.commit()


def test_a_ledger_left_mostly_empty_after_a_large_fold_is_rewritten_and_keeps_its_counts(world, app):
    """After a fold of many rows the table keeps its pages; ``shrink`` gives them back (PostgreSQL), and
    the counts stay those of a recount. On SQLite there is nothing to rewrite."""
    _ledger_burst(world, 30_000)
    before = {k: v for k, v in _sums().items() if v}
    counts.compact()
    agree()
    if db.engine.dialect.name != "postgresql":
        assert counts.shrink() == []
        return
    bloated = _pages("application_count")
    assert bloated > counts.SHRINK_MIN_PAGES
    db.session.close()  # this test's reads hold a lock on the ledger until their transaction ends
    assert counts.shrink() == ["application_count"]
    _rounds_until_small(counts.shrink)
    assert _pages("application_count") < counts.SHRINK_MIN_PAGES < bloated
    assert {k: v for k, v in _sums().items() if v} == before
    agree()
    db.session.close()
    assert counts.shrink() == []  # nothing left to give back


def test_a_busy_ledger_is_left_for_the_next_round_without_holding_up_writers(world, app):
    """``shrink`` waits at most SHRINK_LOCK_TIMEOUT for its lock: a transaction writing the ledger
    meanwhile keeps it, and the table is rewritten on a later round."""
    _ledger_burst(world, 30_000)
    counts.compact()
    if db.engine.dialect.name != "postgresql":
        assert counts.shrink() == []
        return
    batch_id = world.applications["zy"].batch_id
    db.session.close()
    with db.engine.connect() as writer:
        writer.execute(insert(ApplicationCount).values(batch_id=batch_id, status=Status.DRAFT, n=0))  # uncommitted
        started = time.monotonic()
        assert counts.shrink() == []
        assert time.monotonic() - started < 5
        writer.rollback()
    counts.compact_task()  # the worker's next round, with nothing new to fold, tries again
    _rounds_until_small(counts.compact_task)
    assert _pages("application_count") < counts.SHRINK_MIN_PAGES
    agree()

"""Admission by the bases under the province's rules (issue 15, item 3): each base runs and publishes its
own quotas, before the first-phase deadline; the province sees every base's state and may still publish
for the rest; two bases at once never interfere."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.domain.admission import AdmissionError, Bases, plan, publish
from app.domain.admission.bases import (
    DRY_RUN,
    NOT_STARTED,
    PUBLISHED,
    base_refusal,
    base_states,
    publish_base,
    record_dry_run,
    set_base_admission,
)
from app.extensions import db
from app.i18n import cn_date
from models import Application, AuditLog, BaseAdmission, ReviewRecord, SmsLog, Status
from models.clock import today
from tests.admission_scene import scene  # noqa: F401
from tests.base_admission_helpers import SEED_SENTENCE, at_once, open_to_bases
from tests.catalogue import zh


def statuses(batch) -> dict[int, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Application.id, Application.status)
                                   .where(Application.batch_id == batch.id)).all())


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def ids(world, *keys) -> tuple:
    return tuple(world.bases[key].id for key in keys)


def test_a_base_decides_its_own_candidates_only(scene, world):  # noqa: F811
    batch, people = scene
    open_to_bases(batch)
    zz, ly = ids(world, "zz", "ly")
    staff = world.accounts["base_zz"]
    dry = record_dry_run(batch, staff, zz, "第一次试算")
    assert set(dry.order) == {people[k].id for k in ("top", "second", "tie_loser", "out", "noscore")}
    assert {line.base_id for line in dry.seat_lines} == {zz}
    result = publish_base(batch, staff, zz, dry.fingerprint(), "核对无误")
    found = statuses(batch)
    assert result.admitted == 3
    assert found[people["top"].id] == found[people["second"].id] == Status.ADMITTED
    assert found[people["out"].id] == Status.NOT_ADMITTED
    assert found[people["ly"].id] == Status.CONFIRMED  # another base's candidate is left alone
    assert found[people["waiting"].id] == Status.BASE_APPROVED
    actions = set(db.session.scalars(select(ReviewRecord.action).where(
        ReviewRecord.application_id.in_(dry.order))))
    assert actions == {"base_admit", "base_not_admit"}
    # the trainees are told as after the province's publication: one SMS each in the outbox
    mobiles = {people[k].trainee.mobile for k in ("top", "out")}
    assert count(SmsLog, SmsLog.phone.in_(mobiles)) == 2
    audits = db.session.execute(select(AuditLog.field_name, AuditLog.actor_id, AuditLog.reason).where(
        AuditLog.table_name == "base_admission").order_by(AuditLog.id)).all()
    assert [(a.field_name, a.actor_id, a.reason) for a in audits] == [
        ("base_dry_run", staff.id, "第一次试算"), ("base_publication", staff.id, "核对无误")]
    assert plan(batch, Bases(only=zz)).published and not plan(batch, Bases(only=ly)).published


@pytest.mark.parametrize("days_left, allowed, day", [
    (1, True, "the day before the deadline"),
    (0, True, "the deadline day itself (included)"),
    (-1, False, "the day after the deadline"),
])
def test_base_admission_deadline_includes_its_day(scene, world, days_left, allowed, day):  # noqa: F811
    """Seed: 各住培基地…依据理论和技能综合成绩择优录取。5 月 31 日前完成第一阶段招收工作. Read as "by 5-31",
    the day included (the platform's dates include their whole day): on 5-31 a base may still publish,
    on 6-1 it may not."""
    assert "5 月 31 日前" in SEED_SENTENCE
    batch, _people = scene
    open_to_bases(batch, days_left)
    zz = world.bases["zz"].id
    refusal = base_refusal(batch, world.accounts["base_zz"], zz)
    assert (refusal is None) == allowed, day
    if not allowed:
        assert refusal == zh("Admission by the training bases closed on %(date)s (the first phase).",
                             date=cn_date(batch.phase_one_deadline))
        with pytest.raises(AdmissionError):
            record_dry_run(batch, world.accounts["base_zz"], zz)
        assert count(BaseAdmission) == 0


def test_the_fixed_seed_date_boundary(scene, world):  # noqa: F811
    """The same rule on the seed's own dates: 5-30 and 5-31 allowed, 6-1 refused."""
    batch, _people = scene
    open_to_bases(batch)
    batch.phase_one_deadline = today().replace(month=5, day=31)
    zz, staff = world.bases["zz"].id, world.accounts["base_zz"]
    for moment, allowed in ((datetime(today().year, 5, 30, 12), True), (datetime(today().year, 5, 31, 23, 59), True),
                            (datetime(today().year, 6, 1, 0, 0), False)):
        assert (base_refusal(batch, staff, zz, moment) is None) == allowed, moment


def test_refusals_are_chinese_and_change_nothing(scene, world):  # noqa: F811
    batch, people = scene
    zz, ly = ids(world, "zz", "ly")
    staff = world.accounts["base_zz"]
    with pytest.raises(AdmissionError, match=zh("The province has not opened admission by the training bases "
                                                 "for this batch.")):
        record_dry_run(batch, staff, zz)
    open_to_bases(batch)
    with pytest.raises(AdmissionError, match=zh("You may run admission only for your own training base.")):
        record_dry_run(batch, staff, ly)  # a forged base id
    with pytest.raises(AdmissionError, match=zh("Only the training base's staff may run the base's own admission.")):
        record_dry_run(batch, world.accounts["province"], zz)
    with pytest.raises(AdmissionError, match=zh("Please run the dry run first and check it before publishing.")):
        publish_base(batch, staff, zz, None)
    with pytest.raises(AdmissionError, match="无法保存"):
        record_dry_run(batch, staff, zz, "原因\x00")
    assert count(BaseAdmission) == 0 and count(AuditLog, AuditLog.table_name == "base_admission") == 0
    record_dry_run(batch, staff, zz)
    with pytest.raises(AdmissionError, match=zh("You may run admission only for your own training base.")):
        publish_base(batch, staff, ly, None)
    with pytest.raises(AdmissionError):  # the dry run seen no longer matches
        publish_base(batch, staff, zz, "0" * 16)
    assert statuses(batch)[people["top"].id] == Status.CONFIRMED
    assert count(BaseAdmission, BaseAdmission.published_at.is_not(None)) == 0


def test_publishing_twice_gives_one_result(scene, world):  # noqa: F811
    batch, people = scene
    open_to_bases(batch)
    zz, staff = world.bases["zz"].id, world.accounts["base_zz"]
    record_dry_run(batch, staff, zz)
    publish_base(batch, staff, zz, None)
    records = count(ReviewRecord)
    with pytest.raises(AdmissionError, match=zh("Your training base has already published its admission results.")):
        publish_base(batch, staff, zz, None)
    with pytest.raises(AdmissionError, match=zh("Your training base has already published its admission results.")):
        record_dry_run(batch, staff, zz)
    assert count(ReviewRecord) == records


def test_province_skips_published_bases_and_then_closes_the_bases(scene, world):  # noqa: F811
    """Choice: the province's publication for all skips the bases that published their own (their results
    stay as they are); once the province has published, no base may publish."""
    batch, people = scene
    open_to_bases(batch)
    zz, ly = ids(world, "zz", "ly")
    record_dry_run(batch, world.accounts["base_zz"], zz)
    publish_base(batch, world.accounts["base_zz"], zz, None)
    zz_records = count(ReviewRecord, ReviewRecord.application_id == people["top"].id)
    province_plan = plan(batch)
    assert province_plan.order == [people["ly"].id]  # only the base that did not publish
    publish(batch, world.accounts["province"], expected=province_plan.fingerprint())
    found = statuses(batch)
    assert found[people["ly"].id] == Status.ADMITTED and found[people["top"].id] == Status.ADMITTED
    assert count(ReviewRecord, ReviewRecord.application_id == people["top"].id) == zz_records
    assert base_refusal(batch, world.accounts["base_ly"], ly) == zh(
        "The province has already published the admission results of this batch.")
    with pytest.raises(AdmissionError):
        record_dry_run(batch, world.accounts["base_ly"], ly)
    assert len(plan(batch).order) == 6  # the province's stored results: every decided application


def test_the_province_closes_a_batch_whose_bases_all_published(scene, world):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    for key in ("zz", "ly"):
        record_dry_run(batch, world.accounts[f"base_{key}"], world.bases[key].id)
        publish_base(batch, world.accounts[f"base_{key}"], world.bases[key].id, None)
    result = publish(batch, world.accounts["province"])
    assert result.candidates == 0 and batch.admission_published_at is not None


def test_the_province_sees_each_base_state(scene, world):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    zz, ly = ids(world, "zz", "ly")
    assert [(s.base_id, s.state) for s in base_states(batch)] == [(ly, NOT_STARTED), (zz, NOT_STARTED)]
    record_dry_run(batch, world.accounts["base_ly"], ly)
    record_dry_run(batch, world.accounts["base_zz"], zz)
    publish_base(batch, world.accounts["base_zz"], zz, None)
    found = {s.base_id: s for s in base_states(batch)}
    assert found[ly].state == DRY_RUN and found[ly].dry_run_by and found[ly].dry_run_at is not None
    assert found[zz].state == PUBLISHED and found[zz].admitted == 3 and not found[zz].by_province
    assert found[zz].published_by == (world.accounts["base_zz"].display_name or "base_zz")
    assert found[zz].capacity == 3 and found[ly].capacity == 1
    publish(batch, world.accounts["province"])
    found = {s.base_id: s for s in base_states(batch)}
    assert found[ly].state == PUBLISHED and found[ly].by_province and not found[zz].by_province


def test_two_bases_publishing_at_once_never_interfere(app, scene, world):  # noqa: F811
    """Each base in its own thread and session, released together (SQLite here, PostgreSQL with
    TEST_DATABASE_URL): both publish, each its own candidates, as if one after the other."""
    batch, people = scene
    open_to_bases(batch)
    zz, ly = ids(world, "zz", "ly")
    for key, base_id in (("zz", zz), ("ly", ly)):
        record_dry_run(batch, world.accounts[f"base_{key}"], base_id)
    outcomes = at_once(app, [(publish_base, batch.id, world.accounts["base_zz"].id, zz, None, "郑州"),
                             (publish_base, batch.id, world.accounts["base_ly"].id, ly, None, "洛阳")])
    assert outcomes == ["done", "done"]
    found = statuses(batch)
    assert [found[people[k].id] for k in ("top", "second", "tie_loser", "out", "noscore", "ly")] == [
        Status.ADMITTED, Status.ADMITTED, Status.ADMITTED, Status.NOT_ADMITTED, Status.NOT_ADMITTED,
        Status.ADMITTED]
    assert count(BaseAdmission, BaseAdmission.published_at.is_not(None)) == 2
    assert count(ReviewRecord, ReviewRecord.action.in_(("base_admit", "base_not_admit"))) == 6


def test_one_base_publishing_twice_at_once_publishes_once(app, scene, world):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    zz, staff = world.bases["zz"].id, world.accounts["base_zz"]
    record_dry_run(batch, staff, zz)
    outcomes = at_once(app, [(publish_base, batch.id, staff.id, zz, None), (publish_base, batch.id, staff.id, zz, None)])
    assert sorted(o.split(":")[0] for o in outcomes) == ["done", "refused"], outcomes
    assert count(ReviewRecord, ReviewRecord.action.in_(("base_admit", "base_not_admit"))) == 5


def test_a_base_and_the_province_at_once_decide_each_application_once(app, scene, world):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    zz = world.bases["zz"].id
    record_dry_run(batch, world.accounts["base_zz"], zz)
    outcomes = at_once(app, [(publish_base, batch.id, world.accounts["base_zz"].id, zz, None),
                             (publish, batch.id, world.accounts["province"].id)])
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert "done" in outcomes
    decided = count(ReviewRecord, ReviewRecord.action.in_(("admit", "not_admit", "base_admit", "base_not_admit")))
    assert decided == 6  # every candidate decided exactly once, by one side or the other
    assert count(Application, Application.batch_id == batch.id, Application.status == Status.CONFIRMED) == 0


def test_the_switch_keeps_the_season_in_order(scene, world):  # noqa: F811
    batch, _people = scene
    province = world.accounts["province"]
    assert set_base_admission(batch, True, None, province) == zh(
        "Please give the date by which the bases complete their admission (the first phase).")
    batch.report_deadline = today()
    refusal = set_base_admission(batch, True, today().replace(year=today().year + 1), province)
    assert refusal and "报到" in refusal
    assert not batch.base_admission_enabled
    assert set_base_admission(batch, True, today(), world.accounts["base_zz"]) == zh(
        "Only the province administrator may open admission by the training bases.")
    assert set_base_admission(batch, True, today(), province) is None and batch.base_admission_enabled

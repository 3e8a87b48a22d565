"""The transition table, edge by edge: every allowed edge works, everything else is refused in
Chinese and changes nothing; stale objects lose; the trainee's SMS leaves only after commit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, func, select, update

from app.domain.workflow import TRANSITIONS, TransitionError, resubmission_reviewer, transition, transition_many
from app.extensions import db
from app.infra.sms import ConsoleSender, SmsSendError
from models import Account, Application, AuditLog, ReviewRecord, Role, SmsLog, Status
from models.clock import today
from models.enums import Program
from tests.factories import ApplicationFactory, BatchFactory
from tests.portal_helpers import texts_to
from tests.notices import accepted_notice

CJK = re.compile(r"[\u4e00-\u9fff]")
PROGRAMS = (Program.GP_TRANSFER, Program.RESIDENCY)
ACTIONS = tuple(dict.fromkeys(edge.action for edge in TRANSITIONS))
ALLOWED = {(e.program, e.source, e.action, e.role) for e in TRANSITIONS}
# the account acting in each role, in scope of the 中原区 applications (郑州, base 郑州)
ACTORS = {Role.TRAINEE: "trainee_zy", Role.COUNTY_REVIEWER: "county_zy", Role.CITY_REVIEWER: "city_zz",
          Role.BASE_STAFF: "base_zz", Role.PROVINCE_ADMIN: "province", Role.SUPPORT: "support",
          Role.SUPERUSER: "super", Role.UNIVERSITY: "univ_zz"}
REASON = "材料不全"


def subject(world, program: str, status: str) -> Application:
    """trainee_zy's application to a ``program`` batch (中原区, 郑州, base 郑州) in ``status``,
    with no review records yet; committed."""
    if program == Program.GP_TRANSFER:
        application = world.applications["zy"]
    else:
        batch = world.batches.get("res") or BatchFactory(name="测试住培批次", program=Program.RESIDENCY)
        world.batches["res"] = batch
        application = db.session.scalar(select(Application).where(Application.batch_id == batch.id))
        if application is None:
            application = ApplicationFactory(trainee=world.trainees["zy"], batch=batch, county=world.regions["zy"],
                                             city=world.regions["zz"], base=world.bases["zz"],
                                             unit_name=world.institutions["zy"].name)
    db.session.execute(delete(ReviewRecord).where(ReviewRecord.application_id == application.id))
    set_status(application, status)
    db.session.commit()
    return application


def set_status(application: Application, status: str) -> None:
    db.session.execute(update(Application).where(Application.id == application.id).values(status=status)
                       .execution_options(synchronize_session=False))
    db.session.refresh(application)


def actor(world, role: str) -> Account:
    return world.accounts[ACTORS[role]]


def state(application_id: int) -> tuple:
    """Status and version of the row, and the numbers of review records and audit rows."""
    return db.session.execute(select(
        Application.status, Application.version,
        select(func.count()).select_from(ReviewRecord).where(ReviewRecord.application_id == application_id)
        .scalar_subquery(),
        select(func.count()).select_from(AuditLog).scalar_subquery(),
    ).where(Application.id == application_id)).one()


def sms_to(phone: str) -> list[SmsLog]:
    return db.session.scalars(select(SmsLog).where(SmsLog.phone == phone).order_by(SmsLog.id)).all()


def status_audits(application_id: int) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "application", AuditLog.record_id == str(application_id),
        AuditLog.field_name == "status")).all()


def edge_id(edge) -> str:
    return f"{edge.program}:{edge.source}-{edge.action}-{edge.target}:{edge.role}"


def test_the_table_has_no_duplicate_edges_and_names_known_values():
    keys = [(e.program, e.source, e.action) for e in TRANSITIONS]
    assert len(keys) == len(set(keys))
    for edge in TRANSITIONS:
        assert edge.program in PROGRAMS and edge.role in Role.values()
        assert edge.source in Status.values() and edge.target in Status.values()
        # returns and rejections always carry a reason (DESIGN.md)
        assert edge.needs_reason == (edge.target in (Status.RETURNED, Status.REJECTED)
                                     or edge.action == "support_reopen"), edge


@pytest.mark.parametrize("edge", TRANSITIONS, ids=edge_id)
def test_every_allowed_edge(world, edge):
    application = subject(world, edge.program, edge.source)
    if edge.action == "report":
        accepted_notice(application)  # 报到 requires an accepted admission
    if edge.action in ("base_admit", "base_not_admit"):  # the province opened admission by the bases
        application.batch.base_admission_enabled, application.batch.phase_one_deadline = True, today()
        db.session.commit()
    before = state(application.id)
    who = actor(world, edge.role)
    mobile = world.trainees["zy"].mobile
    reason = REASON if edge.needs_reason else None
    record = transition(application, edge.action, who, reason=reason)
    assert not texts_to(mobile), "the SMS must wait for the commit"
    assert all(m.state == "pending" for m in sms_to(mobile)), "it waits in the outbox"
    db.session.commit()
    db.session.expire_all()
    after = state(application.id)
    assert after.status == edge.target
    assert after.version == before.version + 1
    records = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application.id)).all()
    assert [r.id for r in records] == [record.id]
    # the queue's "waiting since" is the moment of this change
    assert db.session.get(Application, application.id).status_changed_at == record.created_at
    assert (records[0].status_before, records[0].status_after, records[0].action, records[0].level,
            records[0].actor_id, records[0].reason) == (edge.source, edge.target, edge.action, edge.level, who.id,
                                                         reason)
    audits = status_audits(application.id)
    assert [(a.old_value, a.new_value, a.actor_id, a.reason) for a in audits] == [
        (edge.source, edge.target, who.id, reason)]
    messages = sms_to(mobile)
    if edge.role == Role.TRAINEE:
        assert messages == []  # the trainee knows what they just did
    else:
        assert len(messages) == 1
        assert messages[0].purpose == "notify" and messages[0].succeeded
        assert application.status_label in messages[0].content and CJK.search(application.status_label)
        assert ("原因" in messages[0].content) == edge.needs_reason


def test_everything_else_is_refused_in_chinese_and_changes_nothing(world):
    failures: list[str] = []
    tried = 0
    for program in PROGRAMS:
        application = subject(world, program, Status.DRAFT)
        for status in Status.values():
            set_status(application, status)
            for action in ACTIONS:
                for role in Role.values():
                    if (program, status, action, role) in ALLOWED:
                        continue
                    tried += 1
                    case = f"{program} {status} {action} by {role}"
                    before = state(application.id)
                    try:
                        transition(application, action, actor(world, role), reason=REASON)
                    except TransitionError as error:
                        if not CJK.search(str(error)):
                            failures.append(f"{case}: message not Chinese: {error}")
                    else:
                        failures.append(f"{case}: accepted")
                        db.session.rollback()
                        set_status(application, status)
                        continue
                    if state(application.id) != before:
                        failures.append(f"{case}: changed {before} -> {state(application.id)}")
                    if db.session.info.get("pending_sms"):
                        failures.append(f"{case}: queued an SMS")
    assert failures == []
    assert tried == len(PROGRAMS) * len(Status.values()) * len(ACTIONS) * len(Role.values()) - len(ALLOWED)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0


@pytest.mark.parametrize("edge", [e for e in TRANSITIONS if e.needs_reason], ids=edge_id)
def test_an_edge_that_needs_a_reason_is_refused_without_one(world, edge):
    application = subject(world, edge.program, edge.source)
    before = state(application.id)
    for reason in (None, "", "   "):
        with pytest.raises(TransitionError) as caught:
            transition(application, edge.action, actor(world, edge.role), reason=reason)
        assert str(caught.value) == "请填写理由。"
        assert state(application.id) == before
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0


def test_a_reviewer_outside_the_scope_is_refused(world):
    out_of_scope = "该报名不在您的管辖范围内。"
    for program, status, action, username in [
            (Program.GP_TRANSFER, Status.SUBMITTED, "county_approve", "county_xg"),
            (Program.GP_TRANSFER, Status.SUBMITTED, "county_reject", "county_xg"),
            (Program.GP_TRANSFER, Status.COUNTY_APPROVED, "city_approve", "city_ly"),
            (Program.GP_TRANSFER, Status.CITY_APPROVED, "assign_base", "city_ly"),
            (Program.RESIDENCY, Status.SUBMITTED, "base_approve", "base_ly"),
            (Program.RESIDENCY, Status.ADMITTED, "report", "base_ly")]:
        application = subject(world, program, status)
        before = state(application.id)
        with pytest.raises(TransitionError) as caught:
            transition(application, action, world.accounts[username], reason=REASON)
        assert str(caught.value) == out_of_scope, (program, action, username)
        assert state(application.id) == before


def test_a_trainee_cannot_submit_anothers_application(world):
    application = subject(world, Program.GP_TRANSFER, Status.DRAFT)
    before = state(application.id)
    for username in ("trainee_js", "trainee_xg"):
        with pytest.raises(TransitionError) as caught:
            transition(application, "submit", world.accounts[username])
        assert str(caught.value) == "这不是您的报名。"
    assert state(application.id) == before
    set_status(application, Status.RETURNED)
    with pytest.raises(TransitionError):
        transition(application, "resubmit", world.accounts["trainee_js"])
    assert state(application.id)[0] == Status.RETURNED


@pytest.mark.parametrize("program", PROGRAMS)
def test_support_cannot_reopen_once_a_reviewer_acted(world, program):
    application = subject(world, program, Status.SUBMITTED)
    first, reason = ("county_return", REASON) if program == Program.GP_TRANSFER else ("base_return", REASON)
    reviewer = actor(world, Role.COUNTY_REVIEWER if program == Program.GP_TRANSFER else Role.BASE_STAFF)
    transition(application, first, reviewer, reason=reason)
    transition(application, "resubmit", actor(world, Role.TRAINEE))
    db.session.commit()
    before = state(application.id)
    assert before.status == Status.SUBMITTED
    with pytest.raises(TransitionError) as caught:
        transition(application, "support_reopen", actor(world, Role.SUPPORT), reason="学员申请撤回")
    assert str(caught.value) == "该报名已有审核记录，不能退回草稿。"
    assert state(application.id) == before


def test_support_may_reopen_after_the_trainees_own_steps(world):
    application = subject(world, Program.GP_TRANSFER, Status.DRAFT)
    transition(application, "submit", actor(world, Role.TRAINEE))
    transition(application, "support_reopen", actor(world, Role.SUPPORT), reason="学员申请撤回")
    db.session.commit()
    assert state(application.id).status == Status.DRAFT


def test_a_stale_object_loses_and_nothing_is_applied_twice(world, app):
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    application_id, version = application.id, application.version
    county_id = world.accounts["county_zy"].id
    # another reviewer, in a request of their own, approves first
    with app.app_context():
        fresh = db.session.get(Application, application_id)
        assert fresh is not application and fresh.version == version
        transition(fresh, "county_approve", db.session.get(Account, county_id))
        db.session.commit()
    # our object still says "submitted" at the old version
    assert application.status == Status.SUBMITTED and application.version == version
    with pytest.raises(TransitionError) as caught:
        transition(application, "county_return", world.accounts["county_zy"], reason=REASON)
    assert str(caught.value) == "该报名刚刚已被他人处理，请刷新页面后查看。"
    db.session.commit()
    after = state(application_id)
    assert (after.status, after.version) == (Status.COUNTY_APPROVED, version + 1)
    actions = db.session.scalars(select(ReviewRecord.action)
                                 .where(ReviewRecord.application_id == application_id)).all()
    assert actions == ["county_approve"]
    assert [(a.old_value, a.new_value) for a in status_audits(application_id)] == [
        (Status.SUBMITTED, Status.COUNTY_APPROVED)]
    messages = sms_to(world.trainees["zy"].mobile)
    assert len(messages) == 1 and "待市级审核" in messages[0].content


# --- notifications ----------------------------------------------------------------------------

def test_the_trainee_is_told_once_after_commit(world):
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    mobile = world.trainees["zy"].mobile
    transition(application, "county_return", world.accounts["county_zy"], reason=REASON)
    db.session.flush()
    [waiting] = sms_to(mobile)
    assert (waiting.state, waiting.succeeded, texts_to(mobile)) == ("pending", False, [])
    db.session.commit()
    messages = sms_to(mobile)
    assert len(messages) == 1 and messages[0].state == "sent" and len(texts_to(mobile)) == 1
    assert messages[0].content == ("【河南省卫生健康培训招收平台】您报名的测试全科批次：退回修改。"
                                   "原因请登录平台在报名页面查看。")
    assert messages[0].purpose == "notify" and messages[0].succeeded
    db.session.commit()  # a later commit sends nothing again
    assert len(sms_to(mobile)) == 1 and len(texts_to(mobile)) == 1
    # no audit copy of the message
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.table_name == "sms_log")) == 0


def test_an_approval_says_what_happened_without_a_reason(world):
    application = subject(world, Program.RESIDENCY, Status.SUBMITTED)
    transition(application, "base_approve", world.accounts["base_zz"])
    db.session.commit()
    [message] = sms_to(world.trainees["zy"].mobile)
    assert message.content == "【河南省卫生健康培训招收平台】您报名的测试住培批次：待现场确认。请持打印的报名表到测试基地郑州进行现场确认。"


def test_a_rolled_back_transition_sends_nothing(world):
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    transition(application, "county_reject", world.accounts["county_zy"], reason=REASON)
    db.session.rollback()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0
    assert state(application.id).status == Status.SUBMITTED
    assert not db.session.info.get("outbox_written")
    assert texts_to(world.trainees["zy"].mobile) == []


def test_a_rolled_back_savepoint_drops_only_its_own_message(world):
    gp = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    residency = subject(world, Program.RESIDENCY, Status.SUBMITTED)
    transition(gp, "county_approve", world.accounts["county_zy"])
    savepoint = db.session.begin_nested()
    transition(residency, "base_approve", world.accounts["base_zz"])
    savepoint.rollback()
    db.session.commit()
    messages = sms_to(world.trainees["zy"].mobile)
    assert [m.content for m in messages] == ["【河南省卫生健康培训招收平台】您报名的测试全科批次：待市级审核。"]


def test_a_trainees_own_submission_sends_no_sms(world):
    application = subject(world, Program.GP_TRANSFER, Status.DRAFT)
    transition(application, "submit", world.accounts["trainee_zy"])
    db.session.commit()
    assert state(application.id).status == Status.SUBMITTED
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0


def test_notify_false_sends_nothing(world):
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    transition(application, "county_approve", world.accounts["county_zy"], notify=False)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SmsLog)) == 0


def test_a_failing_provider_is_logged_after_commit_and_the_change_stays(world, app, monkeypatch):
    def refuse(self, phone, text, idempotency_key=None):
        raise SmsSendError("网关拒绝")
    monkeypatch.setattr(ConsoleSender, "send", refuse)
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    transition(application, "county_approve", world.accounts["county_zy"])
    db.session.commit()
    [message] = sms_to(world.trainees["zy"].mobile)
    assert not message.succeeded and message.error == "网关拒绝"
    # it stays in the outbox for a later attempt
    assert (message.state, message.attempts) == ("pending", 1) and message.next_attempt_at > message.created_at
    assert state(application.id).status == Status.COUNTY_APPROVED


def test_the_next_reviewer_of_a_resubmission_is_read_from_the_table(app):
    with app.test_request_context():
        assert resubmission_reviewer("gp_transfer") == "区县卫健委"
        assert resubmission_reviewer("residency") == "培训基地"
        assert resubmission_reviewer("assistant_gp") == ""  # no workflow yet: nothing named, no error


def test_a_bulk_change_records_when_each_application_entered_its_state(world):
    application = subject(world, Program.GP_TRANSFER, Status.SUBMITTED)
    entered_before = application.status_changed_at
    transition_many({"county_approve": [application]}, actor(world, Role.COUNTY_REVIEWER))
    db.session.commit()
    db.session.expire_all()
    record = db.session.scalars(select(ReviewRecord).where(ReviewRecord.application_id == application.id)).one()
    changed = db.session.get(Application, application.id)
    assert changed.status == Status.COUNTY_APPROVED
    assert changed.status_changed_at == record.created_at and changed.status_changed_at >= entered_before

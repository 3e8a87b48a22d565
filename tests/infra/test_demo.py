"""`flask demo`: accounts for every role, fictional fixtures, applications in every status."""
import pytest
from sqlalchemy import func, select

from app.domain.batches import calendar_errors
from app.domain.enrollment import may_apply, offered_batches
from app.domain.enrollment.snapshot import profile_snapshot
from app.extensions import db
from app.seed.demo import ensure_fixtures
from app.validators import check_id_number
from models import Account, Application, Batch, Institution, Quota, Role, Status, Trainee, TrainingBase
from models.enums import BatchRound, Program


def run_demo(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_creates_every_role_and_prints_credentials(app):
    output = run_demo(app, "--trainees", "120")
    roles = set(db.session.scalars(select(Account.role)))
    assert roles == set(Role.values())
    for username in ("admin", "province", "support", "county_zy", "city_zz", "base_one", "demo000001"):
        assert username in output
    assert "Henan@2025" in output
    assert all("示例" in name for name in db.session.scalars(select(TrainingBase.name)))
    assert all("示例" in name for name in db.session.scalars(select(Institution.name)))
    scoped = db.session.scalars(select(Account).where(Account.role.in_((Role.COUNTY_REVIEWER, Role.CITY_REVIEWER))))
    assert all(account.region is not None for account in scoped)


def test_demo_batches_are_open_and_applications_cover_every_status(app):
    run_demo(app, "--trainees", "150")
    batches = db.session.scalars(select(Batch)).all()
    assert {b.program for b in batches if b.is_open()} == {Program.GP_TRANSFER, Program.RESIDENCY}
    # the 调剂补录 batch waits as a draft, linked to the first round it takes the seats left from
    second = [b for b in batches if b.round == "supplementary"]
    assert len(second) == 1 and not second[0].is_open()
    assert second[0].previous_batch.program == Program.RESIDENCY and second[0].previous_batch.round == "first"
    seen = {(program, status) for program, status in db.session.execute(
        select(Batch.program, Application.status).join(Application.batch).distinct())}
    gp = {Status.DRAFT, Status.SUBMITTED, Status.COUNTY_APPROVED, Status.CITY_APPROVED, Status.ASSIGNED,
          Status.RETURNED, Status.REJECTED}
    residency = {Status.DRAFT, Status.SUBMITTED, Status.BASE_APPROVED, Status.CONFIRMED, Status.ADMITTED,
                 Status.NOT_ADMITTED, Status.REPORTED, Status.RETURNED, Status.REJECTED}
    assert {s for p, s in seen if p == Program.GP_TRANSFER} == gp
    assert {s for p, s in seen if p == Program.RESIDENCY} == residency


def test_demo_trainees_have_valid_id_numbers_and_chinese_names(app):
    run_demo(app, "--trainees", "60")
    trainees = db.session.scalars(select(Trainee)).all()
    assert len(trainees) == 60
    assert all(check_id_number(t.id_number) == t.id_number for t in trainees)
    assert all(all("\u4e00" <= ch <= "\u9fff" for ch in t.name) for t in trainees)


def test_demo_runs_again_without_duplicating_and_adds_on_request(app):
    run_demo(app, "--trainees", "30")
    output = run_demo(app)
    assert "already present" in output
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == 30
    run_demo(app, "--trainees", "20")
    assert db.session.scalar(select(func.count()).select_from(Trainee)) == 50
    assert db.session.scalar(select(func.count()).select_from(Account).where(Account.username == "admin")) == 1


def test_demo_snapshots_have_the_shape_of_a_real_submission(app):
    run_demo(app, "--trainees", "40")
    application = db.session.scalar(select(Application).where(Application.snapshot.is_not(None))
                                    .order_by(Application.id).limit(1))
    real = profile_snapshot(application.trainee)
    demo = application.snapshot
    assert set(demo) == set(real)
    for rows in ("educations", "employments", "licences"):
        for demo_row, real_row in zip(demo[rows], real[rows]):
            assert set(demo_row) == set(real_row), rows
    assert demo["id_number"] == application.trainee.id_number and demo["employments"][0]["unit_level"]
    # a draft has no snapshot: SQL NULL, as after a real draft (not the JSON text null)
    drafts = select(func.count()).select_from(Application).where(Application.status == "draft")
    assert db.session.scalar(drafts) > 0
    assert db.session.scalar(drafts.where(Application.snapshot.is_(None))) == db.session.scalar(drafts)
    assert db.session.scalar(select(func.count()).select_from(Application).where(
        Application.status != "draft", Application.snapshot.is_(None))) == 0


def test_demo_trainees_opened_the_businesses_of_their_applications(app):
    run_demo(app, "--trainees", "60")
    trainees = db.session.scalars(select(Trainee)).all()
    assert all("gp_transfer" in t.account.businesses for t in trainees)
    applications = db.session.scalars(select(Application).join(Application.batch)).all()
    assert {a.batch.program for a in applications} == {Program.GP_TRANSFER, Program.RESIDENCY}
    assert all(may_apply(a.trainee.account, a.batch.program) for a in applications)
    first = db.session.scalar(select(Account).where(Account.role == Role.TRAINEE).order_by(Account.id))
    batches, missing = offered_batches(first)
    assert batches and Program.GP_TRANSFER in {b.program for b in batches}


@pytest.mark.seed("全省 38 家住院医师规范化培训基地 … 本年度计划招收 2100 人 … 5 月 31 日前完成第一阶段招收工作 … "
                  "6 月 1 日—10 日，对未被录取的招收对象进行调剂补录 … 6 月 15 日前完成第二阶段招收工作")
def test_the_province_demo_calendar_passes_the_form_rules(app):
    """`flask demo` gives its batches the plan's calendar relative to the demo clock."""
    ensure_fixtures(echo=lambda *a: None)
    batches = {(b.program, b.round): b for b in db.session.scalars(select(Batch))}
    first = batches[(Program.RESIDENCY, BatchRound.FIRST)]
    second = batches[(Program.RESIDENCY, BatchRound.SUPPLEMENTARY)]
    gp = batches[(Program.GP_TRANSFER, BatchRound.FIRST)]
    assert (first.plan_total, first.expected_base_count) == (2100, 38)
    # 全省 38 家住培基地: the demo has them all, each with places (the dashboard is one screen for them)
    with_places = db.session.scalar(select(func.count(func.distinct(Quota.base_id))).where(Quota.batch_id == first.id))
    assert with_places == 38
    assert first.closes_at.date() <= first.resubmission_deadline < first.theory_exam_starts_at.date()
    assert first.theory_exam_starts_at.date() < first.phase_one_deadline < second.opens_at.date()
    assert second.closes_at.date() < first.phase_two_deadline == second.phase_two_deadline
    assert gp.resubmission_deadline > gp.closes_at.date() and gp.expected_base_count >= 1
    with app.test_request_context("/"):
        for batch in (first, second, gp):
            values = {column: getattr(batch, column) for column in (
                "opens_at", "closes_at", "resubmission_deadline", "confirmation_deadline", "phase_one_deadline",
                "phase_two_deadline", "report_deadline")}
            assert calendar_errors(values) == [], batch.name

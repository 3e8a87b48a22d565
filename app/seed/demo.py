"""Demo data: one account per role, fictional bases and units, open batches, synthetic trainees.

Every name of a unit or base contains 示例 so nobody mistakes it for a real one. ID numbers
have valid GB 11643 check digits; names come from Faker's zh_CN generator.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from faker import Faker
from sqlalchemy import func, insert, select
from stdnum.cn import ric
from werkzeug.security import generate_password_hash

from app.domain.enrollment.residency import batch_facts
from app.domain.rules import all_passed, results_to_json
from app.domain.rules.eligibility import evaluate_residency
from app.domain.rules.exemption import evaluate_exemption
from app.extensions import db
from app.infra import counts
from app.seed.demo_filing import UNIVERSITY_ACCOUNTS, ensure_filing_demo
from app.seed.reference import seed_reference_data
from models import (
    Account,
    AccountBusiness,
    Application,
    ApplicationChoice,
    Batch,
    Education,
    Employment,
    ExemptionRequest,
    Institution,
    Licence,
    PracticeScope,
    Quota,
    Region,
    ReviewRecord,
    Role,
    SkillItem,
    Specialty,
    Status,
    Trainee,
    TrainingBase,
)
from models.clock import now
from models.enums import (
    AdmissionResult,
    BatchRound,
    BatchStatus,
    Business,
    Degree,
    EducationLevel,
    Identity,
    InstitutionKind,
    InstitutionLevel,
    JobTitle,
    PracticeCategory,
    Program,
    ReviewLevel,
    TitleGrade,
)

DEMO_PASSWORD = "Henan@2025"
DEMO_COUNTIES = ["410102", "410105", "410122", "410181", "410303", "410323", "410203", "410221", "419001"]
STAFF_ACCOUNTS = [
    # username, display name, role, region code, base name
    ("admin", "系统管理员", Role.SUPERUSER, None, None),
    ("province", "省卫健委管理员", Role.PROVINCE_ADMIN, None, None),
    ("support", "技术支持", Role.SUPPORT, None, None),
    ("county_zy", "中原区卫健委审核员", Role.COUNTY_REVIEWER, "410102", None),
    ("county_xg", "西工区卫健委审核员", Role.COUNTY_REVIEWER, "410303", None),
    ("county_jy", "济源示范区卫健委审核员（区县级）", Role.COUNTY_REVIEWER, "419001", None),
    ("city_zz", "郑州市卫健委审核员", Role.CITY_REVIEWER, "410100", None),
    ("city_ly", "洛阳市卫健委审核员", Role.CITY_REVIEWER, "410300", None),
    ("base_one", "示例医院一基地管理员", Role.BASE_STAFF, None, "示例医院一"),
    ("base_two", "示例医院二基地管理员", Role.BASE_STAFF, None, "示例医院二"),
]
CITY_CODES = ["410100", "410200", "410300", "410400", "410500", "410600", "410700", "410800", "410900", "411000",
              "411100", "411200", "411300", "411400", "411500", "411600", "411700", "419001"]


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals (五, 十一, 三十八)."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return ((digits[tens] if tens > 1 else "") + "十" if tens else "") + (digits[ones] if ones else "")


# the bases: name, city, trains GP transfer, trains residency; 38 train residency, as the plan expects
BASES = [("示例医院一", "410100", True, True), ("示例医院二", "410300", True, True),
         ("示例医院三", "410200", False, True), ("示例医院四", "419001", True, False)] + [
    (f"示例医院{chinese_number(n)}", CITY_CODES[n % len(CITY_CODES)], False, True) for n in range(5, 40)]
RESIDENCY_SPECIALTIES = ["0100", "0200", "0300", "0700", "0900", "1600", "1900", "2800"]
UNIT_TEMPLATES = [("{}示例乡镇卫生院", InstitutionLevel.PRIMARY, InstitutionKind.TOWNSHIP),
                  ("{}示例社区卫生服务中心", InstitutionLevel.PRIMARY, InstitutionKind.COMMUNITY),
                  ("{}示例人民医院", InstitutionLevel.SECONDARY, InstitutionKind.HOSPITAL),
                  ("{}示例中心医院", InstitutionLevel.TERTIARY, InstitutionKind.HOSPITAL)]
GP_STATUSES = [Status.DRAFT, Status.SUBMITTED, Status.SUBMITTED, Status.SUBMITTED, Status.COUNTY_APPROVED,
               Status.COUNTY_APPROVED, Status.CITY_APPROVED, Status.ASSIGNED, Status.RETURNED, Status.REJECTED]
RESIDENCY_STATUSES = [Status.DRAFT, Status.SUBMITTED, Status.SUBMITTED, Status.BASE_APPROVED, Status.CONFIRMED,
                      Status.ADMITTED, Status.NOT_ADMITTED, Status.REPORTED, Status.RETURNED, Status.REJECTED]
GP_PATH = {Status.COUNTY_APPROVED: [(ReviewLevel.COUNTY, "county_approve", Status.SUBMITTED)],
           Status.CITY_APPROVED: [(ReviewLevel.COUNTY, "county_approve", Status.SUBMITTED),
                                  (ReviewLevel.CITY, "city_approve", Status.COUNTY_APPROVED)],
           Status.ASSIGNED: [(ReviewLevel.COUNTY, "county_approve", Status.SUBMITTED),
                             (ReviewLevel.CITY, "city_approve", Status.COUNTY_APPROVED),
                             (ReviewLevel.CITY, "assign_base", Status.CITY_APPROVED)],
           Status.RETURNED: [(ReviewLevel.COUNTY, "county_return", Status.SUBMITTED)],
           Status.REJECTED: [(ReviewLevel.COUNTY, "county_approve", Status.SUBMITTED),
                             (ReviewLevel.CITY, "city_reject", Status.COUNTY_APPROVED)]}
RES_PATH = {Status.BASE_APPROVED: [(ReviewLevel.BASE, "base_approve", Status.SUBMITTED)],
            Status.CONFIRMED: [(ReviewLevel.BASE, "base_approve", Status.SUBMITTED),
                               (ReviewLevel.BASE, "confirm_onsite", Status.BASE_APPROVED)],
            Status.ADMITTED: [(ReviewLevel.BASE, "base_approve", Status.SUBMITTED),
                              (ReviewLevel.BASE, "confirm_onsite", Status.BASE_APPROVED),
                              (ReviewLevel.PROVINCE, "admit", Status.CONFIRMED)],
            Status.NOT_ADMITTED: [(ReviewLevel.BASE, "base_approve", Status.SUBMITTED),
                                  (ReviewLevel.BASE, "confirm_onsite", Status.BASE_APPROVED),
                                  (ReviewLevel.PROVINCE, "not_admit", Status.CONFIRMED)],
            Status.REPORTED: [(ReviewLevel.BASE, "base_approve", Status.SUBMITTED),
                              (ReviewLevel.BASE, "confirm_onsite", Status.BASE_APPROVED),
                              (ReviewLevel.PROVINCE, "admit", Status.CONFIRMED),
                              (ReviewLevel.BASE, "report", Status.ADMITTED)],
            Status.RETURNED: [(ReviewLevel.BASE, "base_return", Status.SUBMITTED)],
            Status.REJECTED: [(ReviewLevel.BASE, "base_reject", Status.SUBMITTED)]}
REASONS = {"county_return": "外出参培证明未加盖单位公章，请重新上传。",
           "base_return": "毕业证书照片不清晰，请重新上传。",
           "city_reject": "不符合全科转岗培训报名条件。",
           "base_reject": "所学专业不在临床类别医师资格考试报考范围内。"}


def make_id_number(rng: random.Random, region_code: str, taken: set[str]) -> str:
    """A unique ID number with a valid check digit, born 1970–1999 in ``region_code``."""
    while True:
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(365 * 30))
        body = f"{region_code}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in taken:
            taken.add(number)
            return number


def make_mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if number not in taken:
            taken.add(number)
            return number


def ensure_fixtures(echo) -> None:
    """Staff accounts, fictional units and bases, batches and quotas; created once."""
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    specialties = {s.code: s for s in db.session.scalars(select(Specialty))}
    bases = _ensure_units_and_bases(regions, specialties)
    moment = now().replace(second=0, microsecond=0)
    batches = {b.program: b for b in db.session.scalars(select(Batch).where(Batch.round == BatchRound.FIRST))}
    if Program.GP_TRANSFER not in batches:
        batches[Program.GP_TRANSFER] = _gp_batch(moment, bases, specialties)
    if Program.RESIDENCY not in batches:
        batches[Program.RESIDENCY] = _residency_batch(moment, bases, specialties)
    if db.session.scalar(select(Batch.id).where(Batch.round == BatchRound.SUPPLEMENTARY)) is None:
        _supplementary_batch(moment, batches[Program.RESIDENCY])
    _ensure_staff_accounts(regions, bases)
    ensure_filing_demo(DEMO_PASSWORD)
    db.session.commit()


def _ensure_units_and_bases(regions: dict, specialties: dict) -> dict[str, TrainingBase]:
    """Four fictional units in each demo county and the fictional bases, by name."""
    if db.session.scalar(select(func.count()).select_from(Institution)) == 0:
        for code in DEMO_COUNTIES:
            region = regions[code]
            for template, level, kind in UNIT_TEMPLATES:
                db.session.add(Institution(name=template.format(region.name), region=region, level=level, kind=kind))
    bases = {b.name: b for b in db.session.scalars(select(TrainingBase))}
    for name, city_code, gp, residency in BASES:
        if name not in bases:
            base = TrainingBase(name=name, city=regions[city_code], trains_gp_transfer=gp, trains_residency=residency,
                                address=f"{regions[city_code].name}示例路1号", contact_phone="0371-00000000")
            base.specialties = [specialties[c] for c in RESIDENCY_SPECIALTIES] if residency else [specialties["0700"]]
            db.session.add(base)
            bases[name] = base
    db.session.flush()
    return bases


def _gp_batch(moment, bases: dict, specialties: dict) -> Batch:
    year = moment.year
    gp_closes = moment + timedelta(days=30)
    gp = Batch(name=f"{year}年全科医生转岗培训", year=year, program=Program.GP_TRANSFER, status=BatchStatus.OPEN,
               opens_at=moment - timedelta(days=10), closes_at=gp_closes, plan_total=600,
               expected_base_count=sum(1 for base in bases.values() if base.trains_gp_transfer),
               resubmission_deadline=(gp_closes + timedelta(days=7)).date())
    db.session.add(gp)
    for base in bases.values():
        if base.trains_gp_transfer:
            db.session.add(Quota(batch=gp, base=base, specialty=specialties["0700"], capacity=150))
    return gp


def _residency_calendar(moment) -> dict:
    """The residency season as the 2024 plan lays it out, from registration (5-6 to 5-22) on: returned
    applications fixed before the exam (5-25), phase one by 5-31, 调剂补录 6-1 to 6-10, phase two by
    6-15, reporting by 7-31."""
    phase_one = (moment + timedelta(days=25)).date()
    return {"closes": moment + timedelta(days=16), "phase_one": phase_one,
            "phase_two": phase_one + timedelta(days=15), "report": phase_one + timedelta(days=61)}


def _skill_items() -> list[SkillItem]:
    return [SkillItem(name="单人徒手心肺复苏", mandatory=True), SkillItem(name="体格检查")]


def _residency_batch(moment, bases: dict, specialties: dict) -> Batch:
    year, calendar = moment.year, _residency_calendar(moment)
    closes = calendar["closes"]
    residency = Batch(name=f"{year}年住院医师规范化培训招收（第一阶段）", year=year, program=Program.RESIDENCY,
                      status=BatchStatus.OPEN, opens_at=moment - timedelta(days=5),
                      closes_at=closes, plan_total=2100, expected_base_count=38,
                      resubmission_deadline=(closes + timedelta(days=1)).date(),
                      phase_one_deadline=calendar["phase_one"], phase_two_deadline=calendar["phase_two"],
                      theory_exam_starts_at=moment + timedelta(days=19),
                      theory_exam_ends_at=moment + timedelta(days=19, hours=2),
                      confirmation_deadline=closes.date(),
                      report_deadline=calendar["report"],
                      licence_required_graduation_year=year - 3,
                      theory_weight=Decimal("0.5"), skills_weight=Decimal("0.5"))
    residency.shortage_specialties = [s for s in specialties.values() if s.shortage]
    residency.skill_items = _skill_items()
    db.session.add(residency)
    for base in bases.values():
        if base.trains_residency:
            for code in RESIDENCY_SPECIALTIES:
                db.session.add(Quota(batch=residency, base=base, specialty=specialties[code], capacity=20))
    return residency


def _supplementary_batch(moment, round_one: Batch) -> None:
    """调剂补录: a draft until the province publishes it, after giving it the seats left
    (batch list → 生成调剂补录剩余名额)."""
    year, calendar = moment.year, _residency_calendar(moment)
    second = Batch(name=f"{year}年住院医师规范化培训招收（调剂补录）", year=year, program=Program.RESIDENCY,
                   round=BatchRound.SUPPLEMENTARY, previous_batch=round_one, status=BatchStatus.DRAFT,
                   opens_at=moment + timedelta(days=26), closes_at=moment + timedelta(days=36),
                   resubmission_deadline=(moment + timedelta(days=37)).date(),
                   confirmation_deadline=(moment + timedelta(days=38)).date(),
                   phase_two_deadline=calendar["phase_two"],
                   report_deadline=calendar["report"],
                   licence_required_graduation_year=year - 3,
                   theory_weight=Decimal("0.5"), skills_weight=Decimal("0.5"))
    second.shortage_specialties = list(round_one.shortage_specialties)
    second.skill_items = _skill_items()
    db.session.add(second)


def _ensure_staff_accounts(regions: dict, bases: dict) -> None:
    accounts = {a.username for a in db.session.scalars(select(Account).where(Account.role != Role.TRAINEE))}
    for username, display, role, region_code, base_name in STAFF_ACCOUNTS:
        if username in accounts:
            continue
        account = Account(username=username, display_name=display, role=role,
                          region=regions[region_code] if region_code else None,
                          base=bases[base_name] if base_name else None)
        account.set_password(DEMO_PASSWORD)
        db.session.add(account)


@dataclass
class _Lookups:
    """What the generator reads once before inserting trainees."""

    institutions: list
    batches: dict
    gp_bases: list
    res_bases: list
    specialties: dict
    scopes: dict
    scope_names: dict
    reviewers: dict
    taken_ids: set
    taken_phones: set

    @classmethod
    def load(cls) -> _Lookups:
        bases = db.session.scalars(select(TrainingBase)).all()
        scopes = db.session.scalars(select(PracticeScope)).all()
        taken_phones = set(db.session.scalars(select(Account.phone).where(Account.phone.is_not(None))))
        return cls(
            institutions=db.session.scalars(select(Institution).options(db.joinedload(Institution.region))).all(),
            batches={b.program: b for b in db.session.scalars(select(Batch).where(Batch.round == BatchRound.FIRST))},
            gp_bases=[b for b in bases if b.trains_gp_transfer], res_bases=[b for b in bases if b.trains_residency],
            specialties={s.code: s.id for s in db.session.scalars(select(Specialty))},
            scopes={s.code: s.id for s in scopes}, scope_names={s.id: (s.code, s.name) for s in scopes},
            reviewers={a.role: a.id for a in db.session.scalars(select(Account).where(Account.role.in_(Role.STAFF)))},
            taken_ids=set(db.session.scalars(select(Trainee.id_number))),
            taken_phones=taken_phones | set(db.session.scalars(select(Trainee.mobile))))


def generate_trainees(count: int, random_seed: int, echo) -> None:
    """``count`` synthetic trainees with profiles and applications in every status (bulk inserts)."""
    rng = random.Random(random_seed + db.session.scalar(select(func.count()).select_from(Trainee)))
    fake = Faker("zh_CN")
    fake.seed_instance(rng.randrange(10**9))
    lookups = _Lookups.load()
    start_index = db.session.scalar(select(func.count()).select_from(Account).where(Account.role == Role.TRAINEE))
    password_hash = generate_password_hash(DEMO_PASSWORD)
    moment = now().replace(microsecond=0)
    chunk = 2000
    for offset in range(0, count, chunk):
        size = min(chunk, count - offset)
        plans = [_person_plan(rng, lookups, f"demo{start_index + offset + i + 1:06d}") for i in range(size)]
        account_ids = _insert_accounts(plans, password_hash, moment)
        trainee_rows = [_trainee_row(rng, fake, plan, account_id, moment)
                        for plan, account_id in zip(plans, account_ids)]
        trainee_ids = db.session.scalars(insert(Trainee).returning(Trainee.id, sort_by_parameter_order=True),
                                         trainee_rows).all()
        application_plans = [_profile_plan(rng, lookups, plan, trainee_id, trainee_row)
                             for plan, trainee_id, trainee_row in zip(plans, trainee_ids, trainee_rows)]
        for plan, trainee_row in zip(plans, trainee_rows):
            plan["snapshot"] = demo_snapshot(trainee_row, plan, lookups.scope_names)
        _insert_businesses(account_ids, trainee_ids, application_plans)
        db.session.execute(insert(Education), [plan["education"] for plan in plans])
        db.session.execute(insert(Employment), [plan["employment"] for plan in plans])
        licence_rows = [plan["licence"] for plan in plans if plan["licence"]]
        if licence_rows:
            db.session.execute(insert(Licence), licence_rows)
        insert_applications(rng, application_plans, lookups, moment)
        db.session.commit()
        echo(f"  trainees: {offset + size}/{count}")


def _person_plan(rng, lookups: _Lookups, username: str) -> dict:
    institution = rng.choice(lookups.institutions)
    mobile = make_mobile(rng, lookups.taken_phones)
    return {"institution": institution, "mobile": mobile, "username": username,
            "id_number": make_id_number(rng, institution.region.code, lookups.taken_ids)}


def _insert_accounts(plans: list[dict], password_hash: str, moment) -> list[int]:
    return db.session.scalars(insert(Account).returning(Account.id, sort_by_parameter_order=True), [
        {"username": p["username"], "password_hash": password_hash, "display_name": "", "phone": p["mobile"],
         "phone_verified_at": moment, "role": Role.TRAINEE, "is_active_account": True, "failed_logins": 0,
         "created_at": moment} for p in plans]).all()


def _trainee_row(rng, fake, plan: dict, account_id: int, moment) -> dict:
    number = plan["id_number"]
    plan["name"] = fake.name()
    return {"account_id": account_id, "name": plan["name"], "id_type": "resident", "id_number": number,
            "gender": "male" if int(number[16]) % 2 else "female", "birth_date": ric.get_birth_date(number),
            "ethnicity": "汉族", "political_status": rng.choice(["cpc", "masses", "league"]),
            "mobile": plan["mobile"], "email": None, "address": f"{plan['institution'].region.name}示例街道",
            "has_licence": rng.random() < 0.8, "is_graduate_student": False,
            "created_at": moment, "updated_at": moment}


def _profile_plan(rng, lookups: _Lookups, plan: dict, trainee_id: int, trainee_row: dict) -> tuple:
    """Education, employment and licence rows into ``plan``; returns the application plan."""
    graduated = date(rng.randrange(2000, 2022), 7, 1)
    upgraded = rng.random() < 0.15
    plan["education"] = {
        "trainee_id": trainee_id, "school": "示例医学院", "major": "临床医学",
        "level": EducationLevel.BACHELOR, "degree": Degree.BACHELOR, "full_time": True,
        "upgraded_from_junior": upgraded, "start_date": date(graduated.year - (2 if upgraded else 5), 9, 1),
        "end_date": graduated, "graduation_date": graduated}
    institution = plan["institution"]
    title = rng.choice([JobTitle.RESIDENT, JobTitle.ATTENDING, JobTitle.ATTENDING, JobTitle.ASSOCIATE_CHIEF])
    grade = {JobTitle.RESIDENT: TitleGrade.JUNIOR, JobTitle.ATTENDING: TitleGrade.INTERMEDIATE,
             JobTitle.ASSOCIATE_CHIEF: TitleGrade.ASSOCIATE_SENIOR}[title]
    plan["employment"] = {
        "trainee_id": trainee_id, "institution_id": institution.id, "unit_name": institution.name,
        "region_id": institution.region_id, "department": rng.choice(["内科", "全科医学科", "外科", "急诊科"]),
        "title": title, "title_grade": grade, "start_date": graduated + timedelta(days=60),
        "is_current": True, "unit_has_independent_gp_dept": institution.level != InstitutionLevel.PRIMARY,
        "in_independent_gp_dept": rng.random() < 0.3}
    plan["licence"] = None
    if trainee_row["has_licence"]:
        plan["licence"] = {
            "trainee_id": trainee_id, "qualification_number": f"2{rng.randrange(10**14):014d}",
            "practice_number": f"1{rng.randrange(10**14):014d}", "category": PracticeCategory.CLINICAL,
            "scope_id": lookups.scopes[rng.choice(["11", "21", "12"])],
            "registered_on": graduated + timedelta(days=400)}
    program = Program.RESIDENCY if rng.random() < 0.3 else Program.GP_TRANSFER
    return plan, trainee_id, program


def _insert_businesses(account_ids, trainee_ids, application_plans) -> None:
    """Every demo trainee opened 全科转岗培训 at registration; residency applicants opened 住培 too."""
    residency_ids = {trainee_id for _plan, trainee_id, program in application_plans
                     if program == Program.RESIDENCY}
    db.session.execute(insert(AccountBusiness), [
        {"account_id": account_id, "business": business}
        for account_id, trainee_id in zip(account_ids, trainee_ids)
        for business in ((Business.GP_TRANSFER, Business.RESIDENCY) if trainee_id in residency_ids
                         else (Business.GP_TRANSFER,))])


def _iso(value):
    return value.isoformat() if value else None


def demo_snapshot(trainee: dict, plan: dict, scope_names: dict) -> dict:
    """The frozen profile of a synthetic trainee, in the shape of ``app.domain.enrollment.snapshot.profile_snapshot``."""
    education, employment, licence = plan["education"], plan["employment"], plan["licence"]
    institution = plan["institution"]
    return {
        **{key: trainee.get(key) for key in ("name", "gender", "id_type", "id_number", "ethnicity",
                                             "political_status", "mobile", "email", "address", "has_licence",
                                             "is_graduate_student")},
        "birth_date": _iso(trainee["birth_date"]), "postal_code": None, "emergency_contact": None,
        "emergency_phone": None, "residency_withdrawn_on": None, "prior_residency_base": None,
        "prior_residency_ended_on": None, "prior_residency_passed": None, "prior_residency_passed_on": None,
        "photo_id": None,
        "educations": [{**{k: education[k] for k in ("school", "major", "level", "degree", "full_time",
                                                    "upgraded_from_junior")},
                        "start_date": _iso(education["start_date"]), "end_date": _iso(education["end_date"]),
                        "graduation_date": _iso(education["graduation_date"]), "diploma_number": None,
                        "degree_number": None}],
        "employments": [{**{k: employment[k] for k in ("unit_name", "institution_id", "region_id", "department",
                                                      "title", "title_grade", "is_current",
                                                      "unit_has_independent_gp_dept", "in_independent_gp_dept")},
                         "unit_level": institution.level, "unit_kind": institution.kind, "unit_typed": False,
                         "region_name": institution.region.full_name, "start_date": _iso(employment["start_date"]),
                         "end_date": None}],
        "licences": [] if licence is None else [{
            "category": licence["category"], "scope_code": scope_names[licence["scope_id"]][0],
            "scope_name": scope_names[licence["scope_id"]][1], "qualification_number": licence["qualification_number"],
            "practice_number": licence["practice_number"], "registered_on": _iso(licence["registered_on"])}],
    }


def insert_applications(rng, application_plans, lookups: _Lookups, moment) -> None:
    """Applications in a spread of statuses, each with the review history that led there."""
    facts = batch_facts(lookups.batches[Program.RESIDENCY])
    rows, extras = [], []
    for plan, trainee_id, program in application_plans:
        row, extra = _application_row(rng, lookups, facts, plan, trainee_id, program, moment)
        rows.append(row)
        extras.append(extra)
    application_ids = db.session.scalars(
        insert(Application).returning(Application.id, sort_by_parameter_order=True), rows).all()
    choice_rows, exemption_rows, review_rows = [], [], []
    for application_id, row, (program, status, submitted_at, choice_codes) in zip(application_ids, rows, extras):
        choice_rows += [{"application_id": application_id, "rank": rank, "specialty_id": lookups.specialties[code]}
                        for rank, code in enumerate(choice_codes, start=1)]
        if row["claims_exemption"]:
            exemption_rows += _exemption_rows(rng, application_id, row["snapshot"], submitted_at)
        review_rows += _review_rows(application_id, program, status, submitted_at, lookups.reviewers)
    db.session.execute(insert(ApplicationChoice), choice_rows)
    if exemption_rows:
        db.session.execute(insert(ExemptionRequest), exemption_rows)
    if review_rows:
        db.session.execute(insert(ReviewRecord), review_rows)


def _application_row(rng, lookups: _Lookups, facts, plan: dict, trainee_id: int, program: str, moment) -> tuple:
    """One application row and (program, status, submitted_at, specialty codes) for its children."""
    institution = plan["institution"]
    county = institution.region
    city_id = county.parent_id if county.parent_id and county.level == "county" else county.id
    status = rng.choice(GP_STATUSES if program == Program.GP_TRANSFER else RESIDENCY_STATUSES)
    submitted_at = None if status == Status.DRAFT else moment - timedelta(hours=rng.randrange(1, 24 * 9))
    if program == Program.GP_TRANSFER:
        identity = Identity.GP_TRANSFER
        base_id = rng.choice(lookups.gp_bases).id if status == Status.ASSIGNED else None
    else:
        identity = rng.choice([Identity.COMMISSIONED, Identity.OPEN_ENTRY, Identity.GRADUATE])
        base_id = rng.choice(lookups.res_bases).id
    admitted = status in (Status.ADMITTED, Status.REPORTED)
    theory = skills = combined = None
    if status in (Status.ADMITTED, Status.NOT_ADMITTED, Status.REPORTED):
        theory = Decimal(rng.randrange(400, 1000)) / 10
        skills = Decimal(rng.randrange(500, 1000)) / 10
        combined = (theory + skills) / 2
    choice_codes = ["0700"] if program == Program.GP_TRANSFER else rng.sample(RESIDENCY_SPECIALTIES, rng.choice([1, 2]))
    row = {
        "trainee_id": trainee_id, "batch_id": lookups.batches[program].id, "identity": identity, "status": status,
        "county_id": county.id if submitted_at else None, "city_id": city_id if submitted_at else None,
        "unit_name": institution.name, "base_id": base_id,
        "commissioning_unit": institution.name if identity == Identity.COMMISSIONED else None,
        "claims_exemption": program == Program.GP_TRANSFER and rng.random() < 0.4,
        "no_postgrad_pledge": program == Program.RESIDENCY,
        "snapshot": plan["snapshot"] if submitted_at else None,
        # the rule checks stored at submission, as reviewers see them on the detail page
        "eligibility": results_to_json(evaluate_residency(
            plan["snapshot"], {"identity": identity, "specialty_codes": choice_codes, "no_postgrad_pledge": True,
                               "unit_kind": None}, facts, submitted_at.date()))
        if submitted_at and program == Program.RESIDENCY else None,
        "created_at": (submitted_at or moment) - timedelta(days=1), "updated_at": submitted_at or moment,
        "submitted_at": submitted_at, "theory_score": theory,
        # entered its status with the last step of its review history (``_review_rows``)
        "status_changed_at": submitted_at + timedelta(
            hours=len((GP_PATH if program == Program.GP_TRANSFER else RES_PATH).get(status, [])))
        if submitted_at else moment - timedelta(days=1), "skills_score": skills,
        "combined_score": combined,
        "admission_result": (AdmissionResult.ADMITTED if admitted else AdmissionResult.NOT_ADMITTED
                             if status == Status.NOT_ADMITTED else AdmissionResult.PENDING),
        "admitted_specialty_id": lookups.specialties[choice_codes[0]] if admitted else None,
        "admitted_choice_rank": 1 if admitted else None,
        "onsite_confirmed_at": submitted_at + timedelta(days=2) if status in (
            Status.CONFIRMED, Status.ADMITTED, Status.NOT_ADMITTED, Status.REPORTED) else None,
        "reported_at": submitted_at + timedelta(days=5) if status == Status.REPORTED else None,
        "version": 1}
    return row, (program, status, submitted_at, choice_codes)


def _exemption_rows(rng, application_id: int, snapshot, submitted_at) -> list[dict]:
    rows = []
    for exemption_type in rng.sample([1, 2, 3, 5], rng.choice([1, 2])):
        content = "基层医疗卫生实践" if exemption_type == 1 else "内科"
        results = (evaluate_exemption(exemption_type, snapshot, {"content": content}, submitted_at.date())
                   if submitted_at else None)
        rows.append({"application_id": application_id, "type": exemption_type,
                     "content": content, "reason": "符合减免条件",
                     "rule_results": results_to_json(results) if results else None,
                     "rules_passed": all_passed(results) if results else None})
    return rows


ACTOR_ROLE = {ReviewLevel.COUNTY: Role.COUNTY_REVIEWER, ReviewLevel.CITY: Role.CITY_REVIEWER,
              ReviewLevel.BASE: Role.BASE_STAFF, ReviewLevel.PROVINCE: Role.PROVINCE_ADMIN}


def _review_rows(application_id: int, program: str, status: str, submitted_at, reviewers: dict) -> list[dict]:
    """The review history that led to ``status``."""
    path = (GP_PATH if program == Program.GP_TRANSFER else RES_PATH).get(status, [])
    rows = []
    for step, (level, action, before) in enumerate(path):
        after = path[step + 1][2] if step + 1 < len(path) else status
        rows.append({"application_id": application_id, "level": level, "action": action,
                     "reason": REASONS.get(action), "actor_id": reviewers.get(ACTOR_ROLE[level]),
                     "created_at": submitted_at + timedelta(hours=step + 1),
                     "status_before": before, "status_after": after})
    return rows


def load_demo(trainees: int, force_trainees: bool, random_seed: int, echo=print) -> None:
    """Seed reference data, create the fixtures once, and generate synthetic trainees."""
    seed_reference_data()
    ensure_fixtures(echo)
    existing = db.session.scalar(select(func.count()).select_from(Trainee))
    if existing and not force_trainees:
        echo(f"demo data already present ({existing} trainees); pass --trainees N to add more")
    elif trainees > 0:
        echo(f"generating {trainees} synthetic trainees …")
        generate_trainees(trainees, random_seed, echo)
        counts.compact()  # fold the triggers' ledger rows at once, not at the worker's next round
        counts.shrink()  # and give back the pages they filled
    echo("")
    echo(f"Demo accounts (password for all: {DEMO_PASSWORD})")
    for username, display, role, region_code, base_name in STAFF_ACCOUNTS:
        echo(f"  {username:<12} {Role.label(role)} · {display}")
    for username, display, _university in UNIVERSITY_ACCOUNTS:
        echo(f"  {username:<12} {Role.label(Role.UNIVERSITY)} · {display}")
    first = db.session.scalar(select(Account.username).where(Account.role == Role.TRAINEE).order_by(Account.id))
    if first:
        echo(f"  {first:<12} {Role.label(Role.TRAINEE)}")

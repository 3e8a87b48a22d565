"""factory_boy factories and ``build_world``, the two-city fixture the scope tests cross."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select
from stdnum.cn import ric
from werkzeug.security import generate_password_hash

from app.extensions import db
from models import (
    Account,
    AccountBusiness,
    Application,
    ApplicationChoice,
    Attachment,
    Batch,
    Education,
    Employment,
    ExemptionRequest,
    Institution,
    Licence,
    Quota,
    Region,
    ReviewRecord,
    Role,
    Specialty,
    Status,
    Trainee,
    TrainingBase,
    University,
)
from models.clock import now
from models.enums import (
    BatchStatus,
    Business,
    Identity,
    InstitutionKind,
    InstitutionLevel,
    PracticeCategory,
    Program,
    ReviewLevel,
)

PASSWORD = "Secret.123"
_serial = itertools.count(1)


def id_number(region_code: str = "410102", birth: date = date(1988, 3, 14)) -> str:
    """A unique valid 居民身份证 number."""
    body = f"{region_code}{birth:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def specialty(code: str) -> Specialty:
    return db.session.scalar(select(Specialty).where(Specialty.code == code))


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AccountFactory(Base):
    class Meta:
        model = Account

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda o: o.username)
    role = Role.TRAINEE
    password_hash = factory.LazyFunction(lambda: _password_hash())

    @factory.post_generation
    def businesses(obj, create, extracted, **kwargs):
        """The businesses the account opened: a trainee opened 全科转岗培训 unless told otherwise
        (``businesses=[...]``; ``businesses=[]`` for none)."""
        if extracted is None:
            extracted = [Business.GP_TRANSFER] if obj.role == Role.TRAINEE else []
        obj.business_rows = [AccountBusiness(business=b) for b in extracted]


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        _HASH.append(generate_password_hash(PASSWORD))
    return _HASH[0]


class InstitutionFactory(Base):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"测试卫生院{n}")
    level = InstitutionLevel.PRIMARY
    kind = InstitutionKind.TOWNSHIP


class BaseFactory(Base):
    class Meta:
        model = TrainingBase

    name = factory.Sequence(lambda n: f"测试基地{n}")
    trains_gp_transfer = True
    trains_residency = True


class BatchFactory(Base):
    class Meta:
        model = Batch

    name = factory.Sequence(lambda n: f"测试批次{n}")
    year = 2025
    program = Program.GP_TRANSFER
    status = BatchStatus.OPEN
    opens_at = factory.LazyFunction(lambda: now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: now() + timedelta(days=10))


_mobiles = itertools.count(13800000000)


class TraineeFactory(Base):
    class Meta:
        model = Trainee

    name = factory.Sequence(lambda n: f"学员{n}")
    id_number = factory.LazyFunction(id_number)
    mobile = factory.LazyFunction(lambda: str(next(_mobiles)))
    gender = "male"
    has_licence = True


class ApplicationFactory(Base):
    class Meta:
        model = Application

    identity = Identity.GP_TRANSFER
    status = Status.SUBMITTED
    submitted_at = factory.LazyFunction(now)


@dataclass
class World:
    """Handles on everything ``build_world`` made, by name."""

    accounts: dict[str, Account] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    bases: dict[str, TrainingBase] = field(default_factory=dict)
    institutions: dict[str, Institution] = field(default_factory=dict)
    trainees: dict[str, Trainee] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)
    quotas: dict[str, Quota] = field(default_factory=dict)


def build_world() -> World:
    """郑州 (county 中原区) and 洛阳 (county 西工区), each with a base, an institution, a trainee
    with a submitted GP application, an employment, education, licence, attachment and review;
    a third county (金水区) in 郑州 for county-vs-county checks; an account for every role (univ_zz:
    郑州大学's administrator).
    Keys: "zy" (中原区), "js" (金水区), "xg" (西工区)."""
    w = World()
    for key, code in [("zz", "410100"), ("ly", "410300"), ("zy", "410102"), ("js", "410105"), ("xg", "410303")]:
        w.regions[key] = region(code)
    w.bases["zz"] = BaseFactory(name="测试基地郑州", city=w.regions["zz"])
    w.bases["ly"] = BaseFactory(name="测试基地洛阳", city=w.regions["ly"])
    gp = BatchFactory(name="测试全科批次", program=Program.GP_TRANSFER)
    w.batches["gp"] = gp
    for key in ("zz", "ly"):
        w.quotas[key] = Quota(batch=gp, base=w.bases[key], specialty=specialty("0700"), capacity=5)
        db.session.add(w.quotas[key])
    accounts = [("super", Role.SUPERUSER, None, None), ("province", Role.PROVINCE_ADMIN, None, None),
                ("support", Role.SUPPORT, None, None),
                ("county_zy", Role.COUNTY_REVIEWER, "zy", None), ("county_xg", Role.COUNTY_REVIEWER, "xg", None),
                ("city_zz", Role.CITY_REVIEWER, "zz", None), ("city_ly", Role.CITY_REVIEWER, "ly", None),
                ("base_zz", Role.BASE_STAFF, None, "zz"), ("base_ly", Role.BASE_STAFF, None, "ly")]
    for username, role, region_key, base_key in accounts:
        w.accounts[username] = AccountFactory(username=username, role=role,
                                              region=w.regions[region_key] if region_key else None,
                                              base=w.bases[base_key] if base_key else None)
    # a university administrator of 郑州大学 (专硕备案), a city like base_zz's
    w.accounts["univ_zz"] = AccountFactory(username="univ_zz", role=Role.UNIVERSITY, university=db.session.scalar(
        select(University).where(University.name == "郑州大学")))
    for key, city_key in [("zy", "zz"), ("js", "zz"), ("xg", "ly")]:
        county = w.regions[key]
        city = w.regions[city_key]
        institution = InstitutionFactory(name=f"测试{county.name}卫生院", region=county)
        w.institutions[key] = institution
        account = AccountFactory(username=f"trainee_{key}", role=Role.TRAINEE)
        w.accounts[f"trainee_{key}"] = account
        trainee = TraineeFactory(name=f"学员{county.name}", account=account,
                                 id_number=id_number(county.code))
        w.trainees[key] = trainee
        db.session.add(Education(trainee=trainee, school="测试医学院", major="临床医学", level="bachelor",
                                 degree="bachelor", full_time=True))
        db.session.add(Employment(trainee=trainee, institution=institution, unit_name=institution.name,
                                  region=county, title="attending", is_current=True))
        db.session.add(Licence(trainee=trainee, category=PracticeCategory.CLINICAL, practice_number=f"P{key}"))
        application = ApplicationFactory(trainee=trainee, batch=gp, county=county, city=city,
                                         unit_name=institution.name,
                                         base=w.bases[city_key] if key != "js" else None,
                                         status=Status.ASSIGNED if key != "js" else Status.SUBMITTED)
        w.applications[key] = application
        db.session.add(ApplicationChoice(application=application, rank=1, specialty=specialty("0700")))
        db.session.add(ExemptionRequest(application=application, type=1, content="基层医疗卫生实践", reason="测试"))
        db.session.add(ReviewRecord(application=application, level=ReviewLevel.COUNTY, action="county_approve",
                                    status_before=Status.SUBMITTED, status_after=Status.COUNTY_APPROVED,
                                    actor=w.accounts["county_zy"]))
        attachment = Attachment(kind="photo", trainee=trainee, stored_name=f"world-{key}.png",
                                original_name=f"照片{key}.png", content_type="image/png", size=3, sha256="0" * 64)
        db.session.add(attachment)
        w.attachments[key] = attachment
    db.session.commit()
    return w

"""The SMS after a base's approval names the place and the deadline of 现场确认."""
from datetime import date

import pytest
from sqlalchemy import select

from app.domain.workflow import transition, transition_many
from app.extensions import db
from models import Application, Batch, SmsLog, Status, TrainingBase
from tests.applications import residency_application

CONFIRM_SEED = "务必于 5 月 22 日前，持该表到所报…考的培训基地进行现场确认"


def texts(phone: str) -> list[str]:
    return list(db.session.scalars(select(SmsLog.content).where(SmsLog.phone == phone).order_by(SmsLog.id)))


def submitted(world, deadline=date(2025, 5, 22)):
    application = residency_application(world, status=Status.SUBMITTED)
    batch = db.session.get(Batch, application.batch_id)
    batch.confirmation_deadline = deadline
    base = db.session.get(TrainingBase, application.base_id)
    base.address = "郑州市二七区大学路 40 号"
    db.session.commit()
    return db.session.get(Application, application.id)


@pytest.mark.seed(CONFIRM_SEED)
def test_the_approval_sms_names_the_base_its_address_and_the_confirmation_deadline(world):
    """务必于 5 月 22 日前，持该表到所报考的培训基地进行现场确认。"""
    application = submitted(world)
    transition(application, "base_approve", world.accounts["base_zz"])
    db.session.commit()
    [text] = texts(application.trainee.mobile)
    assert "请于 2025年5月22日 前持打印的报名表到测试基地郑州（郑州市二七区大学路 40 号）进行现场确认。" in text


@pytest.mark.seed(CONFIRM_SEED)
def test_the_bulk_approval_sends_the_same_place_and_deadline(world):
    """务必于 5 月 22 日前，持该表到所报考的培训基地进行现场确认。"""
    application = submitted(world)
    transition_many({"base_approve": [application]}, world.accounts["base_zz"])
    db.session.commit()
    [text] = texts(application.trainee.mobile)
    assert "请于 2025年5月22日 前持打印的报名表到测试基地郑州（郑州市二七区大学路 40 号）进行现场确认。" in text


def test_other_actions_say_nothing_about_on_site_confirmation(world):
    application = submitted(world)
    transition(application, "base_return", world.accounts["base_zz"], reason="照片不清晰")
    db.session.commit()
    [text] = texts(application.trainee.mobile)
    assert "现场确认" not in text

"""Helpers for portal tests: images, SMS codes and links as the phone receives them, a complete trainee profile."""
from __future__ import annotations

import io
import re
from datetime import date
from typing import ClassVar

from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.infra.sms import ConsoleSender
from models import Education, Employment, Licence, PracticeScope
from models.enums import InstitutionLevel


def png_bytes(width: int = 300, height: int = 400, color=(200, 120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def file_upload(data: bytes, name: str):
    return (io.BytesIO(data), name)


class OutboxSender(ConsoleSender):
    """The test suite's SMS sender (``SMS_BACKEND`` of the test app): it logs like the development
    console and keeps every message it was handed, as the trainee's phone would. The SMS log in the
    database holds codes and links masked; tests read them here."""

    name = "console"
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, phone: str, text: str, idempotency_key: str | None = None) -> None:
        super().send(phone, text)
        OutboxSender.sent.append((phone, text))


def texts_to(phone: str) -> list[str]:
    """Every message sent to ``phone`` in this test, oldest first, as the phone shows it."""
    return [text for to, text in OutboxSender.sent if to == phone]


def last_code(phone: str) -> str:
    """The code in the latest text message to ``phone`` (what the trainee reads on the phone)."""
    texts = texts_to(phone)
    match = re.search(r"\b(\d{6})\b", texts[-1] if texts else "")
    assert match, texts
    return match.group(1)


def last_link(phone: str) -> str:
    """The path of the reset link in the latest text message to ``phone``."""
    texts = texts_to(phone)
    match = re.search(r"https?://[^/\s]+(/portal/reset/[A-Za-z0-9_-]+)", texts[-1] if texts else "")
    assert match, texts
    return match.group(1)


def complete_profile(trainee, region, photo=None, title="attending", years_in_gp_dept=3, unit_level="secondary"):
    """Fill every required profile field and row (committed)."""
    trainee.gender = trainee.gender or "male"
    trainee.ethnicity = "汉族"
    trainee.political_status = "masses"
    trainee.address = "郑州市测试路1号"
    trainee.emergency_contact = "联系人"
    trainee.emergency_phone = "13700000000"
    trainee.has_licence = True
    if photo is not None:
        trainee.photo = photo
    db.session.add(Education(trainee=trainee, school="测试医学院", major="临床医学", level="bachelor",
                             degree="bachelor", full_time=True, start_date=date(2005, 9, 1),
                             end_date=date(2010, 7, 1), graduation_date=date(2010, 7, 1)))
    db.session.add(Employment(trainee=trainee, unit_name="测试人民医院", unit_level=unit_level or InstitutionLevel.SECONDARY,
                              region=region, department="全科医学科", title=title, title_grade="intermediate",
                              start_date=date(2024 - years_in_gp_dept, 1, 1), is_current=True,
                              unit_has_independent_gp_dept=True, in_independent_gp_dept=True))
    scope = db.session.scalar(select(PracticeScope).where(PracticeScope.code == "11"))
    db.session.add(Licence(trainee=trainee, qualification_number="Q123", practice_number="P123", category="clinical",
                           scope=scope))
    db.session.commit()

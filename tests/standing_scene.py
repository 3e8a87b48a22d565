"""A published residency season with each state after on-site confirmation, for the application
list's tests and screenshots: seats, 缺考, accepted / declined / silent notices, missing documents."""
from __future__ import annotations

from datetime import date

from sqlalchemy import update

from app.domain.admission.notices import accept, decline
from app.extensions import db
from models import Application
from models.enums import Identity
from models.exam import ExamRoom, ExamSeat
from tests.notices import Season, admitted_season

DUE = date(2031, 8, 31)


def standing_season(world) -> Season:
    """The published season of ``tests/notices.py``: 甲一 (应届毕业生 without a diploma) accepted, 乙二
    declined, 丙三 silent; 己六 (洛阳) accepted without a diploma too; 戊五 缺考; 甲一 and 丁四 seated."""
    season = admitted_season(world)
    batch, people = season.batch, season.people
    batch.diploma_deadline = DUE
    for key in ("top", "ly"):
        people[key].identity = Identity.GRADUATE
    noscore = people["noscore"]
    db.session.execute(update(Application).where(Application.id == noscore.id).values(
        theory_score=None, skills_score=None, combined_score=None, exam_absent=True))
    room = ExamRoom(batch_id=batch.id, base_id=world.bases["zz"].id, name="第一考场", address="行政楼 301",
                    capacity=30)
    db.session.add(room)
    db.session.flush()
    for seat_no, key in enumerate(("top", "out"), start=1):
        db.session.add(ExamSeat(application_id=people[key].id, batch_id=batch.id, base_id=world.bases["zz"].id,
                                room_id=room.id, seat_no=seat_no, sequence=seat_no,
                                exam_number=f"2024{batch.id:03d}0001{seat_no:04d}"))
    db.session.commit()
    accept(season.account("top"), season.notice("top").id)
    accept(season.account("ly"), season.notice("ly").id)
    decline(season.account("second"), season.notice("second").id, "已被其他单位录用")
    return season



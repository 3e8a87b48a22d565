"""The back-office dashboard as a user reads it: its tables by id, a table's rows by a data attribute,
the page of a logged-in user; applications added at a status and a submission time, and the residency
season's rows (exam numbers, 录取通知 and training records)."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from html.parser import HTMLParser

from app.extensions import db
from models import (
    Acceptance,
    AdmissionNotice,
    Application,
    ApplicationChoice,
    ExamRoom,
    ExamSeat,
    TrainingRecord,
)
from models.clock import now
from models.exam import MAX_ROOM_CAPACITY
from tests.factories import PASSWORD, ApplicationFactory, TraineeFactory, id_number


class Tables(HTMLParser):
    """Every table with an id: its rows (tr attributes, cells as (text, href))."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[str, str | None]]]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif self._table is not None and tag == "tr":
            self._row = (attrs, [])
            self._table.append(self._row)
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ["", None]
        elif self._cell is not None and tag == "a":
            self._cell[1] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def tables(html: str) -> dict:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def rows_by(table, attribute: str) -> dict[str, list[str]]:
    """Row key (a data attribute of the row) → the texts of its cells after the first."""
    return {attrs[attribute]: [text for text, _href in cells[1:]] for attrs, cells in table if attribute in attrs}


def dashboard(client, user: str, auth) -> str:
    auth.login(user, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add_application(world, county_key: str, batch, status: str, submitted_at=None, **values) -> Application:
    city_key = "ly" if county_key == "xg" else "zz"
    county = world.regions[county_key]
    trainee = TraineeFactory(id_number=id_number(county.code))
    return ApplicationFactory(trainee=trainee, batch=batch, county=county, city=world.regions[city_key],
                              status=status, submitted_at=submitted_at or now(), **values)


# --- the residency season: exam numbers, scores, notices, 报到, missing documents ------------------

SEASON_COLUMNS = ("quota", "applied", "ratio", "seats", "scored", "absent", "admitted", "accepted", "declined",
                  "pending", "reported", "missing")


def residency_application(world, county_key: str, batch, base, status: str, choices, **values) -> Application:
    """A residency application with its choices (specialties, first first)."""
    application = add_application(world, county_key, batch, status, base=base, **values)
    for rank, spec in enumerate(choices, start=1):
        db.session.add(ApplicationChoice(application=application, rank=rank, specialty=spec))
    return application


def exam_room(batch, base) -> ExamRoom:
    room = ExamRoom(batch=batch, base=base, name=f"第{base.id}考场", address="示例楼", capacity=MAX_ROOM_CAPACITY)
    db.session.add(room)
    return room


def give_seat(application: Application, room: ExamRoom) -> ExamSeat:
    """An exam number (准考证号) for ``application`` in ``room``."""
    sequence = next(_seats)
    seat = ExamSeat(application=application, batch_id=application.batch.id, base_id=room.base.id, room=room,
                    seat_no=sequence, sequence=sequence, exam_number=f"T{sequence:09d}")
    db.session.add(seat)
    return seat


def notice(application: Application, spec, acceptance: str = Acceptance.PENDING) -> AdmissionNotice:
    """The 录取通知 in force for ``application``, answered (or not) with ``acceptance``."""
    row = AdmissionNotice(application=application, base=application.base, specialty=spec,
                          report_at=now() + timedelta(days=30), report_place="示例楼", acceptance=acceptance,
                          answered_at=None if acceptance == Acceptance.PENDING else now())
    db.session.add(row)
    return row


def training_record(application: Application, diploma_due: date | None = None, **values) -> TrainingRecord:
    record = TrainingRecord(application=application, base_id=application.base.id, diploma_due=diploma_due, **values)
    db.session.add(record)
    return record


_seats = itertools.count(1)

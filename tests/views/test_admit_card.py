"""The trainee's 准考证: the exam on the application page, the PDF only inside the base's window, its
contents, and its QR code verified on the public page (a forged code → 无效)."""
from __future__ import annotations

from datetime import date, datetime

import pypdfium2 as pdfium
import pytest
import time_machine
import zxingcpp
from sqlalchemy import select

from app.extensions import db
from models import ExamSeat, Quota, Status
from models.clock import CST
from tests.conftest import Auth
from tests.applications import residency_application, residency_batch
from tests.exam_arrangements import CPR, add_room, allocate, pdf_text, post, window
from tests.factories import specialty

OPENS, CLOSES = date(2025, 5, 20), date(2025, 5, 24)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ticket(world, app, auth, client):
    """A confirmed applicant of 郑州 with a photo, allocated a seat; the window is 5-20 to 5-24."""
    batch = residency_batch()
    batch.theory_exam_starts_at, batch.theory_exam_ends_at = datetime(2025, 5, 25, 9), datetime(2025, 5, 25, 11)
    for code in ("0100", "0200"):
        db.session.add(Quota(batch=batch, base=world.bases["zz"], specialty=specialty(code), capacity=5))
    application = residency_application(world, status=Status.CONFIRMED, photo=True, name="赵敏")
    base = world.bases["zz"]
    auth.login("base_zz")
    add_room(client, batch, base, name="第三考场", address="教学楼 2 层 205", capacity=30)
    post(client, batch, base, "skills/", specialty=application.choices[0].specialty.id, items=f"{CPR}、胸腔穿刺")
    window(client, batch, base, OPENS, CLOSES)
    assert allocate(client, batch, base).status_code == 302
    auth.logout()
    return application


def trainee_client(app, application):
    client = app.test_client()
    Auth(client).login(application.trainee.account.username)
    return client


def card_url(application) -> str:
    return f"/portal/applications/{application.id}/admit-card.pdf"


def on(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=CST), tick=False)


def downloads(client, application) -> bool:
    response = client.get(card_url(application))
    if response.status_code == 200:
        assert response.mimetype == "application/pdf"
        return True
    assert response.status_code == 302
    return False


def test_the_application_page_shows_the_exam_time_number_and_room(app, ticket):
    """DESIGN.md: The province sets the unified theory exam's time … Confirmed applicants get an exam number
    and seat (the time was stored but never shown to trainees)."""
    with on(OPENS):
        html = text(trainee_client(app, ticket).get(f"/portal/applications/{ticket.id}"))
    seat = db.session.scalar(select(ExamSeat))
    assert "2025年5月25日 09:00–11:00" in html
    assert seat.exam_number in html and "第三考场（教学楼 2 层 205）" in html and "座位号 1" in html
    assert "2025年5月20日 – 2025年5月24日" in html


@pytest.mark.parametrize("day, allowed", [
    (date(2025, 5, 19), False), (OPENS, True), (date(2025, 5, 21), True),
    (date(2025, 5, 23), True), (CLOSES, True), (date(2025, 5, 25), False)])
def test_the_ticket_downloads_only_inside_the_bases_window(app, ticket, day, allowed):
    """DESIGN.md: Confirmed applicants get an exam number and seat, and a 准考证 PDF in a window (issue 15:
    Trainees download it only inside a window set by the base). The first and last day are included."""
    with on(day):
        client = trainee_client(app, ticket)
        assert downloads(client, ticket) is allowed
        if not allowed:
            html = text(client.get(f"/portal/applications/{ticket.id}"))
            expected = "准考证自2025年5月20日起可以下载" if day < OPENS else "准考证下载已于2025年5月24日截止"
            assert expected in html and "admit-card-link" not in html


def test_the_ticket_shows_what_the_candidate_needs(app, ticket):
    with on(OPENS):
        data = trainee_client(app, ticket).get(card_url(ticket)).data
    content = pdf_text(data)
    seat = db.session.scalar(select(ExamSeat))
    id_number = ticket.trainee.id_number
    for expected in ("准考证", "赵敏", seat.exam_number, "第三考场", "教学楼2层205", "2025年5月25日09:00–11:00",
                     "单人徒手心肺复苏、胸腔穿刺", "内科", "测试基地郑州", "居民身份证原件", "考生须知",
                     id_number[:6] + "********" + id_number[-4:]):
        assert expected in content, expected
    assert id_number not in content
    assert len(pdfium.PdfDocument(data)) == 1


def test_the_qr_code_verifies_and_a_forged_one_is_invalid(app, ticket):
    """Its QR code is verified like the registration form's; a forged code → 无效."""
    with on(OPENS):
        data = trainee_client(app, ticket).get(card_url(ticket)).data
    image = pdfium.PdfDocument(data)[0].render(scale=4).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1
    url = codes[0].text
    assert "/portal/verify/admit-card?code=" in url
    path = url.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()
    html = text(anonymous.get("/" + path))
    seat = db.session.scalar(select(ExamSeat))
    assert "有效" in html and seat.exam_number in html and "赵敏" in html
    assert ticket.trainee.id_number not in html
    code = path.split("code=", 1)[1]
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    for bad in (forged, "", "x" * 5000, "\x00", "not-a-code"):
        response = anonymous.get("/portal/verify/admit-card", query_string={"code": bad})
        assert response.status_code == 404 and "无效" in text(response), bad


def test_another_trainees_ticket_is_not_found(world, app, ticket):
    stranger = residency_application(world, status=Status.CONFIRMED, name="孙立")
    with on(OPENS):
        other = trainee_client(app, stranger)
        assert other.get(card_url(ticket)).status_code == 404
        assert other.get(f"/portal/applications/{2**31 - 1}/admit-card.pdf").status_code == 404
        assert other.get("/portal/applications/99999999999999/admit-card.pdf").status_code == 404


def test_a_confirmed_applicant_without_a_number_is_told_why(world, app, ticket):
    late = residency_application(world, status=Status.CONFIRMED, name="周末")
    with on(OPENS):
        client = trainee_client(app, late)
        assert client.get(card_url(late)).status_code == 302
        assert "您还没有准考证号" in text(client.get(f"/portal/applications/{late.id}"))

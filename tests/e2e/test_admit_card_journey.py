"""From 现场确认 to the 准考证 in Chromium: the base confirms an applicant by the form's code, sets a
room, the skills items and the download window, allocates; the trainee sees the exam on a phone and
downloads the ticket, whose first page is rendered and whose QR code opens the verification page."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pypdfium2 as pdfium
import zxingcpp
from sqlalchemy import select

from app.domain.review.verification import short_code
from app.extensions import db
from models import Application, ExamSeat, Quota, Status
from models.clock import today
from tests.applications import residency_application, residency_batch
from tests.browser import SHOTS, browser_page, live_server, log_in, shoot, submit_in  # noqa: F401  (fixtures)
from tests.exam_arrangements import CPR, pdf_text
from tests.factories import specialty




def test_from_confirmation_to_the_admit_card(world, live_server, browser_page):  # noqa: F811
    page, site = browser_page, live_server
    batch = residency_batch()
    batch.theory_exam_starts_at = datetime.combine(today() + timedelta(days=5), time(9))
    batch.theory_exam_ends_at = datetime.combine(today() + timedelta(days=5), time(11))
    zz = world.bases["zz"]
    for code in ("0100", "0200"):
        db.session.add(Quota(batch=batch, base=zz, specialty=specialty(code), capacity=5))
    application = residency_application(world, status=Status.BASE_APPROVED, photo=True, name="赵敏")
    db.session.commit()

    # 现场确认 by the code on the printed form
    log_in(page, site, "base_zz")
    page.goto(site + "/admin/confirm/?code=" + short_code(application))
    for box in page.locator("input[name=materials]").all():
        box.check()
    submit_in(page, "form[method=post]:has(input[name=materials])")
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == Status.CONFIRMED

    # the base's exam arrangements: a room, the skills items, the window, then the allocation
    page.goto(f"{site}/admin/exams/?batch={batch.id}")
    page.fill("#room-name", "第一考场")
    page.fill("#room-address", "教学楼 3 层 301")
    page.fill("#room-capacity", "0")
    submit_in(page, ".exam-room-form")
    assert "容量必须大于 0" in page.content() and page.input_value("#room-name") == "第一考场"
    page.fill("#room-capacity", "40")
    page.fill("#room-invigilators", "王老师、李老师")
    submit_in(page, ".exam-room-form")
    internal = application.choices[0].specialty
    page.fill(f"#items-{internal.id}", CPR)
    submit_in(page, f".exam-skills:has(#items-{internal.id})")
    assert "至少再选择一项" in page.content()
    page.fill(f"#items-{internal.id}", f"{CPR}、胸腔穿刺")
    submit_in(page, f".exam-skills:has(#items-{internal.id})")
    page.fill("#opens_on", (today() - timedelta(days=1)).isoformat())
    page.fill("#closes_on", (today() + timedelta(days=3)).isoformat())
    submit_in(page, "form:has(#opens_on)")
    submit_in(page, "form:has(button:has-text('编排准考证号和座位'))")
    assert "新发放准考证号 1 个" in page.content()
    shoot(page, "exams-arrangements")
    seat = db.session.scalar(select(ExamSeat).where(ExamSeat.application_id == application.id))
    assert seat is not None and seat.seat_no == 1
    page.context.clear_cookies()  # a new session: the trainee's phone

    # the trainee, on a phone, sees the exam and downloads the ticket
    log_in(page, site, application.trainee.account.username)
    page.goto(f"{site}/portal/applications/{application.id}")
    card = page.locator("#exam").inner_text()
    assert seat.exam_number in card and "第一考场" in card and "09:00–11:00" in card
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "exams-trainee-application")
    response = page.request.get(site + page.get_attribute("#admit-card-link", "href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    data = response.body()
    assert seat.exam_number in pdf_text(data) and "单人徒手心肺复苏、胸腔穿刺" in pdf_text(data)
    image = pdfium.PdfDocument(data)[0].render(scale=2).to_pil()
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SHOTS / "exams-admit-card.png")

    # the invigilator scans the QR code
    url = zxingcpp.read_barcodes(image)[0].text
    page.goto(site + "/" + url.split("://", 1)[1].split("/", 1)[1])
    assert "有效" in page.inner_text("#card-valid") and seat.exam_number in page.content()
    shoot(page, "exams-verify")

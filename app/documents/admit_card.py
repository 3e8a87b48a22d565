"""The residency exam admission ticket (准考证) and the rooms' sign-in sheets (考场签到表) as A4 PDFs.

Drawn with the registration form's machinery (``app.documents.regform``: the embedded Chinese font,
bordered rows that fit their text, the vector QR code, the photo). The ticket's QR code holds the
signed verification URL of ``app.domain.exams.verification``; the short text under it is the exam
number.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _

from app.documents.regform import (
    FONT,
    MARGIN,
    WIDTH,
    Cell,
    FormPDF,
    _draw_photo,
    _photo_image,
    _text,
)
from app.domain.exams import first_choice, theory_exam_text
from app.domain.exams.verification import card_url
from app.domain.privacy import mask_id_number
from app.domain.scores import item_sets
from app.infra.storage import protect_file_response
from models import Application
from models.exam import ExamRoom, ExamSeat

LABEL_W = 28.0
PHOTO_W = 40.0


def _rules() -> list[str]:
    """考生须知: what to bring and how the exam runs."""
    return [
        _("1. Bring this admission ticket and the original of your resident identity card (or the identity document "
          "you applied with); without both you may not enter the room."),
        _("2. Arrive at the room 30 minutes before the exam starts; candidates more than 15 minutes late may not "
          "enter."),
        _("3. Bring black pens; mobile phones, smart watches and other electronic devices are not allowed in the "
          "room."),
        _("4. Sit in the seat of your number and place the ticket and identity card on the desk for checking."),
        _("5. The skills exam follows the theory exam; its place and time are announced by the training base."),
    ]


def admit_card_pdf(application: Application, seat: ExamSeat) -> bytes:
    """The 准考证 of ``application`` (which has ``seat``), one A4 page."""
    snapshot = application.snapshot or {}
    name = _text(snapshot.get("name")) or _text(application.trainee.name)
    specialty = first_choice(application)
    items = item_sets(application.batch, application.base).of(application)
    pdf = FormPDF(seat.exam_number)
    pdf.set_title(_("Admission ticket"))
    pdf.set_author(name)
    pdf.set_creator(_("Henan Health Training Enrollment Platform"))
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.add_page()
    _heading(pdf, application, seat)
    room = seat.room
    rows = [
        (_("Full name"), name),
        (_("ID number"), mask_id_number(snapshot.get("id_number") or application.trainee.id_number)),
        (_("Exam number"), seat.exam_number),
        (_("Training base"), application.base.name if application.base else ""),
        (_("Specialty"), specialty.name if specialty else ""),
        (_("Theory exam time"), theory_exam_text(application.batch) or _("To be announced")),
    ]
    top = pdf.get_y()
    for label, value in rows:
        pdf.draw_row([Cell(LABEL_W, label, label=True), Cell(WIDTH - PHOTO_W - LABEL_W, value)], min_h=9.5)
    _draw_photo(pdf, _photo_image(snapshot, application), MARGIN + WIDTH - PHOTO_W, top, PHOTO_W, pdf.get_y() - top)
    pdf.draw_row([Cell(LABEL_W, _("Exam room"), label=True), Cell(WIDTH / 2 - LABEL_W, room.name),
                  Cell(LABEL_W, _("Seat"), label=True), Cell(WIDTH / 2 - LABEL_W, str(seat.seat_no))], min_h=9.5)
    pdf.draw_row([Cell(LABEL_W, _("Room address"), label=True), Cell(WIDTH - LABEL_W, room.address)], min_h=9.5)
    pdf.draw_row([Cell(LABEL_W, _("Skills exam items"), label=True),
                  Cell(WIDTH - LABEL_W, "、".join(items) or _("To be announced by the training base"))], min_h=9.5)
    _notes(pdf)
    return bytes(pdf.output())


def _heading(pdf: FormPDF, application: Application, seat: ExamSeat) -> None:
    qr_size = 26.0
    pdf.qr_corner(card_url(seat), 10.0, qr_size, [_("Scan to verify")])
    middle = WIDTH - 2 * (qr_size + 4)
    pdf.bold_text(MARGIN + qr_size + 4, 14, middle, 10, _("Admission ticket"), 20)
    pdf.set_font(FONT, size=11)
    pdf.set_xy(MARGIN + qr_size + 4, 26)
    pdf.cell(middle, 6, _("Resident standardized training recruitment exam"), align="C")
    pdf.set_xy(MARGIN + qr_size + 4, 32)
    pdf.cell(middle, 6, _text(application.batch.name), align="C")
    pdf.set_font(FONT, size=10.5)
    pdf.set_y(44.0)


def _notes(pdf: FormPDF) -> None:
    pdf.set_y(pdf.get_y() + 4)
    pdf.section(_("Notes for candidates"))
    pdf.set_font(FONT, size=9.5)
    pdf.set_y(pdf.get_y() + 1.5)
    for rule in _rules():
        for line in pdf.wrap(rule, WIDTH - 4):
            pdf.set_x(MARGIN + 2)
            pdf.cell(WIDTH - 4, 5, line)
            pdf.set_y(pdf.get_y() + 5)
    pdf.set_font(FONT, size=10.5)


def admit_card_filename(application: Application, seat: ExamSeat) -> str:
    name = _text((application.snapshot or {}).get("name")) or _text(application.trainee.name)
    return f"{_('Admission ticket')}_{name}_{seat.exam_number}.pdf".replace("/", "_")


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF download with a Chinese file name, sandboxed and never cached."""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename=document.pdf; filename*=UTF-8''{quote(filename)}"
    return protect_file_response(response)


# --- 考场签到表 -----------------------------------------------------------------------------------------

def roster_rows(seats: list[ExamSeat]) -> list[list[str]]:
    """One row per seat: seat, exam number, name, masked ID number, specialty (the signature is left blank)."""
    rows = []
    for seat in seats:
        application = seat.application
        specialty = first_choice(application)
        rows.append([str(seat.seat_no), seat.exam_number, _text(application.trainee.name),
                     mask_id_number(application.trainee.id_number), specialty.name if specialty else ""])
    return rows


def roster_headers() -> list[str]:
    return [_("Seat"), _("Exam number"), _("Full name"), _("ID number"), _("Specialty"), _("Signature")]


ROSTER_WIDTHS = (14.0, 40.0, 26.0, 44.0, 30.0, 26.0)


def roster_pdf(room: ExamRoom, seats: list[ExamSeat]) -> bytes:
    """The sign-in sheet of ``room``: a header with the room and exam, one row per seat, a signature column."""
    pdf = FormPDF(room.name)
    pdf.set_title(_("Exam room sign-in sheet"))
    pdf.set_creator(_("Henan Health Training Enrollment Platform"))
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.bold_text(MARGIN, 14, WIDTH, 10, _("Exam room sign-in sheet"), 18)
    pdf.set_font(FONT, size=10)
    lines = [f"{_text(room.batch.name)}　{_text(room.base.name)}",
             _("Room: %(room)s (%(address)s), %(count)s of %(capacity)s seats taken", room=room.name,
               address=room.address, count=len(seats), capacity=room.capacity),
             _("Theory exam: %(time)s　Invigilators: %(names)s",
               time=theory_exam_text(room.batch) or _("To be announced"), names=room.invigilators or "—")]
    pdf.set_y(26)
    for line in lines:
        for part in pdf.wrap(line, WIDTH):
            pdf.set_x(MARGIN)
            pdf.cell(WIDTH, 5.5, part)
            pdf.set_y(pdf.get_y() + 5.5)
    pdf.set_font(FONT, size=10.5)
    pdf.set_y(pdf.get_y() + 2)
    pdf.draw_row([Cell(w, text, label=True) for w, text in zip(ROSTER_WIDTHS, roster_headers())])
    for row in roster_rows(seats):
        pdf.draw_row([Cell(w, text, align="C") for w, text in zip(ROSTER_WIDTHS, row + [""])], min_h=10)
    return bytes(pdf.output())

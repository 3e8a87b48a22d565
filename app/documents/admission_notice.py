"""The admission notice (录取通知书) as a printable A4 PDF, on the machinery of the registration form
(``app.documents.regform``: the embedded font, the bordered rows, the vector QR code).

The QR code holds the signed back-office URL that opens the notice for the base's staff at 报到
(``app.domain.admission.notices.notice_verification_url``), with the short code printed under it."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _

from app.documents.regform import BODY_SIZE, FONT, MARGIN, PAGE_W, WIDTH, Cell, FormPDF
from app.domain.admission.notices import notice_short_code, notice_verification_url, window
from app.i18n import cn_date, cn_datetime
from app.infra.storage import protect_file_response
from models import AdmissionNotice

LABEL_W = 34.0


def _text(value) -> str:
    return "" if value is None else str(value).replace("\x00", "").strip()


def admission_notice_pdf(notice: AdmissionNotice) -> bytes:
    """The notice as PDF bytes (one A4 page). Needs a request context or ``SERVER_NAME`` for the QR."""
    application = notice.application
    pdf = FormPDF(notice_short_code(notice))
    pdf.set_title(_("Admission notice"))
    pdf.set_author(_text(application.trainee.name))
    pdf.set_creator(_("Henan Health Training Enrollment Platform"))
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.add_page()
    _heading(pdf, notice)
    _letter(pdf, notice)
    _facts(pdf, notice)
    _answer(pdf, notice)
    return bytes(pdf.output())


def _heading(pdf: FormPDF, notice: AdmissionNotice) -> None:
    qr_size = 24.0
    pdf.qr_corner(notice_verification_url(notice), 10.0, qr_size, [pdf.code, _("Scan at reporting")])
    middle = WIDTH - 2 * (qr_size + 4)
    pdf.bold_text(MARGIN + qr_size + 4, 14, middle, 10, _("Admission notice"), 22.0)
    pdf.set_font(FONT, size=11.5)
    pdf.set_xy(MARGIN + qr_size + 4, 27)
    pdf.cell(middle, 6, _text(notice.application.batch.name), align="C")
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_y(46.0)


def _letter(pdf: FormPDF, notice: AdmissionNotice) -> None:
    trainee = notice.application.trainee
    pdf.set_font(FONT, size=12)
    pdf.set_x(MARGIN)
    pdf.cell(WIDTH, 8, _("Dear %(name)s:", name=_text(trainee.name)))
    pdf.ln(9)
    body = _("You have been admitted to the resident standardized training of %(base)s, specialty %(specialty)s. "
             "Please report at the time and place below with this notice, your ID card, your diploma and degree "
             "certificate and your physician qualification certificate if you have one.",
             base=_text(notice.base.name), specialty=_text(notice.specialty.name))
    for line in pdf.wrap("\u3000\u3000" + body, WIDTH):
        pdf.set_x(MARGIN)
        pdf.cell(WIDTH, 7, line)
        pdf.ln(7)
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.ln(3)


def _facts(pdf: FormPDF, notice: AdmissionNotice) -> None:
    application = notice.application
    opens, closes = window(notice, application.batch)
    rows = [
        (_("Full name"), _text(application.trainee.name)),
        (_("Training base"), _text(notice.base.name)),
        (_("Specialty"), _text(notice.specialty.name)),
        (_("Reporting time"), cn_datetime(notice.report_at)),
        (_("Reporting place"), _text(notice.report_place)),
        (_("Accept or decline"), _("From %(opens)s to %(closes)s on the platform", opens=cn_date(opens),
                                   closes=cn_date(closes)) if opens and closes else "—"),
        (_("Issued at"), cn_datetime(notice.issued_at)),
    ]
    for label, value in rows:
        pdf.draw_row([Cell(LABEL_W, label, label=True), Cell(WIDTH - LABEL_W, value)], min_h=9.0)


def _answer(pdf: FormPDF, notice: AdmissionNotice) -> None:
    pdf.ln(6)
    pdf.set_x(MARGIN)
    pdf.set_font(FONT, size=SMALL)
    note = _("An admission not accepted within the period expires, and its place is offered to another applicant. "
             "Reporting requires an accepted admission.")
    for line in pdf.wrap(note, WIDTH):
        pdf.set_x(MARGIN)
        pdf.cell(WIDTH, 5, line)
        pdf.ln(5)
    pdf.set_font(FONT, size=12)
    pdf.set_xy(PAGE_W - MARGIN - 80, pdf.get_y() + 14)
    pdf.cell(80, 7, _text(notice.base.name), align="C")
    pdf.set_xy(PAGE_W - MARGIN - 80, pdf.get_y() + 8)
    pdf.cell(80, 7, cn_date(notice.issued_at.date()), align="C")
    pdf.set_font(FONT, size=BODY_SIZE)


SMALL = 9.5


def admission_notice_response(notice: AdmissionNotice) -> Response:
    """The PDF as a download with a Chinese file name, sandboxed and never cached."""
    name = f"{_('Admission notice')}_{_text(notice.application.trainee.name)}_{notice.id}.pdf".replace("/", "_")
    response = Response(admission_notice_pdf(notice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename=notice.pdf; filename*=UTF-8''{quote(name)}"
    return protect_file_response(response)

"""The residency registration form (住院医师规范化培训报名表) as a printable A4 PDF.

``registration_form_pdf(application)`` lays out what the trainee submitted (the application's
frozen snapshot, its base and specialty choices) as a bordered government-style form with the
photo, the pledge and signature line, for commissioned trainees a box for the unit's seal, and a
QR code holding the signed confirmation URL (see ``app.domain.review.verification``) with the short code under
it. The base scans it at on-site confirmation (``views/admin/confirm.py``).

Chinese is set in the Noto Serif CJK SC font shipped in ``app/static/fonts`` and embedded (subset
to the characters used) in every document, so no system font is needed anywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import segno
from flask_babel import gettext as _
from fpdf import FPDF
from PIL import Image

from app.config import PROJECT_ROOT
from app.domain.review.verification import short_code, verification_url
from app.domain.rules import parse_date
from app.domain.workflow import states
from app.extensions import db
from app.i18n import cn_date, cn_datetime, yes_no
from app.infra.filestore import StoreUnavailable
from app.infra.storage import protect_file_response, seekable_copy
from models import Application, Attachment
from models.enums import (
    Degree,
    EducationLevel,
    Gender,
    Identity,
    IdType,
    JobTitle,
    PoliticalStatus,
    PracticeCategory,
    Program,
)

FONT_PATH = PROJECT_ROOT / "app" / "static" / "fonts" / "NotoSerifCJKsc-Regular-subset.otf"
FONT = "NotoSerifSC"
SEAL_LABEL_W = 28.0  # the label column of the choices and the seal box
# a form can be printed once the trainee has submitted, and for as long as it stays in the process

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 15.0
WIDTH = PAGE_W - 2 * MARGIN
BOTTOM = PAGE_H - 14.0
ROW_H = 8.0
LINE_H = 4.6
BODY_SIZE = 10.5
MIN_SIZE = 8.0  # a value that does not fit on one line is set smaller down to this, then wrapped
SMALL_SIZE = 9.0
PAD = 1.5


class RegformError(ValueError):
    """The form cannot be made for this application; ``str(error)`` is the Chinese reason."""


@dataclass
class Cell:
    """One cell of a table row: its width in mm, its text, and whether it is a label."""

    width: float
    text: str = ""
    label: bool = False
    align: str = ""
    size: float = 0.0  # set by ``FormPDF.layout``: the font size the text is set in


def _text(value) -> str:
    return "" if value is None else str(value).replace("\x00", "").strip()


def _month(value: str | None) -> str:
    day = parse_date(value)
    return f"{day.year}.{day.month:02d}" if day else ""


def _period(start: str | None, end: str | None, current: bool = False) -> str:
    begin = _month(start)
    finish = _("present") if current and not end else _month(end)
    if not begin and not finish:
        return ""
    return f"{begin}—{finish}"


def _iso_cn_date(value: str | None) -> str:
    day = parse_date(value)
    return cn_date(day) if isinstance(day, date) else ""


class FormPDF(FPDF):
    """An A4 page with the platform's font and a footer with the page number and short code."""

    def __init__(self, code: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.code = code
        self.add_font(FONT, "", str(FONT_PATH))
        self.set_font(FONT, size=BODY_SIZE)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.set_line_width(0.3)
        self.c_margin = PAD

    def footer(self):
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        self.set_xy(MARGIN, PAGE_H - 11)
        self.cell(WIDTH, 5, _("Page %(page)s of {nb}; code %(code)s", page=self.page_no(), code=self.code),
                  align="C")
        self.set_text_color(0)
        self.set_font(FONT, size=BODY_SIZE)

    # --- text that fits its box -------------------------------------------------------------

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` broken into lines no wider than ``width`` (character by character, as CJK text is;
        Latin words are kept whole when they fit on a line)."""
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            line = ""
            for char in paragraph:
                if self.get_string_width(line + char) <= width or not line:
                    line += char
                    continue
                # move a Latin word that would be split to the next line, when it is short enough
                head, space, word = line.rpartition(" ")
                if space and word.isascii() and word and char.isascii() and not char.isspace() \
                        and self.get_string_width(word + char) <= width:
                    lines.append(head)
                    line = word + char
                else:
                    lines.append(line)
                    line = char.lstrip()
            lines.append(line)
        return lines or [""]

    def layout(self, cell: Cell) -> list[str]:
        """The lines of ``cell`` and its font size: one line, set smaller if need be, else wrapped."""
        room = cell.width - 2 * PAD
        size = BODY_SIZE
        while size > MIN_SIZE and self.get_string_width(cell.text) > room:
            size -= 0.5
            self.set_font_size(size)
        if self.get_string_width(cell.text) > room:
            size = SMALL_SIZE  # too long for one line even when small: wrap it at a readable size
            self.set_font_size(size)
        lines = self.wrap(cell.text, room)
        cell.size = size
        self.set_font_size(BODY_SIZE)
        return lines

    def draw_row(self, cells: list[Cell], x: float | None = None, min_h: float = ROW_H) -> float:
        """Draw one bordered row at the current y and move below it; returns its height."""
        x = MARGIN if x is None else x
        texts = [self.layout(c) for c in cells]
        height = max([min_h] + [len(lines) * LINE_H + 2 * PAD for lines in texts])
        if self.get_y() + height > BOTTOM:
            self.add_page()
        y = self.get_y()
        for cell, lines in zip(cells, texts):
            if cell.label:
                self.set_fill_color(242)
                self.rect(x, y, cell.width, height, style="DF")
            else:
                self.rect(x, y, cell.width, height)
            top = y + (height - len(lines) * LINE_H) / 2
            align = cell.align or ("C" if cell.label else "L")
            self.set_font_size(cell.size)
            for number, line in enumerate(lines):
                self.set_xy(x, top + number * LINE_H)
                self.cell(cell.width, LINE_H, line, align=align)
            self.set_font_size(BODY_SIZE)
            x += cell.width
        self.set_xy(MARGIN, y + height)
        return height

    def section(self, title: str) -> None:
        """A full-width heading row of a part of the form."""
        if self.get_y() + ROW_H * 2 > BOTTOM:
            self.add_page()
        with self.local_context(text_mode="FILL_STROKE", line_width=0.15):
            self.draw_row([Cell(WIDTH, title, label=True)], min_h=7.0)

    def bold_text(self, x: float, y: float, w: float, h: float, text: str, size: float, align: str = "C") -> None:
        self.set_font(FONT, size=size)
        self.set_xy(x, y)
        with self.local_context(text_mode="FILL_STROKE", line_width=0.25):
            self.cell(w, h, text, align=align)
        self.set_font(FONT, size=BODY_SIZE)

    # --- pictures ---------------------------------------------------------------------------

    def qr_corner(self, data: str, top: float, size: float, captions: list[str]) -> None:
        """``data`` as a QR code in the top right corner, with ``captions`` (a short code, what to do with
        it) in small type below it: the heading of every document the platform verifies by scanning."""
        x = PAGE_W - MARGIN - size
        self.qr(data, x, top, size)
        self.set_font(FONT, size=7.5)
        for index, caption in enumerate(captions):
            self.set_xy(x - 6, top + size + 0.6 + 3.4 * index)
            self.cell(size + 12, 3.4, caption, align="C")

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """``data`` as a QR code of ``size`` mm drawn with vector squares (sharp at any print size)."""
        code = segno.make(data, error="m", micro=False)
        matrix = [list(row) for row in code.matrix]
        modules = len(matrix)
        unit = size / modules
        self.set_fill_color(0)
        for row_number, row in enumerate(matrix):
            column = 0
            while column < modules:
                if row[column]:
                    start = column
                    while column < modules and row[column]:
                        column += 1
                    self.rect(x + start * unit, y + row_number * unit, (column - start) * unit, unit, style="F")
                else:
                    column += 1


def _photo_image(snapshot: dict, application: Application) -> Image.Image | None:
    """The trainee's photo as submitted (or the current one if that was replaced), or None."""
    ids = [i for i in (snapshot.get("photo_id"), application.trainee.photo_id if application.trainee else None) if i]
    for photo_id in dict.fromkeys(ids):
        attachment = db.session.get(Attachment, photo_id)
        if attachment is None or attachment.trainee_id != application.trainee_id \
                or attachment.content_type not in ("image/jpeg", "image/png"):
            continue
        try:
            with seekable_copy(attachment) as handle:
                image = Image.open(handle)
                image.load()
        except StoreUnavailable:
            raise  # a 503 page (app.errors), not a form without its photo
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            continue
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        return image
    return None


def _draw_photo(pdf: FormPDF, image: Image.Image | None, x: float, y: float, w: float, h: float) -> None:
    pdf.rect(x, y, w, h)
    if image is None:
        pdf.set_text_color(120)
        pdf.set_xy(x, y + h / 2 - LINE_H)
        pdf.cell(w, LINE_H, _("Photo"), align="C")
        pdf.set_font(FONT, size=8)
        pdf.set_xy(x, y + h / 2 + 1)
        pdf.cell(w, LINE_H, _("(recent bare-headed photo)"), align="C")
        pdf.set_font(FONT, size=BODY_SIZE)
        pdf.set_text_color(0)
        return
    # a 2-inch photo (35 × 49 mm) or as large as the box allows, keeping the proportions
    box_w, box_h = min(w - 4, 35), min(h - 4, 49)
    scale = min(box_w / image.width, box_h / image.height)
    shown_w, shown_h = image.width * scale, image.height * scale
    pdf.image(image, x + (w - shown_w) / 2, y + (h - shown_h) / 2, shown_w, shown_h)


def check_printable(application: Application) -> None:
    """Raise :class:`RegformError` unless ``application`` is a submitted residency application."""
    if application.batch is None or application.batch.program != Program.RESIDENCY:
        raise RegformError(_("Registration forms are printed for resident standardized training applications "
                             "only."))
    if application.status not in states.PRINTABLE or not application.snapshot:
        raise RegformError(_("The registration form can be printed once the application is submitted and while "
                             "it is in review, confirmation or admission."))


def registration_form_pdf(application: Application) -> bytes:
    """The registration form of a submitted residency ``application`` as PDF bytes (one or two A4 pages).

    Needs an application context, and a request context or ``SERVER_NAME`` for the QR code's
    absolute URL. Raises :class:`RegformError` for drafts, returned or rejected applications and
    other programs. Each section of the form is drawn by a function of its own, top to bottom.
    """
    check_printable(application)
    snapshot = application.snapshot or {}
    code = short_code(application)
    pdf = FormPDF(code)
    pdf.set_title(_("Henan Province Resident Standardized Training Registration Form"))
    pdf.set_author(_text(snapshot.get("name")))
    pdf.set_creator(_("Henan Health Training Enrollment Platform"))
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.add_page()
    for section in (_heading, _personal_data, _education, _work_history, _licences, _choices, _pledge,
                    _commissioning_seal, _what_to_bring):
        section(pdf, application, snapshot)
    return bytes(pdf.output())


def _heading(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """Title and batch in the middle; the QR code with its short code on the right."""
    qr_size = 24.0
    pdf.qr_corner(verification_url(application), 8.0, qr_size, [pdf.code, _("Scan at on-site confirmation")])
    title = _("Henan Province Resident Standardized Training Registration Form")
    middle = WIDTH - 2 * (qr_size + 4)  # centred on the page, clear of the QR code
    title_size = 18.0
    pdf.set_font(FONT, size=title_size)
    while title_size > 12 and pdf.get_string_width(title) > middle:
        title_size -= 0.5
        pdf.set_font_size(title_size)
    pdf.bold_text(MARGIN + qr_size + 4, 13, middle, 10, title, title_size)
    pdf.set_font(FONT, size=11.5)
    pdf.set_xy(MARGIN + qr_size + 4, 24)
    pdf.cell(middle, 6, _text(application.batch.name), align="C")
    pdf.set_font(FONT, size=SMALL_SIZE)
    pdf.set_xy(MARGIN, 34.5)
    pdf.cell(WIDTH - qr_size - 8, 5, "\u3000\u3000".join((
        _("Application No. %(number)s", number=application.id),
        _("Submitted at: %(time)s", time=cn_datetime(application.submitted_at)))))
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.set_y(41.0)


def _personal_data(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """Personal data, with the photo on the right."""
    photo_w = 36.0
    left = WIDTH - photo_w
    lw, vw = 21.0, (left - 3 * 21.0) / 3  # label and value widths of the three-pair rows
    identity = application.identity
    identity_text = Identity.label(identity) if identity else ""
    top = pdf.get_y()
    rows = [
        [Cell(lw, _("Full name"), True), Cell(vw, _text(snapshot.get("name"))),
         Cell(lw, _("Gender"), True), Cell(vw, Gender.label(snapshot.get("gender")) if snapshot.get("gender") else ""),
         Cell(lw, _("Ethnicity"), True), Cell(vw, _text(snapshot.get("ethnicity")))],
        [Cell(lw, _("Birth date"), True), Cell(vw, _iso_cn_date(snapshot.get("birth_date"))),
         Cell(lw, _("Political status"), True),
         Cell(vw, PoliticalStatus.label(snapshot.get("political_status")) if snapshot.get("political_status") else ""),
         Cell(lw, _("Mobile"), True), Cell(vw, _text(snapshot.get("mobile")))],
        [Cell(lw, _("ID type"), True),
         Cell(vw, IdType.label(snapshot.get("id_type")) if snapshot.get("id_type") else ""),
         Cell(lw, _("ID number"), True), Cell(left - 2 * lw - vw, _text(snapshot.get("id_number")))],
        [Cell(lw, _("Identity"), True), Cell(vw, identity_text),
         Cell(lw, _("Commissioning unit"), True),
         Cell(left - 2 * lw - vw, _text(application.commissioning_unit) if identity == Identity.COMMISSIONED
              else "—", align="" if identity == Identity.COMMISSIONED else "C")],
        [Cell(lw, _("Email"), True), Cell(vw, _text(snapshot.get("email"))),
         Cell(lw, _("Mailing address"), True),
         Cell(left - 2 * lw - vw, " ".join(filter(None, [_text(snapshot.get("address")),
                                                         _text(snapshot.get("postal_code"))])))],
    ]
    for row in rows:
        pdf.draw_row(row, min_h=9.2)
    below = pdf.get_y()
    _draw_photo(pdf, _photo_image(snapshot, application), MARGIN + left, top, photo_w, below - top)
    pdf.set_xy(MARGIN, below)
    half = WIDTH / 2
    pdf.draw_row([Cell(lw, _("Emergency contact"), True), Cell(half - lw, _text(snapshot.get("emergency_contact"))),
                  Cell(lw + 6, _("Emergency contact phone"), True),
                  Cell(half - lw - 6, _text(snapshot.get("emergency_phone")))])


def _education(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """Education, from the bachelor's degree on."""
    pdf.section(_("Education (from the bachelor's degree on)"))
    widths = (36.0, 47.0, 35.0, 20.0, 22.0, WIDTH - 160.0)
    headers = (_("Period"), _("School"), _("Major"), _("Education level"), _("Degree"), _("Full-time"))
    pdf.draw_row([Cell(w, h, True) for w, h in zip(widths, headers)], min_h=7.0)
    educations = snapshot.get("educations") or []
    for e in educations:
        values = (_period(e.get("start_date"), e.get("end_date") or e.get("graduation_date")),
                  _text(e.get("school")), _text(e.get("major")),
                  EducationLevel.label(e.get("level")) if e.get("level") else "",
                  Degree.label(e.get("degree")) if e.get("degree") else "",
                  yes_no(e.get("full_time")) if e.get("full_time") is not None else "")
        pdf.draw_row([Cell(w, v, align="C" if i in (0, 3, 4, 5) else "") for i, (w, v) in
                      enumerate(zip(widths, values))])
    if not educations:
        pdf.draw_row([Cell(WIDTH, _("None recorded"), align="C")])


def _work_history(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """Work history."""
    pdf.section(_("Work history"))
    widths = (36.0, 80.0, 32.0, WIDTH - 148.0)
    headers = (_("Period"), _("Work unit"), _("Department"), _("Job title"))
    pdf.draw_row([Cell(w, h, True) for w, h in zip(widths, headers)], min_h=7.0)
    employments = snapshot.get("employments") or []
    for e in employments:
        values = (_period(e.get("start_date"), e.get("end_date"), bool(e.get("is_current"))),
                  _text(e.get("unit_name")), _text(e.get("department")),
                  JobTitle.label(e.get("title")) if e.get("title") else "")
        pdf.draw_row([Cell(w, v, align="C" if i in (0, 3) else "") for i, (w, v) in enumerate(zip(widths, values))])
    if not employments:
        pdf.draw_row([Cell(WIDTH, _("None recorded"), align="C")])


def _licences(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """Physician qualification and practising licence."""
    pdf.section(_("Physician qualification and practising licence"))
    widths = (26.0, 42.0, 56.0, WIDTH - 124.0)
    headers = (_("Practice category"), _("Practice scope"), _("Physician qualification certificate number"),
               _("Practising certificate number"))
    licences = snapshot.get("licences") or []
    if licences:
        pdf.draw_row([Cell(w, h, True) for w, h in zip(widths, headers)], min_h=7.0)
        for lic in licences:
            values = (PracticeCategory.label(lic.get("category")) if lic.get("category") else "",
                      _text(lic.get("scope_name")), _text(lic.get("qualification_number")),
                      _text(lic.get("practice_number")))
            pdf.draw_row([Cell(w, v, align="C") for w, v in zip(widths, values)])
    else:
        pdf.draw_row([Cell(WIDTH, _("No physician qualification or practising licence yet"), align="C")])


def _choices(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """The base and the ordered specialties."""
    pdf.section(_("Choices"))
    choices = {c.rank: c.specialty.name for c in application.choices if c.specialty is not None}
    cw = SEAL_LABEL_W
    pdf.draw_row([Cell(cw, _("Training base"), True), Cell(WIDTH - cw, application.base.name if application.base else "")])
    pdf.draw_row([Cell(cw, _("First-choice specialty"), True), Cell(WIDTH / 2 - cw, choices.get(1, "")),
                  Cell(cw, _("Second-choice specialty"), True), Cell(WIDTH / 2 - cw, choices.get(2) or _("None"))])


def _pledge(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """The personal pledge and the signature line."""
    pdf.section(_("Personal pledge"))
    pledge = _("I declare that the information above and the materials I submit are true, accurate and complete, and "
               "I accept all consequences of anything false. I am not a current graduate student and have no plan "
               "to sit postgraduate entrance exams within three years. I understand that once registered in the "
               "national system I may not change my training base or specialty, that withdrawing means repaying "
               "the government funding, and that after withdrawing I may not take part in resident standardized "
               "training again within three years.")
    lines = pdf.wrap(pledge, WIDTH - 2 * PAD - 8)
    height = len(lines) * LINE_H + 2 * PAD + 12
    if pdf.get_y() + height > BOTTOM:
        pdf.add_page()
    y = pdf.get_y()
    pdf.rect(MARGIN, y, WIDTH, height)
    for number, line in enumerate(lines):
        pdf.set_xy(MARGIN + 4, y + PAD + 1 + number * LINE_H)
        pdf.cell(WIDTH - 8, LINE_H, line)
    pdf.set_xy(MARGIN, y + height - 9)
    pdf.cell(WIDTH - 8, 6, _("Signature: %(blank)s Date: %(date_blank)s",
                                 blank="\u3000" * 6, date_blank=_("%(y)s year %(m)s month %(d)s day",
                                                                  y="\u3000\u3000", m="\u3000", d="\u3000")),
             align="R")
    pdf.set_y(y + height)


def _commissioning_seal(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """The commissioning unit's opinion and seal (单位委派 only)."""
    if application.identity != Identity.COMMISSIONED:
        return
    height = 26.0
    if pdf.get_y() + height > BOTTOM:
        pdf.add_page()
    y = pdf.get_y()
    pdf.set_fill_color(242)
    pdf.rect(MARGIN, y, SEAL_LABEL_W, height, style="DF")
    pdf.rect(MARGIN + SEAL_LABEL_W, y, WIDTH - SEAL_LABEL_W, height)
    for number, line in enumerate(pdf.wrap(_("Opinion of the commissioning unit (seal)"), SEAL_LABEL_W - 2 * PAD)):
        pdf.set_xy(MARGIN, y + height / 2 - LINE_H + number * LINE_H)
        pdf.cell(SEAL_LABEL_W, LINE_H, line, align="C")
    pdf.set_xy(MARGIN + WIDTH / 2, y + height - 15)
    pdf.cell(WIDTH / 2 - 6, 6, _("(official seal)"), align="R")
    pdf.set_xy(MARGIN + WIDTH / 2, y + height - 9)
    pdf.cell(WIDTH / 2 - 6, 6, _("%(y)s year %(m)s month %(d)s day", y="\u3000\u3000", m="\u3000",
                                 d="\u3000"), align="R")
    pdf.set_y(y + height)


def _what_to_bring(pdf: FormPDF, application: Application, snapshot: dict) -> None:
    """A note on what to bring to on-site confirmation."""
    pdf.set_font(FONT, size=8.5)
    note = _("Bring this form, printed on A4 and signed, to the training base for on-site confirmation by "
             "%(date)s, with four recent bare-headed one-inch photos, a copy of your identity card, your diploma "
             "and degree certificate, and your physician qualification certificate if required.",
             date=cn_date(application.batch.confirmation_deadline) or _("the deadline"))
    if application.identity == Identity.COMMISSIONED:
        note += _(" Commissioned trainees' forms need the official seal of their unit.")
    lines = pdf.wrap(note, WIDTH)
    if pdf.get_y() + 2 + len(lines) * 4 > BOTTOM:
        pdf.add_page()
    pdf.set_y(pdf.get_y() + 2)
    for line in lines:
        pdf.set_x(MARGIN)
        pdf.cell(WIDTH, 4, line)
        pdf.set_y(pdf.get_y() + 4)


def registration_form_filename(application: Application) -> str:
    """A download name for the form, e.g. ``住院医师规范化培训报名表_张三_123.pdf``."""
    name = _text((application.snapshot or {}).get("name")) or str(application.trainee_id)
    return f"{_('Registration form')}_{name}_{application.id}.pdf".replace("/", "_")


def registration_form_response(application: Application):
    """The PDF as a download (an attachment, like every PDF) with a Chinese file name, sandboxed and
    never cached (``protect_file_response``); raises ``RegformError``."""
    from urllib.parse import quote

    from flask import Response
    response = Response(registration_form_pdf(application), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=form.pdf; filename*=UTF-8''{quote(registration_form_filename(application))}")
    return protect_file_response(response)

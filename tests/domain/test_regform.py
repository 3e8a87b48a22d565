"""The residency registration form PDF: what it shows, its embedded font, its QR code and codes."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from flask_babel import gettext
from itsdangerous import URLSafeTimedSerializer
from PIL import Image

from app.documents.regform import RegformError, registration_form_pdf
from app.domain.review.verification import (
    TOKEN_SALT,
    VerificationError,
    short_code,
    verification_token,
    verification_url,
    verify,
)
from app.extensions import db
from app.i18n import cn_date
from models import Application, Status
from models.clock import today
from models.enums import Identity
from tests.applications import residency_application
from tests.catalogue import compiled, zh


def pdf_of(app, application) -> bytes:
    with app.test_request_context("/", base_url="https://hn.example.cn"):
        return registration_form_pdf(db.session.get(Application, application.id))


def pdf_text(data: bytes) -> str:
    """The text of every page, without white space (a label may wrap inside its cell)."""
    document = pdfium.PdfDocument(data)
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return flat(text)


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def first_page_image(data: bytes, scale: float = 4) -> Image.Image:
    return pdfium.PdfDocument(data)[0].render(scale=scale).to_pil()


# --- the document -------------------------------------------------------------------------------

def test_pdf_is_a_one_or_two_page_form_with_the_font_embedded(app, world):
    application = residency_application(world, photo=True)
    data = pdf_of(app, application)
    assert data.startswith(b"%PDF-")
    assert b"/FontFile3" in data and b"NotoSerifCJKSC" in data  # the CJK font is inside the file
    assert 1 <= len(pdfium.PdfDocument(data)) <= 2
    assert len(data) < 400_000  # subset, not the whole 10 MB font


def test_pdf_shows_the_submitted_data(app, world):
    application = residency_application(world)
    data = pdf_of(app, application)
    text = pdf_text(data)
    for value in ("张堃", application.snapshot["id_number"], "2025年住院医师规范化培训招收（第一阶段）", "测试基地郑州",
                  "内科", "儿科", "河南大学", "临床医学", "郑州市中原区人民医院", "Q2021410000123", "13900000000",
                  short_code(application)):
        assert value in text, value
    for msgid in ("Full name", "ID number", "First-choice specialty", "Second-choice specialty",
                  "Henan Province Resident Standardized Training Registration Form"):
        assert flat(zh(msgid)) in text  # the Chinese of the compiled catalogue is what the PDF shows
    assert zh("Full name") == "姓名"
    assert zh("Henan Province Resident Standardized Training Registration Form") == "河南省住院医师规范化培训报名表"


def test_pdf_shows_the_snapshot_not_the_later_profile(app, world):
    application = residency_application(world)
    application.trainee.name = "王改名"
    db.session.commit()
    text = pdf_text(pdf_of(app, application))
    assert "张堃" in text and "王改名" not in text


def test_commissioned_trainee_gets_the_seal_box_others_do_not(app, world):
    seal = gettext("Opinion of the commissioning unit (seal)")
    commissioned = pdf_text(pdf_of(app, residency_application(world, identity=Identity.COMMISSIONED)))
    open_entry = pdf_text(pdf_of(app, residency_application(world, identity=Identity.OPEN_ENTRY, name="李四")))
    assert flat(seal) in commissioned and flat(seal) not in open_entry
    assert flat(Identity.label(Identity.OPEN_ENTRY)) in open_entry


@pytest.mark.usefixtures("file_backend")  # the photo read from the upload folder and from an S3 bucket
def test_photo_is_drawn_and_placeholder_without_one(app, world):
    with_photo = first_page_image(pdf_of(app, residency_application(world, photo=True)), scale=2)
    without = first_page_image(pdf_of(app, residency_application(world, photo=False, name="李四")), scale=2)
    # the uploaded photo is a solid blue rectangle; look for its colour in the photo box (top right)
    box = (int(with_photo.width * 0.75), int(with_photo.height * 0.12), with_photo.width - 60,
           int(with_photo.height * 0.35))
    def colours(image):
        return {colour for _count, colour in image.crop(box).convert("RGB").getcolors(maxcolors=1 << 24)}
    assert (30, 90, 160) in colours(with_photo)
    assert (30, 90, 160) not in colours(without)
    assert flat(gettext("Photo")) in pdf_text(pdf_of(app, residency_application(world, name="王五")))


def test_qr_code_decodes_to_the_verification_url(app, world):
    application = residency_application(world)
    data = pdf_of(app, application)
    results = zxingcpp.read_barcodes(first_page_image(data, scale=4))
    texts = [r.text for r in results if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(texts) == 1
    url = texts[0]
    assert url.startswith("https://hn.example.cn/admin/confirm/?code=")
    with app.test_request_context("/"):
        assert verify(url) == application.id


def test_only_submitted_residency_applications_are_printed(app, world):
    draft = residency_application(world, status=Status.SUBMITTED)
    for status in (Status.DRAFT, Status.RETURNED, Status.REJECTED):
        draft.status = status
        db.session.commit()
        with pytest.raises(RegformError):
            pdf_of(app, draft)
    with pytest.raises(RegformError):
        pdf_of(app, world.applications["zy"])  # a GP application


def test_long_values_wrap_inside_their_cells(app, world):
    application = residency_application(world)
    snapshot = dict(application.snapshot)
    snapshot["educations"] = [dict(snapshot["educations"][0], school="河南省某某某医学高等专科学校附属第一临床医学院（郑州校区）"
                                                                     "继续教育学院")] * 3
    snapshot["address"] = "河南省郑州市中原区建设路 8 号院 3 号楼 2 单元 1101 室，" * 3
    application.snapshot = snapshot
    db.session.commit()
    data = pdf_of(app, application)
    text = pdf_text(data)
    assert "继续教育学院" in text and 1 <= len(pdfium.PdfDocument(data)) <= 2


# --- codes --------------------------------------------------------------------------------------

def test_token_url_and_short_code_verify(app, world):
    application = residency_application(world)
    with app.test_request_context("/", base_url="https://hn.example.cn"):
        token = verification_token(application)
        url = verification_url(application)
        code = short_code(application)
        assert verify(token) == application.id
        assert verify(url) == application.id
        assert verify(f"  {url}\n") == application.id
        assert verify(code) == application.id
        assert verify(code.lower().replace("-", " ")) == application.id  # typed loosely
        assert url == f"https://hn.example.cn/admin/confirm/?code={token}"


@pytest.mark.parametrize("mangle", [
    lambda token, code: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # tampered signature
    lambda token, code: "x" + token[1:],                                           # tampered payload
    lambda token, code: code[:-1] + ("0" if not code.endswith("0") else "1"),      # mistyped short code
    lambda token, code: "9" + code,                                                 # another application number
    lambda token, code: "not a code",
])
def test_altered_codes_are_refused(app, world, mangle):
    application = residency_application(world)
    with app.test_request_context("/"):
        with pytest.raises(VerificationError) as error:
            verify(mangle(verification_token(application), short_code(application)))
    assert str(error.value) == gettext("This code is not valid: it was not issued by the platform, or it was altered "
                                       "or mistyped.")


def test_code_signed_with_another_key_is_refused(app, world):
    application = residency_application(world)
    forged = URLSafeTimedSerializer("guessed-key", salt=TOKEN_SALT).dumps(
        {"a": application.id, "t": application.trainee_id, "s": application.submitted_at.replace(microsecond=0)
         .isoformat()})
    with app.test_request_context("/"):
        with pytest.raises(VerificationError):
            verify(forged)


CONFIRM_SEED = "务必于 5 月 22 日前，持该表到所报考的培训基地进行现场确认"


@pytest.mark.seed(CONFIRM_SEED)
@pytest.mark.parametrize("days_left, accepted", [(1, True), (0, True), (-1, False)])
def test_codes_expire_the_day_after_the_confirmation_deadline(app, world, days_left, accepted):
    """No grace period: the deadline day is the last day a code opens the application."""
    application = residency_application(world)
    with app.test_request_context("/"):
        token, code = verification_token(application), short_code(application)
    application.batch.confirmation_deadline = today() + timedelta(days=days_left)
    db.session.commit()
    with app.test_request_context("/"):
        for value in (token, code):
            if accepted:
                assert verify(value) == application.id
                continue
            with pytest.raises(VerificationError) as error:
                verify(value)
            assert str(error.value) == gettext("This code has expired: on-site confirmation for this batch ended on "
                                               "%(date)s.", date=cn_date(application.batch.confirmation_deadline))
            assert "已于" in str(error.value) or "截止" in str(error.value)


def test_codes_of_a_form_printed_before_resubmission_no_longer_match(app, world):
    application = residency_application(world)
    with app.test_request_context("/"):
        token, code = verification_token(application), short_code(application)
    application.submitted_at = application.submitted_at + timedelta(hours=2)
    db.session.commit()
    with app.test_request_context("/"):
        with pytest.raises(VerificationError) as error:
            verify(token)
        assert "print" in str(error.value) or "打印" in str(error.value)
        with pytest.raises(VerificationError):
            verify(code)
        assert verify(short_code(db.session.get(Application, application.id))) == application.id


MY_SOURCES = ("app/documents/regform.py", "app/domain/review/verification.py", "views/admin/confirm.py", "app/templates/admin/confirm.html")
# _("...") / _l('...'), including implicitly concatenated literals over several lines
MSGID_RE = re.compile(r"""\b_l?\(\s*((?:(?:"[^"]*"|'[^']*')\s*)+)""")


def msgids_in(path: str) -> set[str]:
    source = (Path(__file__).resolve().parents[2] / path).read_text(encoding="utf-8")
    return {"".join(a or b for a, b in re.findall(r""""([^"]*)"|'([^']*)'""", match))
            for match in MSGID_RE.findall(source)}


def test_every_string_of_the_form_and_page_has_chinese():
    """Each msgid of these files has Chinese in the compiled catalogue, with the same placeholders."""
    catalogue = compiled()
    found = set().union(*(msgids_in(path) for path in MY_SOURCES))
    assert {"Full name", "Henan Province Resident Standardized Training Registration Form",
            "Open the form"} <= found
    missing = sorted(m for m in found if not catalogue.get(m))
    assert not missing
    for msgid in found:
        msgstr = catalogue[msgid]
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", msgstr)), msgid
        assert ("{nb}" in msgid) == ("{nb}" in msgstr), msgid
        assert re.search(r"[\u4e00-\u9fff]", msgstr), msgid

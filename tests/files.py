"""Uploaded-file helpers shared by the file, header and browser tests: PDFs made on the fly (one with
embedded JavaScript, multi-page ones), storing them for a trainee, and the headers every file response carries."""
from __future__ import annotations

import io

from fpdf import FPDF
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from models import Attachment

JS_PDF = (b"%PDF-1.4\n"
          b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >> endobj\n"
          b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
          b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 300 300] >> endobj\n"
          b"4 0 obj << /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\); this.exportDataObject\\(\\)) >> endobj\n"
          b"trailer << /Root 1 0 R /Size 5 >>\n%%EOF\n")
BROKEN_PDF = b"%PDF-1.7\n" + b"\x00garbage that is no PDF at all " * 50 + b"\n%%EOF\n"
UNREADABLE = "该 PDF 文件无法显示为页面图片（文件可能已损坏或已加密），请下载后在电脑上打开查看。"
HUGE = "99999999999999999999"


def pdf_pages(count: int, size=(210, 297)) -> bytes:
    """A PDF of ``count`` pages (mm), page n says "Page n" in large letters."""
    pdf = FPDF(unit="mm", format=size)
    for number in range(1, count + 1):
        pdf.add_page()
        pdf.set_font("helvetica", size=60)
        pdf.cell(0, 60 + number * 20, f"Page {number}")
    return bytes(pdf.output())


def save_pdf(world, data: bytes, name: str = "学历证书.pdf", key: str = "zy") -> Attachment:
    attachment = storage.save(FileStorage(io.BytesIO(data), filename=name, content_type="application/pdf"),
                              "diploma", world.trainees[key], uploaded_by=world.accounts[f"trainee_{key}"],
                              application=world.applications[key])
    db.session.commit()
    return attachment


def assert_file_headers(response) -> None:
    policy = response.headers["Content-Security-Policy"]
    assert "sandbox" in [part.strip().split(" ")[0] for part in policy.split(";")], policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # nothing of the file may run
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]

"""File downloads: every attachment is served through a scope check, never from a static folder.

Storage itself (paths, checks, thumbnails, responses) lives in ``app.infra.storage``; PDF page
images in ``app.infra.pdf_preview``.
"""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user, login_required

from app.domain.access import scope
from app.errors import error_page
from app.extensions import db
from app.infra import pdf_preview, storage
from app.infra.access_log import record_access
from models import Attachment

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Send an attachment if the current user's scope covers its owner; ``?thumb=1`` sends the
    image's thumbnail (404 for PDFs, which have none)."""
    attachment = db.session.scalar(
        scope(db.select(Attachment).where(Attachment.id == attachment_id), Attachment, current_user))
    if attachment is None:
        abort(404)
    record_access("thumbnail" if request.args.get("thumb") == "1" else "download", "attachment", attachment.id)
    return storage.send(attachment, thumbnail=request.args.get("thumb") == "1")


@bp.route("/<int:attachment_id>/page/<int:number>.png")
@login_required
def page_image(attachment_id: int, number: int):
    """Page ``number`` of a PDF as a PNG rendered on the server, under the same scope as the file."""
    attachment = db.session.scalar(
        scope(db.select(Attachment).where(Attachment.id == attachment_id), Attachment, current_user))
    if attachment is None:
        abort(404)
    record_access("thumbnail", "attachment", attachment.id)  # a page image shows the file's content
    try:
        return pdf_preview.page_response(attachment, number)
    except pdf_preview.PreviewError as error:
        return error_page(422, str(error))

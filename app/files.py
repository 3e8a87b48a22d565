"""File downloads: every attachment is served through a scope check, never from a static folder."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user, login_required

from app.access import scope
from app.extensions import db
from models import Attachment

bp = Blueprint("files", __name__, url_prefix="/files")


def stored_path(attachment: Attachment) -> Path:
    """The file's path under UPLOAD_FOLDER; stored names never contain a separator."""
    folder = Path(current_app.config["UPLOAD_FOLDER"]).resolve()
    path = (folder / attachment.stored_name).resolve()
    if path.parent != folder:
        abort(404)
    return path


@bp.route("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Send an attachment if the current user's scope covers its owner."""
    attachment = db.session.scalar(
        scope(db.select(Attachment).where(Attachment.id == attachment_id), Attachment, current_user))
    if attachment is None:
        abort(404)
    path = stored_path(attachment)
    if not path.is_file():
        abort(404)
    inline = attachment.content_type in ("image/jpeg", "image/png", "application/pdf")
    return send_file(path, mimetype=attachment.content_type, as_attachment=not inline,
                     download_name=attachment.original_name, max_age=0)

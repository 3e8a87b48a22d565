"""Reading notices (通知公告): one notice with its attachments, for whoever it reaches. The province's
current notices are public (the login page lists them); the others need a login in their scope."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.domain.notices import mark_read, readable, render_body, scope_label
from app.extensions import db
from app.infra import storage
from models import Attachment
from models.enums import Program

bp = Blueprint("notices", __name__, url_prefix="/notices")


@bp.route("/<int:notice_id>")
def show(notice_id: int):
    notice = readable(notice_id, current_user)
    if notice is None:
        abort(404)
    mark_read(notice, current_user)
    db.session.commit()
    return render_template("notice.html", notice=notice, body=render_body(notice.body),
                           publisher=scope_label(notice),
                           program=Program.label(notice.program) if notice.program else "")


@bp.route("/<int:notice_id>/files/<int:attachment_id>")
def download(notice_id: int, attachment_id: int):
    """A notice's attachment, for those the notice reaches."""
    notice = readable(notice_id, current_user)
    if notice is None:
        abort(404)
    attachment = db.session.scalar(db.select(Attachment).where(Attachment.id == attachment_id,
                                                               Attachment.notice_id == notice.id))
    if attachment is None:
        abort(404)
    return storage.send(attachment)

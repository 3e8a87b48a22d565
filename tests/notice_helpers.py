"""Notices (通知公告) in tests: one written straight to the database, and a file posted to a notice."""
from __future__ import annotations

import io
from datetime import timedelta

from app.extensions import db
from models import Notice
from models.clock import now
from models.enums import NoticeLevel
from tests.conftest import csrf_token


def notice(title="关于住培报名的通知", level=NoticeLevel.PROVINCE, region=None, base=None, body="请按时报名。",
           publish_in=timedelta(days=-1), expires_in=timedelta(days=30), pinned=False, must_read=False) -> Notice:
    row = Notice(title=title, body=body, level=level, region_id=region.id if region else None,
                 base_id=base.id if base else None, publish_at=now() + publish_in,
                 expires_at=now() + expires_in if expires_in is not None else None, pinned=pinned,
                 must_read=must_read)
    db.session.add(row)
    db.session.commit()
    return row


def post_files(client, notice_id, files, page: str | None = None):
    """``files``: [(bytes, name)] posted to the notice's upload form (the token from ``page``, by
    default the notice's details page)."""
    token = csrf_token(client, page or f"/admin/notice/details/?id={notice_id}")
    return client.post("/admin/notice/files/", data={
        "csrf_token": token, "id": str(notice_id),
        "files": [(io.BytesIO(data), name) for data, name in files]}, content_type="multipart/form-data")

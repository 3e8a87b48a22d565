"""Long work run by the worker (an export, a bulk action, a publication, an import): one row per job,
with its progress, its result file in the file store and who may download it."""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.account import Account
from models.base import db
from models.clock import now
from models.enums import Choices


class JobState(Choices):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    items = (
        (QUEUED, _l("Queued")),
        (RUNNING, _l("Running")),
        (DONE, _l("Finished")),
        (FAILED, _l("Failed")),
    )


class Job(db.Model):
    """One job. ``role``, ``region_id`` and ``base_id`` are the requester's scope when they asked: the
    result is theirs only while their account still has that scope. ``result_name`` is the file in
    the file store (``None`` once purged); ``heartbeat_at`` is written with each chunk, so a job whose
    worker died is found by the sweep."""

    __tablename__ = "job"
    __table_args__ = (
        JobState.check("state"),
        CheckConstraint("done >= 0 AND total >= 0", name="progress_not_negative"),
        Index("ix_job_state_heartbeat_at", "state", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None]
    base_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result_name: Mapped[str | None] = mapped_column(String(100))
    result_filename: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))
    # per-row results of bulk work, one JSON line per row, written in the transaction of the row's chunk
    row_results: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)

    account: Mapped[Account] = relationship()

    @property
    def parameters(self) -> dict:
        try:
            value = json.loads(self.params or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0

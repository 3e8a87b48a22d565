"""Conditions the back office filters the application list by (program, exemption type, waiting
time, rule checks). Scope is not here: every list is narrowed by ``app.domain.access`` first."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from models import Application, Batch, ExemptionRequest

EXEMPTION_TYPE_NUMBERS = range(1, 9)
WAITING_DAYS = (3, 7, 14)  # the waiting filter's steps, also the dashboard's
RULE_CHECK_VALUES = ("failed", "passed")


def in_program(program: str, source=Application):
    """Applications of batches of one program (全科转岗 / 住培); ``source`` is ``Application`` or a
    table of maintained counts (``models.application_count``), which has the same ``batch_id``."""
    return source.batch_id.in_(select(Batch.id).where(Batch.program == program))


def claims_exemption_type(number: int):
    """Applications claiming exemption type ``number``."""
    return exists().where(ExemptionRequest.application_id == Application.id, ExemptionRequest.type == number)


def waited_longer_than(days: int, at: datetime):
    """Applications submitted ``days`` days or more before ``at``: a boundary belongs to the longer wait."""
    return Application.submitted_at <= at - timedelta(days=days)


def rule_checks(value: str):
    """``failed``: some exemption claim fails a rule check; ``passed``: claims made and all rules met
    (the system does not decide; reviewers sort by it)."""
    failed = exists().where(ExemptionRequest.application_id == Application.id, ExemptionRequest.rules_passed.is_(False))
    if value == "failed":
        return failed
    claimed = exists().where(ExemptionRequest.application_id == Application.id, ExemptionRequest.rules_passed.is_(True))
    return claimed & ~failed

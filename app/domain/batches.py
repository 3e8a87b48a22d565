"""Rules of a batch's settings: the season's dates in order, and the 调剂补录 batch's link to its first round.

The deadlines themselves (what is refused after them) are in ``app.domain.workflow.deadlines``."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import cn_date
from models.enums import BatchRound

CALENDAR_RULES = (
    # (field, the field it may not precede, message); dates count whole days
    ("resubmission_deadline", "closes_at",
     _l("The resubmission deadline cannot be before the day registration closes (%(date)s).")),
    ("confirmation_deadline", "opens_at",
     _l("The on-site confirmation deadline cannot be before the day registration opens (%(date)s).")),
    ("phase_two_deadline", "phase_one_deadline", _l("Phase two cannot be completed before phase one (%(date)s).")),
    ("acceptance_closes_on", "acceptance_opens_on",
     _l("The acceptance window cannot close before it opens (%(date)s).")),
    ("card_closes_on", "card_opens_on",
     _l("The admission ticket download window cannot close before it opens (%(date)s).")),
    ("report_deadline", "phase_one_deadline",
     _l("The reporting deadline cannot be before phase one is completed (%(date)s).")),
)


def calendar_errors(values) -> list[tuple[str, str]]:
    """The season's dates out of order, as (field name, message) pairs; ``values`` maps field names to
    dates or datetimes (missing or None: not checked).

    Returned applications are resubmitted after the window (review goes on after it closes); on-site
    confirmation is not due before the window opens; phase two and reporting follow phase one."""
    def day(name):
        value = values.get(name)
        return value.date() if isinstance(value, datetime) else value

    errors = []
    for name, earliest_name, message in CALENDAR_RULES:
        value, earliest = day(name), day(earliest_name)
        if value is not None and earliest is not None and value < earliest:
            errors.append((name, str(message) % {"date": cn_date(earliest)}))
    return errors


def previous_batch_error(round_, program, previous, own_id) -> str | None:
    """A 调剂补录 batch follows a first-round batch of the same program; a first round follows none."""
    if round_ != BatchRound.SUPPLEMENTARY:
        return _("Only a supplementary-round batch has a previous batch.") if previous is not None else None
    if previous is None:
        return _("Choose the first-round batch whose seats left this supplementary round offers.")
    if own_id is not None and str(previous.id) == str(own_id):
        return _("A batch cannot follow itself.")
    if previous.program != program or previous.round != BatchRound.FIRST:
        return _("The previous batch must be a first-round batch of the same program.")
    return None

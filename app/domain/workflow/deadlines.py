"""Every deadline of the season, in one function: the registration window, 退回修改截止, the on-site
confirmation deadline and the 报到 deadline. The province moves a deadline in the batch."""
from __future__ import annotations

from flask_babel import gettext as _

from app.i18n import cn_date
from models import Batch
from models.enums import BatchStatus


def deadline_refusal(batch: Batch, action: str, moment) -> str | None:
    """Why ``action`` is too early or too late in ``batch``'s calendar at ``moment``, in Chinese, or None.

    Every deadline of the season is here; the province moves a deadline in the batch. Deadlines are
    dates and include their whole day: the day after is refused.

    * 提交 (submit): inside the registration window (报名阶段);
    * 再次上报 (resubmit, 退回修改需依据原因重新维护信息进行再次上报): until the batch's resubmission
      deadline, also after the window has closed; a batch without one follows the window;
    * 现场确认 (务必于5月22日前…进行现场确认): until the confirmation deadline, with no grace;
    * 报到 (7月31日前完成新招收住院医师报到工作): until the report deadline;
    * a base's own admission (base_admit / base_not_admit: 依据理论和技能综合成绩择优录取。5 月 31 日前完成
      第一阶段招收工作): until the first-phase deadline, that day included ("前" read as "by", like the
      other deadlines here); without a deadline the province has not opened it.
    """
    today = moment.date()
    if action == "submit" and not batch.is_open(moment):
        return _("Registration for this batch is closed.")
    if action == "resubmit":
        deadline = batch.resubmission_deadline
        if batch.status not in (BatchStatus.OPEN, BatchStatus.CLOSED):
            return _("Registration for this batch is closed.")
        if deadline is None and not batch.is_open(moment):
            return _("Registration for this batch is closed, and no resubmission deadline was set.")
        if deadline is not None and today > deadline:
            return _("Returned applications could be resubmitted until %(date)s; that deadline has passed.",
                     date=cn_date(deadline))
    deadlines = {"confirm_onsite": (batch.confirmation_deadline, _("On-site confirmation closed on %(date)s.")),
                 "report": (batch.report_deadline, _("Reporting is closed: the deadline was %(date)s."))}
    if action in ("base_admit", "base_not_admit"):
        return _base_admission_refusal(batch, today)
    if action in deadlines:
        deadline, message = deadlines[action]
        if deadline is not None and today > deadline:
            return message % {"date": cn_date(deadline)}
    return None


def _base_admission_refusal(batch: Batch, today) -> str | None:
    if not batch.base_admission_enabled or batch.phase_one_deadline is None:
        return _("The province has not opened admission by the training bases for this batch.")
    if today > batch.phase_one_deadline:
        return _("Admission by the training bases closed on %(date)s (the first phase).",
                 date=cn_date(batch.phase_one_deadline))
    return None

"""The application list's view of a residency application after on-site confirmation: one list cell
(准考证, 成绩 or 缺考, 录取, 录取通知, 报到, missing documents), the export's columns, and the filters by
those states. What they read and the filter conditions are ``app.domain.admission.standing`` (one
query a page or an export chunk; a filter is a condition of the list's own query)."""
from __future__ import annotations

from flask_admin.contrib.sqla import filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.domain.admission import standing as rules
from app.domain.admission.standing import Standing
from app.i18n import cn_date
from models import Acceptance, AgreementKind, Application
from models.enums import AdmissionResult

SEAT_OPTIONS = [("assigned", _l("Allocated")), ("unassigned", _l("Not allocated"))]
SCORE_OPTIONS = [("entered", _l("Entered")), ("absent", _l("Absent (缺考)")), ("missing", _l("Not entered"))]
NOTICE_OPTIONS = [*Acceptance.lazy_choices(), (rules.NOT_ISSUED, _l("Not issued"))]
REPORT_OPTIONS = [("reported", _l("Reported")), ("waiting", _l("Not reported yet"))]
MISSING_OPTIONS = [("agreement", _l("Agreement or labour contract not uploaded")),
                   ("diploma", _l("Diploma or degree certificate missing"))]


class StateFilter(filters.FilterEqual):
    """A filter by one after-confirmation state: ``condition(value)`` of ``app.domain.admission.standing``."""

    def __init__(self, label, options, condition):
        super().__init__(Application.id, label, options=options)
        self.condition = condition
        self.allowed = {value for value, _label in options}

    def validate(self, value):
        return value in self.allowed

    def apply(self, query, value, alias=None):
        return query.filter(self.condition(value))


STATE_FILTERS = (
    StateFilter(_l("Admission ticket"), SEAT_OPTIONS, rules.seat_condition),
    StateFilter(_l("Scores"), SCORE_OPTIONS, rules.score_condition),
    StateFilter(_l("Admission acceptance"), NOTICE_OPTIONS, rules.notice_condition),
    StateFilter(_l("Reporting"), REPORT_OPTIONS, rules.report_condition),
    StateFilter(_l("Missing documents"), MISSING_OPTIONS, rules.missing_condition),
)


# --- what each state reads as ----------------------------------------------------------------------------

def seat_text(state: Standing) -> str:
    if state.exam_number is None:
        return _("No exam number yet")
    return _("Exam number %(number)s · %(room)s, seat %(seat)s", number=state.exam_number, room=state.room,
             seat=state.seat_no)


def score(value) -> str:
    return "" if value is None else f"{value:.2f}"


def scores_text(state: Standing) -> str:
    if state.absent:
        return _("Absent (缺考)")
    if not state.scored:
        return _("Scores not entered")
    return _("Theory %(theory)s · Skills %(skills)s · Combined %(combined)s", theory=score(state.theory) or "—",
             skills=score(state.skills) or "—", combined=score(state.combined) or "—")


def admission_text(state: Standing) -> str:
    if state.admitted_specialty is not None:
        return _("Admitted: %(base)s · %(specialty)s", base=state.admitted_base or "", specialty=state.admitted_specialty)
    return AdmissionResult.label(state.result)


def notice_label(state: Standing) -> str:
    return Acceptance.label(state.acceptance) if state.acceptance else _("Not issued")


def report_text(state: Standing) -> str:
    return _("Reported") if state.reported else _("Not reported yet")


def missing_items(state: Standing) -> list[str]:
    items = []
    if state.agreement_missing:
        items.append(_("%(kind)s not uploaded", kind=AgreementKind.label(state.agreement_missing)))
    if state.diploma_due is not None:
        items.append(_("Diploma or degree certificate (due %(date)s)", date=cn_date(state.diploma_due)))
    return items


def state_lines(state: Standing) -> list[tuple[str, str]]:
    """(class, text) lines of the list cell, in the order of the season."""
    lines = [("" if state.exam_number else "text-muted", seat_text(state)),
             ("text-warning" if state.absent else "" if state.scored else "text-muted", scores_text(state)),
             ("", admission_text(state))]
    if state.acceptance or state.admitted:
        lines.append(("text-danger" if state.acceptance in (Acceptance.DECLINED, Acceptance.EXPIRED) else "",
                      _("Admission notice: %(state)s", state=notice_label(state))))
    if state.admitted:
        lines.append(("" if state.reported else "text-muted", report_text(state)))
    missing = missing_items(state)
    if missing:
        lines.append(("text-danger", _("Missing: %(documents)s", documents="；".join(missing))))
    return lines


def standing_formatter(view, context, model, name):
    """The list cell, read with the page's rows (``app.domain.review.list_page``)."""
    state = model.standing
    if state is None:
        return ""
    return Markup("").join(Markup('<div class="standing-line {}">{}</div>').format(cls, escape(text))
                           for cls, text in state_lines(state))


# --- the export's columns: what each reads of a standing (``views.admin.application_export``) ----------

def _score_export(attribute: str):
    def read(state: Standing):
        value = getattr(state, attribute)
        return _("Absent (缺考)") if state.absent else ("" if value is None else float(value))
    return read


STATE_EXPORT_COLUMNS = ("exam_number", "exam_room", "exam_seat", "theory_score", "skills_score", "combined_score",
                        "admission_result", "admitted_base", "admitted_specialty", "acceptance", "report_state",
                        "reported_at", "missing_documents", "diploma_due")
# the columns read from the standing (empty for an application that has none)
STATE_EXPORT_READERS = {
    "exam_number": lambda s: s.exam_number or _("Not allocated"),
    "exam_room": lambda s: s.room or "",
    "exam_seat": lambda s: s.seat_no or "",
    "theory_score": _score_export("theory"), "skills_score": _score_export("skills"),
    "combined_score": _score_export("combined"),
    "admitted_base": lambda s: s.admitted_base or "",
    "acceptance": lambda s: notice_label(s) if s.acceptance or s.admitted else "",
    "report_state": lambda s: report_text(s) if s.admitted else "",
    "missing_documents": lambda s: "；".join(missing_items(s)),
    "diploma_due": lambda s: cn_date(s.diploma_due) if s.diploma_due else "",
}
STATE_LABELS = {
    "standing": _l("Exam and admission"), "exam_number": _l("Exam number"), "exam_room": _l("Exam room"),
    "exam_seat": _l("Seat"), "admitted_base": _l("Admitted base"), "acceptance": _l("Admission acceptance"),
    "report_state": _l("Reporting"), "missing_documents": _l("Missing documents"),
    "diploma_due": _l("Diploma and degree due"),
}

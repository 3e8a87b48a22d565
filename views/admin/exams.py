"""The exam arrangements page (考试安排): a base's rooms, 准考证 window, skills items per specialty,
allocation of exam numbers and seats, and the rooms' sign-in sheets (PDF and Excel).

Base staff arrange their own base only; the province administrator any base. Every posted room or
specialty id is checked to belong to the chosen base and batch. Rules live in ``app.domain.exams``.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import abort, flash, redirect, request, send_file
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_login import current_user
from openpyxl import Workbook
from sqlalchemy.exc import IntegrityError

from app.documents.admit_card import pdf_response, roster_headers, roster_pdf, roster_rows
from app.domain import exams
from app.domain.scores import may_manage_base, residency_batches, skill_items_by_specialty
from app.extensions import db
from app.infra.access_log import record_access
from app.infra.xlsx import XLSX_MIME, safe_file_part, safe_row, workbook_stream, write_header
from models import AccessAction, Role, Specialty
from views.admin.base import RoleAccessMixin
from views.admin.scores import BatchBaseMixin
from views.helpers import parse_id

MAX_DATE_TEXT = 10


def parse_day(raw) -> date | None:
    text = (raw or "").strip()[:MAX_DATE_TEXT + 1]
    try:
        return date.fromisoformat(text) if len(text) == MAX_DATE_TEXT else None
    except ValueError:
        return None


class ExamsView(BatchBaseMixin, RoleAccessMixin, BaseView):
    """One base's exam arrangements in one residency batch."""

    def _chosen(self, source):
        """(batches, batch, base) from ``source`` (args or form); a base the user may manage, else 403."""
        batches = residency_batches()
        batch = self._batch(source.get("batch"), batches)
        base = self._base(source.get("base"))
        if base is not None and not may_manage_base(current_user, base):
            abort(403)
        return batches, batch, base

    def _back(self, batch, base):
        return redirect(self.get_url(".index", batch=batch.id, base=base.id))

    def _page(self, batches, batch, base, errors=None, values=None, status=200):
        context = {"batches": batches, "batch": batch, "base": base, "bases": self._base_options(),
                   "is_base_staff": current_user.role == Role.BASE_STAFF, "errors": errors or {},
                   "values": values or {}}
        if batch is not None and base is not None:
            context.update(
                exam_time=exams.theory_exam_text(batch), rooms=exams.rooms(batch, base),
                seated=exams.seated_counts(batch, base), plan=exams.plan_of(batch.id, base.id),
                card_window=exams.card_window(batch, exams.plan_of(batch.id, base.id)),
                specialties=exams.base_specialties(batch, base),
                items=skill_items_by_specialty(batch.id, base.id),
                counts=exams.allocation_counts(batch, base))
        return self.render("admin/exams.html", **context), status

    @expose("/")
    def index(self):
        batches, batch, base = self._chosen(request.args)
        return self._page(batches, batch, base)

    def _posted(self):
        batches, batch, base = self._chosen(request.form)
        if batch is None or base is None:
            abort(404)
        return batches, batch, base

    def _save(self, batches, batch, base, change, success: str, values=None):
        """Run ``change``; commit and go back with ``success``, or show the page with the Chinese refusal."""
        try:
            change()
            db.session.commit()
        except exams.ExamError as error:
            db.session.rollback()
            return self._page(batches, batch, base, errors={error.field or "page": str(error)},
                              values=values, status=400)
        except IntegrityError:
            db.session.rollback()
            return self._page(batches, batch, base, errors={"page": _(
                "Someone else changed the arrangements at the same time; nothing was saved. Please try again.")},
                values=values, status=409)
        if success:
            flash(success, "success")
        return self._back(batch, base)

    @expose("/rooms/", methods=("POST",))
    def add_room(self):
        batches, batch, base = self._posted()
        form = request.form
        values = {key: (form.get(key) or "")[:300] for key in ("name", "address", "capacity", "invigilators")}
        return self._save(batches, batch, base, lambda: exams.add_room(
            batch, base, values["name"], values["address"], values["capacity"], values["invigilators"]),
            _("The room was added."), values)

    @expose("/rooms/capacity/", methods=("POST",))
    def room_capacity(self):
        """Change a room's capacity: never below the seats already given in it; a refusal keeps the input."""
        batches, batch, base = self._posted()
        room = exams.room_of(batch, base, parse_id(request.form.get("room")))
        if room is None:
            abort(404)
        raw = (request.form.get("capacity") or "")[:30]
        key = f"capacity-{room.id}"

        def change():
            try:
                exams.set_capacity(room, raw)
            except exams.ExamError as error:
                raise exams.ExamError(str(error), key) from error
        return self._save(batches, batch, base, change,
                          _("The capacity of %(name)s was saved.", name=room.name), {key: raw})

    @expose("/rooms/delete/", methods=("POST",))
    def delete_room(self):
        batches, batch, base = self._posted()
        room = exams.room_of(batch, base, parse_id(request.form.get("room")))
        if room is None:
            abort(404)
        return self._save(batches, batch, base, lambda: exams.delete_room(room), _("The room was removed."))

    @expose("/window/", methods=("POST",))
    def window(self):
        batches, batch, base = self._posted()
        opens, closes = parse_day(request.form.get("opens_on")), parse_day(request.form.get("closes_on"))
        values = {"opens_on": (request.form.get("opens_on") or "")[:20],
                  "closes_on": (request.form.get("closes_on") or "")[:20]}
        return self._save(batches, batch, base, lambda: exams.set_card_window(batch, base, opens, closes),
                          _("The admission ticket download window was saved."), values)

    @expose("/window/default/", methods=("POST",))
    def window_default(self):
        """The base gives up its own window: the province's default on the batch applies."""
        batches, batch, base = self._posted()
        return self._save(batches, batch, base, lambda: exams.clear_card_window(batch, base),
                          _("The base's own window was removed; the batch's default window applies."))

    @expose("/skills/", methods=("POST",))
    def skills(self):
        batches, batch, base = self._posted()
        specialty = db.session.get(Specialty, parse_id(request.form.get("specialty")) or 0)
        if specialty is None:
            abort(404)
        text = (request.form.get("items") or "")[:2000]
        return self._save(batches, batch, base, lambda: exams.set_skill_items(
            batch, base, specialty, exams.parse_skill_items(text)),
            _("The skills items of %(specialty)s were saved.", specialty=specialty.name),
            {f"items-{specialty.id}": text})

    @expose("/allocate/", methods=("POST",))
    def allocate(self):
        batches, batch, base = self._posted()
        result = {}

        def run():
            result["allocation"] = exams.allocate(batch, base)
        response = self._save(batches, batch, base, run, "")
        if "allocation" in result:
            allocation = result["allocation"]
            flash(_("%(issued)s new exam numbers issued; %(total)s applicants have an exam number and seat.",
                    issued=allocation.issued, total=allocation.total), "success")
        return response

    def _room(self):
        _batches, batch, base = self._chosen(request.args)
        if batch is None or base is None:
            abort(404)
        room = exams.room_of(batch, base, parse_id(request.args.get("room")))
        if room is None:
            abort(404)
        seats = exams.room_roster(room)
        record_access(AccessAction.EXPORT, "exam_room", room.id, rows=len(seats))
        return room, seats

    @expose("/roster.pdf")
    def roster_pdf(self):
        room, seats = self._room()
        return pdf_response(roster_pdf(room, seats), f"{_('Exam room sign-in sheet')}_{room.name}.pdf")

    @expose("/roster.xlsx")
    def roster_xlsx(self):
        room, seats = self._room()
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = safe_file_part(room.name)[:31] or "sheet"
        write_header(sheet, roster_headers(), (8, 20, 14, 24, 18, 16))
        for row in roster_rows(seats):
            sheet.append(safe_row(sheet, row + [""]))
        filename = f"{_('Exam room sign-in sheet')}_{safe_file_part(room.name)}.xlsx"
        response = send_file(workbook_stream(workbook), mimetype=XLSX_MIME, as_attachment=True,
                             download_name="roster.xlsx")
        response.headers["Content-Disposition"] = f"attachment; filename=roster.xlsx; filename*=UTF-8''{quote(filename)}"
        response.headers["Cache-Control"] = "no-store"
        return response

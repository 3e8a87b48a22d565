"""Notices (通知公告) in the back office: each level publishes to its own scope and sees who of its own
staff has read a 须阅读 notice; every staff member reads the notices that reach them."""
from __future__ import annotations

from flask import abort, flash, redirect, request
from flask_admin import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, TextAreaField

from app.domain.notices import (
    MAX_BODY,
    NoticeError,
    add_files,
    check,
    notices_for,
    publisher_scope,
    read_ids,
    receipts,
    render_body,
    scope_label,
)
from app.extensions import db
from app.infra import storage
from app.infra.audit import set_actor
from models import Attachment, Role
from models.clock import now
from models.enums import Program
from views.admin.base import RoleAccessMixin, SecureModelView

PUBLISHERS = (Role.PROVINCE_ADMIN, Role.CITY_REVIEWER, Role.COUNTY_REVIEWER, Role.BASE_STAFF, Role.SUPERUSER)


def _yes_no(view, context, model, name):
    return _("Yes") if getattr(model, name) else _("No")


def program_choices():
    return [("", _("Any program"))] + Program.choices()


class NoticeView(SecureModelView):
    """The notices a level publishes (its own scope only: ``access.notice_owner_condition``)."""

    read_roles = PUBLISHERS
    write_roles = PUBLISHERS
    delete_roles = PUBLISHERS
    pii_columns = ()
    column_labels = {
        "title": _l("Title"), "body": _l("Text"), "program": _l("Program"), "batch": _l("Batch"),
        "publish_at": _l("Publish at"), "expires_at": _l("Expires at"), "pinned": _l("Pinned"),
        "must_read": _l("Must read"), "created_at": _l("Created at"),
    }
    column_list = ("title", "publish_at", "expires_at", "pinned", "must_read")
    column_details_list = ("title", "program", "batch", "publish_at", "expires_at", "pinned", "must_read")
    column_export_list = column_list
    column_formatters = {"pinned": _yes_no, "must_read": _yes_no,
                         "program": lambda v, c, m, n: Program.label(m.program) if m.program else ""}
    column_formatters_detail = column_formatters
    column_formatters_export = column_formatters
    column_default_sort = ("publish_at", True)
    column_sortable_list = ("title", "publish_at", "expires_at")
    column_searchable_list = ()
    form_columns = ("title", "body", "program", "batch", "publish_at", "expires_at", "pinned", "must_read")
    form_overrides = {"body": TextAreaField, "program": SelectField}
    form_args = {
        "body": {"description": _l("Markdown: **bold**, *italic*, lists (- item), links [text](https://…). "
                                   "HTML is shown as text, never run."),
                 "render_kw": {"rows": 12, "maxlength": MAX_BODY}},
        "program": {"choices": program_choices, "description": _l("Optional: the program the notice is about.")},
        "publish_at": {"default": now, "description": _l("Trainees see the notice from this time.")},
        "expires_at": {"description": _l("Optional: the notice is hidden after this time.")},
        "must_read": {"description": _l("Your own staff must read it; you see who has.")},
    }
    export_name = _l("Notices")
    details_template = "admin/notice_details.html"

    def validate_form(self, form):
        valid = super().validate_form(form)
        if not valid or not hasattr(form, "title"):
            return valid
        problems = check(form.title.data, form.body.data, form.publish_at.data, form.expires_at.data)
        if problems:
            form.title.errors = list(form.title.errors) + problems
        return not problems

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        model.program = model.program or None
        if is_created:
            scope = publisher_scope(current_user._get_current_object())
            if scope is None:
                raise ValueError(_("You cannot publish notices."))
            model.level, model.region_id, model.base_id = scope
            model.author_id = current_user.id

    def on_model_delete(self, model):
        """The notice's files go with it (their stored objects once the deletion commits)."""
        super().on_model_delete(model)
        for attachment in list(model.files):
            storage.delete(attachment)

    def render(self, template, **kwargs):
        notice = kwargs.get("model")
        if template == self.details_template and notice is not None:
            kwargs.update(body=render_body(notice.body), receipts=receipts(notice), publisher=scope_label(notice))
        return super().render(template, **kwargs)

    @expose("/files/", methods=("POST",))
    def files_view(self):
        """Attach files to a notice of one's own, or remove one."""
        notice = self.get_one(request.form.get("id", ""))
        if notice is None or not self.can_edit:
            abort(404)
        remove = request.form.get("remove")
        try:
            if remove:
                attachment = db.session.scalar(db.select(Attachment).where(
                    Attachment.id == (int(remove) if remove.isdigit() and len(remove) < 10 else 0),
                    Attachment.notice_id == notice.id))
                if attachment is None:
                    abort(404)
                storage.delete(attachment)
                message = _("The attachment is removed.")
            else:
                count = add_files(notice, request.files.getlist("files"), current_user._get_current_object())
                message = _("%(count)s attachments added.", count=count)
            db.session.commit()
        except NoticeError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(message, "success")
        return redirect(self.get_url(".details_view", id=notice.id))


class NoticeInboxView(RoleAccessMixin, BaseView):
    """The notices that reach the signed-in staff member, pinned first; unread ones in bold."""

    read_roles = Role.STAFF

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    @expose("/")
    def index(self):
        notices = notices_for(current_user._get_current_object())
        return self.render("admin/notice_inbox.html", notices=notices,
                           read=read_ids(current_user, [n.id for n in notices]))

"""我的筛选 on the application list: save the current filter under a name (shared with the role, if
asked), apply one, delete one's own (``app.domain.review.saved_filters``)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from app.domain.review.saved_filters import (
    SavedFilterError,
    delete_filter,
    save_filter,
    usable_filter,
)
from app.extensions import db
from views.admin.application_filters import application_list_choices
from app.domain.review.list_choices import SAVED_FILTERS
from views.helpers import parse_id


class SavedFiltersMixin:
    """For the application view (which has ``list_url``): the saved filters' three actions."""

    def saved_filters(self):
        return application_list_choices()[SAVED_FILTERS]

    def saved_filter_url(self, saved) -> str:
        index = self.get_url(".index_view")
        return f"{index}?{saved.query}" if saved.query else index

    @expose("/filters/save/", methods=("POST",))
    def save_filter_view(self):
        list_url = self.list_url()
        try:
            saved = save_filter(current_user._get_current_object(), request.form.get("name", ""),
                                urlsplit(list_url).query, request.form.get("shared") == "1")
            db.session.commit()
        except SavedFilterError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(list_url)
        flash(_("Filter saved: %(name)s.", name=saved.name), "success")
        return redirect(self.saved_filter_url(saved))

    @expose("/filters/<filter_id>/")
    def apply_filter_view(self, filter_id):
        try:
            saved = usable_filter(current_user, parse_id(filter_id))
        except SavedFilterError as error:
            flash(str(error), "error")
            return redirect(self.get_url(".index_view"))
        return redirect(self.saved_filter_url(saved))

    @expose("/filters/delete/", methods=("POST",))
    def delete_filter_view(self):
        try:
            delete_filter(current_user, parse_id(request.form.get("filter_id", "")))
            db.session.commit()
        except SavedFilterError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("The saved filter was deleted."), "success")
        return redirect(self.list_url())

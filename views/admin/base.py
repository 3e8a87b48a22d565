"""The back office's base view: access by role, scope on every query, audit, Chinese output."""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from datetime import date, datetime
from urllib.parse import quote

from flask import (Response, abort, current_app, flash, g, has_request_context, jsonify, redirect, request, session,
                   stream_with_context, url_for)
from flask_admin import AdminIndexView, expose
from flask_admin.actions import action
from flask_admin._compat import as_unicode
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model import typefmt
from flask_admin.model.fields import AjaxSelectField, AjaxSelectMultipleField
from flask_admin.tools import rec_getattr
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import BigInteger
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.fields import FieldList, FormField, IntegerField

from app.domain.access import scope, scope_key
from app.domain.privacy import (
    MAX_EXPORT_REASON,
    PERSONAL_RECORDS,
    PII_FIELDS,
    export_reason_problem,
    mask,
    masker,
    may_export_full,
    may_reveal,
)
from app.extensions import db
from app.i18n import cn_date, cn_datetime, yes_no
from app.infra.access_log import record_access
from app.infra.audit import set_actor
from app.infra.xlsx import safe_file_part
from models import AccessAction, Role
from models.base import MAX_INT
from models.clock import now
from app.domain.reporting import dashboard_context
from app.domain.reporting.season import base_season
from views.admin.queues import my_queues
from views.admin.urls import view_url
from views.admin.exports import export_rows, model_values, start_export_job, workbook
from views.helpers import parse_id

MAX_PAGE = 10**6
MAX_FILTER_VALUE = 200  # characters: a filter value is a number, a date (range), a code or a short text
SHOWN_VALUE = 30  # characters of a refused value repeated in a message


def without_nul(value):
    """``value`` without NUL characters, which PostgreSQL refuses in text (a server error otherwise)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def filter_value_fits(flt, value: str) -> bool:
    """Whether a filter value from the URL may be applied: the filter accepts it, it is short, holds
    no control character, and every number in it fits a 64-bit column (a larger one fails the
    database: PostgreSQL's INTEGER has 32 bits, SQLite's and BIGINT 64)."""
    if len(value) > MAX_FILTER_VALUE or CONTROL_CHARACTERS.search(value):
        return False
    try:
        if not flt.validate(value):
            return False
        cleaned = flt.clean(value)
    except (ValueError, TypeError, ArithmeticError):  # int(float("9"*400)) and the like
        return False
    column_type = getattr(getattr(flt, "column", None), "type", None)
    most = 2**63 - 1 if isinstance(column_type, BigInteger) else MAX_INT
    for item in cleaned if isinstance(cleaned, (list, tuple)) else (cleaned,):
        if isinstance(item, int) and not isinstance(item, bool) and not -most - 1 <= item <= most:
            return False
        if isinstance(item, float) and not math.isfinite(item):
            return False
    return True


def shown_value(value: str) -> str:
    """A value typed by someone, for a message: printable and short."""
    text = "".join(ch if ch.isprintable() else "?" for ch in value[:SHOWN_VALUE + 1])
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE] + "…"


def leaf_fields(fields):
    """Every field of a form, including those of inline rows (FormField / FieldList)."""
    for field in fields:
        if isinstance(field, FormField):
            yield from leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from leaf_fields(field.entries)
        else:
            yield field


# control characters nobody types: NUL (refused by PostgreSQL in text) and the other C0 codes, except
# tab and line breaks; and the bidirectional controls (U+202E …) that make text read in another order
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_control_characters(form) -> list:
    """Remove control characters from the text fields of a submitted form (inline rows too) before it is
    validated, so that no look-up sends them to the database (PostgreSQL refuses NUL even in a query);
    returns the fields that held any, to be refused with a message."""
    changed = []
    for field in leaf_fields(form):
        if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
            field.data = CONTROL_CHARACTERS.sub("", field.data)
            changed.append(field)
    return changed


def ajax_fields(fields):
    """The single-record ajax fields of a form, including those of inline rows."""
    return (f for f in leaf_fields(fields)
            if isinstance(f, AjaxSelectField) and not isinstance(f, AjaxSelectMultipleField))


def label_blank_choices(form):
    """Give optional relation selects a visible blank choice (WTForms shows "__None" otherwise)."""
    for field in leaf_fields(form):
        if getattr(field, "allow_blank", False) and not getattr(field, "blank_text", None):
            field.blank_text = _("(none)")
    return form


# datetime first: it is a subclass of date, and Flask-Admin takes the first isinstance match
TYPE_FORMATTERS = {
    datetime: lambda view, value, name: cn_datetime(value),
    date: lambda view, value, name: cn_date(value),
    **typefmt.BASE_FORMATTERS,
    type(None): typefmt.empty_formatter,
    bool: lambda view, value, name: yes_no(value),
}
EXPORT_TYPE_FORMATTERS = dict(TYPE_FORMATTERS)
EXPORT_TYPE_FORMATTERS[list] = lambda view, value, name: "、".join(str(v) for v in value)


def choice_formatter(choices, attribute: str | None = None):
    """A list/detail/export formatter that shows an enumeration's Chinese label."""
    def formatter(view, context, model, name):
        return choices.label(getattr(model, attribute or name))
    return formatter


def request_options(function):
    """Mark a filter-options callable: evaluated per request (scoped), never at start-up."""
    def options():
        return function() if has_request_context() else []
    return options


MAX_KEPT_SCOPES = 1024  # filter entries kept per view (a language and a scope each); past it, made again


def scope_options(function):
    """Filter options that depend only on the user's role and region and on the language (statuses,
    cities, counties: reference data that no page changes): made once per process for each."""
    made: dict[tuple, list] = {}

    def options():
        if not has_request_context():
            return []
        user = current_user
        key = (getattr(user, "role", None), getattr(user, "region_id", None), str(get_locale()))
        if key not in made:
            made[key] = function()
        return made[key]
    options.per_scope = True  # the list's filter entries that use them are kept too (``_get_filter_groups``)
    return options


def pii_value(model, field: str):
    """The full value of a personal field of ``model``: an application's frozen snapshot first (what the
    detail page shows), then the record itself, then its trainee."""
    snapshot = getattr(model, "snapshot", None)
    if isinstance(snapshot, dict) and snapshot.get(field):
        return snapshot[field]
    if hasattr(model, field):
        return getattr(model, field)
    return getattr(getattr(model, "trainee", None), field, None)


def pii_cell(name: str, value, full: bool = False) -> str:
    """A personal column's cell in a list or an export: masked, or whole in a full-value export."""
    if not full:
        return mask(name, value)
    return "" if value is None else str(value)


def pii_field(value, field: str, endpoint: str | None = None, record_id=None):
    """A personal value as shown on a page: masked, with a 显示完整 button for those who may reveal it
    (``endpoint``'s ``reveal_view`` returns the full value and writes an access-log row; the script
    is ``static/admin/reveal.js``). Lists pass no endpoint: masked text only."""
    if value is None or value == "":
        return ""
    masked = mask(field, value)
    if endpoint is None or record_id is None or masked == value or not may_reveal(current_user):
        return masked
    return Markup(
        '<span class="pii"><span class="pii-value">{masked}</span> '
        '<button type="button" class="btn btn-link btn-sm p-0 align-baseline pii-reveal" data-url="{url}" '
        'data-id="{id}" data-field="{field}" data-csrf="{csrf}" data-failed="{failed}">{label}</button></span>'
    ).format(masked=masked, url=url_for(f"{endpoint}.reveal_view"), id=record_id, field=field,
             csrf=generate_csrf(), failed=_("Could not show the full value."), label=_("Show full"))


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax look-up that only offers and accepts records inside the user's scope."""

    def get_query(self):
        return scope(super().get_query(), self.model, current_user)

    def get_one(self, pk):
        number = parse_id(pk)
        if number is None:
            return None
        pk_column = self.model.__mapper__.primary_key[0]
        return self.get_query().filter(pk_column == number).one_or_none()

    def get_list(self, term, offset=0, limit=None):
        """A page of matches; offset and limit come from the URL, so keep them in range."""
        offset = offset if isinstance(offset, int) and 0 < offset <= MAX_INT else 0
        most = self.options.get("page_size", 20)
        limit = limit if isinstance(limit, int) and 0 < limit <= most else most
        return super().get_list(without_nul(term or ""), offset, limit)


def ajax_ref(model, fields, **options) -> ScopedAjaxLoader:
    """A scoped ajax loader for ``model`` searching ``fields``; the caller names the view field."""
    options.setdefault("page_size", 20)
    options.setdefault("placeholder", _l("Type to search"))
    return ScopedAjaxLoader(options.pop("name", model.__tablename__), db.session, model, fields=fields,
                            **options)


# Flask-Admin 2.2.1 flashes these when a submitted form does not validate, but its compiled Chinese
# catalogue lacks them (its admin.po has them, its admin.mo does not): say it in the platform's words.
ADMIN_FLASHES = {
    "Failed to create record.": _l("Not created: please correct the fields marked in red."),
    "Failed to save record.": _l("Not saved: please correct the fields marked in red."),
}


class RoleAccessMixin:
    """Open to logged-in, active users whose role is in ``read_roles``; others go to the login
    page (anonymous) or get 403."""

    read_roles: tuple[str, ...] = Role.ENROLLMENT_STAFF

    def is_accessible(self) -> bool:
        return (current_user.is_authenticated and current_user.is_active
                and current_user.role in self.read_roles)

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def get_url(self, endpoint, **kwargs):
        """URLs of static files (a back-office page links about twenty: styles, scripts, icons) made once
        per process for each file and mount point, and links to views without variable parts written
        from their path (``views.admin.urls``), not through Flask's URL map on every page."""
        if not has_request_context():
            return super().get_url(endpoint, **kwargs)
        if not endpoint.endswith(".static"):
            if any(name.startswith("_") for name in kwargs):  # _external, _anchor …: Flask's own
                return super().get_url(endpoint, **kwargs)
            return view_url(endpoint, kwargs)
        try:
            key = (request.script_root, endpoint, tuple(sorted(kwargs.items())))
            url = STATIC_URLS.get(key)
        except TypeError:  # an argument that is no dict key
            return super().get_url(endpoint, **kwargs)
        if url is None:
            if len(STATIC_URLS) >= STATIC_URLS_KEPT:
                STATIC_URLS.clear()
            url = STATIC_URLS[key] = super().get_url(endpoint, **kwargs)
        return url


STATIC_URLS: dict[tuple, str] = {}  # (mount point, endpoint, arguments) -> URL
STATIC_URLS_KEPT = 512  # the templates name a few dozen files; the limit only bounds the dict


class SecureModelView(RoleAccessMixin, ModelView):
    """Base of every back-office view.

    Subclasses declare ``read_roles`` (who may open the view), ``write_roles`` (who may create
    and edit) and ``delete_roles``. Every query is restricted by ``app.domain.access.scope``; changes are
    audited; ``status`` is never a form field.
    """

    read_roles: tuple[str, ...] = Role.ENROLLMENT_STAFF
    write_roles: tuple[str, ...] = (Role.SUPERUSER,)
    create_roles: tuple[str, ...] | None = None  # defaults to write_roles
    delete_roles: tuple[str, ...] = (Role.SUPERUSER,)

    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    can_export = True
    export_types = ["xlsx"]
    named_filter_urls = True
    column_display_actions = True
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    form_excluded_columns = ("status", "created_at", "updated_at", "version")
    export_name: str = ""  # Chinese file-name stem; defaults to the view's name
    list_template = "admin/pii_list.html"
    # personal columns (by attribute name; ``trainee.id_number`` counts as ``id_number``): masked in
    # lists, exports and details (details offer a reveal); a view of public numbers sets ``()``
    pii_columns: tuple[str, ...] = PII_FIELDS
    # the fields ``reveal_view`` returns; None: the personal columns of the details page
    reveal_fields: tuple[str, ...] | None = None

    # --- access -------------------------------------------------------------------------------

    def _has_role(self, roles) -> bool:
        return current_user.is_authenticated and current_user.role in roles

    @property
    def can_create(self) -> bool:
        return self._has_role(self.create_roles if self.create_roles is not None else self.write_roles)

    @can_create.setter
    def can_create(self, value):  # Flask-Admin assigns these; roles decide
        pass

    @property
    def can_edit(self) -> bool:
        return self._has_role(self.write_roles)

    @can_edit.setter
    def can_edit(self, value):
        pass

    @property
    def can_delete(self) -> bool:
        return self._has_role(self.delete_roles)

    @can_delete.setter
    def can_delete(self, value):
        pass

    def _handle_view(self, name, **kwargs):
        response = super()._handle_view(name, **kwargs)
        if response is None and current_user.is_authenticated:
            set_actor(current_user._get_current_object())
        return response

    # --- scope ----------------------------------------------------------------------------------
    def get_query(self):
        return scope(super().get_query(), self.model, current_user)

    def get_count_query(self):
        return scope(super().get_count_query(), self.model, current_user)

    def get_one(self, id):
        number = parse_id(id)
        if number is None:
            return None
        pk_column = self.model.__mapper__.primary_key[0]
        return self.get_query().filter(pk_column == number).one_or_none()

    def get_scoped_ids(self, ids) -> list[int]:
        """Posted ids narrowed to those that parse and lie inside the user's scope."""
        numbers = [n for n in (parse_id(i) for i in ids) if n is not None]
        if not numbers:
            return []
        pk_column = self.model.__mapper__.primary_key[0]
        return [row[0] for row in self.get_query().with_entities(pk_column).filter(pk_column.in_(numbers))]

    def create_form(self, obj=None):
        return label_blank_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return label_blank_choices(super().edit_form(obj))

    def _get_list_value(self, context, model, name, column_formatters, column_type_formatters):
        """Empty cells stay empty: Flask-Admin's ``column_choices`` hands back a bare None. Personal
        columns are masked (lists, details, exports), except in a full-value export."""
        if self.is_pii(name):
            return pii_cell(name, rec_getattr(model, name), full=bool(g.get("pii_full_export")))
        value = super()._get_list_value(context, model, name, column_formatters, column_type_formatters)
        return "" if value is None else value

    # --- personal information: masking, reveal, access log ---------------------------------------
    @property
    def record_type(self) -> str:
        return self.model.__tablename__

    @property
    def reads_personal_data(self) -> bool:
        return self.record_type in PERSONAL_RECORDS

    def is_pii(self, name) -> bool:
        return masker(name) is not None and str(name).rsplit(".", 1)[-1] in self.pii_columns

    def revealable_fields(self) -> set[str]:
        if self.reveal_fields is not None:
            return set(self.reveal_fields)
        return {str(name).rsplit(".", 1)[-1] for name, _label in self._details_columns if self.is_pii(name)}

    @pass_context
    def get_detail_value(self, context, model, name):
        """A personal column on the details page: masked, with a button that reveals it."""
        if self.is_pii(name) and str(name).rsplit(".", 1)[-1] in self.revealable_fields():
            return pii_field(rec_getattr(model, name), str(name).rsplit(".", 1)[-1], self.endpoint, model.id)
        return super().get_detail_value(context, model, name)

    @expose("/reveal/", methods=("POST",))
    def reveal_view(self):
        """One full personal value of a record in scope, as JSON, written to the access log."""
        if not may_reveal(current_user):
            abort(403)
        field = request.form.get("field", "")
        if field not in self.revealable_fields():
            abort(404)
        model = self.get_one(request.form.get("id", ""))
        if model is None:
            abort(404)
        value = pii_value(model, field)
        record_access(AccessAction.REVEAL, self.record_type, model.id, field=field)
        response = jsonify(value="" if value is None else str(value))
        response.headers["Cache-Control"] = "no-store"
        return response

    def render(self, template, **kwargs):
        """Also write an access-log row when a personal record's details (or edit) page is shown."""
        model = kwargs.get("model")
        if (model is not None and self.reads_personal_data and template in (
                self.details_template, self.details_modal_template, self.edit_template, self.edit_modal_template)):
            record_access(AccessAction.VIEW, self.record_type, model.id)
        return self._render_with_flashes(template, **kwargs)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The scoped list; a page number out of range shows the first page, and NUL characters are
        dropped from the search and filter values (both come from the URL)."""
        if page is not None and not 0 <= page <= MAX_PAGE:
            page = 0
        filters = [(index, name, without_nul(value)) for index, name, value in filters or ()]
        count, rows = super().get_list(page, sort_column, sort_desc, without_nul(search), filters, execute=execute,
                                       page_size=page_size)
        if execute and search and self.reads_personal_data:  # a search of personal records is a read
            record_access(AccessAction.SEARCH, self.record_type, query=without_nul(search),
                          rows=None if count is None else int(count))
        return count, rows

    def validate_form(self, form):
        """Also refuse text holding control characters (NUL, …), which nobody types, and an ajax field
        whose posted record number names no record the user may see.

        Flask-Admin turns such a number into "nothing chosen", which a field that may be left empty
        would save silently, dropping its current value."""
        with_control_characters = strip_control_characters(form)
        valid = super().validate_form(form)
        for field in leaf_fields(form):
            if isinstance(field, IntegerField) and isinstance(field.data, int) and abs(field.data) > MAX_INT:
                field.errors = list(field.errors) + [_("The number is too large.")]
                valid = False
        if valid:
            unresolved = [field for field in ajax_fields(form)
                          if field.raw_data and field.raw_data[0] not in ("", "__None") and field.data is None]
            for field in unresolved:
                field.errors.append(_("Invalid record number."))
            valid = not unresolved
        for field in with_control_characters:
            field.errors = list(field.errors) + [
                _("Contains invisible control characters, which cannot be saved: please remove them.")]
        return valid and not with_control_characters

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Flask-Admin's mass delete, given the in-scope ids as numbers: it compares the integer key
        with the posted text, which PostgreSQL refuses (nothing was deleted there)."""
        return super().action_delete(self.get_scoped_ids(ids))

    def handle_action(self, return_view=None):
        """Refuse malformed posted ids before any action runs; actions re-check scope."""
        ids = request.form.getlist("rowid")
        if any(parse_id(i) is None for i in ids):
            flash(_("Invalid record number."), "error")
            return redirect(self.get_url(".index_view"))
        return super().handle_action(return_view)

    def get_filter_arg(self, index, flt) -> str:
        """The filter's URL name from its English msgid, e.g. ``county_equals``: the same at
        start-up and in every request, so bookmarked filter URLs keep working."""
        def msgid(text):
            args = getattr(text, "_args", None)
            return str(args[0]) if args else str(text)
        name = f"{msgid(flt.name)} {msgid(flt.operation())}".lower()
        return re.sub(r"\s+", "_", re.sub(r"[^a-z0-9 ]", "", name).strip())

    def _get_list_filter_args(self):
        """The filters in the URL that may be applied (``filter_value_fits``); each other one is
        left out with a Chinese message, instead of failing the list or the export."""
        if not self._filters:
            return None
        found = []
        for arg in request.args:
            if not arg.startswith("flt") or "_" not in arg:
                continue
            position, key = arg[3:].split("_", 1)
            if key not in self._filter_args:
                continue
            index, flt = self._filter_args[key]
            value = request.args[arg]
            if filter_value_fits(flt, value):
                found.append((position, (index, as_unicode(flt.name), value)))
            else:
                flash(self.get_invalid_value_msg(value, flt), "error")
        return [entry for _position, entry in sorted(found, key=lambda item: item[0])]

    def get_invalid_value_msg(self, value, filter) -> str:
        return _("The filter “%(filter)s” was not applied: “%(value)s” is not a valid value.",
                 filter=str(filter.name), value=shown_value(value))

    def _get_filter_groups(self):
        """Filter groups with options computed now, for this user (Flask-Admin caches them at start-up).

        A filter whose options never change between requests (a fixed list, ``scope_options``) is
        written once per language and scope and kept; ``request_options`` (and any other function)
        are read on every page."""
        if not self._filters:
            return None
        user = current_user
        key = (str(get_locale()), scope_key(user) if getattr(user, "is_authenticated", False) else None)
        made = self.__dict__.setdefault("_filter_entries", {})
        entries = made.get(key)
        if entries is None:
            entries = [self._filter_entry(index, flt, key[0])
                       if not callable(flt.options) or getattr(flt.options, "per_scope", False) else None
                       for index, flt in enumerate(self._filters)]
            if len(made) >= MAX_KEPT_SCOPES:
                made.clear()
            made[key] = entries
        groups: OrderedDict[str, list[dict]] = OrderedDict()
        for index, (flt, entry) in enumerate(zip(self._filters, entries)):
            name, group = entry or self._filter_entry(index, flt, key[0])
            groups.setdefault(name, []).append(group)
        return groups

    def _filter_entry(self, index: int, flt, locale: str) -> tuple[str, dict]:
        """A filter's group name and its entry in the filter groups (its name, URL argument and
        operation made once per language)."""
        known = self.__dict__.setdefault("_filter_names", {})
        if locale not in known:
            known[locale] = [(str(f.name), self.get_filter_arg(i, f), str(f.operation()))
                             for i, f in enumerate(self._filters)]
        name, arg, operation = known[locale][index]
        options = flt.get_options(self)
        return name, {"index": index, "arg": arg, "operation": operation,
                      "options": [(str(k), str(v)) for k, v in options] if options else None,
                      "type": flt.data_type}

    # --- errors ---------------------------------------------------------------------------------
    def _render_with_flashes(self, template, **kwargs):
        flashes = session.get("_flashes")
        if flashes and any(message in ADMIN_FLASHES for _category, message in flashes):
            session["_flashes"] = [(category, str(ADMIN_FLASHES[message]) if message in ADMIN_FLASHES else message)
                                   for category, message in flashes]
        return super().render(template, **kwargs)

    def handle_view_exception(self, exc) -> bool:
        if isinstance(exc, IntegrityError):
            db.session.rollback()
            flash(_("Not saved: the data conflicts with an existing record or misses a required value "
                    "(for example a duplicate ID number)."), "error")
            return True
        if isinstance(exc, SQLAlchemyError):
            db.session.rollback()
            flash(_("Not saved because of a database error. Please try again."), "error")
            return True
        return super().handle_view_exception(exc)

    # --- export ---------------------------------------------------------------------------------
    def get_export_name(self, export_type: str = "xlsx") -> str:
        stem = safe_file_part(self.export_title())[:120]
        return f"{stem}_{now():%Y%m%d%H%M}.{export_type}"

    def export_list_query(self):
        """The filtered, sorted, scoped list query (every row, no page)."""
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        _count, query = self.get_list(None, sort[0] if sort else None, view_args.sort_desc,
                                      view_args.search, view_args.filters, execute=False, page_size=0)
        return query

    def export_values(self, ids: list) -> list[list]:
        """The values written for the rows ``ids`` (a chunk of the list, in its order): the list's
        records formatted column by column; a view with many rows may read plain rows instead."""
        return model_values(self, ids)

    def export_prefetch(self, models: list) -> None:
        """Read what export-only columns need for a chunk of rows at once (views override it and keep
        the result in ``flask.g``, never on the view, which every request shares)."""

    def export_query(self, query):
        """The list query for the export; views add loader options for export-only columns."""
        return query

    def filter_description(self) -> str:
        """The list's active filters and search in Chinese: "状态：区县审核中，区县：中原区"."""
        view_args = self._get_list_extra_args()
        parts = []
        for index, _name, value in view_args.filters or []:
            flt = self._filters[index]
            shown = str(value)
            for option_value, label in flt.get_options(self) or ():
                if str(option_value) == shown:
                    shown = str(label)
                    break
            parts.append(f"{flt.name}：{shown_value(shown)}")
        if view_args.search:
            parts.append(_("search “%(term)s”", term=shown_value(view_args.search)))
        return "，".join(parts)

    def export_title(self) -> str:
        """The export's name with the active filter, e.g. "报名汇总表（状态：区县审核中）"."""
        stem = str(self.export_name or self.name)
        described = self.filter_description()
        return f"{stem}（{described}）" if described else stem

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        if not self.can_export or export_type != "xlsx":
            abort(404)
        count = self.export_count() or 0
        if count > int(current_app.config.get("EXPORT_JOB_ROWS", 5000)):
            return start_export_job(self, count)
        filename = self.get_export_name("xlsx")
        # streamed: the first bytes leave before the first row is read, the rows as they are written
        response = Response(stream_with_context(workbook(self, export_rows(self))),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response.headers["Content-Disposition"] = (
            f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename)}")
        return response


    # --- exports of personal records: audited; full values only with a stated reason -----------------
    @property
    def can_export_full(self) -> bool:
        return (self.can_export and may_export_full(current_user)
                and any(self.is_pii(name) for name, _label in self._export_columns))

    def export_count(self) -> int | None:
        """How many rows the export of the current list holds (one COUNT query)."""
        view_args = self._get_list_extra_args()
        count, _query = self.get_list(None, None, False, view_args.search, view_args.filters, execute=False,
                                      page_size=0)
        return count

    def export_filters(self) -> str:
        """The list's filters and search as the export applied them, for the access log."""
        return request.query_string.decode("utf-8", "replace")

    def _run_view(self, fn, *args, **kwargs):
        """Exports of personal records write an access-log row with the row count."""
        response = super()._run_view(fn, *args, **kwargs)
        if (getattr(fn, "__name__", "") == "export" and self.reads_personal_data
                and getattr(response, "status_code", None) == 200):
            record_access(AccessAction.EXPORT, self.record_type, query=self.export_filters(),
                          rows=self.export_count())
        return response

    @expose("/export-full/", methods=("GET", "POST"))
    def export_full_view(self):
        """A full-value export: a form asks why; the download is written to the access log with the
        reason and the row count. Without a reason nothing is exported."""
        if not self.can_export_full:
            abort(403)
        reason, error = "", None
        if request.method == "POST":
            reason = without_nul(request.form.get("reason") or "")[:MAX_EXPORT_REASON + 1]
            error = export_reason_problem(reason)
            if error is None:
                # for the rest of this request, which includes the streamed body of the export
                g.pii_full_export = True
                response = self.export("xlsx")
                record_access(AccessAction.EXPORT_FULL, self.record_type, query=self.export_filters(),
                              rows=self.export_count(), reason=reason.strip())
                return response
        list_url = self.get_url(".index_view") + ("?" + self.export_filters() if request.query_string else "")
        return self.render("admin/export_full.html", reason=reason[:MAX_EXPORT_REASON], error=error,
                           list_url=list_url, max_reason=MAX_EXPORT_REASON), (400 if error else 200)


class ReadOnlyModelView(SecureModelView):
    """A view nobody edits through the back office (history, logs)."""

    write_roles = ()
    delete_roles = ()


class DashboardView(RoleAccessMixin, AdminIndexView):
    """The back-office home, open to staff only; a university administrator goes to the filing."""

    read_roles = Role.STAFF

    @expose("/")
    def index(self):
        if current_user.role == Role.UNIVERSITY:
            return redirect(url_for("filing.index"))
        return self.render("admin/dashboard.html", my_queues=my_queues(), list_url=url_for("application.index_view"),
                           **dashboard_context(current_user))

    @expose("/base/<base_id>/")
    def base_view(self, base_id):
        """One base's season per specialty, opened from the dashboard's table of bases: a base outside
        the viewer's scope, or an id that is no base, is not found."""
        base_id = parse_id(base_id)
        found = base_season(current_user, base_id) if base_id is not None else None
        if found is None:
            abort(404)
        return self.render("admin/dashboard_base.html", base=found)

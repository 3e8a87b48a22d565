"""The application list's rows written in Python, a page at a time.

Flask-Admin's ``list.html`` writes each cell through a dozen Jinja calls (``is_editable``, ``get_value``,
the row actions' macros): on the review list, 20 rows × 14 columns, about a third of the page's time.
Here the same cells, the same view (and edit) icon and the same review buttons are written by plain
Python for the whole page. The list template uses them when this module can write every row action
the user has; otherwise (the superuser's delete button, an editable column) Flask-Admin's own row
block writes the page as before.
"""
from __future__ import annotations

from flask import g
from flask_admin.babel import gettext as admin_gettext
from flask_admin.model.template import EditRowAction, TemplateLinkRowAction, ViewRowAction
from flask_admin.tools import rec_getattr
from flask_babel import gettext as _
from markupsafe import Markup, escape

from views.admin.base import pii_cell
from views.admin.review_actions import return_query

PAGER_SPAN = 3  # pages shown either side of the current one, as Flask-Admin's ``lib.pager``
REVIEW_BUTTONS = "review_row.buttons"  # the review buttons' row action (``ApplicationView``)


def action_form(row, name, label, back_url, button_text, confirm, post_url, token) -> Markup:
    """One review action posted for one application after the browser asks to confirm
    (``static/admin/csp.js``): a row's approve or 报到, and the details page's other buttons."""
    return Markup(filled_form(form_parts(name, label, back_url, button_text, post_url, token), row, confirm))


def form_parts(name, label, back_url, button_text, post_url, token) -> tuple[str, str, str]:
    """A review action's form around what differs between rows (the confirmation, the id, the version
    seen), escaped once: a page's rows share all the rest (``filled_form`` puts a row's values in)."""
    e = escape
    return (f'<form method="post" action="{e(post_url)}" class="d-inline row-approve" data-confirm="',
            f'">\n  <input type="hidden" name="csrf_token" value="{e(token)}">\n'
            f'  <input type="hidden" name="action" value="{e(name)}">\n  <input type="hidden" name="ids" value="',
            f'">\n  <input type="hidden" name="url" value="{e(back_url)}">\n'
            f'  <button type="submit" class="btn btn-sm btn-outline-success" title="{e(label)}">{e(button_text)}</button>\n'
            '</form>')


def filled_form(parts: tuple[str, str, str], row, confirm) -> str:
    head, middle, tail = parts
    row_id = escape(row.id)
    return (f'{head}{escape(confirm)}{middle}{row_id}">\n'
            f'  <input type="hidden" name="seen_{row_id}" value="{escape(row.version)}{tail}')


def review_buttons(made: dict, row, back_url: str, post_url: str, token: str, forms: dict | None = None) -> Markup:
    """A row's 审核 link and its one-click actions (``ReviewActionsMixin.list_row_buttons``); ``forms``
    keeps each action's ``form_parts`` (and the link's text) for the rows of one page."""
    forms = {} if forms is None else forms
    review = forms.get("review")
    if review is None:
        review = forms["review"] = escape(_("Review"))
    parts = ['<div class="review-buttons">\n'
             f'  <a class="btn btn-sm btn-primary review-open" href="{escape(made["details"])}">{review}</a>']
    for name, label, link, confirm, text in made["actions"]:
        if link:
            parts.append(f'  <a class="btn btn-sm btn-outline-primary" href="{escape(link)}">{escape(label)}</a>')
        else:
            key = (name, label, text)
            form = forms.get(key)
            if form is None:
                form = forms[key] = form_parts(name, label, back_url, text, post_url, token)
            parts.append(filled_form(form, row, confirm))
    parts.append("</div>")
    return Markup("\n".join(parts))


def _icon(url: str, title: str, icon: str) -> str:
    """A row's view or edit link (``title`` already escaped)."""
    return f'<a class="icon" href="{escape(url)}" title="{title}">\n  <span class="{icon}"></span>\n</a>'


def _action_writers(actions) -> list[str] | None:
    """What each row action is ("view", "edit", "review"), or None when one of them is another."""
    kinds = []
    for action in actions:
        if type(action) is ViewRowAction:
            kinds.append("view")
        elif type(action) is EditRowAction:
            kinds.append("edit")
        elif type(action) is TemplateLinkRowAction and action.template_name == REVIEW_BUTTONS:
            kinds.append("review")
        else:
            return None
    return kinds


def cell_reader(view, context: dict, name: str, formatters: dict, type_formatters: dict):
    """A function of a row giving the cell ``name`` as ``SecureModelView._get_list_value`` gives it
    (masked personal values, the column's formatter or its value, its choices, its type's formatter,
    None as empty), with what depends only on the column looked up once for the page."""
    if view.is_pii(name):
        full = bool(g.get("pii_full_export"))
        return lambda row: pii_cell(name, rec_getattr(row, name), full)
    formatter = formatters.get(name)
    choices = view._column_choices_map.get(name, {})
    by_type: dict[type, object] = {}  # each value type's formatter, found as Flask-Admin finds it

    def read(row):
        value = formatter(view, context, row, name) if formatter is not None else rec_getattr(row, name)
        if choices:
            value = choices.get(value) or value
        else:
            kind = type(value)
            if kind not in by_type:
                by_type[kind] = next((f for t, f in type_formatters.items() if isinstance(value, t)), None)
            if by_type[kind] is not None:
                value = by_type[kind](view, value, name)
        return "" if value is None else value
    return read


def list_rows(view, context: dict) -> dict[int, Markup] | None:
    """Each row's cells (checkbox, actions, columns) by id, or None when Flask-Admin's template must
    write them (an action or an editable column this module does not write)."""
    kinds = _action_writers(context.get("list_row_actions") or ())
    if kinds is None or view.column_editable_list or context.get("row_buttons") is None:
        return None
    back = context.get("return_url") or ""
    suffix = return_query(back)
    view_title, edit_title = escape(admin_gettext("View Record")), escape(admin_gettext("Edit Record"))
    select_title = escape(admin_gettext("Select record"))
    edit_url = view.get_url(".edit_view")
    formatters, type_formatters = view.column_formatters, view.column_type_formatters
    columns = [(cell_reader(view, context, name, formatters, type_formatters), f' class="col-{escape(name)}"')
               for name, _label in context["list_columns"]]
    post_url, token = context["review_post_url"], context["page_csrf_token"]
    checkbox, actions_column = bool(context.get("actions")), view.column_display_actions
    rows, forms = {}, {}
    for row in context["data"]:
        made = context["row_buttons"][row.id]
        parts = []
        if checkbox:
            parts.append(f'<td>\n<input type="checkbox" name="rowid" class="action-checkbox" value="{escape(row.id)}" '
                         f'title="{select_title}" />\n</td>')
        if actions_column:
            parts.append('<td class="list-buttons-column">')
            for kind in kinds:
                if kind == "view":
                    parts.append(_icon(made["details"], view_title, "fa fa-eye glyphicon glyphicon-eye-open"))
                elif kind == "edit":
                    parts.append(_icon(f"{edit_url}?id={row.id}&{suffix}", edit_title,
                                       "fa fa-pencil glyphicon glyphicon-pencil"))
                else:
                    parts.append(review_buttons(made, row, back, post_url, token, forms))
            parts.append("</td>")
        for read, attribute in columns:
            parts.append(f"<td{attribute}>{escape(read(row))}</td>")
        rows[row.id] = Markup("\n".join(parts))
    return rows


def pager_links(page: int, pages: int) -> list[tuple[str, int | None, str]]:
    """The pager's links as Flask-Admin's ``lib.pager`` macro writes them: first, previous, up to seven
    pages around ``page``, next, last; each (text, page to link to or None, "active" / "disabled" / "")."""
    low, high = page - PAGER_SPAN, page + PAGER_SPAN + 1
    if low < 0:
        high -= low
    if high >= pages:
        low -= high - pages
    low, high = max(low, 0), min(high, pages)
    links = [("«", 0, "") if low > 0 else ("«", None, "disabled"),
             ("<", page - 1, "") if page > 0 else ("<", None, "disabled")]
    links += [(str(p + 1), None, "active") if p == page else (str(p + 1), p, "") for p in range(low, high)]
    links += [(">", page + 1, "") if page + 1 < pages else (">", None, "disabled"),
              ("»", pages - 1, "") if high < pages else ("»", None, "disabled")]
    return links

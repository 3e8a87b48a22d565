"""The back office's main menu, rendered once for each thing it can show and then reused.

Flask-Admin's ``layout.menu`` asks every view of the menu whether the user may open it, whether it is
the current one, and for its address: about forty views, a hundred Jinja calls, some 10 ms of every
page. What the menu shows depends only on the user's role (``RoleAccessMixin.is_accessible``; the queue
links, ``views.admin.queues``), the language, the current view (the active item), the application's
mount point and the queue numbers, so the rendered menu is kept under exactly those, per process and
application (``app.extensions``).
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from views.admin.queues import current_counts

MENU_CACHE_SIZE = 512  # menus kept per process; all of them are dropped when it is full
CACHE = "admin_main_menus"


def menu_key(view) -> tuple:
    """Everything the rendered menu depends on."""
    role = current_user.role if current_user.is_authenticated else None
    return (role, str(get_locale()), getattr(view, "endpoint", None), request.script_root,
            tuple(sorted(current_counts().items())))


@pass_context
def main_menu(context, render) -> Markup:
    """The menu as ``render`` (``layout.menu``) writes it, from the cache when it was written before."""
    menus = current_app.extensions.setdefault(CACHE, {})
    key = menu_key(context.get("admin_view"))
    html = menus.get(key)
    if html is None:
        html = Markup(render())
        if len(menus) >= MENU_CACHE_SIZE:
            menus.clear()
        menus[key] = html
    return html


def init_menu(app) -> None:
    app.add_template_global(main_menu, "main_menu")

"""Flask-Admin's templates without inline event handlers, which the Content-Security-Policy refuses.

A few of its templates carry ``onclick="…"`` (the filter menu, the delete button's confirmation,
"with selected" actions, "add an inline row"). Chromium reports each such attribute as a violation
as soon as the page is parsed, so they are renamed when the template is loaded (``data-onclick``,
once: Jinja caches the compiled template), and ``static/admin/csp.js`` attaches a listener doing the
same. Nothing of Flask-Admin is copied; an upgrade brings its templates as they are.
"""
from __future__ import annotations

import re
from pathlib import Path

import flask_admin
from flask import Flask
from jinja2 import BaseLoader, FileSystemLoader

INLINE_HANDLER = re.compile(r"(\s)on(click|change|submit)=")
FLASK_ADMIN_FOLDER = Path(flask_admin.__file__).resolve().parent


class NoInlineHandlersLoader(BaseLoader):
    """``loader``'s templates with ``on<event>="…"`` renamed to ``data-on<event>="…"``."""

    def __init__(self, loader: BaseLoader):
        self.loader = loader

    def get_source(self, environment, template):
        source, filename, uptodate = self.loader.get_source(environment, template)
        return INLINE_HANDLER.sub(r"\1data-on\2=", source), filename, uptodate

    def list_templates(self):
        return self.loader.list_templates()


def without_inline_handlers(app: Flask) -> None:
    """Wrap the template loader of every Flask-Admin blueprint registered on ``app``."""
    for blueprint in app.blueprints.values():
        loader = blueprint.jinja_loader
        if isinstance(loader, FileSystemLoader) and any(
                Path(path).resolve().is_relative_to(FLASK_ADMIN_FOLDER) for path in loader.searchpath):
            blueprint.jinja_loader = NoInlineHandlersLoader(loader)

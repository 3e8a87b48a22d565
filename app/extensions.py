"""Flask extensions, created once and bound to an app in ``create_app``. The database object is the
models package's own (``models.base``); it is re-exported here for the app's wiring."""
from functools import cached_property
from types import SimpleNamespace

import flask_babel
from flask.globals import _cv_app
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models.base import NAMING_CONVENTION, Base, db

__all__ = ["NAMING_CONVENTION", "Base", "babel", "csrf", "db", "limiter", "login_manager", "migrate"]

def babel_context() -> SimpleNamespace | None:
    """flask-babel's per-request namespace (``g._flask_babel``: the locale, time zone and domain it found),
    read from the app context itself. flask-babel's own ``_get_current_context`` reaches it through the
    ``g`` proxy three times (``not g``, ``hasattr``, the attribute), and every string it translates asks
    for it twice or more: some 3.5 µs a string, over a millisecond on a back-office page of 350 strings.
    Installed in its place below: the same namespace, created the same way, at a tenth of the cost."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return None
    found = app_context.g.__dict__.get("_flask_babel")
    if found is None:
        found = app_context.g._flask_babel = SimpleNamespace()
    return found


# flask-babel 4.0.0 (pinned) looks the function up by its module name on each call: get_locale,
# get_timezone, get_domain, refresh, force_locale and Domain.get_translations all use this one
flask_babel._get_current_context = babel_context


class RequestDomain(Domain):
    """flask-babel's message domain, whose catalogue is looked up once per request: flask-babel finds it
    for every string through the request globals (a dozen lookups, a quarter of a trainee page's
    rendering). Kept with the locale it was found for, so a ``force_locale`` block gets its own."""

    def get_translations(self):
        context = babel_context()
        if context is None:
            return super().get_translations()
        found = getattr(context, "platform_translations", None)
        locale = getattr(context, "babel_locale", None)
        if found is not None and locale is not None and found[0] is locale:
            return found[1]
        translations = super().get_translations()
        context.platform_translations = (getattr(context, "babel_locale", None), translations)
        return translations


class PlatformBabel(Babel):
    """Babel with the request-cached domain (``RequestDomain``)."""

    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


migrate = Migrate()
login_manager = LoginManager()
babel = PlatformBabel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

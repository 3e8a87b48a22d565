"""Flask extensions, created once and bound to an app in ``create_app``. The database object is the
models package's own (``models.base``); it is re-exported here for the app's wiring."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from models.base import NAMING_CONVENTION, Base, db

__all__ = ["NAMING_CONVENTION", "Base", "babel", "csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

"""A test client whose every request runs in an app context of its own, as in production."""
from flask.testing import FlaskClient

from app.extensions import db


class IsolatedClient(FlaskClient):
    """Each request runs in an app context of its own, as in production: its own ``g`` (audit
    actor, CSRF token, what a request keeps for itself) and database session, even when the caller
    holds an app context open. The caller's session is expired afterwards, so reading the database
    after a request sees what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response

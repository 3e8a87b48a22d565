"""The platform's application package; ``create_app`` builds the Flask app (see ``app.factory``)."""
from __future__ import annotations


def create_app(config=None):
    """Build the app (``app.factory.create_app``)."""
    # Imported here, not at the top: this __init__ runs before any ``app.…`` module is imported, so
    # importing the factory (and through it the views) at module level would make ``import views…`` circular.
    from app.factory import create_app as build
    return build(config)

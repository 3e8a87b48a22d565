"""The portal's blueprint object; the route modules register their views on it."""
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

"""The trainee portal: registration, profile maintenance (学员信息维护) and applications (学员报名)."""
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

from views.portal import apply, businesses, profile, register, routes  # noqa: E402,F401  (routes register on bp)

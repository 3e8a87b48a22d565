"""Trainee portal routes."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from models import Application, Trainee

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")


@bp.route("/")
@login_required
def index():
    """The trainee's home: profile summary and applications."""
    if current_user.is_staff:
        return redirect(url_for("admin.index"))
    trainee = db.session.scalar(select(Trainee).where(Trainee.account_id == current_user.id))
    applications = []
    if trainee is not None:
        applications = db.session.scalars(
            select(Application).where(Application.trainee_id == trainee.id).order_by(Application.id.desc())
        ).all()
    return render_template("portal/index.html", trainee=trainee, applications=applications)

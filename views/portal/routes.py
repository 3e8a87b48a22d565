"""Portal home and helpers shared by the portal's pages."""
from functools import wraps

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.domain import enrollment
from app.domain.sessions import signed_in_trainee
from app.domain.notices import notices_for, read_ids
from app.extensions import db
from models import Application, Role, Trainee
from views.portal.blueprint import bp

HOME_NOTICES = 10


def trainee_required(view):
    """Only trainees with a profile; staff go to the back office."""
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if current_user.role != Role.TRAINEE:
            return redirect(url_for("admin.index"))
        trainee = current_trainee()
        if trainee is None:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def current_trainee() -> Trainee | None:
    """The signed-in account's trainee profile: the one read with the account (no query), else queried."""
    return (signed_in_trainee(current_user.id)
            or db.session.scalar(select(Trainee).where(Trainee.account_id == current_user.id)))


@bp.route("/")
@login_required
def index():
    """The trainee's home: profile summary and applications."""
    if current_user.is_staff:
        return redirect(url_for("admin.index"))
    trainee = current_trainee()
    applications = []
    if trainee is not None:
        applications = db.session.scalars(
            select(Application).where(Application.trainee_id == trainee.id).order_by(Application.id.desc())
        ).all()
    problems = enrollment.profile_problems(trainee) if trainee else []
    notices = notices_for(current_user, limit=HOME_NOTICES)
    return render_template("portal/index.html", trainee=trainee, applications=applications, problems=problems,
                           notices=notices, read=read_ids(current_user, [n.id for n in notices]))

"""我的业务: the businesses (业务) a trainee opened, and opening another one later."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.domain import enrollment
from app.extensions import db
from app.infra.audit import set_actor
from models.enums import Business
from views.portal.blueprint import bp
from views.portal.forms import UploadForm
from views.portal.routes import trainee_required


@bp.route("/businesses", methods=["GET", "POST"])
@trainee_required
def businesses():
    """The seven businesses with 已开通 or an 开通 button; opening one is immediate and audited."""
    account = current_user._get_current_object()
    if request.method == "POST":
        if not UploadForm().validate_on_submit():
            abort(400)
        business = request.form.get("business", "")
        set_actor(account)
        try:
            opened = enrollment.open_business(account, business)
            db.session.commit()
        except enrollment.EnrollmentError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("portal.businesses"))
        except IntegrityError:  # opened meanwhile in another tab: the primary key keeps one row
            db.session.rollback()
            opened = False
        label = Business.label(business)
        if opened:
            flash(_("“%(business)s” is open.", business=label), "success")
        else:
            flash(_("You have already opened “%(business)s”.", business=label), "info")
        return redirect(url_for("portal.businesses"))
    programs = {business: program for program, business in enrollment.BUSINESS_OF_PROGRAM.items()
                if program in enrollment.PORTAL_PROGRAMS}
    return render_template("portal/businesses.html", businesses=Business.items, opened=set(account.businesses),
                           programs=programs, form=UploadForm())

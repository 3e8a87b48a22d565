"""学员信息维护: basic and contact information, education, employment and licence rows, the photo."""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.domain import enrollment
from app.extensions import db
from app.infra.sql import contains
from app.infra.storage import UploadError, delete, save
from models import Education, Employment, Institution, Licence, PracticeScope, Region
from models.enums import AttachmentKind, InstitutionKind, InstitutionLevel, PracticeCategory, RegionLevel
from views.helpers import parse_id
from views.portal.blueprint import bp
from views.portal.forms import (
    BasicForm,
    ContactForm,
    EducationForm,
    EmploymentForm,
    LicenceChoiceForm,
    LicenceForm,
    UploadForm,
)
from views.portal.routes import current_trainee, trainee_required

TABS = ("basic", "contact", "education", "employment", "licence")
ROWS = {"education": (Education, EducationForm), "employment": (Employment, EmploymentForm),
        "licence": (Licence, LicenceForm)}


def refuse_if_profile_locked(trainee, tab: str) -> None:
    """Stop a change while an application is being reviewed, saying why."""
    if enrollment.profile_locked(trainee):
        flash(_("Your application is being reviewed; your information cannot be changed now."), "error")
        abort(redirect(url_for("portal.profile", tab=tab)))


def county_choices() -> dict[str | None, list[tuple[str, str]]]:
    """The counties grouped by city (an ``optgroup`` each, in code order; a city without counties is its
    own choice): the page's script turns the groups into a city choice and a county choice."""
    regions = db.session.scalars(
        select(Region).where((Region.level == RegionLevel.COUNTY)
                             | ((Region.level == RegionLevel.CITY) & ~Region.children.any()))
        .order_by(Region.code).options(db.joinedload(Region.parent))).all()
    groups: dict[str | None, list[tuple[str, str]]] = {None: [("", _("Please choose"))]}
    for region in regions:
        city = region.parent if region.level == RegionLevel.COUNTY and region.parent else region
        groups.setdefault(city.name, []).append((str(region.id), region.full_name))
    return groups


def scope_choices() -> list[tuple[str, str]]:
    scopes = db.session.scalars(select(PracticeScope).order_by(PracticeScope.code)).all()
    return [("", _("Please choose"))] + [(str(s.id), f"{PracticeCategory.label(s.category)} · {s.name}")
                                         for s in scopes]


def prepare(form):
    if isinstance(form, EmploymentForm):
        form.region_id.choices = county_choices()
    if isinstance(form, LicenceForm):
        form.scope_id.choices = scope_choices()
    return form


def render_profile(tab: str, trainee, **forms):
    forms.setdefault("basic_form", BasicForm(obj=trainee))
    forms.setdefault("contact_form", ContactForm(obj=trainee))
    forms.setdefault("licence_choice", LicenceChoiceForm(
        data={"has_licence": None if trainee.has_licence is None else ("yes" if trainee.has_licence else "no")}))
    forms.setdefault("row_form", None)
    forms.setdefault("picked_unit", None)
    forms.setdefault("upload_form", UploadForm())
    return render_template("portal/profile.html", tab=tab, tabs=TABS, trainee=trainee,
                           locked=enrollment.profile_locked(trainee), **forms)


@bp.route("/profile/")
@bp.route("/profile/<tab>", methods=["GET", "POST"])
@trainee_required
def profile(tab: str = "basic"):
    if tab not in TABS:
        abort(404)
    trainee = current_trainee()
    if request.method == "POST":
        refuse_if_profile_locked(trainee, tab)
        if tab == "basic":
            form = BasicForm()
            if form.validate_on_submit():
                form.populate_obj(trainee)
                trainee.name = trainee.name.strip()
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("portal.profile", tab=tab))
            return render_profile(tab, trainee, basic_form=form)
        if tab == "contact":
            form = ContactForm()
            if form.validate_on_submit():
                for field in ("email", "address", "postal_code", "emergency_contact", "emergency_phone"):
                    setattr(trainee, field, (getattr(form, field).data or "").strip() or None)
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("portal.profile", tab=tab))
            return render_profile(tab, trainee, contact_form=form)
        if tab == "licence":
            form = LicenceChoiceForm()
            if form.validate_on_submit():
                trainee.has_licence = form.has_licence.data == "yes"
                db.session.commit()
                if trainee.has_licence and not trainee.licences:
                    flash(_("You chose 'yes': now add your licence below."), "warning")
                else:
                    flash(_("Saved."), "success")
                return redirect(url_for("portal.profile", tab=tab))
            return render_profile(tab, trainee, licence_choice=form)
        abort(405)
    row_form = prepare(ROWS[tab][1]()) if tab in ROWS else None
    return render_profile(tab, trainee, row_form=row_form)


def own_row(kind: str, row_id: str):
    model = ROWS[kind][0]
    number = parse_id(row_id)
    trainee = current_trainee()
    row = db.session.get(model, number) if number else None
    if row is None or row.trainee_id != trainee.id:
        abort(404)
    return row


def directory_unit(form) -> Institution | None:
    """The directory unit the trainee picked, or None for a typed unit (自填): the posted number must
    name a unit of the directory whose name is the unit name as submitted."""
    number = parse_id(form.institution_id.data or "")
    institution = db.session.get(Institution, number) if number else None
    if institution is None or institution.name.strip() != (form.unit_name.data or "").strip():
        return None
    return institution


def check_typed_unit(form) -> bool:
    """A typed unit needs its level and kind (the rules read them); a directory unit brings its own.

    Adds the messages to the fields; forgets a pick that does not hold, so the page shows the
    level and kind again."""
    if directory_unit(form) is not None:
        return True
    form.institution_id.data = ""
    ok = True
    if not form.unit_level.data:
        form.unit_level.errors = [*form.unit_level.errors, _("For a unit typed in by hand, choose its level.")]
        ok = False
    if not form.unit_kind.data:
        form.unit_kind.errors = [*form.unit_kind.errors, _("For a unit typed in by hand, choose its kind.")]
        ok = False
    return ok


def fill_row(kind: str, row, form) -> None:
    """Copy a validated row form onto the row (plain values only)."""
    data = {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
    if kind == "employment":
        data.pop("institution_id")
        row.institution = directory_unit(form)
        row.region_id = int(data.pop("region_id"))
        data["unit_level"] = data["unit_level"] or None
        data["unit_kind"] = data["unit_kind"] or None
        if row.institution is not None:  # the directory's county, level and kind count
            row.region_id = row.institution.region_id
            data["unit_level"] = data["unit_kind"] = None
    if kind == "licence":
        row.scope_id = int(data.pop("scope_id"))
    for name, value in data.items():
        setattr(row, name, value.strip() if isinstance(value, str) else value)


@bp.route("/profile/<kind>/new", methods=["POST"])
@bp.route("/profile/<kind>/<row_id>/edit", methods=["GET", "POST"])
@trainee_required
def profile_row(kind: str, row_id: str | None = None):
    """Add or edit an education, employment or licence row."""
    if kind not in ROWS:
        abort(404)
    trainee = current_trainee()
    model, form_class = ROWS[kind]
    row = own_row(kind, row_id) if row_id else None
    if request.method == "GET":
        form = prepare(form_class(obj=row))
        if kind == "employment":
            form.region_id.data = str(row.region_id)
            form.institution_id.data = str(row.institution_id or "")
            form.unit_level.data = row.unit_level or ""
            form.unit_kind.data = row.unit_kind or ""
        if kind == "licence":
            form.scope_id.data = str(row.scope_id or "")
        return render_profile(kind, trainee, row_form=form, editing=row,
                              picked_unit=row.institution if kind == "employment" else None)
    form = prepare(form_class())
    refuse_if_profile_locked(trainee, kind)
    valid = form.validate_on_submit()
    if kind == "employment":
        valid = check_typed_unit(form) and valid
    if not valid:  # everything typed stays in the form; nothing is stored
        return render_profile(kind, trainee, row_form=form, editing=row,
                              picked_unit=directory_unit(form) if kind == "employment" else None), 400
    with db.session.no_autoflush:  # a new row is incomplete until filled
        if row is None:
            row = model(trainee=trainee)
            db.session.add(row)
        fill_row(kind, row, form)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("portal.profile", tab=kind))


@bp.route("/profile/<kind>/<row_id>/delete", methods=["POST"])
@trainee_required
def profile_row_delete(kind: str, row_id: str):
    if kind not in ROWS:
        abort(404)
    row = own_row(kind, row_id)
    refuse_if_profile_locked(current_trainee(), kind)
    db.session.delete(row)
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("portal.profile", tab=kind))


@bp.route("/profile/photo", methods=["POST"])
@trainee_required
def profile_photo():
    """Upload the one-inch photo (JPEG or PNG)."""
    trainee = current_trainee()
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    refuse_if_profile_locked(trainee, "basic")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return redirect(url_for("portal.profile", tab="basic"))
    try:
        attachment = save(upload, AttachmentKind.PHOTO, trainee, uploaded_by=current_user)
        if attachment.content_type == "application/pdf":
            delete(attachment)
            raise UploadError(_("The photo must be a JPEG or PNG image."))
    except UploadError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("portal.profile", tab="basic"))
    trainee.photo = attachment
    db.session.commit()
    flash(_("Photo uploaded."), "success")
    return redirect(url_for("portal.profile", tab="basic"))


@bp.route("/institutions")
@trainee_required
def institutions():
    """The unit directory by keyword, for the work-unit field (at most 20 matches)."""
    term = (request.args.get("q") or "").strip().replace("\x00", "")[:50]
    if len(term) < 2:
        return jsonify([])
    rows = db.session.scalars(select(Institution).where(contains(Institution.name, term))
                              .order_by(Institution.name).limit(20).options(db.joinedload(Institution.region))
                              .options(db.joinedload(Institution.region).joinedload(Region.parent))).all()
    return jsonify([{"id": i.id, "name": i.name, "level": InstitutionLevel.label(i.level),
                     "kind": InstitutionKind.label(i.kind), "region_id": i.region_id,
                     "region": i.region.full_name} for i in rows])

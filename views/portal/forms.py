"""Portal forms (Flask-WTF); views turn them into plain data before the domain code sees them."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.validators import IdNumber, Mobile, PlainText, StrongPassword, typed_text_problem
from models.enums import (
    Business,
    Degree,
    EducationLevel,
    Gender,
    InstitutionKind,
    InstitutionLevel,
    JobTitle,
    PoliticalStatus,
    PracticeCategory,
    TitleGrade,
)

REQUIRED = _l("This field is required.")


def required():
    return DataRequired(message=REQUIRED)


def choices_with_blank(choices_class):
    return [("", _l("Please choose"))] + choices_class.lazy_choices()


class PortalForm(FlaskForm):
    """Base of every portal form: each typed field is also checked by ``typed_text_problem``, so
    that no control character (NUL, which PostgreSQL refuses), bidirectional mark or, outside the
    free-text remarks named in ``emoji_fields``, emoji is stored. A refused field keeps what was
    typed and shows why; its length limits are the field's own validators."""

    emoji_fields: tuple[str, ...] = ()  # free-text remarks, where emoji are accepted

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if field.type not in ("StringField", "TextAreaField", "PasswordField", "HiddenField") \
                    or not isinstance(field.data, str):
                continue
            problem = typed_text_problem(field.data, multiline=field.type == "TextAreaField",
                                         emoji=field.name in self.emoji_fields)
            if problem:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class IdentityStepForm(PortalForm):
    """Registration step ①: who you are, checked by an SMS code."""

    name = StringField(_l("Full name"), validators=[required(), Length(max=50)])
    id_number = StringField(_l("ID number"), validators=[required(), IdNumber()])
    mobile = StringField(_l("Mobile"), validators=[required(), Mobile()])
    code = StringField(_l("SMS code"), validators=[Optional(), Length(max=6)])


class AccountStepForm(PortalForm):
    """Registration step ②: username and password."""

    username = StringField(_l("Username"), validators=[
        required(), Length(min=4, max=20, message=_l("A username has 4 to 20 characters.")),
        Regexp(r"^[A-Za-z][A-Za-z0-9_]*$", message=_l("Start with a letter; use letters, digits and _ only."))])
    password = PasswordField(_l("Password"), validators=[required(), StrongPassword()])
    confirm = PasswordField(_l("Confirm password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords differ."))])


class BusinessStepForm(PortalForm):
    """Registration step ③: the businesses to open, and the 学员 role."""

    businesses = MultiCheckboxField(_l("Businesses"), choices=Business.lazy_choices())
    role = RadioField(_l("Role"), choices=[("trainee", _l("Trainee"))], default="trainee",
                      validators=[required()])

    def validate_businesses(self, field):
        if not field.data:
            raise ValidationError(str(_l("You must open at least one business to finish registering.")))


class ForgotForm(PortalForm):
    mobile = StringField(_l("Mobile"), validators=[required(), Mobile()])
    code = StringField(_l("SMS code"), validators=[Optional(), Length(max=6)])
    password = PasswordField(_l("New password"), validators=[Optional(), StrongPassword()])
    confirm = PasswordField(_l("Confirm password"), validators=[
        Optional(), EqualTo("password", message=_l("The two passwords differ."))])


class ResetLinkForm(PortalForm):
    """The new password, set through support's one-time link (the rules of registration)."""

    password = PasswordField(_l("New password"), validators=[required(), StrongPassword()])
    confirm = PasswordField(_l("Confirm password"), validators=[
        required(), EqualTo("password", message=_l("The two passwords differ."))])


class BasicForm(PortalForm):
    name = StringField(_l("Full name"), validators=[required(), Length(max=50)])
    gender = SelectField(_l("Gender"), choices=choices_with_blank(Gender), validators=[required()])
    ethnicity = StringField(_l("Ethnicity"), validators=[required(), Length(max=20)])
    political_status = SelectField(_l("Political status"), choices=choices_with_blank(PoliticalStatus),
                                   validators=[required()])
    is_graduate_student = BooleanField(_l("I am currently a graduate student"))


class ContactForm(PortalForm):
    mobile = StringField(_l("Mobile"), render_kw={"readonly": True})
    email = StringField(_l("Email"), validators=[Optional(), Length(max=100),
                                                  Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                         message=_l("Please enter a valid email address."))])
    address = StringField(_l("Mailing address"), validators=[required(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Regexp(r"^\d{6}$",
                                                             message=_l("A postal code has 6 digits."))])
    emergency_contact = StringField(_l("Emergency contact"), validators=[required(), Length(max=50)])
    emergency_phone = StringField(_l("Emergency contact phone"), validators=[
        required(), Regexp(r"^[0-9\-]{7,20}$", message=_l("Please enter a valid phone number."))])


class DatesMixin:
    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(str(_l("The end date must not be before the start date.")))


class EducationForm(DatesMixin, PortalForm):
    school = StringField(_l("School"), validators=[required(), Length(max=100)])
    major = StringField(_l("Major"), validators=[required(), Length(max=100)])
    level = SelectField(_l("Education level"), choices=choices_with_blank(EducationLevel), validators=[required()])
    degree = SelectField(_l("Degree"), choices=Degree.lazy_choices(), validators=[required()])
    full_time = BooleanField(_l("Full-time"), default=True)
    upgraded_from_junior = BooleanField(_l("Junior-college-to-bachelor"))
    start_date = DateField(_l("Start date"), validators=[required()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    graduation_date = DateField(_l("Graduation date"), validators=[Optional()])
    diploma_number = StringField(_l("Diploma number"), validators=[Optional(), Length(max=50)])
    degree_number = StringField(_l("Degree certificate number"), validators=[Optional(), Length(max=50)])


class EmploymentForm(DatesMixin, PortalForm):
    """One job. The unit is picked from the directory (``institution_id``) or typed in full; a typed
    unit also needs its level and kind, which the view requires (it knows whether the pick holds)."""

    institution_id = HiddenField()
    unit_name = StringField(_l("Work unit"), validators=[required(), Length(max=100), PlainText()])
    unit_level = SelectField(_l("Unit level"), choices=choices_with_blank(InstitutionLevel),
                             validators=[Optional()])
    unit_kind = SelectField(_l("Unit kind"), choices=choices_with_blank(InstitutionKind),
                            validators=[Optional()])
    region_id = SelectField(_l("County of the unit"), coerce=str, validators=[required()])
    department = StringField(_l("Department"), validators=[required(), Length(max=50), PlainText()])
    title = SelectField(_l("Job title"), choices=choices_with_blank(JobTitle), validators=[required()])
    title_grade = SelectField(_l("Title grade"), choices=choices_with_blank(TitleGrade), validators=[required()])
    start_date = DateField(_l("Start date"), validators=[required()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    is_current = BooleanField(_l("This is my current job"), default=True)
    unit_has_independent_gp_dept = BooleanField(_l("The unit has an independently set-up GP department"))
    in_independent_gp_dept = BooleanField(_l("I work full-time in that GP department"))


class LicenceChoiceForm(PortalForm):
    has_licence = RadioField(_l("Practising licence"), choices=[("yes", _l("Yes")), ("no", _l("No"))],
                             validators=[required()])


class LicenceForm(PortalForm):
    qualification_number = StringField(_l("Physician qualification certificate number"),
                                       validators=[required(), Length(max=50)])
    practice_number = StringField(_l("Practising certificate number"), validators=[Optional(), Length(max=50)])
    category = SelectField(_l("Practice category"), choices=choices_with_blank(PracticeCategory),
                           validators=[required()])
    scope_id = SelectField(_l("Practice scope"), coerce=str, validators=[required()])
    registered_on = DateField(_l("Registered on"), validators=[Optional()])


class UploadForm(PortalForm):
    """Just the CSRF token: the file itself is read from request.files."""


class ExemptionChoiceForm(PortalForm):
    claims_exemption = RadioField(_l("Do you claim an exemption?"), choices=[("yes", _l("Yes")), ("no", _l("No"))],
                                  validators=[required()])


class ExemptionForm(PortalForm):
    emoji_fields = ("content", "reason")  # free text in the trainee's words
    type = SelectField(_l("Exemption type"), coerce=int, validators=[required()])
    content = TextAreaField(_l("Exempted content or departments"), validators=[required(), Length(max=500)])
    reason = TextAreaField(_l("Reason"), validators=[required(), Length(max=1000)])
    certificate_date = DateField(_l("Certificate obtained on"), validators=[Optional()])
    training_months = IntegerField(_l("Training months"), validators=[Optional(), NumberRange(min=1, max=60)])


class ResidencyIdentityForm(PortalForm):
    """Residency step ②: identity, the commissioning unit, and the facts the rules ask about."""

    identity = RadioField(_l("Identity"), validators=[required()], choices=[
        ("commissioned", _l("Commissioned by unit")), ("open_entry", _l("Open entry")),
        ("graduate", _l("Fresh graduate"))])
    commissioning_unit = StringField(_l("Commissioning unit"), validators=[Length(max=100)])
    residency_withdrawn_on = DateField(_l("If you withdrew from residency training before: withdrawn on"),
                                       validators=[Optional()])
    prior_residency_base = StringField(_l("If you took residency training before: the training base"),
                                       validators=[Length(max=100)])
    prior_residency_ended_on = DateField(_l("That training ended on"), validators=[Optional()])
    prior_residency_passed = RadioField(_l("Passed its completion exam"), validators=[Optional()],
                                        choices=[("yes", _l("Yes")), ("no", _l("No"))])
    prior_residency_passed_on = DateField(_l("Completion exam passed on"), validators=[Optional()])

    def validate_prior_residency_ended_on(self, field):
        if (self.prior_residency_base.data or "").strip() and field.data is None:
            raise ValidationError(str(_l("Give the date your earlier residency training ended.")))

    def validate_prior_residency_passed_on(self, field):
        if self.prior_residency_passed.data == "yes" and field.data is None:
            raise ValidationError(str(_l("Give the date you passed the completion exam.")))
        if field.data and self.prior_residency_ended_on.data and field.data < self.prior_residency_ended_on.data:
            raise ValidationError(str(_l("The completion exam cannot be passed before the training ended.")))

    def validate_commissioning_unit(self, field):
        if self.identity.data == "commissioned" and not (field.data or "").strip():
            raise ValidationError(str(_l("A commissioned trainee must name the commissioning unit.")))


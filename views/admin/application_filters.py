"""The application list's filters and their options, within the signed-in user's region."""
from __future__ import annotations

from datetime import timedelta

from flask import g
from flask_admin.contrib.sqla import filters
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.domain.access import (
    city_choice_condition,
    county_choice_condition,
)
from app.domain.review.list_choices import BASES, BATCHES, SAVED_FILTERS, list_choices
from app.domain.review.listing import (
    EXEMPTION_TYPE_NUMBERS,
    RULE_CHECK_VALUES,
    WAITING_DAYS,
    claims_exemption_type,
    in_program,
    rule_checks,
    waited_longer_than,
)
from app.extensions import db
from models import Region, Role, Status
from models.clock import now
from models.enums import Program, RegionLevel
from views.admin.base import request_options, scope_options


@scope_options
def status_options():
    """Statuses as the user's program knows them: 待基地审核 for base staff, 待区县审核 for county and
    city reviewers, both for province-wide users (the same state waits for either)."""
    role = current_user.role if current_user.is_authenticated else None
    program = {Role.BASE_STAFF: Program.RESIDENCY, Role.COUNTY_REVIEWER: Program.GP_TRANSFER,
               Role.CITY_REVIEWER: Program.GP_TRANSFER}.get(role)
    options = []
    for value in Status.values():
        gp, residency = Status.label_for(value, Program.GP_TRANSFER), Status.label_for(value, Program.RESIDENCY)
        if program is not None:
            label = Status.label_for(value, program)
        else:
            label = gp if gp == residency else f"{gp}／{residency}"
        options.append((value, label))
    return options


@scope_options
def city_level_options():
    query = select(Region).where(Region.level == RegionLevel.CITY, city_choice_condition(current_user))
    return [(str(r.id), r.name) for r in db.session.scalars(query.order_by(Region.code))]


@scope_options
def county_level_options():
    """Counties, and cities that have none (济源), within the user's region."""
    query = select(Region).where((Region.level == RegionLevel.COUNTY)
                                 | ((Region.level == RegionLevel.CITY) & ~Region.children.any()),
                                 county_choice_condition(current_user))
    return [(str(r.id), r.name) for r in db.session.scalars(query.order_by(Region.code))]


def application_list_choices() -> dict[int, list]:
    """What the application list offers beside its rows (``app.domain.review.list_choices``: its batches,
    bases and the user's saved filters), read once per request."""
    found = g.get("application_list_choices")
    if found is None:
        user = current_user
        empty = {BATCHES: [], BASES: [], SAVED_FILTERS: []}
        found = list_choices(user) if user.is_authenticated else empty
        g.application_list_choices = found
    return found


@request_options
def application_batch_options():
    """Every batch, the newest first (as ``views.admin.batches.batch_options``)."""
    return [(str(row.id), row.name) for row in application_list_choices()[BATCHES]]


@request_options
def application_base_options():
    """The bases the application list's filter offers (``list_choices.base_option_condition``), by name."""
    return [(str(row.id), row.name) for row in application_list_choices()[BASES]]


class DayBetweenFilter(filters.DateBetweenFilter):
    """A date-time column between two days, both included: from the first day's midnight to just
    before the midnight after the last day (Flask-Admin's own compares against the last midnight)."""

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= start, column < end + timedelta(days=1))


EXEMPTION_TYPES = [(str(n), _l("Type %(number)s", number=n)) for n in EXEMPTION_TYPE_NUMBERS]


class ProgramFilter(filters.FilterEqual):
    """Applications of batches of one program (全科转岗 / 住培)."""

    def apply(self, query, value, alias=None):
        return query.filter(in_program(value))


class ExemptionTypeFilter(filters.FilterEqual):
    """Applications claiming one exemption type."""

    def validate(self, value):
        return str(value).isdigit() and int(value) in EXEMPTION_TYPE_NUMBERS

    def apply(self, query, value, alias=None):
        return query.filter(claims_exemption_type(int(value)))


WAITING_OPTIONS = [(str(days), _l("More than %(days)s days", days=days)) for days in WAITING_DAYS]


class WaitingFilter(filters.FilterEqual):
    """Applications submitted longer ago than N days (how long they have waited for review)."""

    def validate(self, value):
        return str(value) in {v for v, _label in WAITING_OPTIONS}

    def apply(self, query, value, alias=None):
        return query.filter(waited_longer_than(int(value), now()))


RULE_CHECK_OPTIONS = [("failed", _l("Some rule not met")), ("passed", _l("All rules met"))]


class RuleCheckFilter(filters.FilterEqual):
    """Applications by the result of their exemption rule checks (the system does not decide)."""

    def validate(self, value):
        return value in RULE_CHECK_VALUES

    def apply(self, query, value, alias=None):
        return query.filter(rule_checks(value))

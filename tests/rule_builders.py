"""Builders of the plain data the pure rules read (a profile snapshot, its rows, an exemption claim),
the checks of their results, and the ``zh`` fixture that renders a result in Chinese."""
from __future__ import annotations

import pytest

from app.domain.rules import RuleResult
from tests.catalogue import load_catalogue


def job(**fields) -> dict:
    row = {"unit_name": "某县人民医院", "institution_id": None, "unit_level": "secondary", "unit_kind": "hospital",
           "region_id": 1, "region_name": "河南省郑州市中原区", "department": "内科", "title": "attending",
           "title_grade": "intermediate", "start_date": "2015-07-01", "end_date": None, "is_current": True,
           "unit_has_independent_gp_dept": False, "in_independent_gp_dept": False}
    row.update(fields)
    return row


def gp_dept(**fields) -> dict:
    """A job in the independent 全科医学科 of a 三级 hospital."""
    row = {"unit_level": "tertiary", "department": "全科医学科", "unit_has_independent_gp_dept": True,
           "in_independent_gp_dept": True}
    return job(**(row | fields))


def primary_gp(**fields) -> dict:
    """GP work at a township health centre (基层) since 2020."""
    row = {"unit_name": "某镇卫生院", "unit_level": "primary", "unit_kind": "township", "department": "全科",
           "start_date": "2020-01-01"}
    return job(**(row | fields))


def licence(scope_code="11", scope_name="内科专业", category="clinical") -> dict:
    return {"category": category, "scope_code": scope_code, "scope_name": scope_name,
            "qualification_number": "Q123", "practice_number": "P456", "registered_on": "2012-01-01"}


def profile(*employments, licences=()) -> dict:
    """A GP-transfer profile snapshot with these jobs."""
    return {"name": "张三", "has_licence": bool(licences), "is_graduate_student": False, "educations": [],
            "employments": list(employments), "licences": list(licences)}


def claim(content="", certificate_date=None, training_months=None, certificate_kind=None) -> dict:
    return {"content": content, "certificate_date": certificate_date, "training_months": training_months,
            "certificate_kind": certificate_kind}


def outcome(results) -> dict[str, bool]:
    return {r.code: r.passed for r in results}


def failed(results) -> list[str]:
    """The codes of the hard rules that failed."""
    return [r.code for r in results if r.hard and not r.passed]


def by_code(results, code) -> RuleResult:
    return next(r for r in results if r.code == code)


@pytest.fixture(scope="module")
def zh():
    """A gettext-like translate function over the project's catalogue (messages.po, no fuzzy entries)."""
    catalogue = load_catalogue()

    def translate(msgid, **variables):
        message = catalogue.get(msgid)
        assert message is not None and message.string and not message.fuzzy, f"not translated: {msgid!r}"
        return message.string % variables if variables else message.string
    return translate

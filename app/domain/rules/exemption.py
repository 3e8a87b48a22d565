"""The eight exemption types of GP transfer training (申请减免内容) and the checks of a claim.

Source: 2025 年河南省全科医生转岗培训管理平台报名操作说明, 第四步 (seeds/gp-transfer-enrollment-guide-2025.txt).

``evaluate_exemption(type, profile, claim, on)`` checks one claim against the profile snapshot
(``app.domain.enrollment.snapshot``) and returns one :class:`RuleResult` per rule; it never raises on missing data,
it fails the rule and says what is missing. The rules inform the reviewer, who decides.

Rule codes:

=========================  =====  ===========================================================
code                       types  checks
=========================  =====  ===========================================================
unit_primary               1      current unit is a 基层医疗卫生机构 (level ``primary``)
unit_secondary_plus        3-7    current unit is a 二级 or 三级 hospital
title_intermediate         1      中级及以上: title grade intermediate+ or title attending+
title_attending            3, 4   主治医师及以上 (type 4: its evidence is a 主治+ certificate)
title_associate_chief      5, 6   副主任医师及以上
primary_gp_work_years      1      ≥ 2 years of GP work at primary units (department naming 全科,
                                  or in an independent GP department)
gp_dept_years              4, 6   ≥ 2 (type 4) / ≥ 1 (type 6) years in the independent GP
                                  department of a 二级+ hospital
certificate_date           2, 7   teacher-training certificate obtained on or after 2020-05-01
licence_scope              3      the requested rotations match a clinical licence's 执业范围
either_path                7      主治+ with ≥ 2 years, or 副主任+ with ≥ 1 year, in the independent GP
                                  department of a 二级+ hospital (params: both facts, ``path`` met)
gp_residency_certificate   8      holds a GP 住培 completion certificate (reviewer checks it)
backbone_training_months   8      provincial+ GP backbone training of more than 10 months
=========================  =====  ===========================================================

Periods of work are counted by calendar date: "two years" is reached on the same day two years
later (29 February counts to 28 February in a common year), never by rounding days into months. A
row counts from its ``start_date``; a past row to its ``end_date`` inclusive (the end date is a day
worked: 2023-06-02 to 2025-06-01 is two years, to 2025-05-31 one day short); a current row without
an end to the reference date (exclusive, so the anniversary completes a year); nothing after the
reference date counts and overlapping rows are counted once; rows that do not touch are laid end to
end. A row without the dates it needs is not counted, and the message says how many were left out.

所在医院 (types 4, 6, 7) is the hospital the trainee works at now: only rows in the independent GP
department of the current employment's unit count (the same directory unit, or the same typed name).

Titles: 主治/副主任 read the physician title (``title``) of the current employment and fall back to
its grade (``title_grade``) when the title is missing or ``other``; 中级及以上 accepts either.
"""
from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from datetime import date, timedelta

from app.domain.rules import (
    N_,
    NOT_RECORDED,
    TITLE_GRADE_LABELS,
    TITLE_LABELS,
    UNIT_LEVEL_LABELS,
    RuleResult,
    add_years,
    months_between,
    parse_date,
)

TEACHER_CERTIFICATE_SINCE = date(2020, 5, 1)
BACKBONE_MIN_MONTHS = 10  # the training must last *more than* this

SECONDARY_PLUS = ("secondary", "tertiary")
TITLE_RANK = {"resident": 1, "attending": 2, "associate_chief": 3, "chief": 4}
GRADE_RANK = {"none": 0, "junior": 1, "intermediate": 2, "associate_senior": 3, "senior": 4}
INTERMEDIATE, ATTENDING, ASSOCIATE_CHIEF = 2, 2, 3

# requirement labels (msgids, translated by RuleResult.render)
REQ_PRIMARY = N_("a primary care institution")
REQ_SECONDARY_PLUS = N_("a secondary hospital or above")
REQ_INTERMEDIATE = N_("an intermediate title or above")
REQ_ATTENDING = N_("attending physician or above")
REQ_ASSOCIATE_CHIEF = N_("associate chief physician or above")
WORK_PRIMARY_GP = N_("GP work at primary care institutions")
WORK_GP_DEPT = N_("work in the independent GP department of the current secondary or higher hospital")


# ---------------------------------------------------------------------------------------------
# The eight types


class _Record:
    """Attribute access, and ``record["name"]`` too (templates and callers may use either)."""

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return getattr(self, key)
            except AttributeError:
                raise KeyError(key) from None
        return astuple(self)[key]

    def get(self, key, default=None):
        return getattr(self, key, default)


@dataclass(frozen=True)
class Evidence(_Record):
    """One item to upload: an AttachmentKind value and the guide's wording (msgid).

    ``path`` is None for an item every claim of the type needs; items sharing a path are an
    alternative set (type 7: ``attending`` / ``associate_chief``; type 8: ``residency`` / ``backbone``).
    """

    kind: str
    label: str
    path: str | None = None


@dataclass(frozen=True)
class ExemptionType(_Record):
    """One of the eight types. ``title``, ``condition``, ``exempts`` and evidence labels are msgids:
    show them through ``gettext``."""

    number: int
    title: str       # msgid: a short name of the type
    condition: str   # msgid: who qualifies, in the guide's words
    exempts: str     # msgid: what is exempted
    evidence: tuple[Evidence, ...]


EXEMPTION_TYPES: dict[int, ExemptionType] = {t.number: t for t in (
    ExemptionType(
        1, N_("Primary-care GP with an intermediate title"),
        N_("From a primary care institution, with GP work at primary care institutions for 2 years or more "
           "and an intermediate title or above."),
        N_("Primary-care practice"),
        (Evidence("gp_work_proof", N_("Proof of GP work for 2 years or more (with the seal of the unit)")),
         Evidence("title_cert", N_("Intermediate or higher title certificate (with the personal page)")))),
    ExemptionType(
        2, N_("GP teacher-training certificate"),
        N_("Holds a GP residency or assistant GP teacher-training certificate issued by a provincial or "
           "higher health authority."),
        N_("Basic GP theory training"),
        (Evidence("teacher_cert", N_("Provincial or higher GP residency or assistant GP teacher-training "
                                     "certificate (obtained on or after 1 May 2020)")),)),
    ExemptionType(
        3, N_("Attending physician at a secondary or higher hospital"),
        N_("From a secondary or higher hospital, attending physician or above; a practice scope of internal "
           "medicine, neurology or emergency medicine exempts all three of those rotations."),
        N_("Clinical rotation of the second-level discipline matching the registered practice scope"),
        (Evidence("title_cert", N_("Attending or higher title certificate")),
         Evidence("licence_page", N_("Practising licence scope page (with the personal page)")))),
    ExemptionType(
        4, N_("2 years in the independent GP department of a secondary or higher hospital"),
        N_("From a secondary or higher hospital, working full time in GP care and teaching in its "
           "independently set-up GP department for 2 years."),
        N_("Clinical rotation, primary-care practice and GP clinical thinking training"),
        (Evidence("title_cert", N_("Attending or higher title certificate")),
         Evidence("licence_page", N_("Practising licence scope page (with the personal page)")),
         Evidence("gp_work_proof", N_("Proof of GP care and teaching work for 2 years or more (with the seals "
                                      "of the GP department and the unit)")))),
    ExemptionType(
        5, N_("Associate chief physician at a secondary or higher hospital"),
        N_("From a secondary or higher hospital, associate chief physician or above."),
        N_("Clinical rotation"),
        (Evidence("title_cert", N_("Associate chief or higher title certificate")),)),
    ExemptionType(
        6, N_("Associate chief physician with 1 year in an independent GP department"),
        N_("From a secondary or higher hospital, associate chief physician or above, with GP care and teaching "
           "work in its independently set-up GP department for 1 year."),
        N_("Primary-care practice and GP clinical thinking training"),
        (Evidence("title_cert", N_("Associate chief or higher title certificate")),
         Evidence("gp_work_proof", N_("Proof of GP care and teaching work for 1 year or more (with the seals "
                                      "of the GP department and the unit)")))),
    ExemptionType(
        7, N_("GP teacher with GP department experience: assessment only"),
        N_("Holds a provincial or higher GP teacher-training certificate (obtained on or after 1 May 2020), and "
           "is an attending physician at a secondary or higher hospital with 2 years, or an associate chief "
           "physician or above with 1 year, in its independently set-up GP department."),
        N_("All training: assessed directly, registered after passing"),
        (Evidence("teacher_cert", N_("Provincial or higher GP teacher-training certificate (obtained on or after "
                                     "1 May 2020)")),
         Evidence("title_cert", N_("Attending physician title certificate"), "attending"),
         Evidence("gp_work_proof", N_("Proof of full-time GP care and teaching work in the independent GP "
                                      "department for 2 years or more (with the seals of the GP department and "
                                      "the unit)"), "attending"),
         Evidence("title_cert", N_("Associate chief physician title certificate"), "associate_chief"),
         Evidence("gp_work_proof", N_("Proof of full-time GP care and teaching work in the independent GP "
                                      "department for 1 year or more (with the seals of the GP department and "
                                      "the unit)"), "associate_chief"))),
    ExemptionType(
        8, N_("GP residency or backbone training certificate: registered directly"),
        N_("Completed GP residency training with its certificate, or provincial or higher GP backbone training "
           "of more than 10 months with its certificate."),
        N_("Training and assessment: registered directly"),
        (Evidence("residency_cert", N_("GP residency completion certificate"), "residency"),
         Evidence("backbone_cert", N_("Provincial or higher GP backbone training certificate (more than 10 "
                                      "months)"), "backbone"))),
)}


def certificate_kind(claim: dict) -> str:
    """Type 8's certificate: as claimed, else ``backbone`` when months are given, else ``residency``."""
    kind = (claim or {}).get("certificate_kind")
    if kind in ("residency", "backbone"):
        return kind
    return "backbone" if (claim or {}).get("training_months") is not None else "residency"


def required_evidence(exemption_type: int, claim: dict | None = None) -> list[list[str]]:
    """What a claim must be supported by: for each requirement, the kinds any one of which meets it.

    Type 8 follows the claimed certificate (``claim["certificate_kind"]``); with no claim it is
    "a residency or a backbone certificate". Type 7's two paths need the same kinds (a title
    certificate and a proof of GP work), so it needs a teacher certificate, a title certificate
    and a work proof whichever path is taken.
    """
    spec = EXEMPTION_TYPES[exemption_type]
    required = [[item.kind] for item in spec.evidence if item.path is None]
    paths: dict[str, list[str]] = {}
    for item in spec.evidence:
        if item.path is not None:
            paths.setdefault(item.path, [])
            if item.kind not in paths[item.path]:
                paths[item.path].append(item.kind)
    if not paths:
        return _unique(required)
    chosen = None
    if exemption_type == 8 and claim is not None:
        chosen = certificate_kind(claim)
    elif claim is not None and claim.get("path") in paths:
        chosen = claim["path"]
    if chosen is not None:
        required += [[kind] for kind in paths[chosen]]
        return _unique(required)
    common = [kind for kind in next(iter(paths.values())) if all(kind in kinds for kinds in paths.values())]
    required += [[kind] for kind in common]
    rest = [kind for kinds in paths.values() for kind in kinds if kind not in common]
    if rest:
        required.append(list(dict.fromkeys(rest)))
    return _unique(required)


def _unique(requirements: list[list[str]]) -> list[list[str]]:
    seen, result = set(), []
    for group in requirements:
        key = tuple(group)
        if key not in seen:
            seen.add(key)
            result.append(group)
    return result


# ---------------------------------------------------------------------------------------------
# Facts from the snapshot


def current_employment(profile: dict) -> dict | None:
    """The current employment row (the latest started, if several are marked current)."""
    rows = [row for row in (profile or {}).get("employments") or [] if row.get("is_current")]
    if not rows:
        return None
    return max(rows, key=lambda row: parse_date(row.get("start_date")) or date.min)


def _title_facts(row: dict | None) -> tuple[int | None, int | None, str | None]:
    """(rank of the physician title, rank of the grade, label to show) of an employment row."""
    if row is None:
        return None, None, None
    title, grade = row.get("title"), row.get("title_grade")
    title_rank = TITLE_RANK.get(title)
    grade_rank = GRADE_RANK.get(grade)
    if title_rank is not None:
        label = TITLE_LABELS[title]
    elif grade_rank is not None:
        label = TITLE_GRADE_LABELS[grade]
    else:
        label = None
    return title_rank, grade_rank, label


def _physician_rank(row: dict | None) -> int:
    title_rank, grade_rank, _ = _title_facts(row)
    if title_rank is not None:
        return title_rank
    return grade_rank or 0


@dataclass(frozen=True)
class WorkPeriod:
    """Time worked, counted by calendar date: ``start`` is the first day, ``stop`` the day after the last.

    Rows that do not touch are laid end to end from the first start (their days added up), so one
    row is counted exactly by the calendar. ``undated`` counts rows left out for want of dates."""

    start: date | None
    stop: date | None
    undated: int

    def reaches(self, years: int) -> bool:
        """At least ``years`` years: the same calendar day ``years`` later has been reached."""
        return self.start is not None and add_years(self.start, years) <= self.stop

    def length(self) -> tuple[int, int, int]:
        """(years, months, days) worked."""
        if self.start is None:
            return 0, 0, 0
        months, days = months_between(self.start, self.stop)
        return months // 12, months % 12, days


def work_period(rows: list[dict], on: date) -> WorkPeriod:
    """The time worked in ``rows`` before ``on``: a past row from its start to its end date inclusive
    (the end date is a day worked), a current row without an end to ``on`` (exclusive, so the
    anniversary completes a year); nothing after ``on`` counts and overlapping rows count once."""
    intervals, undated = [], 0
    for row in rows:
        start = parse_date(row.get("start_date"))
        end = parse_date(row.get("end_date"))
        if start is None or (end is None and not row.get("is_current")):
            undated += 1
            continue
        stop = min(end + timedelta(days=1) if end is not None else on, on)
        if stop > start:
            intervals.append((start, stop))
    intervals.sort()
    merged: list[list[date]] = []
    for start, stop in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    if not merged:
        return WorkPeriod(None, None, undated)
    days = sum((stop - start).days for start, stop in merged)
    return WorkPeriod(merged[0][0], merged[0][0] + timedelta(days=days), undated)


def same_unit(row: dict, other: dict) -> bool:
    """Two employment rows at the same unit: the same directory unit, or the same name as typed."""
    if row.get("institution_id") and other.get("institution_id"):
        return row["institution_id"] == other["institution_id"]
    return (row.get("unit_name") or "").strip() == (other.get("unit_name") or "").strip() != ""


def _is_primary_gp_row(row: dict) -> bool:
    return row.get("unit_level") == "primary" and (
        "全科" in (row.get("department") or "") or bool(row.get("in_independent_gp_dept")))


def _is_gp_dept_row(row: dict) -> bool:
    return (row.get("unit_level") in SECONDARY_PLUS and bool(row.get("in_independent_gp_dept"))
            and bool(row.get("unit_has_independent_gp_dept")))


def current_gp_dept_rows(profile: dict) -> list[dict]:
    """Rows in the independent GP department of the hospital the trainee works at now (所在医院)."""
    current = current_employment(profile)
    if current is None:
        return []
    return [row for row in profile.get("employments") or [] if _is_gp_dept_row(row) and same_unit(row, current)]


# ---------------------------------------------------------------------------------------------
# Rules


def _unit_rule(code: str, profile: dict, levels: tuple[str, ...], requirement: str) -> RuleResult:
    row = current_employment(profile)
    if row is None:
        return RuleResult(code, False, N_("No current employment is recorded; %(requirement_label)s is required."),
                          {"requirement_label": requirement})
    unit, level = row.get("unit_name") or "", row.get("unit_level")
    if level not in UNIT_LEVEL_LABELS:
        return RuleResult(code, False, N_("The level of the current unit %(unit)s is not recorded; "
                                          "%(requirement_label)s is required."),
                          {"unit": unit, "requirement_label": requirement})
    return RuleResult(code, level in levels,
                      N_("The current unit %(unit)s is a %(level_label)s; %(requirement_label)s is required."),
                      {"unit": unit, "level": level, "level_label": UNIT_LEVEL_LABELS[level],
                       "requirement_label": requirement})


def _title_rule(code: str, profile: dict, minimum: int, requirement: str, either: bool = False) -> RuleResult:
    row = current_employment(profile)
    if row is None:
        return RuleResult(code, False, N_("No current employment is recorded; %(requirement_label)s is required."),
                          {"requirement_label": requirement})
    title_rank, grade_rank, label = _title_facts(row)
    if label is None:
        return RuleResult(code, False, N_("The title of the current employment is not recorded; "
                                          "%(requirement_label)s is required."), {"requirement_label": requirement})
    rank = max(title_rank or 0, grade_rank or 0) if either else _physician_rank(row)
    return RuleResult(code, rank >= minimum,
                      N_("The current title is %(title_label)s; %(requirement_label)s is required."),
                      {"title": row.get("title"), "title_grade": row.get("title_grade"), "title_label": label,
                       "requirement_label": requirement})


def _years_rule(code: str, rows: list[dict], on: date, years: int, work: str) -> RuleResult:
    period = work_period(rows, on)
    worked_years, months, days = period.length()
    params = {"work_label": work, "years": worked_years, "months": months, "days": days, "required": years,
              "undated": period.undated}
    undated = period.undated
    passed = period.reaches(years)
    if not rows:
        return RuleResult(code, False, N_("No %(work_label)s is recorded; at least %(required)s years are required."),
                          params)
    if undated:
        return RuleResult(code, passed, N_("%(work_label)s: %(years)s years %(months)s months %(days)s days, not "
                                           "counting %(undated)s records without dates; at least %(required)s years "
                                           "are required."), params)
    return RuleResult(code, passed, N_("%(work_label)s: %(years)s years %(months)s months %(days)s days; at least "
                                       "%(required)s years are required."), params)


def _certificate_date_rule(claim: dict, on: date) -> RuleResult:
    code, since = "certificate_date", TEACHER_CERTIFICATE_SINCE.isoformat()
    obtained = parse_date(claim.get("certificate_date"))
    if obtained is None:
        return RuleResult(code, False, N_("The date of the certificate is not given; it must be obtained on or "
                                          "after %(since)s."), {"since": since})
    params = {"date": obtained.isoformat(), "since": since, "on": on.isoformat()}
    if obtained > on:
        return RuleResult(code, False, N_("The certificate date %(date)s is later than the date of the check, "
                                          "%(on)s."), params)
    return RuleResult(code, obtained >= TEACHER_CERTIFICATE_SINCE,
                      N_("The certificate was obtained on %(date)s; it must be obtained on or after %(since)s."),
                      params)


# Type 3: the rotation departments each clinical 执业范围 covers. The guide: a scope of 内科, 神经内科
# or 急诊科 exempts the 内科, 神经内科 and 急诊科 rotations together; in the national list of scopes
# (practice-scopes.csv) those are 内科专业 (11; 神经内科 is registered under it) and 急救医学专业 (22).
INTERNAL_GROUP = ("内科", "神经内科", "急诊科")
SCOPE_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "11": INTERNAL_GROUP,
    "22": INTERNAL_GROUP,
    "12": ("外科",),
    "13": ("妇产科",),
    "14": ("儿科",),
    "15": ("眼科", "耳鼻咽喉科", "眼耳鼻咽喉科"),
    "16": ("皮肤科",),
    "17": ("精神科",),
    "23": ("康复医学科",),
}
# a scope recorded by name only; 神经内科/急诊科 as the guide words them
SCOPE_NAMES = {"内科专业": "11", "内科": "11", "神经内科专业": "11", "神经内科": "11", "急救医学专业": "22",
               "急诊科专业": "22", "急诊科": "22", "急诊医学专业": "22", "外科专业": "12", "妇产科专业": "13",
               "儿科专业": "14", "眼耳鼻咽喉科专业": "15", "皮肤病与性病专业": "16", "精神卫生专业": "17",
               "康复医学专业": "23"}
DEPARTMENT_ALIASES = {
    "内科学": "内科", "神经内科学": "神经内科", "神经科": "神经内科", "急诊": "急诊科", "急诊医学科": "急诊科",
    "急救医学科": "急诊科", "急诊内科": "急诊科", "外科学": "外科", "普外科": "外科", "普通外科": "外科",
    "妇产科学": "妇产科", "儿科学": "儿科", "耳鼻喉科": "耳鼻咽喉科", "眼耳鼻喉科": "眼耳鼻咽喉科",
    "皮肤性病科": "皮肤科", "皮肤病与性病科": "皮肤科", "精神卫生科": "精神科", "康复科": "康复医学科",
}


def split_departments(content: str | None) -> list[str]:
    """The departments named in a claim's content (separated by 、，, ; / or spaces), normalised."""
    names = []
    for part in re.split(r"[、，,；;/\s]+", content or ""):
        name = re.sub(r"(临床轮转培训|临床轮转|轮转培训|轮转)$", "", part.strip())
        name = DEPARTMENT_ALIASES.get(name, name)
        if name and name not in names:
            names.append(name)
    return names


def _licence_scope_rule(profile: dict, claim: dict) -> RuleResult:
    code = "licence_scope"
    scopes, allowed = [], []
    for licence in (profile or {}).get("licences") or []:
        if licence.get("category") != "clinical":
            continue
        scope_code = licence.get("scope_code") or SCOPE_NAMES.get((licence.get("scope_name") or "").strip())
        if not scope_code and not licence.get("scope_name"):
            continue
        scopes.append(licence.get("scope_name") or scope_code)
        for department in SCOPE_DEPARTMENTS.get(scope_code, ()):
            if department not in allowed:
                allowed.append(department)
    if not scopes:
        return RuleResult(code, False, N_("No clinical practising licence with a practice scope is recorded."), {})
    params = {"scopes": "、".join(scopes), "allowed": "、".join(allowed)}
    if not allowed:
        return RuleResult(code, False, N_("The practice scope %(scopes)s matches no clinical rotation department."),
                          params)
    requested = split_departments(claim.get("content"))
    params["requested"] = "、".join(requested)
    if not requested:
        return RuleResult(code, False, N_("No rotation departments are given; the practice scope %(scopes)s covers "
                                          "%(allowed)s."), params)
    unmatched = [name for name in requested if name not in allowed]
    params["unmatched"] = "、".join(unmatched)
    if unmatched:
        return RuleResult(code, False, N_("The rotations %(unmatched)s do not match the practice scope %(scopes)s, "
                                          "which covers %(allowed)s."), params)
    return RuleResult(code, True, N_("The rotations %(requested)s match the practice scope %(scopes)s, which "
                                     "covers %(allowed)s."), params)


def _type7_rule(profile: dict, on: date) -> RuleResult:
    """Either path of type 7, with the facts of both: the title and the years in an independent GP department."""
    row = current_employment(profile)
    rank = _physician_rank(row)
    label = _title_facts(row)[2] or NOT_RECORDED
    period = work_period(current_gp_dept_rows(profile), on)
    years, months, days = period.length()
    attending = rank >= ATTENDING and period.reaches(2)
    associate = rank >= ASSOCIATE_CHIEF and period.reaches(1)
    params = {"title_label": label, "years": years, "months": months, "days": days, "undated": period.undated,
              "attending": attending, "associate_chief": associate,
              "path": "associate_chief" if associate else "attending" if attending else None}
    if associate:
        return RuleResult("either_path", True, N_(
            "Meets the associate chief path: title %(title_label)s, %(years)s years %(months)s months %(days)s days in "
            "the independent GP department of the current hospital (associate chief physician or above with 1 year is "
            "required)."), params)
    if attending:
        return RuleResult("either_path", True, N_(
            "Meets the attending path: title %(title_label)s, %(years)s years %(months)s months %(days)s days in the "
            "independent GP department of the current hospital (attending physician or above with 2 years is "
            "required)."), params)
    return RuleResult("either_path", False, N_(
        "Meets neither path: title %(title_label)s, %(years)s years %(months)s months %(days)s days in the "
        "independent GP department of the current hospital; attending physician or above with 2 years, or associate "
        "chief physician or above with 1 year, is required."), params)


def _type8_rules(claim: dict, on: date) -> list[RuleResult]:
    obtained = parse_date(claim.get("certificate_date"))
    if obtained is not None and obtained > on:
        late = RuleResult("certificate_date", False, N_("The certificate date %(date)s is later than the date of "
                                                        "the check, %(on)s."),
                          {"date": obtained.isoformat(), "on": on.isoformat()})
    else:
        late = None
    if certificate_kind(claim) == "residency":
        result = RuleResult("gp_residency_certificate", True,
                            N_("Claims a GP residency completion certificate; the reviewer checks the certificate."),
                            {"certificate_kind": "residency"})
    else:
        months = claim.get("training_months")
        params = {"certificate_kind": "backbone", "required": BACKBONE_MIN_MONTHS}
        if not isinstance(months, int) or isinstance(months, bool):
            result = RuleResult("backbone_training_months", False, N_(
                "The length of the backbone training is not given; more than %(required)s months are required."),
                params)
        else:
            result = RuleResult("backbone_training_months", months > BACKBONE_MIN_MONTHS, N_(
                "Provincial or higher GP backbone training of %(training_months)s months; more than %(required)s "
                "months are required."), {**params, "training_months": months})
    return [result] + ([late] if late else [])


def evaluate_exemption(exemption_type: int, profile: dict, claim: dict, on: date) -> list[RuleResult]:
    """Check a claim of ``exemption_type`` (1–8) against ``profile`` as of ``on``.

    ``claim``: ``{"content": str, "certificate_date": "YYYY-MM-DD" | None, "training_months": int | None,
    "certificate_kind": None | "residency" | "backbone"}``. Raises ValueError only for an unknown type.
    """
    if exemption_type not in EXEMPTION_TYPES:
        raise ValueError(f"unknown exemption type {exemption_type!r}")
    profile, claim = profile or {}, claim or {}
    employments = profile.get("employments") or []
    gp_dept_rows = current_gp_dept_rows(profile)
    if exemption_type == 1:
        return [
            _unit_rule("unit_primary", profile, ("primary",), REQ_PRIMARY),
            _years_rule("primary_gp_work_years", [r for r in employments if _is_primary_gp_row(r)], on, 2,
                        WORK_PRIMARY_GP),
            _title_rule("title_intermediate", profile, INTERMEDIATE, REQ_INTERMEDIATE, either=True),
        ]
    if exemption_type == 2:
        return [_certificate_date_rule(claim, on)]
    if exemption_type == 3:
        return [
            _unit_rule("unit_secondary_plus", profile, SECONDARY_PLUS, REQ_SECONDARY_PLUS),
            _title_rule("title_attending", profile, ATTENDING, REQ_ATTENDING),
            _licence_scope_rule(profile, claim),
        ]
    if exemption_type == 4:
        return [
            _unit_rule("unit_secondary_plus", profile, SECONDARY_PLUS, REQ_SECONDARY_PLUS),
            _title_rule("title_attending", profile, ATTENDING, REQ_ATTENDING),
            _years_rule("gp_dept_years", gp_dept_rows, on, 2, WORK_GP_DEPT),
        ]
    if exemption_type == 5:
        return [
            _unit_rule("unit_secondary_plus", profile, SECONDARY_PLUS, REQ_SECONDARY_PLUS),
            _title_rule("title_associate_chief", profile, ASSOCIATE_CHIEF, REQ_ASSOCIATE_CHIEF),
        ]
    if exemption_type == 6:
        return [
            _unit_rule("unit_secondary_plus", profile, SECONDARY_PLUS, REQ_SECONDARY_PLUS),
            _title_rule("title_associate_chief", profile, ASSOCIATE_CHIEF, REQ_ASSOCIATE_CHIEF),
            _years_rule("gp_dept_years", gp_dept_rows, on, 1, WORK_GP_DEPT),
        ]
    if exemption_type == 7:
        return [
            _certificate_date_rule(claim, on),
            _unit_rule("unit_secondary_plus", profile, SECONDARY_PLUS, REQ_SECONDARY_PLUS),
            _type7_rule(profile, on),
        ]
    return _type8_rules(claim, on)

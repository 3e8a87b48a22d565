"""Eligibility for resident standardized training (住院医师规范化培训, 住培).

Source: 2024 年河南省住院医师规范化培训招收工作方案, 二、招收对象 (seeds/residency-recruitment-plan-2024.txt).

``evaluate_residency(profile, application, batch, on)`` returns one :class:`RuleResult` per hard
rule, always, plus the flag ``retrain_at_own_cost`` only when it is raised:

==============================  ==============================================================
code                            checks
==============================  ==============================================================
education_level                 a full-time (全日制) education at 本科 or above (统招全日制专升本 counts)
education_major                 one of those majors is within the 临床/口腔 physician-exam scope
licence_for_earlier_graduates   graduated in or before ``licence_required_graduation_year``
                                (default: batch year − 3): a 执业医师资格证书 of the 临床 or 口腔
                                category is recorded (中医 / 公共卫生 do not count)
not_graduate_student            not a current graduate student (在读研究生)
not_tcm_major                   no full-time 本科+ education in a 中医 / 中西医结合 major
no_postgrad_pledge              declared no plan to sit postgraduate exams within 3 years
upgraded_bachelor_specialty     专升本 graduates choose only shortage specialties or 口腔全科,
                                unless employed at a 乡镇卫生院 or 社区卫生服务中心
no_recent_withdrawal            did not withdraw from 住培 within the 3 years before ``on`` (the
                                application's date): approved records by ID number, or declared
retrain_at_own_cost (flag)      an earlier 住培 ended more than 3 years before ``on`` and its
                                completion exam was not passed by the third anniversary of its
                                end: must retrain at own cost; ``passed`` is True, ``hard`` False
==============================  ==============================================================

Majors are matched by name, since the snapshot holds the major as typed: a major is clinical or
dental when its name contains (or, for a few old names, equals) a ``clinical`` word of the reference
list ``app/seed/data/clinical-majors.csv`` (the 临床医学类 and 口腔医学类 undergraduate majors, the
临床医学 / 口腔医学 second-level disciplines of graduate study and their older names such as
儿科医学), and no ``excluded`` word (口腔医学技术, 医学影像技术, 护理…) and no ``tcm`` word. The graduation year is that of the latest full-time 本科+ education (its graduation
date, else its end date; any education when none of those has a date).
"""
from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache

from app.domain.rules import (
    EDUCATION_LEVEL_LABELS,
    N_,
    NOT_RECORDED,
    PRACTICE_CATEGORY_LABELS,
    RuleResult,
    add_years,
    parse_date,
)
from app.seed import DATA

BACHELOR_PLUS = ("bachelor", "master", "doctor")
LEVEL_RANK = {"junior_college": 1, "bachelor": 2, "master": 3, "doctor": 4}
PRIMARY_KINDS = ("township", "community")
WITHDRAWAL_BAR_YEARS = 3
RETRAIN_YEARS = 3

SEED_DATA = DATA
LICENCE_CATEGORIES = ("clinical", "dental")  # 临床 / 口腔: a 中医 or 公共卫生 qualification does not count


@lru_cache(maxsize=1)
def major_words() -> dict[str, dict[str, tuple[str, ...]]]:
    """The words that classify a major as typed, from app/seed/data/clinical-majors.csv (reference data with
    its sources, including older names such as 儿科医学): ``{kind: {"contains": words, "exact": names}}``
    for the kinds ``clinical``, ``excluded`` (not a physician major) and ``tcm``."""
    words: dict[str, dict[str, list[str]]] = {}
    with open(SEED_DATA / "clinical-majors.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            words.setdefault(row["kind"], {"contains": [], "exact": []})[row["match"]].append(row["word"])
    return {kind: {match: tuple(found) for match, found in matches.items()} for kind, matches in words.items()}


def _matches(major: str, kind: str) -> bool:
    words = major_words().get(kind, {})
    return major in words.get("exact", ()) or any(word in major for word in words.get("contains", ()))


def is_tcm_major(major: str | None) -> bool:
    return _matches((major or "").strip(), "tcm")


def is_clinical_major(major: str | None) -> bool:
    major = (major or "").strip()
    return _matches(major, "clinical") and not _matches(major, "excluded") and not is_tcm_major(major)


@lru_cache(maxsize=1)
def specialty_names() -> dict[str, str]:
    """Specialty code → name, from the seed list shipped with the code (empty if it is missing)."""
    path = SEED_DATA / "residency-specialties.csv"
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return {row["code"]: row["name"] for row in csv.DictReader(handle)}
    except OSError:
        return {}


def _names(codes, names: dict[str, str]) -> str:
    return "、".join(names.get(code, code) for code in codes)


def _candidates(profile: dict) -> list[dict]:
    """Full-time educations at bachelor level or above."""
    return [e for e in profile.get("educations") or []
            if e.get("full_time") and e.get("level") in BACHELOR_PLUS]


def _graduated_on(education: dict) -> date | None:
    return parse_date(education.get("graduation_date")) or parse_date(education.get("end_date"))


def _education_level_rule(profile: dict) -> RuleResult:
    code = "education_level"
    educations = profile.get("educations") or []
    candidates = _candidates(profile)
    if candidates:
        best = max(candidates, key=lambda e: LEVEL_RANK.get(e.get("level"), 0))
        return RuleResult(code, True, N_("Full-time %(level_label)s education: %(school)s, %(major)s; full-time "
                                         "bachelor's or above is required."),
                          {"level_label": EDUCATION_LEVEL_LABELS[best["level"]], "school": best.get("school") or "",
                           "major": best.get("major") or ""})
    if not educations:
        return RuleResult(code, False, N_("No education is recorded; full-time bachelor's or above is required."), {})
    best = max(educations, key=lambda e: (LEVEL_RANK.get(e.get("level"), 0), bool(e.get("full_time"))))
    level_label = EDUCATION_LEVEL_LABELS.get(best.get("level"), best.get("level") or "")
    mode = N_("full-time") if best.get("full_time") else N_("not full-time")
    return RuleResult(code, False, N_("The highest education recorded is %(level_label)s (%(mode_label)s); "
                                      "full-time bachelor's or above is required."),
                      {"level_label": level_label, "mode_label": mode})


def _education_major_rule(profile: dict) -> RuleResult:
    code = "education_major"
    candidates = _candidates(profile)
    if not candidates:
        return RuleResult(code, False, N_("No full-time bachelor's or higher education is recorded, so no major "
                                          "can be checked."), {})
    qualifying = [e for e in candidates if is_clinical_major(e.get("major"))]
    if qualifying:
        return RuleResult(code, True, N_("The major %(major)s is within the clinical or dental physician "
                                         "examination scope."), {"major": qualifying[-1].get("major") or ""})
    majors = "、".join(dict.fromkeys(e.get("major") or "" for e in candidates))
    return RuleResult(code, False, N_("The major %(majors)s is not within the clinical or dental physician "
                                      "examination scope."), {"majors": majors})


def _licence_rule(profile: dict, batch: dict) -> RuleResult:
    code = "licence_for_earlier_graduates"
    year = int(batch.get("year") or 0)
    cutoff = batch.get("licence_required_graduation_year")
    cutoff = int(cutoff) if cutoff is not None else year - 3
    dates = [d for d in (_graduated_on(e) for e in _candidates(profile)) if d]
    if not dates:
        dates = [d for d in (_graduated_on(e) for e in profile.get("educations") or []) if d]
    if not dates:
        return RuleResult(code, False, N_("The graduation date is not recorded; graduates of %(cutoff)s or earlier "
                                          "need a physician qualification certificate."), {"cutoff": cutoff})
    graduated = max(dates).year
    params = {"graduation_year": graduated, "cutoff": cutoff}
    if graduated > cutoff:
        return RuleResult(code, True, N_("Graduated in %(graduation_year)s, after %(cutoff)s: no physician "
                                         "qualification certificate is required."), params)
    recorded = [lic for lic in profile.get("licences") or [] if (lic.get("qualification_number") or "").strip()]
    qualifying = [lic for lic in recorded if lic.get("category") in LICENCE_CATEGORIES]
    if profile.get("has_licence") and qualifying:
        return RuleResult(code, True, N_("Graduated in %(graduation_year)s (%(cutoff)s or earlier); physician "
                                         "qualification certificate %(number)s is recorded."),
                          {**params, "number": qualifying[0]["qualification_number"]})
    if profile.get("has_licence") and recorded:
        return RuleResult(code, False, N_(
            "Graduated in %(graduation_year)s (%(cutoff)s or earlier): a physician qualification certificate in the "
            "clinical or dental category is required; the one recorded is in the %(category_label)s category."),
            {**params, "category_label": PRACTICE_CATEGORY_LABELS.get(recorded[0].get("category"), NOT_RECORDED)})
    return RuleResult(code, False, N_("Graduated in %(graduation_year)s (%(cutoff)s or earlier): a physician "
                                      "qualification certificate is required, but none is recorded."), params)


def _graduate_student_rule(profile: dict) -> RuleResult:
    if profile.get("is_graduate_student"):
        return RuleResult("not_graduate_student", False, N_("Currently a graduate student; graduate students cannot "
                                                            "apply."), {})
    return RuleResult("not_graduate_student", True, N_("Not currently a graduate student."), {})


def _filed_master_rule(profile: dict) -> RuleResult | None:
    """A professional master's student filed by a university (专硕备案) is a current graduate student: the
    plan excludes them ("此次招收对象不含 2024 级临床医学类专业硕士研究生")."""
    filed = profile.get("filed_master")
    if not filed:
        return None
    return RuleResult("not_filed_master", False, N_(
        "Your ID number is filed by %(university)s as a professional master's student of %(year)s: current "
        "graduate students are trained through their university and cannot apply (此次招收对象不含临床医学类专业"
        "硕士研究生)."), {"university": filed.get("university", ""), "year": filed.get("year", "")})


def _tcm_rule(profile: dict) -> RuleResult:
    tcm = [e.get("major") or "" for e in _candidates(profile) if is_tcm_major(e.get("major"))]
    if tcm:
        return RuleResult("not_tcm_major", False, N_("The major %(majors)s is traditional Chinese medicine or "
                                                     "integrated Chinese and Western medicine, which cannot apply."),
                          {"majors": "、".join(dict.fromkeys(tcm))})
    return RuleResult("not_tcm_major", True, N_("No traditional Chinese medicine or integrated Chinese and Western "
                                                "medicine major."), {})


def _pledge_rule(application: dict) -> RuleResult:
    if application.get("no_postgrad_pledge"):
        return RuleResult("no_postgrad_pledge", True, N_("Declared no plan to sit postgraduate entrance exams within "
                                                         "three years."), {})
    return RuleResult("no_postgrad_pledge", False, N_("The declaration of no plan to sit postgraduate entrance exams "
                                                      "within three years has not been made."), {})


def _is_upgraded_bachelor(profile: dict) -> bool:
    """Rests on a 专升本 bachelor: no master/doctor and no bachelor that was not 专升本 (clinical majors first)."""
    candidates = _candidates(profile)
    relevant = [e for e in candidates if is_clinical_major(e.get("major"))] or candidates
    return bool(relevant) and all(e.get("level") == "bachelor" and e.get("upgraded_from_junior") for e in relevant)


def _current_unit_kind(profile: dict) -> str | None:
    rows = [row for row in profile.get("employments") or [] if row.get("is_current")]
    rows.sort(key=lambda row: parse_date(row.get("start_date")) or date.min)
    return rows[-1].get("unit_kind") if rows else None


def _upgraded_rule(profile: dict, application: dict, batch: dict) -> RuleResult:
    code = "upgraded_bachelor_specialty"
    if not _is_upgraded_bachelor(profile):
        return RuleResult(code, True, N_("Not a junior-college-to-bachelor graduate: no limit on "
                                         "specialties."), {})
    unit_kind = application.get("unit_kind") or _current_unit_kind(profile)
    if unit_kind in PRIMARY_KINDS:
        return RuleResult(code, True, N_("A junior-college-to-bachelor graduate employed at a township "
                                         "health centre or community health service centre: no limit on "
                                         "specialties."), {"unit_kind": unit_kind})
    names = specialty_names()
    allowed = set(batch.get("shortage_codes") or []) | {batch.get("dental_general_code") or "2800"}
    chosen = list(application.get("specialty_codes") or [])
    outside = [c for c in chosen if c not in allowed]
    params = {"chosen": _names(chosen, names), "outside": _names(outside, names)}
    if not chosen:
        return RuleResult(code, True, N_("A junior-college-to-bachelor graduate may choose only shortage "
                                         "specialties or general dentistry."), params)
    if outside:
        return RuleResult(code, False, N_("A junior-college-to-bachelor graduate may choose only shortage "
                                          "specialties or general dentistry; %(outside)s is neither."), params)
    return RuleResult(code, True, N_("A junior-college-to-bachelor graduate: %(chosen)s are shortage "
                                     "specialties or general dentistry."), params)


def _withdrawal_rule(profile: dict, application: dict, on: date) -> RuleResult:
    """退培 3 年内不得再次参加住培: the latest withdrawal, recorded (approved by the province, by ID number)
    or declared by the trainee, bars applications until its third anniversary (that day passes)."""
    code = "no_recent_withdrawal"
    declared = parse_date(profile.get("residency_withdrawn_on"))
    recorded = [d for d in (parse_date(v) for v in application.get("recorded_withdrawals") or ()) if d]
    if declared is None and not recorded:
        return RuleResult(code, True, N_("No withdrawal from residency training is recorded."), {})
    withdrawn = max([*recorded, *([declared] if declared else [])])
    until = add_years(withdrawn, WITHDRAWAL_BAR_YEARS)
    params = {"date": withdrawn.isoformat(), "until": until.isoformat()}
    if withdrawn in recorded:
        if on < until:
            return RuleResult(code, False, N_("A withdrawal from residency training on %(date)s is recorded by the "
                                              "training base and approved by the province: cannot apply again "
                                              "before %(until)s."), params)
        return RuleResult(code, True, N_("A withdrawal from residency training on %(date)s is recorded, three or "
                                         "more years ago."), params)
    if on < until:
        return RuleResult(code, False, N_("Withdrew from residency training on %(date)s: cannot apply again before "
                                          "%(until)s."), params)
    return RuleResult(code, True, N_("Withdrew from residency training on %(date)s, three or more years ago."),
                      params)


def retrain_deadline(profile: dict) -> date | None:
    """The last day on which a pass of the completion exam still counts as within three years of the
    earlier training's end (the anniversary of the end date), or None without an earlier training."""
    ended = parse_date(profile.get("prior_residency_ended_on"))
    return add_years(ended, RETRAIN_YEARS) if ended else None


def _retrain_flag(profile: dict, on: date) -> RuleResult | None:
    """已参加住院医师规范化培训 3 年内未通过结业考核者 … 需重新参加住院医师规范化培训，培训相关费用由个人承担.

    Raised from the day after the third anniversary of the earlier training's end, when no pass of its
    completion exam is recorded by that anniversary. A flag: shown, never blocking."""
    deadline = retrain_deadline(profile)
    if deadline is None or on <= deadline:
        return None
    passed_on = parse_date(profile.get("prior_residency_passed_on"))
    if profile.get("prior_residency_passed") and passed_on is not None and passed_on <= deadline:
        return None
    return RuleResult("retrain_at_own_cost", True, N_(
        "An earlier residency training (%(base)s) ended on %(ended)s and its completion exam was not passed within "
        "three years (by %(deadline)s): the training must be taken again, at own cost."),
        {"base": profile.get("prior_residency_base") or "", "ended": profile.get("prior_residency_ended_on"),
         "deadline": deadline.isoformat()}, hard=False)


def evaluate_residency(profile: dict, application: dict, batch: dict, on: date) -> list[RuleResult]:
    """Check residency eligibility of ``profile`` for ``application`` in ``batch`` as of ``on``.

    ``application``: ``{"identity", "specialty_codes": [one or two codes], "no_postgrad_pledge": bool,
    "unit_kind": the current unit's kind or None, "recorded_withdrawals": ["YYYY-MM-DD", ...] (the approved
    withdrawal records of the trainee's ID number)}`` (the profile's current unit kind is used when None);
    ``batch``: ``{"year": int, "licence_required_graduation_year": int | None (default year − 3),
    "shortage_codes": [...], "dental_general_code": "2800"}``.
    """
    profile, application, batch = profile or {}, application or {}, batch or {}
    results = [
        _education_level_rule(profile),
        _education_major_rule(profile),
        _licence_rule(profile, batch),
        _graduate_student_rule(profile),
        _tcm_rule(profile),
        _pledge_rule(application),
        _upgraded_rule(profile, application, batch),
        _withdrawal_rule(profile, application, on),
    ]
    for extra in (_filed_master_rule(profile), _retrain_flag(profile, on)):
        if extra is not None:
            results.append(extra)
    return results

"""The GP exemption self-check (减免条件自查): before submission the trainee sees every rule of each
claimed exemption type, in Chinese, on step ④ and on the application page; nothing of it blocks."""
from __future__ import annotations

import html as htmllib
import re
from datetime import date

import pytest
from flask_babel import gettext

from app.domain import enrollment
from app.domain.enrollment.snapshot import profile_snapshot
from app.domain.rules.exemption import EXEMPTION_TYPES, evaluate_exemption
from app.extensions import db
from models import Application, Status
from models.clock import now
from tests.conftest import csrf_token
from tests.flows import applicant, claim_gp_exemptions, start_gp, upload_gp_evidence  # noqa: F401  (a fixture)

STEP_FOUR = ("第四步，补充报名信息界面，上传外出参培证明并填写是否符合免培条件，如“是”选择申请减免内容，"
             "点击对应的“维护”选择减免具体内容（或科室）、减免理由以及上传相关佐证材料。")
ROW_RE = re.compile(r'<li class="list-group-item py-1 px-0 small text-(success|danger|warning)">\s*(✔|✘|！) (.*?)</li>',
                    re.S)


def text(response) -> str:
    return response.get_data(as_text=True)


def precheck(html: str) -> dict[str, list[tuple[bool, str]]] | None:
    """The self-check block: claim heading → [(passed, rule text)], or None when absent."""
    match = re.search(r'id="exemption-precheck">(.*?)</div></div>', html, re.S)
    if not match:
        return None
    block, rows = match.group(1), {}
    for part in re.split(r'<div class="font-weight-bold small mt-2" id="precheck-\d+">', block)[1:]:
        heading, _, rest = part.partition("</div>")
        rows[htmllib.unescape(heading.strip())] = [(mark == "✔", htmllib.unescape(words.strip()))
                                                   for _cls, mark, words in ROW_RE.findall(rest)]
    return rows


def expected_rows(app, application_id) -> dict[str, list[tuple[bool, str]]]:
    """What the rules say now, rendered as the page renders them."""
    with app.test_request_context("/"):
        application = db.session.get(Application, application_id)
        return {f"（{r.type}）{gettext(EXEMPTION_TYPES[r.type].title)}": [(res.passed, res.render(gettext)) for res in results]
                for r, results in enrollment.exemption_checks(application)}


def claim_two_types(client, world):
    """Type 1 (the applicant works at a 二级 hospital: its unit rule fails) and type 2 with a teacher
    certificate of 2019 (before 2020-05-01: its date rule fails)."""
    application = start_gp(client, world)
    base = f"/portal/applications/{application.id}"
    token = claim_gp_exemptions(client, application.id, certificate_dates=("", "2019-06-01"))
    return application, base, token


def test_exemption_checks_are_the_rules_evaluated_now_in_one_place(app, world, client, applicant):
    application, _base, _token = claim_two_types(client, world)
    application = db.session.get(Application, application.id)
    checks = enrollment.exemption_checks(application)
    assert [r.type for r, _results in checks] == [1, 2]
    snapshot, today = profile_snapshot(application.trainee), now().date()
    for request, results in checks:
        assert results == evaluate_exemption(request.type, snapshot, enrollment.claim_of(request), today)
    assert enrollment.exemption_checks(application, on=date(2019, 1, 1)) != checks  # the date is the one given


@pytest.mark.seed(STEP_FOUR)
def test_step_four_and_the_application_page_show_every_rule_and_a_failing_one_does_not_block(
        app, world, client, applicant):
    application, base, token = claim_two_types(client, world)
    expected = expected_rows(app, application.id)
    assert len(expected) == 2 and all(len(rule_rows) >= 1 for rule_rows in expected.values())
    html = text(client.get(f"{base}/step/4"))
    shown = precheck(html)
    assert shown == expected
    assert "减免条件自查" in html and "审核人员最终决定" in html and "不影响提交" in html
    rows = [row for rule_rows in shown.values() for row in rule_rows]
    assert any(passed for passed, _ in rows) and any(not passed for passed, _ in rows)
    assert all(re.search(r"[\u4e00-\u9fff]", words) for _, words in rows), rows  # Chinese, not msgids
    type_two = next(rule_rows for heading, rule_rows in shown.items() if heading.startswith("（2）"))
    assert type_two == [(False, type_two[0][1])] and "2019年6月1日" in type_two[0][1] and "2020年5月1日" in type_two[0][1]

    # evidence, proof and specialty: nothing is missing, the failing rules notwithstanding
    upload_gp_evidence(client, application.id)
    client.post(f"{base}/step/5", data={"csrf_token": token})
    page = text(client.get(base))
    assert precheck(page) == expected and "审核人员最终决定" in page
    assert "alert alert-warning mb-0 mt-2" not in page  # nothing listed as missing
    assert not re.search(r'<button class="btn btn-primary mb-2" type="submit"\s+disabled', page)

    response = client.post(f"{base}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "提交成功" in text(response)
    submitted = db.session.get(Application, application.id)
    assert submitted.status == Status.SUBMITTED
    assert {r.type: r.rules_passed for r in submitted.exemptions} == {1: False, 2: False}
    assert precheck(text(client.get(base))) is None  # after submission the reviewers' turn


def test_no_self_check_without_an_exemption_claim(world, client, applicant):
    application = start_gp(client, world)
    base = f"/portal/applications/{application.id}"
    token = csrf_token(client, f"{base}/step/4")
    assert precheck(text(client.get(f"{base}/step/4"))) is None
    client.post(f"{base}/step/4", data={"claims_exemption": "no", "csrf_token": token})
    assert precheck(text(client.get(f"{base}/step/4"))) is None
    assert precheck(text(client.get(base))) is None

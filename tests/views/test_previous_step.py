"""Every step of an application has 上一步 (issue 14, item 9): it leads to the step before (step ② back to
the choice of batch), keeps what was saved, and is a plain link (nothing is posted)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from models import ExemptionRequest
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.flows import applicant, ready_trainee, residency_batch, start_application, start_gp  # noqa: F401


def previous_link(html: str) -> str:
    found = re.findall(r'<a class="btn btn-outline-secondary mr-2 previous-step" href="([^"]+)">上一步</a>', html)
    assert len(found) == 1, "one 上一步 on the page"
    return found[0]


def test_each_gp_step_leads_back_to_the_one_before(world, client, applicant):  # noqa: F811
    application = start_gp(client, world)
    base = f"/portal/applications/{application.id}/step"
    expected = {2: "/portal/apply", 3: f"{base}/2", 4: f"{base}/3", 5: f"{base}/4"}
    for step, target in expected.items():
        page = client.get(f"{base}/{step}")
        assert page.status_code == 200
        link = previous_link(page.get_data(as_text=True))
        assert link == target
        assert client.get(link).status_code == 200


@pytest.mark.parametrize("step", [2, 4, 5])
def test_each_residency_step_leads_back_to_the_one_before(world, client, auth, step):
    batch = residency_batch(world)
    ready_trainee(world)
    auth.login("trainee_zy", PASSWORD)
    application_id = start_application(client, batch)
    base = f"/portal/applications/{application_id}/step"
    page = client.get(f"{base}/{step}")
    assert page.status_code == 200
    assert previous_link(page.get_data(as_text=True)) == ("/portal/apply" if step == 2 else f"{base}/{step - 1}")


def test_step_four_folds_each_claim_and_opens_the_one_being_corrected(world, client, applicant):  # noqa: F811
    """GP step ④ stays short (issue 14, item 9): each claim is folded under its title, which says whether
    its documents are complete; a claim whose correction was refused comes back open, with the text."""
    application = start_gp(client, world)
    step4 = f"/portal/applications/{application.id}/step/4"
    client.post(step4, data={"claims_exemption": "yes", "csrf_token": csrf_token(client, step4)})
    added = client.post(f"/portal/applications/{application.id}/exemptions", data={
        "type": "1", "content": "基层医疗卫生实践", "reason": "符合条件", "csrf_token": csrf_token(client, step4)})
    assert added.status_code == 302
    claim = db.session.scalar(select(ExemptionRequest).where(ExemptionRequest.application_id == application.id))
    assert added.location.endswith(f"#exemption-{claim.id}")  # the page opens it (static/portal.js)
    html = client.get(step4).get_data(as_text=True)
    folded = re.search(rf'<details class="[^"]*exemption-claim" id="exemption-{claim.id}"( open)?>', html)
    assert folded and folded.group(1) is None
    assert re.search(r"缺少材料 \d+ 项", html)
    refused = client.post(f"/portal/applications/{application.id}/exemptions/{claim.id}", data={
        "type": "1", "content": "", "reason": "仍在补充", "csrf_token": csrf_token(client, step4)})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(rf'<details class="[^"]*exemption-claim" id="exemption-{claim.id}" open>', page)
    assert "仍在补充" in page

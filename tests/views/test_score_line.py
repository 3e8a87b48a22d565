"""After admission is published, the applicants of a base see each specialty's lowest admitted combined
score (最低录取分) and the number admitted — of their own base only, and nothing before publication."""
from __future__ import annotations

from decimal import Decimal

from app.extensions import db
from models import Status
from models.clock import now
from models.enums import AdmissionResult
from tests.applications import residency_application
from tests.conftest import Auth
from tests.factories import specialty


def admitted(world, base, score, code="0100", name="录取者"):
    application = residency_application(world, base=base, status=Status.ADMITTED, name=name)
    application.admission_result = AdmissionResult.ADMITTED
    application.admitted_specialty = specialty(code)
    application.combined_score = Decimal(score)
    return application


def page(app, application) -> str:
    client = app.test_client()
    Auth(client).login(application.trainee.account.username)
    return client.get(f"/portal/applications/{application.id}").get_data(as_text=True)


def test_the_score_line_per_specialty_is_shown_after_publication_only(world, app):
    """issue 15: After admission, the score line (最低录取分) and the number admitted per specialty are
    published to applicants of that base."""
    first = admitted(world, "zz", "88.50")
    admitted(world, "zz", "81.25", name="甲")
    admitted(world, "zz", "79.00", code="0200", name="乙")
    admitted(world, "ly", "60.00", name="丙")  # another base: not on 郑州's page
    refused = residency_application(world, status=Status.NOT_ADMITTED, name="丁")
    refused.combined_score = Decimal("50.00")
    db.session.commit()
    assert "score-lines" not in page(app, refused)
    first.batch.admission_published_at = now()
    db.session.commit()
    html = page(app, refused)
    table = html.split('id="score-lines"', 1)[1].split("</table>", 1)[0]
    assert "测试基地郑州各专业录取分数线" in html and "录取人数" in table
    rows = [row.split("</tr>", 1)[0] for row in table.split("<tr>")[2:]]
    assert rows == ["<td>内科</td><td>81.25</td><td>2</td>", "<td>儿科</td><td>79.00</td><td>1</td>"]
    assert "60.00" not in table

"""The trainee's application page (issue 13: 400 requests/s) runs a few fixed statements, whatever the
application's history holds; each statement is named by the tables it reads."""
from __future__ import annotations

import re

from app.extensions import db
from models import ReviewRecord, Status
from models.enums import ReviewLevel
from tests.applications import residency_application
from tests.conftest import Auth
from tests.flows import applicant, start_gp, submit_gp_with_claims, submit_gp_without_claims  # noqa: F401
from tests.queries import counting_statements


def main_table(statement: str) -> str:
    """The table a statement reads from, its subqueries left out."""
    while (shorter := re.sub(r"\([^()]*\)", "", statement)) != statement:
        statement = shorter
    return re.search(r"\bFROM (\w+)", statement).group(1)


def read_tables(client, url: str) -> list[str]:
    """The main table of each statement GET ``url`` runs (the page must answer 200), in order."""
    client.get(url)  # the footer's contacts are then the process's copy (app.domain.support_contacts)
    with counting_statements() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return [main_table(statement) for statement in counter.statements]


def add_history(application, count: int) -> None:
    for _ in range(count):
        db.session.add(ReviewRecord(application_id=application.id, level=ReviewLevel.BASE, action="base_return",
                                    reason="照片不清晰", status_before=Status.SUBMITTED,
                                    status_after=Status.RETURNED))
    db.session.commit()


def test_a_submitted_residency_application_reads_four_tables(world, app):
    application = residency_application(world, status=Status.SUBMITTED)
    db.session.commit()
    client = app.test_client()
    Auth(client).login(application.trainee.account.username)
    url = f"/portal/applications/{application.id}"
    # the account with its trainee profile, the application (batch, base, publication, 准考证 window),
    # its choices with their specialties, its review history
    assert read_tables(client, url) == ["account", "application", "application_choice", "review_record"]
    add_history(application, 5)
    assert read_tables(client, url) == ["account", "application", "application_choice", "review_record"]


def test_a_confirmed_residency_application_also_reads_its_seat(world, app):
    application = residency_application(world, status=Status.CONFIRMED)
    db.session.commit()
    client = app.test_client()
    Auth(client).login(application.trainee.account.username)
    assert read_tables(client, f"/portal/applications/{application.id}") == [
        "account", "application", "application_choice", "review_record", "exam_seat"]


def test_a_gp_transfer_application_reads_its_claims_and_leave_proof(world, client, applicant):  # noqa: F811
    plain = start_gp(client, world)
    submit_gp_without_claims(client, plain.id)
    url = f"/portal/applications/{plain.id}"
    # its exemption claims (none), its 外出参培证明
    assert read_tables(client, url) == ["account", "application", "application_choice", "review_record",
                                        "exemption_request", "attachment"]
    add_history(plain, 3)
    assert len(read_tables(client, url)) == 6


def test_gp_transfer_claims_add_their_decisions(world, client, applicant):  # noqa: F811
    claiming = start_gp(client, world)
    submit_gp_with_claims(client, claiming.id)
    assert read_tables(client, f"/portal/applications/{claiming.id}") == [
        "account", "application", "application_choice", "review_record", "exemption_request", "claim_decision",
        "attachment"]

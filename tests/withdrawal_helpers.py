"""Withdrawals (退培) and the bar list in tests: an admitted trainee of a base, a withdrawal recorded
through the back-office form, and one written straight to the database."""
from __future__ import annotations

import io
from datetime import date

from app.extensions import db
from models import Application, Status, Withdrawal
from models.enums import WithdrawalReason, WithdrawalStatus
from tests.applications import residency_application
from tests.conftest import csrf_token
from tests.files import pdf_pages

NEW = "/admin/withdrawal/new/"
DECIDE = "/admin/withdrawal/decide/"


def admitted(world, base="zz", name="张退培", born=date(1997, 2, 3)) -> Application:
    return residency_application(world, base=base, status=Status.ADMITTED, name=name, born=born)


def post_withdrawal(client, application_id, withdrawn_on="2025-10-01", reason=WithdrawalReason.HEALTH,
                    reason_other="", refund=True, document=None, name="退培申请.pdf"):
    data = {"csrf_token": csrf_token(client, NEW), "application_id": str(application_id),
            "withdrawn_on": withdrawn_on, "reason": reason, "reason_other": reason_other,
            "document": (io.BytesIO(pdf_pages(1) if document is None else document), name)}
    if refund:
        data["refund_required"] = "y"
    return client.post(NEW, data=data, content_type="multipart/form-data")


def decide(client, withdrawal_id, decision="approve", reason=""):
    token = csrf_token(client, f"/admin/withdrawal/details/?id={withdrawal_id}")
    return client.post(DECIDE, data={"csrf_token": token, "id": str(withdrawal_id), "decision": decision,
                                     "return_reason": reason})


def stored_withdrawal(application: Application, withdrawn_on: date, status=WithdrawalStatus.APPROVED,
                      reason=WithdrawalReason.PERSONAL, id_number: str | None = None) -> Withdrawal:
    """A withdrawal of ``application``'s trainee; ``id_number`` binds it to another person's ID number (an
    earlier account of the same person)."""
    trainee = application.trainee
    withdrawal = Withdrawal(application_id=application.id, trainee_id=trainee.id, base_id=application.base_id,
                            name=trainee.name, id_number=id_number or trainee.id_number, withdrawn_on=withdrawn_on,
                            reason=reason, refund_required=True, status=status)
    db.session.add(withdrawal)
    db.session.commit()
    return withdrawal

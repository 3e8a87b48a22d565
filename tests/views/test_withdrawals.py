"""Withdrawals (退培): the base records, the province approves or returns, an approved record is final;
every list, detail, document and export stays within scope; bad input gets a Chinese message."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.infra import storage
from models import Attachment, Withdrawal
from models.enums import AttachmentKind, WithdrawalReason, WithdrawalStatus
from tests.applications import png_upload
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.files import HUGE
from tests.queries import statements_for
from tests.withdrawal_helpers import NEW, admitted, decide, post_withdrawal, stored_withdrawal


def html(response) -> str:
    return response.get_data(as_text=True)


def only_withdrawal() -> Withdrawal:
    return db.session.scalars(select(Withdrawal)).one()


def sheet(response) -> str:
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0].iter_rows(values_only=True)
    return "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows)


def test_base_records_province_approves_and_the_record_is_final(world, client, auth):
    application = admitted(world)
    auth.login("base_zz", PASSWORD)
    assert "张退培" in html(client.get(NEW))
    response = post_withdrawal(client, application.id, reason=WithdrawalReason.OTHER, reason_other="转行从事科研")
    assert response.status_code == 302
    assert "退培已登记，等待省卫生健康委审核" in html(client.get("/admin/withdrawal/"))
    withdrawal = only_withdrawal()
    assert (withdrawal.status, withdrawal.withdrawn_on, withdrawal.reason_text, withdrawal.refund_required) == (
        WithdrawalStatus.PENDING, date(2025, 10, 1), "其他：转行从事科研", True)
    assert withdrawal.id_number == application.trainee.id_number
    # the trainee cannot be chosen twice
    assert "张退培" not in html(client.get(NEW))
    auth.logout()

    auth.login("province", PASSWORD)
    assert "退回基地" in html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    decide(client, withdrawal.id, "approve")
    page = html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    assert "本记录不能再修改" in page and "退回基地" not in page
    db.session.expire_all()
    assert only_withdrawal().status == WithdrawalStatus.APPROVED
    # a second decision is refused
    decide(client, withdrawal.id, "return", "再看看")
    assert "不能再审核" in html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    auth.logout()

    # final: no edit page for anyone, and the base's delete is refused
    auth.login("base_zz", PASSWORD)
    assert client.get(f"/admin/withdrawal/edit/?id={withdrawal.id}").status_code in (302, 403)
    token = csrf_token(client, "/admin/withdrawal/")
    client.post("/admin/withdrawal/delete/", data={"id": str(withdrawal.id), "csrf_token": token})
    assert "退培记录已审核通过，不能再修改或删除" in html(client.get("/admin/withdrawal/"))
    db.session.expire_all()
    assert only_withdrawal().status == WithdrawalStatus.APPROVED


def test_province_returns_with_a_reason_and_the_base_may_delete_and_record_again(world, client, auth):
    application = admitted(world)
    withdrawal = stored_withdrawal(application, date(2025, 9, 1), status=WithdrawalStatus.PENDING)
    auth.login("province", PASSWORD)
    decide(client, withdrawal.id, "return", "")
    assert "请填写退回理由" in html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    decide(client, withdrawal.id, "return", "材料缺少基地公章")
    db.session.expire_all()
    assert (only_withdrawal().status, only_withdrawal().return_reason) == (WithdrawalStatus.RETURNED, "材料缺少基地公章")
    auth.logout()
    auth.login("base_zz", PASSWORD)
    assert "材料缺少基地公章" in html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    token = csrf_token(client, "/admin/withdrawal/")
    client.post("/admin/withdrawal/delete/", data={"id": str(withdrawal.id), "csrf_token": token})
    assert db.session.scalar(select(func.count()).select_from(Withdrawal)) == 0
    assert "张退培" in html(client.get(NEW))


def test_approval_by_the_wrong_role_is_refused(world, client, auth):
    withdrawal = stored_withdrawal(admitted(world), date(2025, 9, 1), status=WithdrawalStatus.PENDING)
    auth.login("base_zz", PASSWORD)
    page = html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    assert "退回基地" not in page and "待省级审核" in page
    decide(client, withdrawal.id, "approve")
    assert "退培记录只能由省卫生健康委审核通过或退回" in html(client.get(f"/admin/withdrawal/details/?id={withdrawal.id}"))
    auth.logout()
    auth.login("support", PASSWORD)
    decide(client, withdrawal.id, "approve")
    auth.logout()
    for username in ("county_zy", "city_zz", "trainee_zy"):
        auth.login(username, PASSWORD)
        response = client.post("/admin/withdrawal/decide/", data={
            "csrf_token": csrf_token(client, "/portal/" if username.startswith("trainee") else "/admin/"),
            "id": str(withdrawal.id), "decision": "approve"})
        assert response.status_code in (302, 403, 404)
        auth.logout()
    db.session.expire_all()
    assert only_withdrawal().status == WithdrawalStatus.PENDING


def test_scope_of_lists_details_documents_and_exports(world, client, auth):
    zz = admitted(world, "zz", name="郑州退培")
    ly = admitted(world, "ly", name="洛阳退培", born=date(1995, 3, 3))
    auth.login("base_zz", PASSWORD)
    post_withdrawal(client, zz.id, withdrawn_on="2026-01-10")
    auth.logout()
    auth.login("base_ly", PASSWORD)
    # another base's trainee cannot be posted
    response = post_withdrawal(client, zz.id)
    assert response.status_code == 400 and "请选择本基地已录取且尚未登记退培的学员" in html(response)
    post_withdrawal(client, ly.id, withdrawn_on="2025-05-01", reason=WithdrawalReason.STUDY)
    mine, theirs = (db.session.scalar(select(Withdrawal).where(Withdrawal.name == n)) for n in ("洛阳退培", "郑州退培"))
    listing = html(client.get("/admin/withdrawal/"))
    assert "洛阳退培" in listing and "郑州退培" not in listing
    assert client.get(f"/admin/withdrawal/details/?id={theirs.id}").status_code in (302, 404)
    assert client.get(f"/files/{theirs.document_id}").status_code == 404
    assert client.get(f"/files/{mine.document_id}").status_code == 200
    exported = sheet(client.get("/admin/withdrawal/export/xlsx/"))
    assert "洛阳退培" in exported and "郑州退培" not in exported and "考取研究生" in exported
    auth.logout()

    # the withdrawn trainee does not get the base's document (though it is filed under them);
    # county and city commissions see no withdrawals
    own = storage.save(png_upload(), AttachmentKind.PHOTO, ly.trainee)
    db.session.commit()
    auth.login(ly.trainee.account.username, PASSWORD)
    assert client.get(f"/files/{own.id}").status_code == 200
    assert client.get(f"/files/{mine.document_id}").status_code == 404
    auth.logout()
    for username in ("county_zy", "city_zz"):
        auth.login(username, PASSWORD)
        assert client.get("/admin/withdrawal/").status_code == 403
        assert client.get("/admin/bar_entry/").status_code == 403
        assert client.get(f"/files/{mine.document_id}").status_code == 404
        auth.logout()

    # the province sees all, filtered by base, year and reason, in the list and the export
    auth.login("province", PASSWORD)
    listing = html(client.get("/admin/withdrawal/"))
    assert "洛阳退培" in listing and "郑州退培" in listing
    by_year = sheet(client.get("/admin/withdrawal/export/xlsx/?flt_year_of_withdrawal_equals=2025"))
    assert "洛阳退培" in by_year and "郑州退培" not in by_year
    by_base = html(client.get(f"/admin/withdrawal/?flt_training_base_equals={world.bases['zz'].id}"))
    assert "郑州退培" in by_base and "洛阳退培" not in by_base
    by_reason = html(client.get("/admin/withdrawal/?flt_reason_equals=study"))
    assert "洛阳退培" in by_reason and "郑州退培" not in by_reason
    assert zz.trainee.id_number not in listing  # masked


def test_bad_input_keeps_what_was_typed(world, client, auth):
    application = admitted(world)
    auth.login("base_zz", PASSWORD)
    response = post_withdrawal(client, application.id, document=b"just some text, no PDF", name="退培.txt",
                               reason=WithdrawalReason.OTHER, reason_other="家中有事")
    page = html(response)
    assert response.status_code == 400 and "家中有事" in page and 'value="2025-10-01"' in page
    assert "PDF" in page or "图片" in page
    cases = [
        ({"application_id": HUGE}, "请选择本基地已录取且尚未登记退培的学员"),
        ({"application_id": "abc"}, "请选择本基地已录取且尚未登记退培的学员"),
        ({"withdrawn_on": "2025-13-40"}, "请按 2024-09-01 的格式填写日期"),
        ({"withdrawn_on": "2999-01-01"}, "退培日期不能晚于今天"),
        ({"withdrawn_on": "2024-12-31"}, "退培日期不能早于录取批次的年份"),
        ({"reason": "nonsense"}, "请选择退培原因"),
        ({"reason": WithdrawalReason.OTHER, "reason_other": "  "}, "请填写具体原因"),
        ({"reason": WithdrawalReason.OTHER, "reason_other": "有\x00空字符"}, "不可见控制字符"),
    ]
    for fields, message in cases:
        response = post_withdrawal(client, **{"application_id": application.id, **fields})
        assert response.status_code == 400 and message in html(response), fields
    assert db.session.scalar(select(func.count()).select_from(Withdrawal)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.uploaded_by_id == world.accounts["base_zz"].id)) == 0
    assert client.get(f"/admin/withdrawal/details/?id={HUGE}").status_code in (302, 404)
    token = csrf_token(client, "/admin/withdrawal/")
    assert client.post("/admin/withdrawal/decide/", data={"csrf_token": token, "id": HUGE}).status_code == 404


def test_the_withdrawal_list_runs_a_fixed_number_of_statements(world, client, auth):
    applications = [admitted(world, name=f"退培{n}", born=date(1990, 1, n + 1)) for n in range(4)]
    stored_withdrawal(applications[0], date(2025, 9, 1))
    auth.login("province", PASSWORD)
    one, page = statements_for(client, "/admin/withdrawal/")
    assert "退培0" in page
    for application in applications[1:]:
        stored_withdrawal(application, date(2025, 9, 2))
    many, page = statements_for(client, "/admin/withdrawal/")
    assert "退培3" in page and many == one

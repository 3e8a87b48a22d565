"""The base staff's admission page and the province's per-base table (issue 15, item 3): scope (base A never
sees nor publishes base B), bad input (forged ids, huge integers, NUL bytes), the deadline boundary."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.admission.bases import publish_base, record_dry_run
from app.extensions import db
from models import Application, AuditLog, BaseAdmission, Batch, Status
from models.clock import today
from tests.admission_scene import PAGE, scene  # noqa: F401
from tests.base_admission_helpers import (
    BASE_DRY_RUN,
    BASE_EXPORT,
    BASE_PAGE,
    BASE_PUBLISH,
    PROVINCE_BASES,
    SEED_SENTENCE,
    open_to_bases,
)
from tests.catalogue import zh
from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.queries import counting_statements

ZZ_NAMES = {"甲一", "乙二", "丙三", "丁四", "戊五"}
HUGE = str(2**70)


def page(client, batch) -> str:
    return client.get(f"{BASE_PAGE}?batch_id={batch.id}").get_data(as_text=True)


def confirmed(batch) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Application.id)).where(
        Application.batch_id == batch.id, Application.status == Status.CONFIRMED))


def dry_run(client, batch, base_id, reason="试算") -> object:
    return client.post(BASE_DRY_RUN, data={"batch_id": batch.id, "base_id": base_id, "reason": reason,
                                           "csrf_token": csrf_token(client, f"{BASE_PAGE}?batch_id={batch.id}")})


def test_a_base_sees_and_exports_its_own_candidates_only(scene, world, client, auth):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_ly", PASSWORD)
    html = page(client, batch)
    assert zh("Not started") in html and "甲一" not in html
    assert client.get(f"{BASE_EXPORT}?batch_id={batch.id}").status_code == 409  # no dry run yet
    assert dry_run(client, batch, world.bases["ly"].id).status_code == 302
    html = page(client, batch)
    assert "己六" in html and not any(name in html for name in ZZ_NAMES)
    assert "郑州" not in html.split('admission-seats', 1)[1].split("</table>", 1)[0]
    book = load_workbook(io.BytesIO(client.get(f"{BASE_EXPORT}?batch_id={batch.id}").data), read_only=True)
    assert [row[2] for row in list(book.worksheets[0].iter_rows(values_only=True))[1:]] == ["己六"]


def test_a_base_cannot_act_for_another_base(scene, world, client, auth):  # noqa: F811
    """A forged base id in the POST (dry run, publication) is refused in Chinese; nothing changes."""
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    ly = world.bases["ly"].id
    response = dry_run(client, batch, ly)
    assert response.status_code == 409
    assert zh("You may run admission only for your own training base.") in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(BaseAdmission.id))) == 0
    dry_run(client, batch, world.bases["zz"].id)
    token = csrf_token(client, f"{BASE_PAGE}?batch_id={batch.id}")
    before = confirmed(batch)
    response = client.post(BASE_PUBLISH, data={"batch_id": batch.id, "base_id": ly, "csrf_token": token})
    assert response.status_code == 409
    assert zh("You may run admission only for your own training base.") in response.get_data(as_text=True)
    assert confirmed(batch) == before
    assert db.session.scalar(select(func.count(BaseAdmission.id)).where(BaseAdmission.published_at.is_not(None))) == 0


def test_a_base_publishes_once_through_the_page(scene, world, client, auth):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    zz = world.bases["zz"].id
    dry_run(client, batch, zz)
    html = client.get(f"{BASE_PUBLISH}?batch_id={batch.id}").get_data(as_text=True)
    fingerprint = html.split('name="fingerprint" value="', 1)[1].split('"', 1)[0]
    token = csrf_token(client, f"{BASE_PAGE}?batch_id={batch.id}")
    data = {"batch_id": batch.id, "base_id": zz, "fingerprint": fingerprint, "reason": "核对无误", "csrf_token": token}
    assert client.post(BASE_PUBLISH, data=data).status_code == 302
    assert confirmed(batch) == 1  # 洛阳's candidate waits for its own base
    again = client.post(BASE_PUBLISH, data=data)
    assert again.status_code == 409
    assert zh("Your training base has already published its admission results.") in again.get_data(as_text=True)
    assert zh("Published") in page(client, batch)


@pytest.mark.parametrize("field, value", [("batch_id", HUGE), ("base_id", HUGE), ("batch_id", "1\x00"),
                                          ("base_id", "-1"), ("batch_id", "abc")])
def test_bad_ids_are_refused_in_chinese(scene, world, client, auth, field, value):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    data = {"batch_id": batch.id, "base_id": world.bases["zz"].id, "reason": "",
            "csrf_token": csrf_token(client, f"{BASE_PAGE}?batch_id={batch.id}"), field: value}
    for url in (BASE_DRY_RUN, BASE_PUBLISH):
        response = client.post(url, data=data)
        assert response.status_code in (400, 409), (url, response.status_code)
        assert "请" in response.get_data(as_text=True) or "本基地" in response.get_data(as_text=True)
    assert client.get(f"{BASE_PAGE}?batch_id={HUGE}").status_code == 200
    assert db.session.scalar(select(func.count(BaseAdmission.id))) == 0


def test_a_nul_byte_in_the_reason_is_refused_and_the_text_kept(scene, world, client, auth):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    response = dry_run(client, batch, world.bases["zz"].id, reason="核对\x00名单")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "无法保存" in html and "核对名单" in html
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.table_name == "base_admission")) == 0


@pytest.mark.parametrize("days_left, allowed", [(1, True), (0, True), (-1, False)],
                         ids=["day before", "deadline day", "day after"])
def test_the_page_follows_the_deadline(scene, world, client, auth, days_left, allowed):  # noqa: F811
    """各住培基地…择优录取。5 月 31 日前完成第一阶段招收工作: the deadline day is included."""
    assert "5 月 31 日前" in SEED_SENTENCE
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    token = csrf_token(client, f"{BASE_PAGE}?batch_id={batch.id}")
    batch.phase_one_deadline = today() + timedelta(days=days_left)
    db.session.commit()
    html = page(client, batch)
    assert ("dry-run-form" in html) == allowed
    response = client.post(BASE_DRY_RUN, data={"batch_id": batch.id, "base_id": world.bases["zz"].id,
                                               "csrf_token": token})
    assert response.status_code == (302 if allowed else 409)
    if not allowed:
        assert "基地录取已于" in response.get_data(as_text=True)


def test_roles_stay_on_their_own_page(scene, world, client, auth):  # noqa: F811
    batch, _people = scene
    open_to_bases(batch)
    auth.login("base_zz", PASSWORD)
    assert client.get(PAGE).status_code == 403
    assert client.post(PROVINCE_BASES, data={"batch_id": batch.id}).status_code in (400, 403)
    auth.logout(BASE_PAGE + f"?batch_id={batch.id}")
    auth.login("province", PASSWORD)
    assert client.get(BASE_PAGE).status_code == 403
    closed = Batch(name="未开放批次", year=batch.year, program=batch.program, opens_at=batch.opens_at,
                   closes_at=batch.closes_at)
    db.session.add(closed)
    db.session.commit()
    auth.logout(f"{PAGE}?batch_id={batch.id}")
    auth.login("base_zz", PASSWORD)
    html = client.get(f"{BASE_PAGE}?batch_id={closed.id}").get_data(as_text=True)
    assert zh("Please choose a resident standardized training batch.") in html


def test_the_province_sets_the_switch_and_sees_each_base(scene, world, client, auth):  # noqa: F811
    batch, _people = scene
    auth.login("province", PASSWORD)
    url = f"{PAGE}?batch_id={batch.id}"
    token = csrf_token(client, url)
    bad = client.post(PROVINCE_BASES, data={"batch_id": batch.id, "enabled": "1", "deadline": "2025-13-40",
                                            "csrf_token": token})
    assert bad.status_code == 400 and zh("Please enter a valid date.") in bad.get_data(as_text=True)
    assert 'value="2025-13-40"' in bad.get_data(as_text=True)
    missing = client.post(PROVINCE_BASES, data={"batch_id": batch.id, "enabled": "1", "csrf_token": token})
    assert missing.status_code == 409
    assert client.post(PROVINCE_BASES, data={"batch_id": HUGE, "enabled": "1", "csrf_token": token}).status_code == 400
    day = today() + timedelta(days=5)
    assert client.post(PROVINCE_BASES, data={"batch_id": batch.id, "enabled": "1", "deadline": day.isoformat(),
                                             "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert batch.base_admission_enabled and batch.phase_one_deadline == day
    zz, ly = world.bases["zz"].id, world.bases["ly"].id
    record_dry_run(batch, world.accounts["base_ly"], ly)
    record_dry_run(batch, world.accounts["base_zz"], zz)
    publish_base(batch, world.accounts["base_zz"], zz, None)
    with counting_statements() as statements:
        html = client.get(url).get_data(as_text=True)
    table = html.split("base-states", 1)[1].split("</table>", 1)[0]
    zz_row = table.split(f'data-base="{zz}"', 1)[1].split("</tr>", 1)[0]
    ly_row = table.split(f'data-base="{ly}"', 1)[1].split("</tr>", 1)[0]
    assert zh("Published") in zz_row and zh("%(count)s admitted", count=3) in zz_row
    assert zh("Dry run done") in ly_row
    assert "甲一" not in html  # the province's dry run leaves the published base as it is
    assert statements.count < 60


def test_after_its_own_publication_a_base_issues_its_notices(scene, world, client, auth):  # noqa: F811
    """The 录取通知 page lists a batch once the base published its own results; another base's does not."""
    batch, _people = scene
    open_to_bases(batch)
    zz = world.bases["zz"].id
    record_dry_run(batch, world.accounts["base_zz"], zz)
    publish_base(batch, world.accounts["base_zz"], zz, None)
    auth.login("base_zz", PASSWORD)
    html = client.get("/admin/notices/").get_data(as_text=True)
    assert batch.name in html and "甲一" in html
    auth.logout("/admin/notices/")
    auth.login("base_ly", PASSWORD)
    html = client.get("/admin/notices/").get_data(as_text=True)
    assert batch.name not in html and "甲一" not in html

"""全部 N 条符合条件的报名: a review action over the whole filtered list, confirmed with its count,
re-checked at submit, run as a job through transition_many with a result for every row."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.review import bulk
from app.extensions import db
from app.infra import jobs, queue
from models import Application, ExemptionRequest, Job, ReviewRecord, Status
from models.clock import now
from tests.dashboard import add_application
from tests.factories import PASSWORD

LIST = "/admin/application/"
BULK = "/admin/application/bulk-all/"
FILTER = "flt2_status_equals=submitted"


@pytest.fixture
def submitted(world):
    """Three submitted applications in 中原区 (county_zy's) and one in 金水区 (not theirs)."""
    mine = [add_application(world, "zy", world.batches["gp"], Status.SUBMITTED) for _ in range(3)]
    other = add_application(world, "js", world.batches["gp"], Status.SUBMITTED)
    db.session.commit()
    return [a.id for a in mine], other.id


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def statuses(ids) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Application, number).status for number in ids]


def test_the_list_offers_all_matching_and_the_job_applies_each_with_a_result(world, client, auth, submitted):
    mine, other = submitted
    auth.login("county_zy", PASSWORD)
    html = client.get(f"{LIST}?{FILTER}").get_data(as_text=True)
    assert "全部 3 条符合条件的报名" in html and 'name="filter" value="flt2_status_equals=submitted"' in html
    confirm = client.post(BULK, data={"action": "county_approve", "filter": FILTER, "count": "3",
                                      "csrf_token": token_of(html)})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "全部 3 条" in page and "状态：" in page
    assert statuses(mine) == [Status.SUBMITTED] * 3  # nothing yet
    done = client.post(BULK, data={"action": "county_approve", "filter": FILTER, "count": "3", "confirmed": "1",
                                   "csrf_token": token_of(page)})
    [job] = db.session.scalars(select(Job)).all()
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    assert "?" not in done.headers["Location"]  # no ids, no filter in a URL
    assert (job.state, job.done, job.total, job.summary) == ("done", 3, 3, "已执行 3 条，未执行 0 条。")
    assert statuses(mine) == [Status.COUNTY_APPROVED] * 3 and statuses([other]) == [Status.SUBMITTED]
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/jobs/{job.id}/download").data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("报名编号", "结果", "理由") and sorted(r[0] for r in rows[1:]) == sorted(mine)
    assert {r[1] for r in rows[1:]} == {"已执行"}


def test_a_changed_filter_result_is_refused_and_nothing_is_applied(world, client, auth, submitted):
    mine, _other = submitted
    auth.login("county_zy", PASSWORD)
    token = token_of(client.get(LIST).get_data(as_text=True))
    response = client.post(BULK, data={"action": "county_approve", "filter": FILTER, "count": "2", "confirmed": "1",
                                       "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "筛选结果已变化（确认时 2 条，现在 3 条）" in html
    assert statuses(mine) == [Status.SUBMITTED] * 3 and db.session.scalar(select(func.count(Job.id))) == 0
    assert 'name="count" value="3"' in html  # the new count, to confirm again


@pytest.mark.parametrize("count", ["", "abc", str(2**31), "99999999999999999999", "-3"])
def test_a_forged_count_applies_nothing(world, client, auth, submitted, count):
    mine, _other = submitted
    auth.login("county_zy", PASSWORD)
    token = token_of(client.get(LIST).get_data(as_text=True))
    response = client.post(BULK, data={"action": "county_approve", "filter": FILTER, "count": count,
                                       "confirmed": "1", "csrf_token": token})
    assert response.status_code == 409 and "筛选结果已变化" in response.get_data(as_text=True)
    assert statuses(mine) == [Status.SUBMITTED] * 3


def test_an_action_of_another_role_or_a_nul_filter_is_refused(world, client, auth, submitted):
    mine, _other = submitted
    auth.login("county_zy", PASSWORD)
    token = token_of(client.get(LIST).get_data(as_text=True))
    assert client.post(BULK, data={"action": "city_approve", "filter": FILTER, "count": "3", "confirmed": "1",
                                   "csrf_token": token}).status_code == 403
    response = client.post(BULK, data={"action": "county_approve", "filter": "flt2_status_equals=sub\x00mitted",
                                       "count": "3", "csrf_token": token})
    assert response.status_code in (200, 409) and statuses(mine) == [Status.SUBMITTED] * 3


def test_a_return_needs_a_reason(world, client, auth, submitted):
    mine, _other = submitted
    auth.login("county_zy", PASSWORD)
    token = token_of(client.get(LIST).get_data(as_text=True))
    response = client.post(BULK, data={"action": "county_return", "filter": FILTER, "count": "3", "confirmed": "1",
                                       "reason": "  ", "csrf_token": token})
    assert response.status_code == 409 and "请填写理由" in response.get_data(as_text=True)
    assert statuses(mine) == [Status.SUBMITTED] * 3


def test_the_queue_down_applies_nothing(world, client, auth, submitted, monkeypatch):
    mine, _other = submitted
    auth.login("county_zy", PASSWORD)
    token = token_of(client.get(LIST).get_data(as_text=True))

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue, "enqueue", down)
    response = client.post(BULK, data={"action": "county_approve", "filter": FILTER, "count": "3", "confirmed": "1",
                                       "csrf_token": token})
    assert response.status_code == 503 and "任务队列暂时不可用" in response.get_data(as_text=True)
    assert statuses(mine) == [Status.SUBMITTED] * 3 and db.session.scalar(select(func.count(Job.id))) == 0


def test_a_row_changed_meanwhile_is_refused_with_its_reason_and_the_others_applied(world, submitted):
    mine, other = submitted
    county = world.accounts["county_zy"]
    db.session.get(Application, mine[1]).status = Status.RETURNED  # changed by someone else meanwhile
    db.session.commit()
    rows = bulk.apply_chunk(mine + [other, 2**31 - 1], "county_approve", county, None)
    db.session.commit()
    by_id = {row["id"]: row for row in rows}
    assert [by_id[n]["applied"] for n in mine] == [True, False, True]
    assert by_id[mine[1]]["message"] and by_id[other]["message"] == "该报名不存在或不在您的管辖范围内，未处理。"
    assert by_id[2**31 - 1]["applied"] is False
    assert statuses(mine) == [Status.COUNTY_APPROVED, Status.RETURNED, Status.COUNTY_APPROVED]


def test_a_worker_killed_mid_job_leaves_recorded_rows_only_and_a_retry_resumes(world, app, submitted, monkeypatch):
    mine, _other = submitted
    monkeypatch.setattr(bulk, "CHUNK", 2)
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: "later")
    job_id = bulk.start_bulk(world.accounts["county_zy"], "county_approve", None, mine, "")
    assert jobs.claim(job_id)
    county = world.accounts["county_zy"]
    jobs.record_rows(job_id, bulk.apply_chunk(mine[:2], "county_approve", county, None))
    jobs.progress_of(job_id)(2, 3)  # the first chunk is committed with its results; then the worker dies
    assert jobs.release_stale(now() + timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)) == 1
    assert [row["id"] for row in jobs.recorded_rows(job_id)] == mine[:2]
    assert statuses(mine) == [Status.COUNTY_APPROVED, Status.COUNTY_APPROVED, Status.SUBMITTED]
    monkeypatch.undo()
    assert jobs.retry(job_id)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert (job.state, job.summary) == ("done", "已执行 3 条，未执行 0 条。")
    assert sorted(row["id"] for row in jobs.recorded_rows(job_id)) == sorted(mine)  # each row once
    assert statuses(mine) == [Status.COUNTY_APPROVED] * 3
    records = db.session.scalar(select(func.count(ReviewRecord.id)).where(ReviewRecord.application_id.in_(mine)))
    assert records == 3


def test_a_bulk_approval_leaves_an_application_with_an_undecided_claim_with_its_reason(world, submitted):
    """Approving never decides the exemption claims silently, in bulk as on the detail page: the row
    with an undecided claim is not applied and says why; the others are."""
    mine, _other = submitted
    db.session.add(ExemptionRequest(application_id=mine[0], type=1, content="基层医疗卫生实践", reason="测试"))
    db.session.commit()
    rows = bulk.apply_chunk(mine, "county_approve", world.accounts["county_zy"], None)
    db.session.commit()
    by_id = {row["id"]: row for row in rows}
    assert sorted(by_id) == sorted(mine)
    assert by_id[mine[0]]["applied"] is False and "请先对每项减免申请作出“同意”或“不同意”的决定" in by_id[mine[0]]["message"]
    assert statuses(mine) == [Status.SUBMITTED, Status.COUNTY_APPROVED, Status.COUNTY_APPROVED]

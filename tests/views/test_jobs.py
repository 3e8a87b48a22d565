"""我的任务 and exports over ``EXPORT_JOB_ROWS`` as jobs: the user follows the progress and downloads the
result; nobody else can (another reviewer of the same role, another region, a changed scope, an
expired result, a forged id); a queue that is down starts nothing."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.infra import queue
from models import AccessLog, Application, Job
from models.clock import now
from tests.dashboard import add_application
from tests.factories import PASSWORD, AccountFactory
from views.admin import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def small_threshold(app, monkeypatch):
    monkeypatch.setitem(app.config, "EXPORT_JOB_ROWS", 0)  # every export with a row is a job


def job_rows() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).order_by(Job.id)))


def workbook(response):
    assert response.status_code == 200 and response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def text_of(sheet) -> str:
    return "\n".join("|".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))


def run_export(client, auth, user="county_zy", url="/admin/application/export/xlsx/") -> Job:
    auth.login(user, PASSWORD)
    response = client.get(url)
    assert response.status_code == 302
    [job] = [job for job in job_rows() if job.account.username == user][-1:]
    assert response.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    return job


def test_an_export_over_the_threshold_runs_as_a_job_and_its_owner_downloads_it(world, client, auth,
                                                                                small_threshold):
    job = run_export(client, auth)
    page = client.get(f"/admin/jobs/{job.id}/", follow_redirects=True).get_data(as_text=True)
    assert "已完成" in page and "下载结果" in page and "导出：报名汇总表（1 条）" in page
    assert "job-progress.js" in page and "<script>" not in page
    status = client.get(f"/admin/jobs/{job.id}/status").get_json()
    assert (status["state"], status["percent"], status["done"], status["total"]) == ("done", 100, 1, 1)
    sheet = workbook(client.get(status["download_url"]))
    text = text_of(sheet)
    assert world.trainees["zy"].name in text and world.trainees["xg"].name not in text  # the requester's scope
    assert world.trainees["zy"].id_number not in text  # masked, as the list's export
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    listing = client.get("/admin/jobs/").get_data(as_text=True)
    assert "我的任务" in listing and "导出：报名汇总表（1 条）" in listing
    [logged] = db.session.scalars(select(AccessLog).where(AccessLog.action == "export")).all()
    assert logged.row_count == 1


def test_below_the_threshold_the_export_is_written_at_once(world, client, auth):
    auth.login("county_zy", PASSWORD)
    sheet = workbook(client.get("/admin/application/export/xlsx/"))
    assert world.trainees["zy"].name in text_of(sheet) and job_rows() == []
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}2"
    dates = [cell for cell in sheet[2] if isinstance(cell.value, datetime)]
    assert dates and all(cell.is_date for cell in dates)  # real date cells, not text
    assert sheet.column_dimensions["A"].width >= 8


def test_a_full_export_over_the_threshold_keeps_its_reason_and_full_values(world, client, auth, small_threshold):
    auth.login("county_zy", PASSWORD)
    url = "/admin/application/export-full/"
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)
    response = client.post(url, data={"reason": "区县审核名单核对", "csrf_token": token})
    assert response.status_code == 302
    [job] = job_rows()
    text = text_of(workbook(client.get(f"/admin/jobs/{job.id}/download")))
    assert world.trainees["zy"].id_number in text and world.trainees["xg"].id_number not in text
    [logged] = db.session.scalars(select(AccessLog).where(AccessLog.action == "export_full")).all()
    assert (logged.reason, logged.row_count) == ("区县审核名单核对", 1)


def test_another_reviewer_of_the_same_role_cannot_see_or_download_the_result(world, client, auth, small_threshold):
    job = run_export(client, auth)
    AccountFactory(username="county_zy2", role="county_reviewer", region=world.regions["zy"])
    db.session.commit()
    auth.logout()
    auth.login("county_zy2", PASSWORD)
    for url in (f"/admin/jobs/{job.id}/", f"/admin/jobs/{job.id}/download"):
        response = client.get(url)
        assert response.status_code == 404 and "此任务不存在或不属于您" in response.get_data(as_text=True)
    assert client.get(f"/admin/jobs/{job.id}/status").status_code == 404
    assert "导出：报名汇总表" not in client.get("/admin/jobs/").get_data(as_text=True)


def test_a_reviewer_of_another_region_cannot_download_the_result(world, client, auth, small_threshold):
    job = run_export(client, auth)
    auth.logout()
    auth.login("county_xg", PASSWORD)
    response = client.get(f"/admin/jobs/{job.id}/download")
    assert response.status_code == 404 and world.trainees["zy"].name.encode() not in response.data


def test_a_requester_whose_region_changed_can_no_longer_download(world, client, auth, small_threshold):
    job = run_export(client, auth)
    account = world.accounts["county_zy"]
    account.region = world.regions["js"]
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    response = client.get(f"/admin/jobs/{job.id}/download")
    assert response.status_code == 403 and "角色或地区已变化" in response.get_data(as_text=True)


def test_an_expired_result_is_refused_in_chinese(world, client, auth, small_threshold):
    job = run_export(client, auth)
    db.session.get(Job, job.id).expires_at = now() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/admin/jobs/{job.id}/download")
    assert response.status_code == 403 and "结果已过期" in response.get_data(as_text=True)


@pytest.mark.parametrize("forged", ["0", "999999", str(2**31 - 1), str(2**31), "-1", "abc"])
def test_a_forged_job_id_is_refused_never_a_500(world, client, auth, forged):
    auth.login("county_zy", PASSWORD)
    for url in (f"/admin/jobs/{forged}/", f"/admin/jobs/{forged}/download", f"/admin/jobs/{forged}/status"):
        response = client.get(url)
        assert response.status_code == 404, url


def test_the_queue_down_starts_no_export_and_says_so(world, client, auth, small_threshold, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue, "enqueue", down)
    auth.login("county_zy", PASSWORD)
    response = client.get("/admin/application/export/xlsx/", follow_redirects=True)
    assert response.status_code == 200 and "任务队列暂时不可用" in response.get_data(as_text=True)
    assert job_rows() == []


def test_a_failed_job_is_shown_with_its_reason_and_can_be_run_again(world, client, auth, small_threshold,
                                                                    monkeypatch):
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: "later")  # no worker yet
    job = run_export(client, auth)
    job.state, job.error = "failed", "任务中断（处理进程已停止）"
    db.session.commit()
    page = client.get(f"/admin/jobs/{job.id}/").get_data(as_text=True)
    assert "失败" in page and "任务中断" in page and "重新运行" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    monkeypatch.undo()
    monkeypatch.setitem(client.application.config, "EXPORT_JOB_ROWS", 0)
    response = client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "已完成" in response.get_data(as_text=True)
    assert job_rows()[0].state == "done"


def test_a_trainee_has_no_task_pages(world, client, auth):
    auth.login("trainee_zy", PASSWORD)
    assert client.get("/admin/jobs/").status_code == 403


def test_an_export_job_writes_every_chunk_in_the_lists_order_with_its_progress(world, client, auth, small_threshold,
                                                                                monkeypatch):
    monkeypatch.setattr(exports, "CHUNK", 2)
    for _index in range(4):
        add_application(world, "zy", world.batches["gp"], "submitted")
    db.session.commit()
    job = run_export(client, auth)
    status = client.get(f"/admin/jobs/{job.id}/status").get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 5, 5)
    sheet = workbook(client.get(status["download_url"]))
    listed = db.session.scalars(select(Application.id).where(Application.county_id == world.regions["zy"].id)
                                .order_by(Application.status_changed_at, Application.id)).all()
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == listed

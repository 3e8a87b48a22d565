"""Unit-directory imports over ``IMPORT_JOB_BYTES`` run as a job: the rows that pass are imported, every
refused row is in the result file with its reason; a refused file or a queue that is down imports
nothing and keeps no uploaded file."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.extensions import db
from app.infra import queue
from app.infra.filestore import store
from models import Institution, Job
from tests.conftest import csrf_token
from tests.factories import PASSWORD

PAGE = "/admin/institution-import/"
HEADER = ["单位名称", "所在区县", "级别", "类别"]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def upload(client, data: bytes):
    return client.post(PAGE + "upload/", data={"file": (io.BytesIO(data), "大目录.xlsx"),
                                               "csrf_token": csrf_token(client, PAGE)},
                       content_type="multipart/form-data")


@pytest.fixture
def as_job(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_BYTES", 0)


def units() -> int:
    return db.session.scalar(select(func.count(Institution.id)))


def job_files() -> list[str]:
    return [name for name in store().names() if name.startswith("job-")]


def test_a_big_import_runs_as_a_job_with_per_row_results(world, client, auth, as_job):
    before = units()
    auth.login("province", PASSWORD)
    response = upload(client, xlsx([["新增社区卫生服务中心", "410102", "基层医疗卫生机构", "社区卫生服务中心"],
                                    ["=HYPERLINK(\"x\")", "不存在的区县", "二级医院", "医院"]]))
    [job] = db.session.scalars(select(Job)).all()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/jobs/{job.id}/")
    assert job.state == "done" and job.summary == "新增 1 个，更新 0 个，未变 0 个，拒绝 1 行。"
    assert units() == before + 1
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/jobs/{job.id}/download").data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "问题") and any(row[0] == 3 for row in rows[1:])
    assert job_files() == [job.result_name]  # the upload itself is gone


def test_a_refused_file_imports_nothing_and_keeps_no_upload(world, client, auth, as_job):
    before = units()
    auth.login("province", PASSWORD)
    upload(client, xlsx([]) .replace(b"xl/workbook.xml", b"xl/workbook.xm_"))
    assert units() == before and job_files() == []


def test_the_queue_down_imports_nothing_and_keeps_no_upload(world, client, auth, as_job, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue, "enqueue", down)
    before = units()
    auth.login("province", PASSWORD)
    response = upload(client, xlsx([["新增社区卫生服务中心", "410102", "基层医疗卫生机构", "社区卫生服务中心"]]))
    assert response.status_code == 503 and "任务队列暂时不可用" in response.get_data(as_text=True)
    assert units() == before and job_files() == [] and db.session.scalar(select(func.count(Job.id))) == 0


def test_a_small_import_stays_in_the_request(world, client, auth):
    auth.login("province", PASSWORD)
    response = upload(client, xlsx([["新增社区卫生服务中心", "410102", "基层医疗卫生机构", "社区卫生服务中心"]]))
    assert response.status_code == 200 and db.session.scalar(select(func.count(Job.id))) == 0

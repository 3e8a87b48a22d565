"""The job machinery: a job runs by id in chunks with progress, its result goes to the file store and
is purged when it expires; a worker killed mid-job leaves a failed, retriable job and no result; a
queue that is down records nothing; failures show in /metrics."""
from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.infra import jobs, queue
from app.infra.filestore import store
from models import Job, JobState
from models.clock import now

KIND = "test.count"


def counting_handler(job, progress):
    """Counts to the job's ``total`` in chunks of 2 and writes a small result file."""
    total = job.parameters["total"]
    for done in range(0, total, 2):
        progress(min(total, done + 2), total)
    path = jobs.temporary_path(".xlsx")
    with open(path, "wb") as handle:
        handle.write(b"result of " + str(total).encode())
    return jobs.JobOutput(path, "结果.xlsx", f"{total} rows")


def failing_handler(job, progress):
    progress(1, 3)
    raise RuntimeError("disk full")


@pytest.fixture
def handlers(monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, KIND, counting_handler)
    monkeypatch.setitem(jobs.HANDLERS, "test.fail", failing_handler)


def job_rows() -> list[Job]:
    db.session.expire_all()
    return list(db.session.scalars(select(Job).order_by(Job.id)))


def test_a_job_runs_to_the_end_and_its_result_is_in_the_file_store(world, handlers):
    job_id = jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 5})
    [job] = job_rows()
    assert (job.id, job.state, job.done, job.total, job.summary) == (job_id, "done", 5, 5, "5 rows")
    assert job.result_filename == "结果.xlsx" and job.result_name.startswith(f"job-{job_id}-")
    with store().open(job.result_name) as handle:
        assert handle.read() == b"result of 5"
    assert timedelta(days=6, hours=23) < job.expires_at - job.finished_at <= timedelta(days=7)
    assert (job.role, job.region_id) == ("county_reviewer", world.regions["zy"].id)
    assert jobs.run(job_id) == "skipped"  # a job runs once: a second delivery of the task does nothing


def test_the_result_days_follow_the_setting(world, handlers, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_RESULT_DAYS", 2)
    jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 1})
    [job] = job_rows()
    assert job.expires_at - job.finished_at == timedelta(days=2)


def test_queue_storage_down_at_enqueue_records_nothing(world, handlers, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")
    monkeypatch.setattr(queue, "enqueue", down)
    with pytest.raises(jobs.QueueUnavailable):
        jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 5})
    assert job_rows() == []


def test_a_failing_handler_fails_the_job_in_chinese_and_keeps_no_file(world, handlers, client):
    jobs.submit("test.fail", world.accounts["county_zy"], "会失败", {})
    [job] = job_rows()
    assert job.state == "failed" and job.result_name is None
    assert "任务因内部错误失败" in job.error
    assert not [name for name in store().names() if name.startswith("job-")]
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'platform_job_failures_last_day{kind="test.fail"} 1.0' in metrics


def test_metrics_count_no_failure_for_a_finished_job(world, handlers, client):
    jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 1})
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "platform_job_failures_last_day" in metrics and 'kind="test.count"' not in metrics


def test_a_worker_killed_mid_job_leaves_it_failed_and_retriable(world, handlers, app, monkeypatch):
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: "queued-for-later")  # the worker takes it
    job_id = jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 6})
    assert jobs.claim(job_id)
    jobs.progress_of(job_id)(2, 6)  # the first chunk, then the worker is killed (nothing more happens)
    [job] = job_rows()
    assert (job.state, job.done, job.result_name) == ("running", 2, None)
    assert jobs.release_stale(now()) == 0  # a job that beat recently is left alone
    assert jobs.release_stale(now() + timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)) == 1
    [job] = job_rows()
    assert job.state == "failed" and "任务中断" in job.error and job.result_name is None
    assert not [name for name in store().names() if name.startswith("job-")]
    monkeypatch.undo()
    monkeypatch.setitem(jobs.HANDLERS, KIND, counting_handler)
    assert jobs.retry(job_id) is True  # the requester runs it again: the same job, from the start
    [job] = job_rows()
    assert (job.state, job.done, job.attempts, job.error) == ("done", 6, 2, None)
    assert jobs.retry(job_id) is False  # a finished job is not run again


def test_the_worker_finishing_after_the_sweep_gave_up_keeps_no_orphan(world, handlers, monkeypatch):
    monkeypatch.setattr(queue, "enqueue", lambda *args, **kwargs: "later")
    job_id = jobs.submit(KIND, world.accounts["county_zy"], "数一数", {"total": 2})
    assert jobs.claim(job_id)
    jobs.release_stale(now() + timedelta(days=1))
    job = db.session.get(Job, job_id)
    jobs._finish(job, counting_handler(job, lambda done, total: None))
    assert job_rows()[0].state == "failed"
    assert not [name for name in store().names() if name.startswith("job-")]


def test_expired_results_and_orphaned_files_are_purged(world, handlers, app):
    jobs.submit(KIND, world.accounts["county_zy"], "旧的", {"total": 1})
    jobs.submit(KIND, world.accounts["county_zy"], "新的", {"total": 1})
    old, new = job_rows()
    old_name, new_name = old.result_name, new.result_name
    old.expires_at = now() - timedelta(minutes=1)
    db.session.commit()
    folder = app.config["UPLOAD_FOLDER"]
    for name, age in (("job-999-abandoned.xlsx", 3600), ("job-998-being-stored.xlsx", 0)):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"x")
        os.utime(os.path.join(folder, name), (time.time() - age, time.time() - age))
    assert jobs.purge_expired() == 2
    names = set(store().names())
    assert old_name not in names and "job-999-abandoned.xlsx" not in names
    assert new_name in names and "job-998-being-stored.xlsx" in names  # a result being stored right now
    old, new = job_rows()
    assert (old.state, old.result_name, new.result_name) == ("done", None, new_name)


def test_an_unknown_kind_fails_with_a_chinese_message(world):
    jobs.submit("no.such.kind", world.accounts["county_zy"], "未知", {})
    [job] = job_rows()
    assert job.state == JobState.FAILED and job.error == "不再支持这类任务。"

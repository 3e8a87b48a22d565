"""Base tools: 考试成绩 opens on the batch with confirmed applicants; 报到 asks for confirmation."""
import json
import re
from html import unescape

from app.extensions import db
from models import Status
from models.enums import BatchStatus
from tests.applications import residency_application
from tests.factories import PASSWORD, BatchFactory
from models.enums import Program


def selected_batch(html: str) -> str:
    return re.search(r'<option value="(\d+)" selected>', html).group(1)


def test_the_scores_page_opens_on_the_batch_with_confirmed_applicants_not_a_newer_unpublished_one(world, client,
                                                                                                   auth):
    confirmed = residency_application(world, status=Status.CONFIRMED)
    newer_draft = BatchFactory(name="下一年度住培（未发布）", program=Program.RESIDENCY, status=BatchStatus.DRAFT)
    db.session.commit()
    auth.login("base_zz", PASSWORD)
    html = client.get("/admin/scores/").get_data(as_text=True)
    assert selected_batch(html) == str(confirmed.batch_id) != str(newer_draft.id)
    chosen = client.get("/admin/scores/", query_string={"batch": newer_draft.id}).get_data(as_text=True)
    assert selected_batch(chosen) == str(newer_draft.id)


def test_without_confirmed_applicants_the_scores_page_prefers_a_published_batch(world, client, auth):
    published = BatchFactory(name="已发布住培批次", program=Program.RESIDENCY, status=BatchStatus.OPEN)
    BatchFactory(name="未发布住培批次", program=Program.RESIDENCY, status=BatchStatus.DRAFT)
    db.session.commit()
    auth.login("province", PASSWORD)
    assert selected_batch(client.get("/admin/scores/").get_data(as_text=True)) == str(published.id)


def test_recording_a_report_asks_for_confirmation_first(world, client, auth):
    application = residency_application(world, status=Status.ADMITTED)
    auth.login("base_zz", PASSWORD)
    html = client.get("/admin/application/").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-confirm="([^"]*)"[^>]*>(?:(?!</form>).)*</form>', html, re.S)
    assert form and form.group(1) == "确认该学员已到基地报到？此操作在此无法撤销。"
    assert 'value="report"' in form.group(0) and f'name="ids" value="{application.id}"' in form.group(0)
    questions = json.loads(unescape(re.search(r'id="actions-confirmation-data"[^>]*>(.*?)</div>', html).group(1)))
    assert questions["report"] == "确认选中的学员已到基地报到？此操作在此无法撤销。"  # the bulk action's question

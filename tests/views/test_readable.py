"""Readable everywhere: every back-office page of each role (lists, create and edit forms, the details
of a sample record) and the portal pages show no ``snake_case`` identifier and no English word outside
the user's own data."""
import json
import re
from html import unescape as html_unescape
from urllib.parse import urlsplit

from app.extensions import db
from app.infra.audit import acting_as
from models import Account, Application, Attachment, ExemptionRequest, Licence, Status, Trainee
from tests.catalogue import identifiers_on_page, links_on_page
from tests.factories import PASSWORD

STAFF = ("super", "province", "support", "county_zy", "city_zz", "base_zz")
RECORD_PAGE = re.compile(r"^/admin/[a-z_]+/((edit|details)/\?id=\d+|new/)")
SKIP = re.compile(r"/(export|logout|files|reveal|download|pdf)|[?&](export|flt\d|sort)|/static/")


def own_data() -> set[str]:
    """What the world's users typed or were given: usernames, names, units, emails."""
    data = {a.username for a in db.session.query(Account)} | {a.display_name or "" for a in db.session.query(Account)}
    for trainee in db.session.query(Trainee):
        data |= {trainee.name or "", trainee.email or ""}
    data |= {licence.practice_number or "" for licence in db.session.query(Licence)}
    data |= {attachment.original_name for attachment in db.session.query(Attachment)}
    return {d for d in data if d}


def pages_of(client, start: str = "/admin/", prefix: str = "/admin/") -> dict[str, str]:
    """The back office as a user walks it: the start page, each page linked from its menu, and from
    each list the first record's edit and details pages and the create form."""
    seen: dict[str, str] = {}
    queue = [start]
    record_pages: dict[str, int] = {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        seen[url] = html
        for href in links_on_page(html):
            parts = urlsplit(href)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.netloc or not path.startswith(prefix) or SKIP.search(path) or path in seen:
                continue
            view = path.split("/")[2] if path.count("/") > 2 else path
            if RECORD_PAGE.match(path):
                kind = (view, path.split("/")[3])
                if record_pages.get(kind):
                    continue
                record_pages[kind] = 1
            elif "?" in path or path.count("/") > 4:
                continue
            queue.append(path)
    return seen


def audited_changes(world) -> None:
    """An update, a creation and a deletion in the audit log, with statuses, enumerations and yes/no values."""
    with acting_as(world.accounts["super"], "测试"):
        application = db.session.get(Application, world.applications["zy"].id)
        application.status = Status.CITY_APPROVED
        trainee = db.session.get(Trainee, world.trainees["zy"].id)
        trainee.gender = "female" if trainee.gender != "female" else "male"
        trainee.is_graduate_student = not trainee.is_graduate_student
        db.session.delete(db.session.query(ExemptionRequest).filter_by(application_id=application.id).one())
        db.session.flush()
    db.session.commit()


def test_every_back_office_page_of_each_role_reads_in_chinese(world, client, auth):
    audited_changes(world)
    data = own_data()
    problems = {}
    for username in STAFF:
        auth.login(username, PASSWORD)
        pages = pages_of(client)
        assert len(pages) > 3, username
        for url, html in pages.items():
            found = identifiers_on_page(html, data)
            if found:
                problems[f"{username} {url}"] = found
        auth.logout()
    assert problems == {}


def test_portal_pages_read_in_chinese(world, client, auth):
    data = own_data()
    auth.login("trainee_zy", PASSWORD)
    pages = pages_of(client, "/portal/", prefix="/portal/")
    for tab in ("basic", "contact", "education", "employment", "licence"):
        assert f"/portal/profile/{tab}" in pages
    assert f"/portal/applications/{world.applications['zy'].id}" in pages
    problems = {url: found for url, html in pages.items() if (found := identifiers_on_page(html, data))}
    assert problems == {}
    assert all(">学员报名</a>" in html for html in pages.values())  # the menu's way to apply


def test_flask_admin_phrases_read_in_the_platform_wording(world, client, auth):
    auth.login("county_zy", PASSWORD)
    html = client.get("/admin/application/").get_data(as_text=True)
    for phrase in ("每页 20 条", "每页 50 条", "批量操作", "20 条/页"):
        assert phrase in html
    for awkward in ("20 项目", "选中的", "表中没有任何记录"):
        assert awkward not in html
    # the filter form's button (shown once a filter is added) applies the filters; "学员报名" is the portal's
    apply_button = re.search(r'<form id="filter_form".*?<button type="submit"[^>]*>(.*?)</button>', html, re.S)
    assert apply_button.group(1).strip() == "应用"
    auth.logout()
    auth.login("province", PASSWORD)
    empty = client.get("/admin/audit_log/").get_data(as_text=True)
    assert "暂无记录" in empty and "表中没有任何记录" not in empty
    groups = re.search(r'id="filter-groups-data"[^>]*>(.*?)</', empty, re.S).group(1)
    operations = {option["operation"] for options in json.loads(html_unescape(groups)).values() for option in options}
    assert "等于" in operations and "equals" not in operations


def test_review_records_and_the_audit_log_name_actions_tables_fields_and_values_in_chinese(world, client, auth):
    audited_changes(world)
    auth.login("province", PASSWORD)
    records = client.get("/admin/review_record/").get_data(as_text=True)
    assert "区县审核通过" in records and "county_approve" not in records
    log = client.get("/admin/audit_log/?page_size=100").get_data(as_text=True)
    for chinese in ("报名", "学员", "减免申请", "状态", "性别", "待分配基地", "女", "是", "删除"):
        assert chinese in log, chinese
    for raw in ("application", "exemption_request", "city_approved", "gender", "female", "True"):
        assert f">{raw}<" not in log and f"{raw}：" not in log, raw


def test_the_batch_details_name_the_tie_break_order_in_words(world, client, auth):
    auth.login("province", PASSWORD)
    html = client.get(f"/admin/batch/details/?id={world.batches['gp'].id}").get_data(as_text=True)
    assert "理论成绩高者优先 → 技能成绩高者优先 → 报名提交时间早者优先 → 报名编号小者优先" in html.replace("&gt;", ">")
    assert "theory,skills,submitted_at" not in html


def test_the_profile_tab_strip_says_that_it_scrolls_on_a_phone(world, client, auth):
    auth.login("trainee_zy", PASSWORD)
    html = client.get("/portal/profile/licence").get_data(as_text=True)
    hint = re.search(r'<p class="profile-tabs-hint d-sm-none"[^>]*>([^<]*)</p>', html)
    assert hint and "左右滑动标签，查看全部 5 项" in hint.group(1)

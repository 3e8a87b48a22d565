"""Notices (通知公告): publishing to one's own scope, who sees them (portal home, login page), safe
formatting, attachments checked as uploads are, read receipts of 须阅读 notices, bad input."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.domain.notices import render_body
from app.extensions import db
from models import Account, Attachment, Notice, NoticeRead, Role
from models.enums import NoticeLevel
from tests.factories import PASSWORD, AccountFactory
from tests.files import HUGE, pdf_pages
from tests.forms import post
from tests.notice_helpers import notice, post_files
from tests.queries import statements_for


def html(response) -> str:
    return response.get_data(as_text=True)


def test_markdown_is_rendered_and_script_handlers_javascript_links_and_raw_html_are_neutralised():
    body = ("**加粗** 和 *斜体*\n\n- 第一条\n- 第二条\n\n[报名入口](https://kjjy.hnwsjk.cn)\n\n"
            "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[点我](javascript:alert(1))\n\n"
            "<a href=\"javascript:alert(2)\" onclick=\"alert(3)\">链接</a>\n\n<iframe src=\"https://evil.example\"></iframe>"
            "\n\n<b onmouseover=alert(4)>粗</b>")
    out = str(render_body(body))
    assert "<strong>加粗</strong>" in out and "<em>斜体</em>" in out and "<li>第一条</li>" in out
    assert 'href="https://kjjy.hnwsjk.cn"' in out and 'rel="noopener noreferrer nofollow"' in out
    tags = re.findall(r"<[^>]*>", out)  # the real tags: escaped text (&lt;…) is not one
    names = {re.match(r"</?([a-z0-9]+)", tag).group(1) for tag in tags}
    assert names <= {"p", "strong", "em", "ul", "li", "a"}, names
    for tag in tags:
        assert not re.search(r"\son\w+\s*=", tag) and "javascript:" not in tag.lower(), tag
    assert "&lt;script&gt;" in out  # raw HTML is shown as text, never run
    assert '<a rel="noopener noreferrer nofollow">点我</a>' in out  # the javascript: link lost its target
    assert str(render_body("a\x00b")) == "<p>ab</p>"


def test_a_county_notice_reaches_only_that_county(world, client, auth):
    auth.login("county_zy", PASSWORD)
    response = post(client, "/admin/notice/new/", {
        "title": "中原区住培报名提醒", "body": "请**中原区**学员尽快报名。", "program": "residency",
        "publish_at": "2020-01-01 00:00:00", "expires_at": "", "pinned": "y"})
    assert response.status_code == 302, html(response)
    row = db.session.scalars(select(Notice)).one()
    assert (row.level, row.region_id, row.program) == (NoticeLevel.COUNTY, world.regions["zy"].id, "residency")
    auth.logout()

    auth.login("trainee_zy", PASSWORD)
    home = html(client.get("/portal/"))
    assert "中原区住培报名提醒" in home
    page = html(client.get(f"/notices/{row.id}"))
    assert "<strong>中原区</strong>" in page and "中原区卫生健康委" in page
    auth.logout()
    # 金水区 is in the same city, 西工区 in another: neither sees it
    for username in ("trainee_js", "trainee_xg"):
        auth.login(username, PASSWORD)
        assert "中原区住培报名提醒" not in html(client.get("/portal/"))
        assert client.get(f"/notices/{row.id}").status_code == 404
        auth.logout()
    assert client.get(f"/notices/{row.id}").status_code == 404  # not public
    assert "中原区住培报名提醒" not in html(client.get("/login"))
    # another county's staff cannot manage it
    auth.login("county_xg", PASSWORD)
    assert "中原区住培报名提醒" not in html(client.get("/admin/notice/"))
    assert client.get(f"/admin/notice/edit/?id={row.id}").status_code in (302, 404)
    auth.logout()


def test_a_city_and_a_base_notice_reach_their_own(world, client, auth):
    city = notice("郑州市通知", NoticeLevel.CITY, region=world.regions["zz"])
    base = notice("郑州基地通知", NoticeLevel.BASE, base=world.bases["zz"])
    seen = {}
    for key in ("zy", "js", "xg"):
        auth.login(f"trainee_{key}", PASSWORD)
        seen[key] = html(client.get("/portal/"))
        auth.logout()
    assert city.title in seen["zy"] and city.title in seen["js"] and city.title not in seen["xg"]
    # the base's notice reaches the trainees with a submitted application to the base (zy: assigned there)
    assert base.title in seen["zy"] and base.title not in seen["js"] and base.title not in seen["xg"]
    auth.login("base_ly", PASSWORD)
    inbox = html(client.get("/admin/notices-inbox/"))
    assert city.title not in inbox and base.title not in inbox
    auth.logout()
    auth.login("base_zz", PASSWORD)
    inbox = html(client.get("/admin/notices-inbox/"))
    assert city.title in inbox and base.title in inbox


def test_the_login_page_shows_current_province_notices_pinned_first(world, client):
    notice("普通通知", publish_in=timedelta(hours=-1))
    notice("置顶通知", publish_in=timedelta(days=-5), pinned=True)
    notice("已过期通知", publish_in=timedelta(days=-10), expires_in=timedelta(minutes=-1))
    notice("未发布通知", publish_in=timedelta(hours=1))
    notice("区县通知", NoticeLevel.COUNTY, region=world.regions["zy"])
    page = html(client.get("/login"))
    assert page.index("置顶通知") < page.index("普通通知")
    for hidden in ("已过期通知", "未发布通知", "区县通知"):
        assert hidden not in page
    hidden = db.session.scalar(select(Notice.id).where(Notice.title == "未发布通知"))
    assert client.get(f"/notices/{hidden}").status_code == 404


def test_attachments_are_checked_and_downloaded_within_the_notice_scope(world, client, auth):
    county = notice("中原区附件通知", NoticeLevel.COUNTY, region=world.regions["zy"])
    public = notice("全省附件通知")
    auth.login("county_zy", PASSWORD)
    for data, name in ((b"MZ\x90\x00 not a document", "名单.exe"), (b"<html><script>alert(1)</script></html>", "a.pdf"),
                       (b"", "空.pdf")):
        response = post_files(client, county.id, [(data, name)])
        assert response.status_code == 302
        page = html(client.get(f"/admin/notice/details/?id={county.id}"))
        assert name in page and ("PDF" in page or "图片" in page or "文件" in page)
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.notice_id.is_not(None))) == 0
    # a good PDF with a bad file: nothing is kept
    post_files(client, county.id, [(pdf_pages(1), "名单.pdf"), (b"plain text", "说明.txt")])
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(Attachment.notice_id.is_not(None))) == 0
    post_files(client, county.id, [(pdf_pages(1), "中原区名单.pdf")])
    attachment = db.session.scalars(select(Attachment).where(Attachment.notice_id == county.id)).one()
    # another county cannot even post files to it
    auth.logout()
    auth.login("county_xg", PASSWORD)
    assert post_files(client, county.id, [(pdf_pages(1), "x.pdf")], page="/admin/notice/").status_code == 404
    assert client.get(f"/files/{attachment.id}").status_code == 404
    auth.logout()

    auth.login("trainee_zy", PASSWORD)
    assert "中原区名单.pdf" in html(client.get(f"/notices/{county.id}"))
    response = client.get(f"/notices/{county.id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get(f"/notices/{public.id}/files/{attachment.id}").status_code == 404  # not the notice's file
    auth.logout()
    auth.login("trainee_js", PASSWORD)
    assert client.get(f"/notices/{county.id}/files/{attachment.id}").status_code == 404
    assert client.get(f"/files/{attachment.id}").status_code == 404
    auth.logout()
    assert client.get(f"/notices/{county.id}/files/{attachment.id}").status_code == 404
    assert client.get(f"/notices/{HUGE}").status_code == 404


def test_read_receipts_show_which_of_ones_own_staff_read_a_must_read_notice(world, client, auth):
    AccountFactory(username="province_2", role=Role.PROVINCE_ADMIN, display_name="省级二号")
    db.session.commit()
    row = notice("必读：年度工作安排", must_read=True)
    auth.login("province_2", PASSWORD)
    assert "必读：年度工作安排" in html(client.get("/admin/notices-inbox/"))
    client.get(f"/notices/{row.id}")
    client.get(f"/notices/{row.id}")  # read once
    auth.logout()
    auth.login("city_zz", PASSWORD)
    client.get(f"/notices/{row.id}")  # a city reviewer reads it too, but is not the province's staff
    assert client.get(f"/admin/notice/details/?id={row.id}").status_code in (302, 404)
    auth.logout()
    assert db.session.scalar(select(func.count()).select_from(NoticeRead)) == 2
    auth.login("province", PASSWORD)
    page = html(client.get(f"/admin/notice/details/?id={row.id}"))
    receipts = page[page.index("notice-receipts"):]
    assert "省级二号" in receipts and "未读" in receipts
    assert "city_zz" not in receipts
    province = db.session.scalar(select(Account).where(Account.username == "province"))
    assert (province.display_name or "province") in receipts


def test_roles_that_do_not_publish_and_bad_input(world, client, auth):
    auth.login("support", PASSWORD)
    assert client.get("/admin/notice/").status_code == 403
    auth.logout()
    auth.login("trainee_zy", PASSWORD)
    assert client.get("/admin/notice/new/").status_code in (302, 403)
    auth.logout()
    auth.login("province", PASSWORD)
    form = {"title": "标题", "body": "正文", "program": "", "publish_at": "2026-01-02 00:00:00",
            "expires_at": "2026-01-01 00:00:00"}
    page = html(post(client, "/admin/notice/new/", form))
    assert "过期时间必须晚于发布时间" in page and "正文" in page
    page = html(post(client, "/admin/notice/new/", {**form, "title": "有\x00空字符", "expires_at": ""}))
    assert "不可见控制字符" in page
    page = html(post(client, "/admin/notice/new/", {**form, "title": "   ", "expires_at": ""}))
    assert "请填写标题" in page or "必填" in page
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert client.get(f"/admin/notice/details/?id={HUGE}").status_code in (302, 404)
    assert post_files(client, HUGE, [(pdf_pages(1), "x.pdf")], page="/admin/notice/").status_code == 404


def test_deleting_a_notice_removes_its_files_and_the_attachment_list_still_opens(world, client, auth):
    row = notice("待删除通知")
    auth.login("province", PASSWORD)
    post_files(client, row.id, [(pdf_pages(1), "附件.pdf")])
    attachment_id = db.session.scalars(select(Attachment.id).where(Attachment.notice_id == row.id)).one()
    assert client.get("/admin/attachment/").status_code == 200
    assert client.get(f"/files/{attachment_id}").status_code == 200  # the publisher's own notice
    assert "待删除通知" in html(client.get("/admin/notice/"))
    response = post(client, "/admin/notice/delete/", {"id": str(row.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment).where(
        Attachment.id == attachment_id)) == 0


def test_the_portal_home_runs_a_fixed_number_of_statements_whatever_the_notices(world, client, auth):
    notice("第一条通知")
    auth.login("trainee_zy", PASSWORD)
    one, page = statements_for(client, "/portal/")
    assert "第一条通知" in page
    for n in range(4):
        notice(f"更多通知{n}", NoticeLevel.COUNTY, region=world.regions["zy"], must_read=True)
    many, page = statements_for(client, "/portal/")
    assert "更多通知3" in page and many == one

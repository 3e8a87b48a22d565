"""Uploaded PDFs (issue 11, item 6): never shown by the browser's own viewer, always downloaded as
an attachment in a sandbox; reviewers (and the trainee) see the first pages as PNG images rendered
on the server (app/infra/pdf_preview.py), behind the file's own scope check; a broken PDF shows a
Chinese message. Ids past 64 bits are 404, not 500 (item 8)."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import pdf_preview, storage
from app.infra.filestore import store
from models import Attachment
from tests.factories import PASSWORD
from tests.files import BROKEN_PDF, HUGE, JS_PDF, UNREADABLE, assert_file_headers, pdf_pages, save_pdf
from tests.flows import applicant, upload  # noqa: F401
from tests.flows import start_gp as start

pytestmark = pytest.mark.usefixtures("file_backend")  # the upload folder and an S3 bucket (tests/conftest.py)


def login(auth, username: str) -> None:
    response = auth.login(username, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location, username


def details(client, application_id) -> str:
    response = client.get(f"/admin/application/details/?id={application_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def page_urls(html: str, attachment_id: int) -> list[str]:
    return re.findall(rf'<img loading="lazy" src="(/files/{attachment_id}/page/\d+\.png)"', html)


@pytest.mark.parametrize("user", ["trainee_zy", "county_zy"])
def test_a_pdf_with_javascript_downloads_as_an_attachment_in_a_sandbox(auth, client, world, user):
    attachment = save_pdf(world, JS_PDF, "带脚本.pdf")
    login(auth, user)
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 200 and response.data == JS_PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert_file_headers(response)


def test_the_platforms_own_images_stay_inline_but_sandboxed(auth, client, world):
    image = io.BytesIO()
    Image.new("RGB", (200, 150), (10, 120, 200)).save(image, "PNG")
    photo = storage.save(FileStorage(io.BytesIO(image.getvalue()), filename="照片.png"), "photo",
                         world.trainees["zy"], uploaded_by=world.accounts["trainee_zy"])
    db.session.commit()
    login(auth, "county_zy")
    for url in (f"/files/{photo.id}", f"/files/{photo.id}?thumb=1"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("inline;")
        assert_file_headers(response)


def test_reviewers_see_the_first_pages_of_a_multi_page_pdf_as_images(auth, client, world):
    attachment = save_pdf(world, pdf_pages(5))
    login(auth, "county_zy")
    html = details(client, world.applications["zy"].id)
    urls = page_urls(html, attachment.id)
    assert urls == [f"/files/{attachment.id}/page/{n}.png" for n in (1, 2, 3)]
    assert "仅显示前 3 页（共 5 页），完整内容请下载查看。" in html
    assert f'href="/files/{attachment.id}">下载 PDF</a>' in html
    assert "第 2 页" in html
    images = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/png", url
        assert response.headers["Content-Disposition"].startswith("inline")
        assert_file_headers(response)
        with Image.open(io.BytesIO(response.data)) as image:
            assert image.format == "PNG" and max(image.size) == 1600 and image.size[0] < image.size[1]
            images.append(image.convert("L").tobytes())
    assert len(set(images)) == 3  # three different pages, not one page three times
    assert client.get(f"/files/{attachment.id}/page/4.png").status_code == 404  # past the shown pages
    assert client.get(f"/files/{attachment.id}/page/0.png").status_code == 404


def test_rendered_pages_are_kept_and_go_with_the_file(auth, client, world, monkeypatch):
    attachment = save_pdf(world, pdf_pages(2))
    login(auth, "county_zy")
    first = client.get(f"/files/{attachment.id}/page/2.png")
    assert first.status_code == 200
    kept = storage.derived_name(attachment, ".page2.png")
    assert store().exists(kept)

    def no_worker(*args, **kwargs):
        raise AssertionError("the page was rendered again")
    monkeypatch.setattr(pdf_preview.subprocess, "run", no_worker)
    assert client.get(f"/files/{attachment.id}/page/2.png").data == first.data
    assert page_urls(details(client, world.applications["zy"].id), attachment.id)[-1].endswith("/page/2.png")

    storage.delete(db.session.get(Attachment, attachment.id))
    db.session.commit()
    assert store().names_with_stem(kept.split(".")[0]) == []
    assert not any(name.startswith(kept.split(".")[0]) for name in store().names())


def test_the_number_of_pages_and_their_size_are_settings(app, auth, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_PREVIEW_PAGES", 1)
    monkeypatch.setitem(app.config, "PDF_PREVIEW_MAX_SIDE", 400)
    attachment = save_pdf(world, pdf_pages(3))
    login(auth, "county_zy")
    assert len(page_urls(details(client, world.applications["zy"].id), attachment.id)) == 1
    with Image.open(io.BytesIO(client.get(f"/files/{attachment.id}/page/1.png").data)) as image:
        assert max(image.size) == 400
    assert client.get(f"/files/{attachment.id}/page/2.png").status_code == 404


def test_a_huge_page_is_rendered_within_the_pixel_bound(auth, client, world):
    attachment = save_pdf(world, pdf_pages(1, size=(5000, 5000)))  # 5 m square
    login(auth, "county_zy")
    with Image.open(io.BytesIO(client.get(f"/files/{attachment.id}/page/1.png").data)) as image:
        assert image.size == (1600, 1600)


def test_a_broken_pdf_shows_a_chinese_message_not_an_error(auth, client, world):
    attachment = save_pdf(world, BROKEN_PDF, "坏文件.pdf")
    login(auth, "county_zy")
    html = details(client, world.applications["zy"].id)
    assert UNREADABLE in html and page_urls(html, attachment.id) == []
    assert f'href="/files/{attachment.id}">下载 PDF</a>' in html  # it can still be downloaded
    response = client.get(f"/files/{attachment.id}/page/1.png")
    assert response.status_code == 422 and UNREADABLE in response.get_data(as_text=True)
    assert client.get(f"/files/{attachment.id}").status_code == 200


def test_rendering_that_takes_too_long_is_stopped_with_the_message(app, auth, client, world, monkeypatch):
    attachment = save_pdf(world, pdf_pages(2))
    monkeypatch.setitem(app.config, "PDF_PREVIEW_TIMEOUT", 0.001)
    login(auth, "county_zy")
    assert UNREADABLE in details(client, world.applications["zy"].id)
    monkeypatch.setitem(app.config, "PDF_PREVIEW_TIMEOUT", 10)  # not kept as broken: it renders later
    assert len(page_urls(details(client, world.applications["zy"].id), attachment.id)) == 2


@pytest.mark.parametrize("user", ["county_xg", "city_ly", "base_ly", "trainee_js", "trainee_xg"])
def test_page_images_have_the_scope_of_the_file(auth, client, world, user):
    attachment = save_pdf(world, pdf_pages(1))
    login(auth, user)
    assert client.get(f"/files/{attachment.id}/page/1.png").status_code == 404


def test_page_images_need_a_login(client, world):
    attachment = save_pdf(world, pdf_pages(1))
    response = client.get(f"/files/{attachment.id}/page/1.png")
    assert response.status_code == 302 and "/login" in response.location


def test_an_image_has_no_page_images(auth, client, world):
    login(auth, "trainee_zy")
    assert client.get(f"/files/{world.attachments['zy'].id}/page/1.png").status_code == 404


def test_the_trainee_sees_the_pages_of_an_uploaded_pdf_while_applying(world, client, applicant):  # noqa: F811
    application = start(client, world)
    response = upload(client, f"/portal/applications/{application.id}/files", pdf_pages(2), "外出参培证明.pdf",
                      kind="outing_proof")
    assert response.status_code == 302
    attachment = db.session.scalar(select(Attachment).where(Attachment.application_id == application.id))
    pages = [client.get(f"/portal/applications/{application.id}/step/{step}").get_data(as_text=True)
             for step in (3, 4, 5)]
    html = next(page for page in pages if f"/files/{attachment.id}/page/1.png" in page)
    assert page_urls(html, attachment.id) == [f"/files/{attachment.id}/page/{n}.png" for n in (1, 2)]
    assert "下载 PDF" in html
    assert client.get(f"/files/{attachment.id}/page/2.png").status_code == 200


@pytest.mark.parametrize("url", [f"/files/{HUGE}", f"/files/{HUGE}?thumb=1", f"/files/{HUGE}/page/1.png",
                                 f"/files/1/page/{HUGE}.png", f"/files/{2**31}", f"/files/{2**63}",
                                 f"/files/{2**64}"])
def test_ids_past_the_id_column_are_404(auth, client, world, url):
    login(auth, "province")
    response = client.get(url)
    assert response.status_code == 404
    assert "页面或记录不存在" in response.get_data(as_text=True)


def test_a_huge_step_number_in_the_portal_is_404(world, client, applicant):  # noqa: F811
    application = start(client, world)
    assert client.get(f"/portal/applications/{application.id}/step/{HUGE}").status_code == 404

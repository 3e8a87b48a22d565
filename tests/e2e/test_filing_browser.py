"""专硕备案 in Chromium: a university administrator files a student on a phone, imports a file with a
bad row, and the province and the base read the result (screenshots at 390 and 1280 px)."""
from __future__ import annotations

from datetime import date

from app.extensions import db
from models import MasterFiling
from tests.browser import browser_page, live_server, log_in, shoot, submit_in  # noqa: F401
from tests.factories import id_number
from tests.filing_helpers import YEAR, at, universities, workbook  # noqa: F401  (universities is a fixture)




def test_a_university_files_its_students_in_chromium(universities, live_server, browser_page, monkeypatch, tmp_path):
    page, base = browser_page, live_server
    at(monkeypatch, date(YEAR, 7, 1))
    log_in(page, base, "univ_zz")
    assert "专硕备案" in page.content() and "备案开放至 2024-08-10（含当天）" in page.content()
    number = id_number("410102")
    page.fill("#f-name", "王晓明")
    page.fill("#f-id_number", number)
    page.select_option("#f-major", "clinical")
    page.select_option("#f-base_id", label="测试基地郑州")
    page.select_option("#f-specialty_id", label="内科")
    submit_in(page, "form.filing-form")
    assert "王晓明 已备案。" in page.content() and number not in page.content()
    shoot(page, "filing-01-university-filed")

    page.select_option("#f-base_id", label="测试基地洛阳")  # another city, no approval
    page.fill("#f-name", "李佳怡")
    page.fill("#f-id_number", id_number("410102"))
    page.select_option("#f-specialty_id", label="内科")
    submit_in(page, "form.filing-form")
    assert "跨市培养须先报省卫健委审核" in page.content() and page.input_value("#f-name") == "李佳怡"
    shoot(page, "filing-02-cross-city-refused")

    bad = tmp_path / "学生.xlsx"
    bad.write_bytes(workbook([["张子涵", id_number("410102"), "临床医学", YEAR, "测试基地郑州", "内科"],
                              ["赵一鸣", id_number("410102"), "中医学", YEAR, "测试基地郑州", "内科"]]))
    page.set_input_files("form.filing-import input[type=file]", str(bad))
    submit_in(page, "form.filing-import")
    assert "未备案任何学生：2 行中有 1 行不通过。" in page.content() and "中医类专业不予备案" in page.content()
    shoot(page, "filing-03-import-refused")
    db.session.expire_all()
    assert [f.name for f in db.session.query(MasterFiling)] == ["王晓明"]

    page.context.clear_cookies()
    log_in(page, base, "province")
    page.goto(base + "/admin/filing/")
    assert "郑州大学" in page.content() and "尚未备案" in page.content()
    shoot(page, "filing-04-province")

    page.context.clear_cookies()
    log_in(page, base, "base_zz")
    page.goto(base + "/admin/filing/")
    assert "王晓明" in page.content() and "无法接收" in page.content()
    shoot(page, "filing-05-base")

"""The quota grid in Chromium: the province administrator edits cells of a 38-base residency grid; a
text cell refuses the whole save and keeps what was typed; corrected, every cell is saved (screenshots at
390 and 1280 px)."""
from __future__ import annotations

from app.extensions import db
from models import Quota, Specialty
from models.enums import Program
from tests.browser import browser_page, live_server, log_in, shoot, submit_in  # noqa: F401
from tests.factories import BaseFactory, BatchFactory, region
from tests.quota_helpers import cell, quota_of


def big_grid():
    """38 residency bases × every specialty, 20 places each in the first 28 specialties."""
    batch = BatchFactory(name="2025年住院医师规范化培训招收", program=Program.RESIDENCY)
    specialties = list(db.session.scalars(db.select(Specialty).order_by(Specialty.code)))
    bases = [BaseFactory(name=f"河南省示例医院{n:02d}", city=region("410100"), trains_gp_transfer=False)
             for n in range(1, 39)]
    for base in bases:
        base.specialties = specialties[:30]
        db.session.add_all([Quota(batch=batch, base=base, specialty=s, capacity=20) for s in specialties[:28]])
    db.session.commit()
    return batch, bases, specialties


def test_the_province_edits_a_cell_and_saves(world, live_server, browser_page):
    page, server = browser_page, live_server
    batch, bases, specialties = big_grid()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{message.text} {(message.location or {}).get('url', '')}")
            if message.type == "error" and not (message.location or {}).get("url", "").endswith("/favicon.ico")
            else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    first, second = bases[0], bases[1]
    internal = specialties[0]
    log_in(page, server, "province")
    page.goto(f"{server}/admin/quota-grid/?batch={batch.id}")
    assert "名额表格" in page.content() and "河南省示例医院38" in page.content()
    shoot(page, "quota-01-grid")

    page.fill(f"#{cell(first, internal)}", "35")
    page.fill(f"#{cell(second, internal)}", "三十")
    row_total = page.locator(f'[data-total-of="{first.id}"]')
    assert row_total.inner_text() == str(20 * 27 + 35)  # the row's total follows the typing
    submit_in(page, "form.quota-grid-form", "保存全部名额")
    assert "未保存：有 1 个格子需要修改（红色标出）。" in page.content() and "名额请填写整数。" in page.content()
    assert page.input_value(f"#{cell(second, internal)}") == "三十"
    assert page.input_value(f"#{cell(first, internal)}") == "35"
    db.session.expire_all()
    assert quota_of(batch, first, internal) == 20  # nothing saved half-way
    page.locator(f"#{cell(second, internal)}").scroll_into_view_if_needed()
    shoot(page, "quota-02-refused")

    page.fill(f"#{cell(second, internal)}", "30")
    submit_in(page, "form.quota-grid-form", "保存全部名额")
    assert "已保存：修改名额 2 处。" in page.content()
    assert (quota_of(batch, first, internal), quota_of(batch, second, internal)) == (35, 30)
    shoot(page, "quota-03-saved")
    assert errors == []  # no script error, nothing the Content-Security-Policy blocked

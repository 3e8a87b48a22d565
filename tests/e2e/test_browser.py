"""The trainee's whole journey in a real headless Chromium (Debian's chromium, no skipping):
registration with the code from the SMS log, profile, uploads, an application with two
exemption types, submission and the status page — on a phone-sized screen, with screenshots
at 390 px and 1280 px wide kept in screenshots/browser/ for looking at."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain.support_contacts import seed_support_contacts
from app.extensions import db
from models import Application, Employment, ExemptionRequest, Status, Trainee
from tests.browser import SHOTS, browser_page, live_server, shoot, submit_in  # noqa: F401
from tests.factories import PASSWORD, id_number, specialty
from tests.flows import INTERNAL, PAEDIATRICS, ready_trainee, residency_batch
from tests.portal_helpers import last_code, png_bytes


def test_trainee_journey_in_chromium(world, live_server, browser_page, tmp_path):
    page, base = browser_page, live_server
    seed_support_contacts()
    db.session.commit()
    image = tmp_path / "证件照.png"
    image.write_bytes(png_bytes(300, 400))
    number = id_number("410102")

    # ① registration: identity verified by the code from the SMS log
    page.goto(base + "/portal/register")
    page.fill("#name", "浏览器学员")
    page.fill("#id_number", number)
    page.fill("#mobile", "13955556666")
    with page.expect_navigation():
        page.click("button[value=send_code]")
    assert page.locator("button[value=send_code]").is_disabled()  # the countdown runs
    shoot(page, "01-register")
    page.fill("#code", last_code("13955556666"))
    with page.expect_navigation():
        page.click("button[value=next]")
    # ② username and password
    page.fill("#username", "browser1")
    page.fill("#password", "Abc.12345")
    page.fill("#confirm", "Abc.12345")
    submit_in(page, "form:has(#username)")
    # ③ open 全科转岗培训 and choose 学员
    page.click("label[for=business-gp_transfer]")
    submit_in(page, "form:has(#business-gp_transfer)")
    assert "注册完成" in page.content()
    page.click("text=去登录")
    page.fill("#username", "browser1")
    page.fill("#password", "Abc.12345")
    submit_in(page, "form:has(#username)")
    assert "学员中心" in page.content()
    assert "0371-65998221" in page.inner_text("#support-contacts")  # 技术支持联系方式 at the foot

    # 我的业务: 全科转岗培训 opened at registration; 住院医师规范化培训 can be opened now
    page.click(".portal-nav a:has-text('我的业务')")
    assert "已开通" in page.inner_text("#business-gp_transfer")
    shoot(page, "01b-businesses")
    submit_in(page, "#business-residency form")
    assert "开通成功" in page.content() and "已开通" in page.inner_text("#business-residency")

    # 学员信息维护
    page.goto(base + "/portal/profile/basic")
    page.select_option("#gender", "male")
    page.fill("#ethnicity", "汉族")
    page.select_option("#political_status", "masses")
    submit_in(page, "form:has(#ethnicity)")
    page.set_input_files("form[action$='/profile/photo'] input[type=file]", str(image))
    assert page.locator("form[action$='/profile/photo'] .file-name").inner_text() == "证件照.png"
    submit_in(page, "form[action$='/profile/photo']")
    assert "照片上传成功" in page.content()
    page.goto(base + "/portal/profile/contact")
    page.fill("#address", "郑州市中原区测试路1号")
    page.fill("#emergency_contact", "家属")
    page.fill("#emergency_phone", "13700001111")
    submit_in(page, "form:has(#address)")
    page.goto(base + "/portal/profile/education")
    page.fill("#school", "测试医学院")
    page.fill("#major", "临床医学")
    page.select_option("#level", "bachelor")
    page.select_option("#degree", "bachelor")
    page.fill("#start_date", "2005-09-01")
    page.fill("#end_date", "2010-07-01")
    submit_in(page, "#row-form form")
    page.goto(base + "/portal/profile/employment")
    # 区县: the city first, then only that city's counties
    page.select_option("#region_city", "洛阳市")
    counties = page.locator("#region_id option").all_inner_texts()
    assert counties[0] == "请选择" and len(counties) > 1 and all("洛阳" in name for name in counties[1:])
    page.locator("#unit_name").press_sequentially("测试中原", delay=30)
    page.locator("#unit-suggestions button").first.click()
    # a directory unit brings its county, and the city choice follows
    assert page.locator("#region_city").input_value() == "郑州市"
    assert "中原区" in page.locator("#region_id option:checked").inner_text()
    assert not page.locator("#unit-level-group").is_visible()  # a directory unit brings its own level
    page.fill("#department", "全科医学科")
    page.select_option("#title", "attending")
    page.select_option("#title_grade", "intermediate")
    page.fill("#start_date", "2015-01-01")
    page.click("label[for=unit_has_independent_gp_dept]")
    page.click("label[for=in_independent_gp_dept]")
    shoot(page, "02-employment")
    submit_in(page, "#row-form form")
    assert "测试中原区卫生院" in page.content()
    page.goto(base + "/portal/profile/licence")
    page.click("label[for=has_licence-0]")
    submit_in(page, "form:has(#has_licence-0)")
    page.fill("#qualification_number", "110410000000001")
    page.select_option("#category", "clinical")
    page.select_option("#scope_id", label="临床 · 内科专业")
    submit_in(page, "#row-form form")
    assert "已保存" in page.content()

    # 学员报名 → 我要报名: batch, identity, confirmation, proof and two exemption types, specialty
    page.goto(base + "/portal/apply")
    submit_in(page, "form:has(input[name=batch_id])", "选择")
    submit_in(page, "main form", "下一步")
    submit_in(page, "main form", "下一步")
    page.set_input_files("#outing-proof input[type=file]", str(image))
    submit_in(page, "#outing-proof form")
    page.click("label[for=claims_exemption-0]")
    submit_in(page, "form:has(#claims_exemption-0)")
    for exemption_type, content, evidence in ((1, "基层医疗卫生实践", ("gp_work_proof", "title_cert")),
                                              (2, "全科医学基本理论知识培训", ("teacher_cert",))):
        page.select_option("#type", str(exemption_type))
        page.fill("#content", content)
        page.fill("#reason", "符合减免条件")
        if exemption_type == 2:
            page.fill("#certificate_date", "2021-06-01")
        submit_in(page, "form:has(#type)", "添加")
        request_id = db.session.scalar(select(ExemptionRequest.id).where(ExemptionRequest.type == exemption_type)
                                       .order_by(ExemptionRequest.id.desc()))
        for kind in evidence:
            upload_form = f"#exemption-{request_id} form:has(input[name=kind][value={kind}])"
            page.set_input_files(f"{upload_form} input[type=file]", str(image))
            submit_in(page, upload_form)
            assert "上传成功" in page.content()
    # 减免条件自查: every rule of both claims, and the reviewers decide
    precheck = page.inner_text("#exemption-precheck")
    assert "审核人员最终决定" in precheck and "（1）" in precheck and "（2）" in precheck
    assert page.locator("#exemption-precheck li").count() >= 4
    shoot(page, "03-apply-exemptions")
    with page.expect_navigation():
        page.click("a:has-text('下一步')")
    submit_in(page, "main form", "确认并返回")
    shoot(page, "04-before-submit")
    submit_in(page, "form[action$='/submit']")
    assert "提交成功" in page.content() and "待区县审核" in page.content()
    shoot(page, "05-submitted")

    trainee = db.session.scalar(select(Trainee).where(Trainee.id_number == number))
    application = db.session.scalar(select(Application).where(Application.trainee_id == trainee.id))
    assert application.status == Status.SUBMITTED
    assert sorted(r.type for r in application.exemptions) == [1, 2]
    assert all(r.rule_results for r in application.exemptions)

    # the county reviewer reads each rule's verdict, in Chinese, on the exemption's page
    submit_in(page, "form[action$='/logout']")
    page.fill("#username", "county_zy")
    page.fill("#password", PASSWORD)
    submit_in(page, "form:has(#username)")
    request = next(r for r in application.exemptions if r.type == 1)
    page.goto(f"{base}/admin/exemption_request/details/?id={request.id}")
    assert "规则核验结果" in page.content() and "基层医疗卫生机构" in page.content()
    shoot(page, "06-reviewer-rule-checks")


def test_residency_application_in_chromium(world, live_server, browser_page):
    """住培 on a phone: identity, one base, specialties filtered by that base in the page, the
    eligibility check, submission and the registration form."""
    page, base = browser_page, live_server
    batch = residency_batch(world)
    ready_trainee(world)
    page.goto(base + "/login")
    page.fill("#username", "trainee_zy")
    page.fill("#password", PASSWORD)
    submit_in(page, "main form")
    page.goto(base + "/portal/apply")
    submit_in(page, f"form:has(input[name=batch_id][value='{batch.id}'])")

    # ② the commissioning unit appears only for 单位委派
    assert page.locator("#commissioning-unit").is_hidden()
    page.locator("label[for=identity-0]").click()
    assert page.locator("#commissioning-unit").is_visible()
    page.fill("#commissioning_unit", "测试委派医院")
    shoot(page, "residency-identity")
    submit_in(page, "main form")
    submit_in(page, "main form")  # ③ personal information as it stands

    # ④ the specialty lists offer only the chosen base's places
    zz, ly = world.bases["zz"], world.bases["ly"]
    page.select_option("#base_id", str(zz.id))
    offered = page.locator("#specialty-first option:not([hidden])[data-base]")
    assert offered.count() == 3 and set(offered.evaluate_all("o => o.map(x => x.dataset.base)")) == {str(zz.id)}
    page.select_option("#specialty-first", str(specialty(INTERNAL).id))
    page.select_option("#specialty-second", str(specialty(PAEDIATRICS).id))
    page.select_option("#base_id", str(ly.id))  # changing the base clears choices of the other base
    assert page.locator("#specialty-first").input_value() == ""
    page.select_option("#base_id", str(zz.id))
    page.select_option("#specialty-first", str(specialty(INTERNAL).id))
    page.check("#no_postgrad_pledge", force=True)
    shoot(page, "residency-choices")
    submit_in(page, "#residency-choices")

    # ⑤ every rule in Chinese, then back to the application and submit
    assert "✘" not in page.locator(".eligibility").inner_text()
    shoot(page, "residency-check")
    submit_in(page, "main form", "确认并返回")
    with page.expect_navigation():
        page.click("button:has-text('提交')")
    assert "待基地审核" in page.inner_text(".status-badge")
    shoot(page, "residency-submitted")
    href = page.get_attribute("#registration-form a", "href")
    response = page.request.get(base + href)
    assert response.status == 200 and response.body().startswith(b"%PDF")
    application = db.session.scalar(select(Application).where(Application.batch_id == batch.id))
    assert application.status == Status.SUBMITTED and application.base_id == zz.id


@pytest.mark.seed("工作单位可关键字搜索，如找不到可自行录入准确的单位名称")
def test_typed_work_unit_on_a_phone(world, live_server, browser_page):
    """工作单位可关键字搜索，如找不到可自行录入: a picked unit hides the level and kind; a typed one asks
    for them, and a refused form keeps what was typed."""
    page, base = browser_page, live_server
    page.goto(base + "/login")
    page.fill("#username", "trainee_zy")
    page.fill("#password", PASSWORD)
    submit_in(page, "main form")
    page.goto(base + "/portal/profile/employment")
    assert not page.locator("#unit-level-group").is_visible()  # nothing typed yet
    page.locator("#unit_name").press_sequentially("测试西工", delay=30)
    page.locator("#unit-suggestions button").first.click()
    assert not page.locator("#unit-level-group").is_visible() and page.locator("#unit-picked").is_visible()
    assert "基层医疗卫生机构" in page.locator("#unit-picked").inner_text()
    page.locator("#unit_name").press("End")
    page.locator("#unit_name").press_sequentially("分院", delay=30)  # no longer the directory's name
    assert page.locator("#unit-level-group").is_visible() and not page.locator("#unit-picked").is_visible()
    page.fill("#department", "全科")
    page.select_option("#title", "attending")
    page.select_option("#title_grade", "intermediate")
    page.fill("#start_date", "2018-05-01")
    submit_in(page, "#row-form form")
    assert "自行录入的单位，请选择单位级别。" in page.content() and "自行录入的单位，请选择单位类别。" in page.content()
    assert page.locator("#unit-level-group").is_visible()
    assert page.input_value("#unit_name") == "测试西工区卫生院分院" and page.input_value("#department") == "全科"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.select_option("#unit_level", "primary")
    page.select_option("#unit_kind", "township")
    submit_in(page, "#row-form form")
    assert "已保存" in page.content() and "测试西工区卫生院分院" in page.content()
    row = db.session.scalar(select(Employment).where(Employment.unit_name == "测试西工区卫生院分院"))
    assert (row.institution_id, row.unit_level, row.unit_kind) == (None, "primary", "township")


def test_batch_form_shows_only_the_programs_fields(world, live_server, browser_page):
    """A GP-transfer batch has no exams, confirmation or phases: the form hides those fields, and shows
    them again when the program is set to residency."""
    page, base = browser_page, live_server
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/login")
    page.fill("#username", "province")
    page.fill("#password", "Secret.123")
    submit_in(page, "form")
    page.goto(base + "/admin/batch/new/")
    exams = page.locator("fieldset.form-section", has=page.locator("#confirmation_deadline"))
    licence_year = page.locator(".form-group", has=page.locator("#licence_required_graduation_year"))
    page.evaluate("$('#program').val('gp_transfer').trigger('change')")
    assert exams.is_hidden() and licence_year.is_hidden()
    assert page.locator("#resubmission_deadline").is_visible() and page.locator("#plan_total").is_visible()
    assert page.locator("#phase_one_deadline").is_hidden()
    page.evaluate("$('#program').val('residency').trigger('change')")
    assert exams.is_visible() and licence_year.is_visible() and page.locator("#phase_one_deadline").is_visible()

"""Typed work units (自填): a trainee whose unit is not in the directory gives its level and kind; the
eligibility and exemption rules read them; reviewers see that the unit was typed in."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.domain.enrollment.snapshot import profile_snapshot
from app.domain.enrollment.snapshot_diff import is_typed_unit
from app.domain.rules.exemption import evaluate_exemption
from app.extensions import db
from models import Application, Employment, ExemptionRequest, Status, Trainee
from models.enums import InstitutionKind, InstitutionLevel, Program
from tests.catalogue import english_on_page, own_msgids, zh
from tests.conftest import csrf_token
from tests.factories import PASSWORD, BatchFactory, InstitutionFactory, specialty
from tests.flows import (
    INTERNAL,
    PAEDIATRICS,
    apply_residency,
    post_choices,
    ready_trainee,
    residency_batch,
    step_url,
    submit_application,
)
from tests.portal_helpers import png_bytes

SEARCH_OR_TYPE = "工作单位可关键字搜索，如找不到可自行录入准确的单位名称"
UPGRADED = "统招全日制专升本按本科毕业生对待，但仅限报紧缺专业或口腔全科（乡镇卫生院、社区服务中心在职人员不受此限制）"
NEW = "/portal/profile/employment/new"
NEED_LEVEL = "For a unit typed in by hand, choose its level."
NEED_KIND = "For a unit typed in by hand, choose its kind."


def text(response) -> str:
    return response.get_data(as_text=True)


def errors(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", e).strip() for e in re.findall(r'invalid-feedback d-block[^"]*">(.*?)</div>', html, re.S)]


def selected(html: str, name: str) -> str | None:
    """The selected option's value of the select ``name``."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    match = re.search(r'<option[^>]*selected[^>]*value="([^"]*)"|<option[^>]*value="([^"]*)"[^>]*selected', select_html)
    return (match.group(1) or match.group(2)) if match else None


def hidden_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    match = re.search(r'value="([^"]*)"', tag)
    return match.group(1) if match else ""


def job(world, client, **fields) -> dict:
    data = {"unit_name": "某某镇卫生院", "region_id": str(world.regions["js"].id), "department": "全科",
            "title": "attending", "title_grade": "intermediate", "start_date": "2015-01-01", "is_current": "y",
            "csrf_token": csrf_token(client, "/portal/profile/employment")}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def employments(trainee_key_or_id) -> list[Employment]:
    return list(db.session.scalars(select(Employment).where(Employment.trainee_id == trainee_key_or_id)
                                   .order_by(Employment.id)))


@pytest.fixture
def trainee_client(world, client, auth):
    auth.login("trainee_zy", PASSWORD)
    return client


# --- the employment form ----------------------------------------------------------------------------

@pytest.mark.seed(SEARCH_OR_TYPE)
def test_a_typed_unit_without_level_and_kind_is_refused_and_keeps_what_was_typed(world, trainee_client):
    client, trainee_id = trainee_client, world.trainees["zy"].id
    before = len(employments(trainee_id))
    response = client.post(NEW, data=job(world, client, unit_name="  新建的某镇卫生院  ", department="全科医学科",
                                         start_date="2016-03-01"))
    html = text(response)
    assert response.status_code == 400
    assert zh(NEED_LEVEL) in errors(html) and zh(NEED_KIND) in errors(html)
    assert 'value="  新建的某镇卫生院  "' in html or 'value="新建的某镇卫生院"' in html
    assert 'value="全科医学科"' in html and 'value="2016-03-01"' in html
    assert selected(html, "region_id") == str(world.regions["js"].id)
    assert selected(html, "title") == "attending" and selected(html, "title_grade") == "intermediate"
    assert len(employments(trainee_id)) == before

    # the level alone is not enough; the chosen level stays chosen
    response = client.post(NEW, data=job(world, client, unit_level=InstitutionLevel.PRIMARY))
    html = text(response)
    assert response.status_code == 400
    assert zh(NEED_KIND) in errors(html) and zh(NEED_LEVEL) not in errors(html)
    assert selected(html, "unit_level") == InstitutionLevel.PRIMARY
    response = client.post(NEW, data=job(world, client, unit_kind=InstitutionKind.TOWNSHIP))
    assert response.status_code == 400 and zh(NEED_LEVEL) in errors(text(response))
    assert selected(text(response), "unit_kind") == InstitutionKind.TOWNSHIP
    assert len(employments(trainee_id)) == before


@pytest.mark.seed(SEARCH_OR_TYPE)
def test_a_typed_unit_with_level_and_kind_is_stored_as_typed(world, trainee_client):
    client, trainee_id = trainee_client, world.trainees["zy"].id
    response = client.post(NEW, data=job(world, client, unit_name=" 某某镇卫生院 ", unit_level="primary",
                                         unit_kind="township"))
    assert response.status_code == 302
    row = employments(trainee_id)[-1]
    assert (row.unit_name, row.institution_id, row.unit_level, row.unit_kind, row.region_id) == (
        "某某镇卫生院", None, "primary", "township", world.regions["js"].id)
    snapshot = profile_snapshot(db.session.get(Trainee, trainee_id))
    frozen = [e for e in snapshot["employments"] if e["unit_name"] == "某某镇卫生院"][0]
    assert (frozen["unit_level"], frozen["unit_kind"], frozen["unit_typed"]) == ("primary", "township", True)
    html = text(client.get("/portal/profile/employment"))
    assert zh("Typed in") in html and "基层医疗卫生机构 · 乡镇卫生院" in html

    # editing shows the level and kind chosen
    html = text(client.get(f"/portal/profile/employment/{row.id}/edit"))
    assert selected(html, "unit_level") == "primary" and selected(html, "unit_kind") == "township"


@pytest.mark.seed(SEARCH_OR_TYPE)
def test_a_directory_unit_ignores_a_posted_level_and_kind(world, trainee_client):
    client, trainee_id = trainee_client, world.trainees["zy"].id
    unit = InstitutionFactory(name="目录中的人民医院", region=world.regions["xg"], level=InstitutionLevel.TERTIARY,
                              kind=InstitutionKind.HOSPITAL)
    db.session.commit()
    found = client.get("/portal/institutions?q=目录中的").get_json()
    assert found == [{"id": unit.id, "name": "目录中的人民医院", "level": "三级医院", "kind": "医院",
                      "region_id": world.regions["xg"].id, "region": "洛阳市西工区"}]
    # picked from the directory: no level or kind needed, and the posted ones are not kept
    response = client.post(NEW, data=job(world, client, unit_name=unit.name, institution_id=str(unit.id)))
    assert response.status_code == 302
    response = client.post(NEW, data=job(world, client, unit_name=unit.name, institution_id=str(unit.id),
                                         unit_level="primary", unit_kind="township"))
    assert response.status_code == 302
    rows = employments(trainee_id)[-2:]
    for row in rows:
        assert (row.institution_id, row.unit_level, row.unit_kind, row.region_id) == (
            unit.id, None, None, world.regions["xg"].id)
    frozen = next(e for e in profile_snapshot(db.session.get(Trainee, trainee_id))["employments"]
                  if e["institution_id"] == unit.id)
    assert (frozen["unit_level"], frozen["unit_kind"], frozen["unit_typed"]) == ("tertiary", "hospital", False)
    assert zh("Typed in") not in text(client.get("/portal/profile/employment")).split(unit.name, 1)[1][:200]

    # turning the row into a typed unit asks for the level and kind; back to the directory drops them
    edit = f"/portal/profile/employment/{rows[0].id}/edit"
    response = client.post(edit, data=job(world, client, unit_name="改成自填的医院", institution_id=str(unit.id)))
    assert response.status_code == 400 and zh(NEED_LEVEL) in errors(text(response))
    assert client.post(edit, data=job(world, client, unit_name="改成自填的医院", unit_level="secondary",
                                      unit_kind="hospital")).status_code == 302
    row = db.session.get(Employment, rows[0].id)
    assert (row.institution_id, row.unit_level, row.unit_kind) == (None, "secondary", "hospital")
    assert client.post(edit, data=job(world, client, unit_name=unit.name, institution_id=str(unit.id),
                                      unit_level="secondary", unit_kind="hospital")).status_code == 302
    row = db.session.get(Employment, rows[0].id)
    assert (row.institution_id, row.unit_level, row.unit_kind) == (unit.id, None, None)


@pytest.mark.parametrize("forged", ["999999999", "abc", "1,2", "-1", "0", "99999999999999999999999", "1 OR 1=1",
                                    "other-unit"])
def test_a_forged_unit_number_makes_a_typed_unit(world, trainee_client, forged):
    """A number naming no unit, or a unit of another name, is not a pick: level and kind are asked
    for, and the page forgets the number (so the two fields show again)."""
    client, trainee_id = trainee_client, world.trainees["zy"].id
    if forged == "other-unit":
        forged = str(world.institutions["xg"].id)
    before = len(employments(trainee_id))
    response = client.post(NEW, data=job(world, client, institution_id=forged))
    html = text(response)
    assert response.status_code == 400 and zh(NEED_LEVEL) in errors(html) and zh(NEED_KIND) in errors(html)
    assert hidden_value(html, "institution_id") == ""
    assert len(employments(trainee_id)) == before
    response = client.post(NEW, data=job(world, client, institution_id=forged, unit_level="secondary",
                                         unit_kind="hospital"))
    assert response.status_code == 302
    row = employments(trainee_id)[-1]
    assert (row.institution_id, row.unit_name, row.unit_level, row.unit_kind) == (
        None, "某某镇卫生院", "secondary", "hospital")


@pytest.mark.parametrize("field,value", [("unit_level", "quaternary"), ("unit_kind", "clinic'; DROP TABLE x"),
                                         ("unit_level", "二级医院"), ("unit_kind", "x" * 5000)])
def test_a_level_or_kind_outside_the_lists_is_refused(world, trainee_client, field, value):
    client, trainee_id = trainee_client, world.trainees["zy"].id
    before = len(employments(trainee_id))
    data = job(world, client, unit_level="primary", unit_kind="township")
    data[field] = value
    response = client.post(NEW, data=data)
    assert response.status_code == 400 and "不是有效的选择。" in errors(text(response))
    assert len(employments(trainee_id)) == before


@pytest.mark.parametrize("name", ["某镇\x00卫生院", "某镇\n卫生院", "某镇卫生院\x1b"])
def test_control_characters_in_the_unit_name_are_refused(world, trainee_client, name):
    client, trainee_id = trainee_client, world.trainees["zy"].id
    before = len(employments(trainee_id))
    response = client.post(NEW, data=job(world, client, unit_name=name, unit_level="primary", unit_kind="township"))
    assert response.status_code == 400
    assert zh("Control characters (such as line breaks or NUL) are not allowed.") in errors(text(response))
    assert len(employments(trainee_id)) == before


def test_an_old_typed_row_without_level_or_kind_asks_to_be_completed(world, trainee_client):
    trainee = world.trainees["zy"]
    db.session.add(Employment(trainee=trainee, unit_name="旧的自填单位", region=world.regions["zy"], is_current=False))
    db.session.commit()
    html = text(trainee_client.get("/portal/profile/employment"))
    assert html.count(zh("Edit this record to give the unit's level and kind.")) == 1


# --- the rules read them -------------------------------------------------------------------------

def typed_job(world, client, level, kind, name="自填单位", **extra):
    response = client.post(NEW, data=job(world, client, unit_name=name, region_id=str(world.regions["zy"].id),
                                         unit_level=level, unit_kind=kind, **extra))
    assert response.status_code == 302, errors(text(response))


def upgraded_trainee_with_typed_job(world, client, auth, level, kind):
    """trainee_zy: a 专升本 bachelor in 临床医学 whose only job is typed in through the portal."""
    trainee = ready_trainee(world)
    trainee.educations[0].upgraded_from_junior = True
    for row in list(trainee.employments):
        db.session.delete(row)
    db.session.commit()
    auth.login("trainee_zy", PASSWORD)
    typed_job(world, client, level, kind)
    return trainee


def rule(application_or_results, code):
    results = application_or_results
    return next(r for r in results if r["code"] == code)


@pytest.mark.seed(UPGRADED)
@pytest.mark.parametrize("kind", [InstitutionKind.TOWNSHIP, InstitutionKind.COMMUNITY])
def test_upgraded_bachelor_at_a_typed_township_or_community_centre_may_choose_any_specialty(world, client, auth,
                                                                                             kind):
    batch = residency_batch(world)
    upgraded_trainee_with_typed_job(world, client, auth, InstitutionLevel.PRIMARY, kind)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id])  # not a shortage
    assert submit_application(client, application_id).status_code == 302
    application = db.session.get(Application, application_id)
    assert application.status == Status.SUBMITTED
    assert application.snapshot["employments"][0]["unit_typed"] is True
    result = rule(application.eligibility, "upgraded_bachelor_specialty")
    assert result["passed"] and result["params"]["unit_kind"] == kind


@pytest.mark.seed(UPGRADED)
@pytest.mark.parametrize("level,kind", [(InstitutionLevel.SECONDARY, InstitutionKind.HOSPITAL),
                                        (InstitutionLevel.PRIMARY, InstitutionKind.VILLAGE),
                                        (InstitutionLevel.SECONDARY, InstitutionKind.MATERNAL)])
def test_upgraded_bachelor_at_a_typed_hospital_is_limited_to_shortage_specialties(world, client, auth, level, kind):
    batch = residency_batch(world)
    upgraded_trainee_with_typed_job(world, client, auth, level, kind)
    application_id = apply_residency(client, batch, world.bases["zz"].id, [specialty(INTERNAL).id])
    html = text(client.get(step_url(application_id, 5)))
    assert "✘" in html and "专升本" in html
    submit_application(client, application_id)
    assert db.session.get(Application, application_id).status == Status.DRAFT
    # the other side: a shortage specialty passes
    post_choices(client, application_id, [world.bases["zz"].id], [specialty(PAEDIATRICS).id])
    assert submit_application(client, application_id).status_code == 302
    application = db.session.get(Application, application_id)
    assert application.status == Status.SUBMITTED
    assert rule(application.eligibility, "upgraded_bachelor_specialty")["passed"]


GP_TYPE_5 = "来自二级及以上医院的培训对象，具有副主任医师及以上资格的，其临床轮转培训可予以减免。"


@pytest.mark.seed(GP_TYPE_5)
@pytest.mark.parametrize("level,passes", [(InstitutionLevel.SECONDARY, True), (InstitutionLevel.TERTIARY, True),
                                          (InstitutionLevel.PRIMARY, False), (InstitutionLevel.OTHER, False)])
def test_a_typed_units_level_reaches_the_exemption_rules(world, client, auth, level, passes):
    """GP transfer, exemption (5): the typed unit's level decides the unit check at submission."""
    trainee = ready_trainee(world)
    for row in list(trainee.employments):
        db.session.delete(row)
    db.session.commit()
    auth.login("trainee_zy", PASSWORD)
    typed_job(world, client, level, InstitutionKind.HOSPITAL, title="associate_chief", title_grade="associate_senior")
    results = evaluate_exemption(5, profile_snapshot(db.session.get(Trainee, trainee.id)), {}, world.batches["gp"]
                                 .opens_at.date())
    assert next(r for r in results if r.code == "unit_secondary_plus").passed is passes

    # and through the portal's submission, which freezes the rule results
    batch = BatchFactory(name="另一全科转岗批次", program=Program.GP_TRANSFER)
    db.session.commit()
    token = csrf_token(client, "/portal/apply")
    client.post("/portal/apply", data={"batch_id": batch.id, "csrf_token": token})
    application = db.session.scalar(select(Application).where(Application.trainee_id == trainee.id,
                                                              Application.batch_id == batch.id))
    base = f"/portal/applications/{application.id}"
    client.post(f"{base}/step/4", data={"claims_exemption": "yes", "csrf_token": token})
    client.post(f"{base}/exemptions", data={"type": 5, "content": "临床轮转培训", "reason": "副主任医师",
                                             "csrf_token": token})
    request = db.session.scalar(select(ExemptionRequest).where(ExemptionRequest.application_id == application.id))
    for kind, exemption_id in (("outing_proof", None), ("title_cert", request.id)):
        data = {"file": (io.BytesIO(png_bytes()), f"{kind}.png"), "kind": kind, "csrf_token": token}
        if exemption_id:
            data["exemption_id"] = exemption_id
        client.post(f"{base}/files", data=data, content_type="multipart/form-data")
    client.post(f"{base}/step/5", data={"csrf_token": token})
    assert client.post(f"{base}/submit", data={"csrf_token": token}).status_code == 302
    request = db.session.get(ExemptionRequest, request.id)
    assert request.application.status == Status.SUBMITTED
    unit_check = rule(request.rule_results, "unit_secondary_plus")
    assert unit_check["passed"] is passes and unit_check["params"]["level"] == level


# --- reviewers see that a unit was typed in -----------------------------------------------------------

def test_typed_unit_reading_of_old_and_new_snapshots():
    assert is_typed_unit({"unit_typed": True, "institution_id": 5})
    assert not is_typed_unit({"unit_typed": False, "institution_id": None})
    assert is_typed_unit({"institution_id": None})  # an old snapshot, before unit_typed was frozen
    assert is_typed_unit({})
    assert not is_typed_unit({"institution_id": 3})


def test_reviewers_see_a_badge_beside_a_typed_unit(world, client, auth):
    application = world.applications["zy"]
    badge = zh("Typed in (not in the unit directory; please verify)")
    assert badge == "自填（未在工作单位目录中，请核实）"
    directory = {"unit_name": "目录单位", "institution_id": 7, "unit_level": "primary", "unit_kind": "township",
                 "unit_typed": False, "is_current": False}
    typed = {"unit_name": "自填单位甲", "institution_id": None, "unit_level": "secondary", "unit_kind": "hospital",
             "unit_typed": True, "is_current": True}
    old_typed = {"unit_name": "旧快照自填单位", "institution_id": None, "unit_level": "primary", "is_current": False}
    old_directory = {"unit_name": "旧快照目录单位", "institution_id": 9, "unit_level": "primary", "is_current": False}
    application.snapshot = {"name": "学员", "id_number": application.trainee.id_number, "educations": [],
                            "employments": [directory, typed, old_typed, old_directory], "licences": []}
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    html = text(client.get(f"/admin/application/details/?id={application.id}"))
    table = html.split("snapshot-employments", 1)[1].split("</table>", 1)[0]
    cells = [row for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td>" in row]
    rows = {name: next(row for row in cells if f"<td>{name}" in row)
            for name in ("目录单位", "自填单位甲", "旧快照自填单位", "旧快照目录单位")}
    assert badge in rows["自填单位甲"] and badge in rows["旧快照自填单位"]
    assert badge not in rows["目录单位"] and badge not in rows["旧快照目录单位"]
    assert table.count(badge) == 2


def test_back_office_trainee_details_mark_typed_units(world, client, auth):
    trainee = world.trainees["zy"]
    db.session.add(Employment(trainee=trainee, unit_name="后台自填单位", region=world.regions["zy"],
                              unit_level="secondary", unit_kind="hospital", is_current=False))
    db.session.commit()
    auth.login("county_zy", PASSWORD)
    html = text(client.get(f"/admin/trainee/details/?id={trainee.id}"))
    badge = zh("Typed in (not in the unit directory; please verify)")
    assert html.count(badge) == 1
    typed_line = html.split("后台自填单位", 1)[1].split("<br>", 1)[0]
    assert badge in typed_line and "二级医院" in typed_line and "医院" in typed_line
    assert world.institutions["zy"].name in html


def test_support_edits_a_typed_units_level_and_kind_from_lists(world, client, auth):
    trainee = world.trainees["zy"]
    row = Employment(trainee=trainee, unit_name="后台编辑单位", region=world.regions["zy"], is_current=False)
    db.session.add(row)
    db.session.commit()
    auth.login("support", PASSWORD)
    html = text(client.get(f"/admin/employment/edit/?id={row.id}"))
    assert re.search(r'<select[^>]*name="unit_level"', html) and re.search(r'<select[^>]*name="unit_kind"', html)
    assert "单位级别" in html and "单位类别" in html
    assert db.session.scalar(select(func.count()).select_from(Employment).where(Employment.id == row.id)) == 1


def test_the_employment_form_with_its_errors_shows_no_english(world, trainee_client):
    own = own_msgids()
    html = text(trainee_client.post(NEW, data=job(world, trainee_client, unit_level="bogus")))
    assert errors(html) and english_on_page(html, own) == ([], [])

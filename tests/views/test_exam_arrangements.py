"""The exam arrangements page (考试安排): rooms with their capacity, skills items per specialty, the
allocation of exam numbers and seats, the sign-in sheets — and every way of crossing a base's line."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.extensions import db
from models import ExamRoom, ExamSeat, SpecialtySkillItem
from tests.exam_arrangements import (  # noqa: F401  (season is a fixture)
    CPR,
    PAGE,
    add_room,
    allocate,
    page_url,
    pdf_text,
    post,
    season,
)
from tests.exams import new_applicant
from tests.queries import statements, statements_for


def text(response) -> str:
    return response.get_data(as_text=True)


def seats() -> dict[int, tuple[str, int, int]]:
    """{application id: (exam number, room id, seat)}"""
    return {s.application_id: (s.exam_number, s.room_id, s.seat_no) for s in db.session.scalars(select(ExamSeat))}


def test_base_staff_add_a_room_and_see_the_theory_exam_time(world, auth, client, season):
    """The province sets the unified exam's time in the batch; the base sees it beside its rooms."""
    auth.login("base_zz")
    batch = season["batch"]
    response = add_room(client, batch, world.bases["zz"])
    assert response.status_code == 302
    html = text(client.get(response.headers["Location"]))
    assert "考场已添加" in html or "已添加" in html
    assert "第一考场" in html and "行政楼三楼 301" in html and "王老师、李老师" in html
    assert "2024年5月25日 09:00–11:00" in html


def test_zero_negative_huge_and_garbage_capacities_are_refused_in_chinese(world, auth, client, season):
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    for value, message in (("0", "容量必须大于 0"), ("-3", "容量必须大于 0"), ("9" * 40, "必须是整数"),
                           ("99999999", "最多容纳 500"), ("十", "必须是整数"), ("", "请填写考场容量")):
        response = add_room(client, batch, base, capacity=value)
        assert response.status_code == 400, value
        html = text(response)
        assert message in html, (value, html[html.find("invalid-feedback"):][:300])
        assert 'value="第一考场"' in html  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(ExamRoom)) == 0


def test_a_nul_byte_and_a_duplicate_name_are_refused(world, auth, client, season):
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    assert add_room(client, batch, base, name="第一\x00考场").status_code == 302
    response = add_room(client, batch, base, name="第一考场")
    assert response.status_code == 400 and "已有名为“第一考场”的考场" in text(response)


def test_allocation_never_exceeds_capacity_and_names_the_shortfall(world, auth, client, season):
    """No seat beyond a room's capacity: three applicants, two seats → refused, nothing allocated."""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=2)
    response = allocate(client, batch, base)
    assert response.status_code == 400
    assert "还需 1 个座位" in text(response) and "未编排任何考生" in text(response)
    assert seats() == {}
    add_room(client, batch, base, name="第二考场", capacity=1)
    assert allocate(client, batch, base).status_code == 302
    allocated = seats()
    assert sorted(allocated) == sorted(a.id for a in season["zz"])  # not the waiting one, not 洛阳's
    per_room = db.session.execute(select(ExamSeat.room_id, func.count()).group_by(ExamSeat.room_id)).all()
    capacities = {room.id: room.capacity for room in db.session.scalars(select(ExamRoom))}
    assert all(count <= capacities[room_id] for room_id, count in per_room)


def test_a_rerun_after_one_more_confirmation_keeps_the_earlier_numbers(world, auth, client, season):
    """准考证号 are deterministic: application order, base and batch in the number; a re-run keeps them."""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=5)
    allocate(client, batch, base)
    before = seats()
    first = sorted(season["zz"], key=lambda a: a.id)
    assert [before[a.id][0] for a in first] == [f"2024{batch.id:03d}{base.id:04d}{n:04d}" for n in (1, 2, 3)]
    assert [before[a.id][2] for a in first] == [1, 2, 3]
    late = new_applicant(world, batch, "zz")
    db.session.commit()
    response = allocate(client, batch, base)
    assert response.status_code == 302
    assert "新发放准考证号 1 个" in text(client.get(response.headers["Location"]))
    after = seats()
    assert {k: after[k] for k in before} == before
    assert after[late.id][0] == f"2024{batch.id:03d}{base.id:04d}0004" and after[late.id][2] == 4


def test_a_room_with_candidates_cannot_be_removed(world, auth, client, season):
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=5)
    allocate(client, batch, base)
    room = db.session.scalar(select(ExamRoom))
    response = post(client, batch, base, "rooms/delete/", room=room.id)
    assert response.status_code == 400 and "已安排 3 名考生，不能删除" in text(response)
    assert db.session.get(ExamRoom, room.id) is not None


def test_skills_items_need_cpr_and_one_more(world, auth, client, season):
    """技能考试各专业基地必考项为单人徒手心肺复苏，各专业基地结合专业特点至少再选择一项技能操作进行考试"""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    internal = season["zz"][0].choices[0].specialty
    response = post(client, batch, base, "skills/", specialty=internal.id, items="体格检查、胸腔穿刺")
    assert response.status_code == 400 and "必须包含必考项目“单人徒手心肺复苏”" in text(response)
    assert 'value="体格检查、胸腔穿刺"' in text(response)
    response = post(client, batch, base, "skills/", specialty=internal.id, items=CPR)
    assert response.status_code == 400 and "至少再选择一项" in text(response)
    assert db.session.scalar(select(func.count()).select_from(SpecialtySkillItem)) == 0
    response = post(client, batch, base, "skills/", specialty=internal.id, items="胸腔穿刺, 单人徒手心肺复苏")
    assert response.status_code == 302
    names = list(db.session.scalars(select(SpecialtySkillItem.name).order_by(SpecialtySkillItem.position)))
    assert names == [CPR, "胸腔穿刺"]


def test_a_specialty_without_places_at_the_base_is_refused(world, auth, client, season):
    auth.login("base_ly")
    batch = season["batch"]
    paediatrics = season["zz"][0].choices[1].specialty  # 儿科: places at 郑州 only
    response = post(client, batch, world.bases["ly"], "skills/", specialty=paediatrics.id, items=f"{CPR}、儿科查体")
    assert response.status_code == 400 and "该专业在本基地本批次没有招收计划" in text(response)


def test_base_staff_cannot_touch_another_base(world, auth, client, season):
    """Another base's id in the URL or the form, another base's room: 403 or 404, nothing changed."""
    batch = season["batch"]
    auth.login("base_ly")
    add_room(client, batch, world.bases["ly"], name="洛阳考场")
    ly_room = db.session.scalar(select(ExamRoom).where(ExamRoom.name == "洛阳考场"))
    auth.logout()
    auth.login("base_zz")
    zz, ly = world.bases["zz"], world.bases["ly"]
    assert client.get(page_url(batch, ly)).status_code == 403
    assert add_room(client, batch, ly, name="越权考场").status_code == 403
    assert allocate(client, batch, ly).status_code == 403
    assert post(client, batch, zz, "rooms/delete/", room=ly_room.id).status_code == 404
    assert post(client, batch, zz, "rooms/delete/", room=2**31 - 1).status_code == 404
    assert client.get(PAGE + f"roster.pdf?batch={batch.id}&base={zz.id}&room={ly_room.id}").status_code == 404
    assert client.get(PAGE + f"roster.xlsx?batch={batch.id}&base={ly.id}&room={ly_room.id}").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ExamRoom)) == 1
    auth.logout()
    auth.login("city_zz")
    assert client.get(page_url(batch, zz)).status_code == 403


def test_the_province_arranges_any_base(world, auth, client, season):
    auth.login("province")
    batch, base = season["batch"], world.bases["ly"]
    assert add_room(client, batch, base, name="洛阳考场", capacity=3).status_code == 302
    assert allocate(client, batch, base).status_code == 302
    assert list(seats()) == [season["ly"].id]


def test_sign_in_sheets_list_the_room_in_seat_order(world, auth, client, season):
    """考场签到表: a printable PDF and an Excel file per room, ID numbers masked, formulas defused."""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    season["zz"][0].trainee.name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    add_room(client, batch, base, capacity=5)
    allocate(client, batch, base)
    room = db.session.scalar(select(ExamRoom))
    query = f"?batch={batch.id}&base={base.id}&room={room.id}"
    pdf = client.get(PAGE + "roster.pdf" + query)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    content = pdf_text(pdf.data)
    assert "考场签到表" in content and "第一考场" in content and "王老师、李老师" in content
    number = seats()[season["zz"][1].id][0]
    assert number in content
    sheet = load_workbook(io.BytesIO(client.get(PAGE + "roster.xlsx" + query).data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    name_cell = sheet.cell(row=2, column=3)
    assert name_cell.value == "=HYPERLINK(\"http://x\")" and name_cell.data_type == "s" and name_cell.quotePrefix
    assert rows[0][:3] == ["座位号", "准考证号", "姓名"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    trainee = season["zz"][1].trainee
    assert trainee.id_number not in str(rows) and trainee.id_number[-4:] in str(rows)


def test_counts_per_specialty_come_from_one_grouped_query(world, auth, client, season):
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=5)
    allocate(client, batch, base)
    first, second, _third = season["zz"]
    first.theory_score, second.exam_absent = 80, True
    db.session.commit()
    html = text(client.get(page_url(batch, base)))
    table = html.split("exam-counts", 1)[1].split("</table>", 1)[0]
    assert "<th>已录入理论成绩</th><th>缺考</th>" in table
    assert "<td>内科</td><td>3</td><td>3</td><td>1</td><td>1</td>" in table.replace("\n", "")


def test_the_page_and_the_sign_in_sheet_run_a_fixed_number_of_statements(world, auth, client, season):
    """No query per room, specialty or seat: more rooms and candidates, the same number of statements."""
    auth.login("base_zz")
    batch, base = season["batch"], world.bases["zz"]
    add_room(client, batch, base, capacity=5)
    allocate(client, batch, base)
    room = db.session.scalar(select(ExamRoom))
    roster = PAGE + f"roster.pdf?batch={batch.id}&base={base.id}&room={room.id}"
    few_page, _html = statements_for(client, page_url(batch, base))
    few_roster = statements(client, roster)
    for number in range(2, 5):
        add_room(client, batch, base, name=f"第{number}考场", capacity=5)
    for _ in range(4):
        new_applicant(world, batch, "zz")
    db.session.commit()
    allocate(client, batch, base)
    assert statements_for(client, page_url(batch, base))[0] == few_page
    assert statements(client, roster) == few_roster

"""The application list and its export show a residency application's standing after on-site
confirmation (issue 15, item 6): 准考证 (number, room, seat, or 未分配), scores (or 缺考, distinct from
not entered), admission (base and specialty), the answer to the 录取通知, 报到, and the documents
still missing; the list filters by each. One query a page or an export chunk, whatever the rows; a
base sees only its own (list, count, export)."""
from __future__ import annotations

import io
import re
from urllib.parse import unquote
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.admission.training import create_record
from app.extensions import db
from models import Status
from models.exam import ExamRoom, ExamSeat
from tests.factories import PASSWORD
from tests.admission_scene import candidate
from tests.notices import INTERNAL, accepted_notice
from tests.standing_scene import standing_season
from tests.queries import counting_statements, statements_for

LIST = "/admin/application/"
EXPORT = "/admin/application/export/xlsx/"
DUE = date(2031, 8, 31)


@pytest.fixture
def states(world):
    return standing_season(world)


def names(html: str) -> set[str]:
    return {name for name in ("甲一", "乙二", "丙三", "辛八", "丁四", "壬九", "戊五", "己六") if name in html}


def listed(client, query: str = "") -> str:
    response = client.get(f"{LIST}?page_size=100&{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def row_of(html: str, name: str) -> str:
    body = html.split("model-list", 1)[1].split("</thead>", 1)[1]
    return next(row for row in body.split("<tr")[1:] if name in row)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_list_shows_each_state_after_confirmation(states, client, auth):
    auth.login("base_zz", PASSWORD)
    html = listed(client)
    top = text(row_of(html, "甲一"))
    number = f"2024{states.batch.id:03d}00010001"
    assert f"准考证号 {number} · 第一考场 1号座" in top
    assert "理论 60.00 · 技能 60.00 · 综合 90.00" in top
    assert "已录取：测试基地郑州 · 内科" in top and "录取通知：已接受" in top and "未报到" in top
    assert "缺少：劳动合同未上传；毕业证书或学位证书（2031年8月31日前提交）" in top
    second = text(row_of(html, "乙二"))
    assert "准考证未分配" in second and "未录取" in second and "录取通知：已放弃" in second
    assert "录取通知：待学员确认" in text(row_of(html, "丙三"))
    absent = text(row_of(html, "戊五"))
    assert "缺考" in absent and "成绩未录入" not in absent and "录取通知" not in absent


@pytest.mark.parametrize("query, expected", [
    ("flt0_admission_ticket_equals=assigned", {"甲一", "丁四"}),
    ("flt0_admission_ticket_equals=unassigned", {"乙二", "丙三", "辛八", "壬九", "戊五"}),
    ("flt0_scores_equals=absent", {"戊五"}),
    ("flt0_scores_equals=entered", {"甲一", "乙二", "丙三", "辛八", "丁四", "壬九"}),
    ("flt0_scores_equals=missing", set()),
    ("flt0_admission_acceptance_equals=declined", {"乙二"}),
    ("flt0_admission_acceptance_equals=accepted", {"甲一"}),
    ("flt0_admission_acceptance_equals=pending", {"丙三"}),
    ("flt0_admission_acceptance_equals=expired", set()),
    ("flt0_admission_acceptance_equals=not_issued", set()),
    ("flt0_reporting_equals=waiting", {"甲一", "丙三"}),
    ("flt0_reporting_equals=reported", set()),
    ("flt0_missing_documents_equals=diploma", {"甲一"}),
    ("flt0_missing_documents_equals=agreement", {"甲一"}),
])
def test_a_base_finds_who_is_in_each_state_of_its_own(states, client, auth, query, expected):
    """"Who is missing the diploma", "who declined": 郑州's list never shows 洛阳's 己六, whatever the filter."""
    auth.login("base_zz", PASSWORD)
    assert names(listed(client, query)) == expected


def test_the_filters_stay_inside_the_scope_list_count_and_export(states, client, auth):
    """己六 (洛阳) is missing the diploma too: the province finds both, 郑州 only its own, in the list, its
    count and the export; 洛阳 only 己六."""
    query = "flt0_missing_documents_equals=diploma"
    for user, expected in (("province", {"甲一", "己六"}), ("base_zz", {"甲一"}), ("base_ly", {"己六"})):
        auth.login(user, PASSWORD)
        html = listed(client, query)
        assert names(html) == expected, user
        assert len(set(re.findall(r"details/\?id=(\d+)", html))) == len(expected)
        if user != "province":  # the list's count, in the base's "all matching" form
            assert f"全部 {len(expected)} 条符合条件的报名" in html
        rows = export_rows(client, query)
        assert {row["学员"] for row in rows} == expected, user
        auth.logout()


def test_a_forged_state_value_is_ignored_not_an_error(states, client, auth):
    auth.login("base_zz", PASSWORD)
    for value in ("nothing", "%00", "=1+1", "9" * 40):
        response = client.get(f"{LIST}?flt0_admission_acceptance_equals={value}")
        assert response.status_code == 200


def export_rows(client, query: str = "") -> list[dict]:
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    header = [str(v) for v in values[0]]
    return [dict(zip(header, row)) for row in values[1:]]


def test_the_export_has_a_column_for_each_state(states, client, auth):
    auth.login("base_zz", PASSWORD)
    rows = {row["学员"]: row for row in export_rows(client)}
    top, second, absent = rows["甲一"], rows["乙二"], rows["戊五"]
    assert (top["准考证号"], top["考场"], top["座位号"]) == (f"2024{states.batch.id:03d}00010001", "第一考场", 1)
    assert (top["理论成绩"], top["综合成绩"]) == (60, 90)
    assert (top["录取基地"], top["录取确认"], top["报到"]) == ("测试基地郑州", "已接受", "未报到")
    assert top["材料缺失"] == "劳动合同未上传；毕业证书或学位证书（2031年8月31日前提交）"
    assert top["毕业证和学位证提交截止"] == "2031年8月31日" and rows["丙三"]["毕业证和学位证提交截止"] is None
    assert (second["准考证号"], second["录取确认"], second["录取基地"]) == ("未分配", "已放弃", None)
    assert (absent["理论成绩"], absent["技能成绩"], absent["综合成绩"]) == ("缺考", "缺考", "缺考")
    assert rows["丁四"]["理论成绩"] == 60 and rows["丁四"]["录取确认"] is None  # not admitted, no notice


def test_the_page_and_the_export_read_the_states_in_a_fixed_number_of_statements(states, world, client, auth):
    """More rows with seats, notices and training records cost no more statements (list page, export)."""
    auth.login("province", PASSWORD)
    client.get(LIST)
    few_page, _html = statements_for(client, LIST)
    with counting_statements() as few_export:
        assert client.get(EXPORT).status_code == 200
    room = db.session.scalar(select(ExamRoom))
    for number in range(8):  # 8 more admitted rows, each with a seat, an accepted notice and a training record
        application = candidate(world, states.batch, "zz", [INTERNAL], 50 + number, status=Status.ADMITTED,
                                name=f"新增{number}")
        db.session.add(ExamSeat(application_id=application.id, batch_id=states.batch.id, base_id=room.base_id,
                                room_id=room.id, seat_no=10 + number, sequence=10 + number,
                                exam_number=f"9{number:014d}"))
        create_record(application, accepted_notice(application))
    db.session.commit()
    many_page, html = statements_for(client, LIST)
    with counting_statements() as many_export:
        assert client.get(EXPORT).status_code == 200
    assert all(f"新增{number}" in html for number in range(8))
    assert (many_page, many_export.count) == (few_page, few_export.count)


def test_the_exports_name_carries_the_state_filter_in_chinese(states, client, auth):
    auth.login("base_zz", PASSWORD)
    response = client.get(f"{EXPORT}?flt0_admission_acceptance_equals=declined")
    assert response.status_code == 200
    name = unquote(re.search(r"filename\*=UTF-8''(.+)$", response.headers["Content-Disposition"]).group(1))
    assert "录取确认：已放弃" in name


def test_a_list_row_reads_what_the_application_and_its_records_read(states):
    """The list's rows are plain values (``app.domain.review.list_page``), not ORM records: every column
    the list shows reads on a row what it reads on the application's record, the row buttons' version
    and program too, the claimed types are the application's claims in order, and exactly the
    applications that sit the exam carry the standing the export reads for them."""
    from flask_admin.tools import rec_getattr

    from app.domain.admission.standing import sits_exam, standing_columns, standing_from, with_standing_joins
    from app.domain.review.list_page import page_rows
    from models import Application, ExemptionRequest
    from views.admin.applications import ApplicationView

    ids = db.session.scalars(select(Application.id).order_by(Application.id)).all()
    unclaimed = next(i for i in ids if not db.session.get(Application, i).exemptions)
    db.session.add_all([ExemptionRequest(application_id=unclaimed, type=8), ExemptionRequest(application_id=unclaimed, type=2)])
    db.session.commit()
    order = ids[::-1] + [10**9]  # in the asked order; an id no longer found is left out
    rows = page_rows(order)
    assert [row.id for row in rows] == ids[::-1]
    plain = [name for name in ApplicationView.column_list if name not in ("standing", "exemptions")]
    for row in rows:
        record = db.session.get(Application, row.id)
        assert [str(rec_getattr(row, name)) for name in plain] == [str(rec_getattr(record, name)) for name in plain]
        assert (row.version, row.batch.program, str(row)) == (record.version, record.batch.program, str(record))
        claimed = sorted(int(number) for number in row.claimed_type_list.split(",") if number)
        assert claimed == sorted(claim.type for claim in record.exemptions)
    assert next(row for row in rows if row.id == unclaimed).claimed_type_list in ("2,8", "8,2")
    sitting = set(db.session.scalars(select(Application.id).where(sits_exam())))
    assert sitting and {row.id for row in rows if row.standing is not None} == sitting
    for row in rows:
        if row.standing is not None:
            values = db.session.execute(with_standing_joins(select(*standing_columns()))
                                        .where(Application.id == row.id)).one()
            assert row.standing == standing_from(values)

"""Filters chosen in the list page's menu really filter, and their URLs are stable bookmarks."""
import io
import json
import re
from datetime import timedelta
from html import unescape
from urllib.parse import unquote

from openpyxl import load_workbook
from sqlalchemy import update

from app.extensions import db
from models import Application, ExemptionRequest
from models.clock import now
from tests.factories import PASSWORD


def advertised_filters(html: str) -> dict:
    """The filter groups the list page hands to its filter menu (label → entries)."""
    match = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html, re.S)
    assert match, "the list page carries no filter groups"
    return json.loads(unescape(match.group(1)))


def rows(html: str) -> int:
    """Data rows of the list (the "no records" placeholder row spans all columns and is not one)."""
    table = html.split("model-list", 1)[1]
    body = table.split("</thead>", 1)[1].split("</table>", 1)[0]
    return len([row for row in body.split("<tr")[1:] if "colspan" not in row.split("</tr>", 1)[0]])


def test_filter_from_the_menu_filters_the_list(world, client, auth):
    auth.login("city_zz", PASSWORD)
    html = client.get("/admin/application/").get_data(as_text=True)
    groups = advertised_filters(html)
    county = groups["区县"][0]
    assert county["arg"] == "county_equals"
    offered = dict(county["options"])
    assert offered[str(world.regions["zy"].id)] == "中原区" and offered[str(world.regions["js"].id)] == "金水区"
    assert str(world.regions["xg"].id) not in offered  # 洛阳's county
    assert str(world.regions["zz"].id) not in offered  # the city is not a county
    assert len(offered) == 12  # 郑州's county-level units
    assert rows(html) == 2
    filtered = client.get(f"/admin/application/?flt0_{county['arg']}={world.regions['js'].id}").get_data(as_text=True)
    assert rows(filtered) == 1 and world.trainees["js"].name in filtered and world.trainees["zy"].name not in filtered


def test_dashboard_links_open_the_filtered_list(world, client, auth):
    auth.login("province", PASSWORD)
    dashboard = client.get("/admin/").get_data(as_text=True)
    # the counts by batch and status (the menu's queue links are tested in test_queues.py)
    links = re.findall(r'href="(/admin/application/\?[^"]*flt_status_equals[^"]+)"', dashboard)
    assert links
    by_status = {}
    for link in links:
        html = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
        status = re.search(r"flt_status_equals=(\w+)", link).group(1)
        by_status[status] = rows(html)
    assert by_status == {"submitted": 1, "assigned": 2}


def test_program_exemption_type_and_rule_check_filters(world, client, auth):
    zy, xg = world.applications["zy"], world.applications["xg"]
    db.session.get(ExemptionRequest, zy.exemptions[0].id).rules_passed = False
    db.session.get(ExemptionRequest, xg.exemptions[0].id).rules_passed = True
    db.session.commit()
    auth.login("province", PASSWORD)

    def names(query):
        html = client.get("/admin/application/?" + query).get_data(as_text=True)
        return {key for key, trainee in world.trainees.items() if trainee.name in html}, rows(html)

    assert names("flt0_program_equals=gp_transfer") == ({"zy", "js", "xg"}, 3)
    assert names("flt0_program_equals=residency") == (set(), 0)
    assert names("flt0_exemption_type_equals=1") == ({"zy", "js", "xg"}, 3)
    assert names("flt0_exemption_type_equals=2") == (set(), 0)
    assert names("flt0_rule_checks_equals=failed") == ({"zy"}, 1)
    assert names("flt0_rule_checks_equals=passed") == ({"xg"}, 1)
    html = client.get("/admin/application/?flt0_exemption_type_equals=abc").get_data(as_text=True)
    assert rows(html) == 3  # a malformed value is ignored, not a server error


def test_export_is_the_application_summary_with_chinese_headers_and_values(world, client, auth):
    auth.login("city_zz", PASSWORD)
    response = client.get("/admin/application/export/xlsx/?flt0_county_equals=%d" % world.regions["js"].id)
    assert response.status_code == 200
    assert "报名汇总表" in unquote(response.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows_ = list(sheet.iter_rows(values_only=True))
    assert rows_[0][:3] == ("编号", "学员", "证件号码") and "状态" in rows_[0]
    assert len(rows_) == 2 and world.trainees["js"].name in rows_[1] and "待区县审核" in rows_[1]


def test_waiting_time_filter(world, client, auth):
    db.session.execute(update(Application).where(Application.id == world.applications["zy"].id)
                       .values(submitted_at=now() - timedelta(days=8)))
    db.session.execute(update(Application).where(Application.id == world.applications["js"].id)
                       .values(submitted_at=now() - timedelta(days=4)))
    db.session.commit()
    auth.login("city_zz", PASSWORD)

    def shown(days):
        html = client.get(f"/admin/application/?flt0_waiting_equals={days}").get_data(as_text=True)
        return {key for key in ("zy", "js") if world.trainees[key].name in html}, rows(html)

    assert shown(3) == ({"zy", "js"}, 2)
    assert shown(7) == ({"zy"}, 1)
    assert shown(14) == (set(), 0)
    page = client.get("/admin/application/?flt0_waiting_equals=5").get_data(as_text=True)
    assert rows(page) == 2  # a value outside the offered ones is ignored, with a notice, not an error


def test_status_filter_speaks_each_reviewers_language(world, client, auth):
    """The state after submission waits for the county (全科转岗) or the base (住培)."""
    def submitted_label(username):
        auth.login(username, PASSWORD)
        html = client.get("/admin/application/").get_data(as_text=True)
        auth.logout()
        data = json.loads(unescape(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', html, re.S).group(1)))
        options = dict(next(group for name, group in data.items() if name == "状态")[0]["options"])
        return options["submitted"]

    assert submitted_label("county_zy") == "待区县审核"
    assert submitted_label("base_zz") == "待基地审核"
    assert submitted_label("province") == "待区县审核／待基地审核"

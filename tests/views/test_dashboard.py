"""The back-office dashboard: numbers within each viewer's scope, waiting-time buckets, places left,
residency quotas and scores, links into the filtered list, a fixed number of queries, local charts."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest

from app.extensions import db
from models import ApplicationChoice, Quota, ReviewRecord, Status
from models.clock import now
from models.enums import BatchStatus, Program, ReviewLevel
from tests.dashboard import add_application, dashboard, rows_by, tables
from tests.factories import PASSWORD, BatchFactory, specialty
from tests.queries import statements_for

AT = datetime(2025, 3, 20, 12, 0, 0)


# --- reading the page ---------------------------------------------------------------------------

def list_rows(client, href: str) -> int:
    html = client.get(unescape(href)).get_data(as_text=True)
    table = html.split("model-list", 1)[1]
    body = table.split("</thead>", 1)[1].split("</table>", 1)[0]
    return len([row for row in body.split("<tr")[1:] if "colspan" not in row.split("</tr>", 1)[0]])


# --- 1. scope: each role sees its own counts, never the others' --------------------------------

REGION_ROWS = {
    # user: the regions (code) of the table and the (submitted, assigned) counts on each row
    "province": {"410100": ["1", "1", "2"], "410300": ["0", "1", "1"], "total": ["1", "2", "3"]},
    "super": {"410100": ["1", "1", "2"], "410300": ["0", "1", "1"], "total": ["1", "2", "3"]},
    "city_zz": {"410102": ["0", "1", "1"], "410105": ["1", "0", "1"], "total": ["1", "1", "2"]},
    "city_ly": {"410303": ["1", "1"], "total": ["1", "1"]},
    "county_zy": {"410102": ["1", "1"], "total": ["1", "1"]},
    "county_xg": {"410303": ["1", "1"], "total": ["1", "1"]},
    "base_zz": {"410100": ["1", "1"], "total": ["1", "1"]},
    "base_ly": {"410300": ["1", "1"], "total": ["1", "1"]},
}


@pytest.mark.parametrize("user", list(REGION_ROWS))
def test_counts_by_region_and_status_follow_scope(world, client, auth, user):
    html = dashboard(client, user, auth)
    table = tables(html)[f"b{world.batches['gp'].id}-regions-table"]
    assert rows_by(table, "data-region") == REGION_ROWS[user]
    header = [text for text, _href in table[0][1]]
    expected_statuses = ["待区县审核", "已分配基地"] if len(REGION_ROWS[user]["total"]) == 3 else None
    if expected_statuses:
        assert header[1:3] == expected_statuses
    total = int(REGION_ROWS[user]["total"][-1])
    assert f"{total} 份报名" in html
    others = {"province": [], "super": []}.get(user, None)
    if others is None:  # the other city's or county's trainees and units appear nowhere
        hidden = {"city_zz": ["xg"], "city_ly": ["zy", "js"], "county_zy": ["js", "xg"], "county_xg": ["zy", "js"],
                  "base_zz": ["js", "xg"], "base_ly": ["zy", "js"]}[user]
        for key in hidden:
            assert world.regions[key].name not in html


def test_counts_exclude_archived_and_draft_batches(world, client, auth):
    archived = BatchFactory(name="已归档批次", status=BatchStatus.ARCHIVED)
    draft = BatchFactory(name="未发布批次", status=BatchStatus.DRAFT)
    closed = BatchFactory(name="已截止批次", status=BatchStatus.CLOSED)
    for batch in (archived, draft, closed):
        add_application(world, "zy", batch, Status.SUBMITTED)
    db.session.commit()
    html = dashboard(client, "province", auth)
    assert "已归档批次" not in html and f"b{archived.id}-" not in html
    assert "未发布批次" not in html and f"b{draft.id}-" not in html
    assert "已截止批次" in html and f"b{closed.id}-regions-table" in html  # still under review


def test_trainee_and_anonymous_cannot_open_the_dashboard(world, client, auth):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.location
    auth.login("trainee_zy", PASSWORD)
    assert client.get("/admin/").status_code == 403


# --- 2. review queues and waiting time ---------------------------------------------------------

@pytest.fixture
def queued(world):
    """A second GP batch with applications waiting in the county and city queues, at fixed times."""
    batch = BatchFactory(name="等待测试批次", program=Program.GP_TRANSFER)
    waits = [timedelta(days=3) - timedelta(seconds=1),    # within 3 days
             timedelta(days=3),                           # exactly 3 days: 3–7, as the list's filter counts it
             timedelta(days=7) - timedelta(seconds=1),    # 3–7
             timedelta(days=7),                           # 7–14
             timedelta(days=14) - timedelta(seconds=1),   # 7–14
             timedelta(days=14),                          # over 14
             timedelta(days=40)]                          # over 14
    for wait in waits:
        add_application(world, "zy", batch, Status.SUBMITTED, AT - wait)
    # city queue: entered county_approved at the latest review (4 days ago: status_changed_at), neither
    # at submission (20 days ago) nor at the first approval (10 days ago)
    again = add_application(world, "js", batch, Status.COUNTY_APPROVED, AT - timedelta(days=20),
                            status_changed_at=AT - timedelta(days=4))
    for days, after in ((10, Status.COUNTY_APPROVED), (6, Status.RETURNED), (5, Status.SUBMITTED),
                        (4, Status.COUNTY_APPROVED)):
        db.session.add(ReviewRecord(application=again, level=ReviewLevel.COUNTY, action="x", status_before="draft",
                                    status_after=after, created_at=AT - timedelta(days=days)))
    # no review record (imported): since the status change the import recorded, not the last edit
    add_application(world, "zy", batch, Status.COUNTY_APPROVED, AT - timedelta(days=30),
                    status_changed_at=AT - timedelta(days=8), updated_at=AT - timedelta(days=1))
    # assignment queue, in 洛阳
    moved = add_application(world, "xg", batch, Status.CITY_APPROVED, AT - timedelta(days=30),
                            status_changed_at=AT - timedelta(days=15))
    db.session.add(ReviewRecord(application=moved, level=ReviewLevel.CITY, action="city_approve",
                                status_before=Status.COUNTY_APPROVED, status_after=Status.CITY_APPROVED,
                                created_at=AT - timedelta(days=15)))
    db.session.commit()
    return batch


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr("app.domain.reporting.dashboard.now", lambda: AT)


QUEUE_ROWS = {
    # user: queue → [total, within 3, 3–7, 7–14, over 14]
    "province": {"county": ["7", "1", "2", "2", "2"], "city": ["2", "0", "1", "1", "0"],
                 "assignment": ["1", "0", "0", "0", "1"]},
    "county_zy": {"county": ["7", "1", "2", "2", "2"]},
    "county_xg": {"county": ["0", "0", "0", "0", "0"]},
    "city_zz": {"city": ["2", "0", "1", "1", "0"], "assignment": ["0", "0", "0", "0", "0"]},
    "city_ly": {"city": ["0", "0", "0", "0", "0"], "assignment": ["1", "0", "0", "0", "1"]},
}


@pytest.mark.parametrize("user", list(QUEUE_ROWS))
def test_waiting_buckets_at_the_edges_and_by_role(world, queued, fixed_now, client, auth, user):
    html = dashboard(client, user, auth)
    table = tables(html)[f"b{queued.id}-queues-table"]
    assert rows_by(table, "data-queue") == QUEUE_ROWS[user]


def test_a_kept_waiting_statement_counts_from_each_views_moment(world, client, auth, monkeypatch):
    """The waiting times' statement is made once per scope and kept; its bounds are the moment's. The same
    county reviewer's dashboard, opened as the clock moves past the 3-day bound (a day before it, the
    moment itself: a bucket includes its lower bound, and a day after), moves the application along; past
    the last bound (14 days), where the statement stops reading the queue and the maintained count
    answers, the application is "over 14 days" from that moment on."""
    batch = BatchFactory(name="等待时间的时刻", program=Program.GP_TRANSFER)
    add_application(world, "zy", batch, Status.SUBMITTED, AT)
    db.session.commit()
    seen = {}
    for label, moment in (("a day before", AT + timedelta(days=2)), ("at the bound", AT + timedelta(days=3)),
                          ("a day after", AT + timedelta(days=4)), ("a week after", AT + timedelta(days=8)),
                    ("a day before 14", AT + timedelta(days=13)), ("at 14 days", AT + timedelta(days=14)),
                    ("a day after 14", AT + timedelta(days=15))):
        monkeypatch.setattr("app.domain.reporting.dashboard.now", lambda moment=moment: moment)
        html = dashboard(client, "county_zy", auth)
        seen[label] = rows_by(tables(html)[f"b{batch.id}-queues-table"], "data-queue")["county"]
        auth.logout()
    assert seen == {"a day before": ["1", "1", "0", "0", "0"], "at the bound": ["1", "0", "1", "0", "0"],
                    "a day after": ["1", "0", "1", "0", "0"], "a week after": ["1", "0", "0", "1", "0"],
                    "a day before 14": ["1", "0", "0", "1", "0"], "at 14 days": ["1", "0", "0", "0", "1"],
                    "a day after 14": ["1", "0", "0", "0", "1"]}


def test_base_staff_have_no_gp_queue(world, queued, fixed_now, client, auth):
    html = dashboard(client, "base_zz", auth)
    assert f"b{queued.id}-queues-table" not in html


def test_residency_queues_for_base_staff(world, fixed_now, client, auth):
    batch = BatchFactory(name="住培等待测试", program=Program.RESIDENCY)
    zz, ly = world.bases["zz"], world.bases["ly"]
    add_application(world, "zy", batch, Status.SUBMITTED, AT - timedelta(days=1), base=zz)
    add_application(world, "zy", batch, Status.SUBMITTED, AT - timedelta(days=9), base=zz)
    confirmed = add_application(world, "zy", batch, Status.BASE_APPROVED, AT - timedelta(days=30), base=zz,
                                status_changed_at=AT - timedelta(days=4))
    db.session.add(ReviewRecord(application=confirmed, level=ReviewLevel.BASE, action="base_approve",
                                status_before=Status.SUBMITTED, status_after=Status.BASE_APPROVED,
                                created_at=AT - timedelta(days=4)))
    add_application(world, "xg", batch, Status.SUBMITTED, AT - timedelta(days=20), base=ly)
    db.session.commit()
    html = dashboard(client, "base_zz", auth)
    assert rows_by(tables(html)[f"b{batch.id}-queues-table"], "data-queue") == {
        "base_review": ["2", "1", "0", "1", "0"], "onsite": ["1", "0", "1", "0", "0"]}
    auth.logout()
    html = dashboard(client, "base_ly", auth)
    assert rows_by(tables(html)[f"b{batch.id}-queues-table"], "data-queue") == {
        "base_review": ["1", "0", "0", "0", "1"], "onsite": ["0", "0", "0", "0", "0"]}


def test_every_dashboard_link_opens_a_list_with_that_many_rows(world, client, auth):
    """Each number that links into the application list shows exactly that many applications."""
    batch = BatchFactory(name="链接测试批次", program=Program.GP_TRANSFER)
    for days in (1, 5, 5, 10, 20):
        add_application(world, "zy", batch, Status.SUBMITTED, now() - timedelta(days=days, hours=2))
    add_application(world, "js", batch, Status.COUNTY_APPROVED, now() - timedelta(days=9))
    add_application(world, "xg", batch, Status.SUBMITTED, now() - timedelta(days=16))
    db.session.commit()
    for user, least in (("province", 10), ("city_zz", 5), ("county_zy", 5), ("base_zz", 2)):
        html = dashboard(client, user, auth)
        links = re.findall(r'<a href="(/admin/application/\?[^"]*flt_batch_equals[^"]*)">(\d+)</a>', html)
        assert len(links) >= least, user
        for href, shown in links:
            assert list_rows(client, href) == int(shown), (user, href)
        waiting = [href for href, _shown in links
                   if f"flt_batch_equals={batch.id}" in unescape(href) and "flt_waiting_equals" in href]
        assert bool(waiting) == (user in ("province", "county_zy")), user  # only the county queue has the filter
        auth.logout()


# --- 3. GP places per base -------------------------------------------------------------------

def test_gp_places_are_quota_minus_assigned(world, client, auth):
    gp = world.batches["gp"]
    zz, ly = world.bases["zz"], world.bases["ly"]
    # two more assigned to 郑州's base from 洛阳, one awaiting assignment (not counted)
    add_application(world, "xg", gp, Status.ASSIGNED, base=zz)
    add_application(world, "xg", gp, Status.ASSIGNED, base=zz)
    add_application(world, "zy", gp, Status.CITY_APPROVED)
    # a residency quota at the same base is no GP place
    db.session.add(Quota(batch=gp, base=zz, specialty=specialty("0100"), capacity=9))
    db.session.commit()
    expected = {
        "province": {str(zz.id): ["5", "3", "2"], str(ly.id): ["5", "1", "4"]},
        "city_zz": {str(zz.id): ["5", "3", "2"]},   # the base's places, whoever was assigned there
        "city_ly": {str(ly.id): ["5", "1", "4"]},
        "base_zz": {str(zz.id): ["5", "3", "2"]},
        "base_ly": {str(ly.id): ["5", "1", "4"]},
    }
    for user, rows in expected.items():
        html = dashboard(client, user, auth)
        assert rows_by(tables(html)[f"b{gp.id}-gp-table"], "data-base") == rows, user
        auth.logout()
    html = dashboard(client, "county_zy", auth)
    assert f"b{gp.id}-gp-table" not in html


def test_gp_places_never_below_zero(world, client, auth):
    gp, ly = world.batches["gp"], world.bases["ly"]
    world.quotas["ly"].capacity = 1
    add_application(world, "xg", gp, Status.ASSIGNED, base=ly)
    db.session.commit()
    html = dashboard(client, "base_ly", auth)
    assert rows_by(tables(html)[f"b{gp.id}-gp-table"], "data-base") == {str(ly.id): ["1", "2", "0"]}


# --- 4. residency: quota, applicants, admitted, score distribution --------------------------------

@pytest.fixture
def residency(world):
    batch = BatchFactory(name="住培测试批次", program=Program.RESIDENCY)
    zz, ly = world.bases["zz"], world.bases["ly"]
    internal, paediatrics = specialty("0100"), specialty("0200")
    for base, spec, capacity in ((zz, internal, 3), (zz, paediatrics, 2), (ly, internal, 4)):
        db.session.add(Quota(batch=batch, base=base, specialty=spec, capacity=capacity))

    def apply(county, base, status, choices, **values):
        application = add_application(world, county, batch, status, base=base, **values)
        for rank, spec in enumerate(choices, start=1):
            db.session.add(ApplicationChoice(application=application, rank=rank, specialty=spec))
        return application

    apply("zy", zz, Status.SUBMITTED, [internal])
    apply("zy", zz, Status.ADMITTED, [internal, paediatrics], admitted_specialty_id=paediatrics.id,
          combined_score=Decimal("85.50"))
    apply("js", zz, Status.REPORTED, [paediatrics], admitted_specialty_id=paediatrics.id,
          combined_score=Decimal("90.00"))
    apply("zy", zz, Status.DRAFT, [internal])
    apply("zy", zz, Status.RETURNED, [internal])
    apply("zy", zz, Status.REJECTED, [internal])
    apply("zy", zz, Status.NOT_ADMITTED, [internal], combined_score=Decimal("59.99"))
    apply("xg", ly, Status.CONFIRMED, [internal], combined_score=Decimal("100.00"))
    apply("xg", ly, Status.ADMITTED, [internal], combined_score=Decimal("10.00"))  # no admitted specialty recorded
    db.session.commit()
    return batch


RESIDENCY_ROWS = {
    # base key → specialty code → [quota, applicants, per place, exam numbers, scored, absent, admitted,
    # accepted, declined, awaiting answer, reported, missing documents]
    "zz": {"0100": ["3", "3", "1.0", "0", "2", "0", "0", "0", "0", "0", "0", "0"],
           "0200": ["2", "1", "0.5", "0", "1", "0", "2", "0", "0", "0", "1", "0"],
           "total": ["5", "4", "0.8", "0", "3", "0", "2", "0", "0", "0", "1", "0"]},
    "ly": {"0100": ["4", "2", "0.5", "0", "2", "0", "1", "0", "0", "0", "0", "0"]},
}


def score_rows(html, batch) -> dict[str, str]:
    table = tables(html)[f"b{batch.id}-scores-table"]
    return {cells[0][0]: cells[1][0] for _attrs, cells in table[1:] if cells[1][0] != "0"}


def test_residency_places_and_scores_by_scope(world, residency, client, auth):
    zz, ly = world.bases["zz"], world.bases["ly"]
    html = dashboard(client, "province", auth)
    found = tables(html)
    # the province: one table of bases, each base's totals; its name opens the base's page per specialty
    assert rows_by(found[f"b{residency.id}-bases-table"], "data-base") == {
        str(zz.id): RESIDENCY_ROWS["zz"]["total"], str(ly.id): RESIDENCY_ROWS["ly"]["0100"],
        "total": ["9", "6", "0.7", "0", "5", "0", "3", "0", "0", "0", "1", "0"]}
    assert f"b{residency.id}-res{zz.id}-table" not in found  # no table (or chart) per base on the dashboard
    page = client.get(f"/admin/base/{zz.id}/").get_data(as_text=True)
    assert rows_by(tables(page)[f"b{residency.id}-res{zz.id}-table"], "data-specialty") == RESIDENCY_ROWS["zz"]
    assert score_rows(html, residency) == {"10–20": "1", "50–60": "1", "80–90": "1", "90–100": "2"}
    assert "9 份报名" in html
    auth.logout()

    html = dashboard(client, "base_zz", auth)
    found = tables(html)
    assert rows_by(found[f"b{residency.id}-res{zz.id}-table"], "data-specialty") == RESIDENCY_ROWS["zz"]
    assert f"b{residency.id}-res{ly.id}-table" not in found and f"b{residency.id}-bases-table" not in found
    assert score_rows(html, residency) == {"50–60": "1", "80–90": "1", "90–100": "1"}
    auth.logout()

    html = dashboard(client, "base_ly", auth)
    found = tables(html)
    assert rows_by(found[f"b{residency.id}-res{ly.id}-table"], "data-specialty") == RESIDENCY_ROWS["ly"]
    assert f"b{residency.id}-res{zz.id}-table" not in found and zz.name not in html
    assert score_rows(html, residency) == {"10–20": "1", "90–100": "1"}
    auth.logout()

    # commissions have no step in residency: a city reviewer sees none of it
    html = dashboard(client, "city_zz", auth)
    assert f"b{residency.id}-res" not in html and f"b{residency.id}-scores-table" not in html
    assert f"b{residency.id}-bases-table" not in html


def test_score_above_100_gets_its_own_band(world, residency, client, auth):
    add_application(world, "zy", residency, Status.CONFIRMED, base=world.bases["zz"],
                    combined_score=Decimal("100.01"))
    db.session.commit()
    html = dashboard(client, "province", auth)
    bands = score_rows(html, residency)
    above = {label: n for label, n in bands.items() if not re.fullmatch(r"\d+–\d+", label)}
    assert list(above.values()) == ["1"] and bands["90–100"] == "2"


def test_score_bands_at_their_bounds(world, residency, client, auth):
    """A band includes its lower bound and not its upper one (10 is in 10–20, 9.99 in 0–10), except the
    last: 100 itself is in 90–100, 100.01 above it. Each band is counted as a range of the score index."""
    html = dashboard(client, "province", auth)
    before = score_rows(html, residency)
    auth.logout()
    for score in ("9.99", "10", "10.01", "89.99", "90", "100", "100.01"):
        add_application(world, "zy", residency, Status.CONFIRMED, base=world.bases["zz"],
                        combined_score=Decimal(score))
    db.session.commit()
    after = score_rows(dashboard(client, "province", auth), residency)
    added = {label: int(after[label]) - int(before.get(label, "0")) for label in after
             if int(after[label]) != int(before.get(label, "0"))}
    above = next(label for label in after if not re.fullmatch(r"\d+–\d+", label))
    assert added == {"0–10": 1, "10–20": 2, "80–90": 1, "90–100": 2, above: 1}


# --- 5. a fixed number of queries --------------------------------------------------------------

@pytest.mark.parametrize("user", ["province", "city_zz", "county_zy", "base_zz"])
def test_query_count_does_not_grow_with_rows(world, residency, client, auth, user):
    auth.login(user, PASSWORD)
    few, _html = statements_for(client, "/admin/")
    gp = world.batches["gp"]
    statuses = [Status.SUBMITTED, Status.COUNTY_APPROVED, Status.CITY_APPROVED, Status.ASSIGNED, Status.RETURNED]
    for n in range(60):
        county = ("zy", "js", "xg")[n % 3]
        application = add_application(world, county, gp, statuses[n % 5], now() - timedelta(days=n % 20),
                                      base=world.bases["zz"] if statuses[n % 5] == Status.ASSIGNED else None)
        db.session.add(ReviewRecord(application=application, level=ReviewLevel.COUNTY, action="county_approve",
                                    status_before=Status.SUBMITTED, status_after=statuses[n % 5]))
        res_status = (Status.SUBMITTED, Status.BASE_APPROVED, Status.ADMITTED)[n % 3]
        res = add_application(world, county, residency, res_status, base=world.bases["zz"],
                              combined_score=Decimal(n))
        db.session.add(ApplicationChoice(application=res, rank=1, specialty=specialty("0100")))
    db.session.commit()
    many, html = statements_for(client, "/admin/")
    assert many == few, (few, many)
    assert few <= 9  # the account, seven grouped queries at most (the progress: province-wide only), the menu's queue counts


# --- 6. the charts are local --------------------------------------------------------------------

def test_chart_script_is_served_locally_and_no_asset_leaves_the_site(world, residency, client, auth):
    html = dashboard(client, "province", auth)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert "/static/vendor/chartjs/chart.umd.js" in scripts and "/static/admin/dashboard.js" in scripts
    assets = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    assert not [url for url in assets if re.match(r"\s*['\"]?(https?:)?//", url)]
    chart = client.get("/static/vendor/chartjs/chart.umd.js")
    assert chart.status_code == 200 and b"Chart.js v4" in chart.data[:200]
    assert client.get("/static/admin/dashboard.js").status_code == 200
    licence = client.get("/static/vendor/chartjs/LICENSE.md")
    assert licence.status_code == 200 and b"MIT License" in licence.data
    # every chart has its data and a table with the same numbers
    charts = re.findall(r'<canvas data-chart="([^"]+)"[^>]*aria-describedby="([^"]+)"', html)
    assert len(charts) >= 5
    for data_id, table_id in charts:
        assert f'<script type="application/json" id="{data_id}">' in html
        assert f'id="{table_id}"' in html

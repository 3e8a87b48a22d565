"""The mechanics that keep the review lists fast at province scale (issue 13), checked for what a
reviewer sees: statement counts that do not grow with the data, a total order, searches by the start
of an ID number or a mobile, and the 提交时间 filter's end day. Timings live in ``tests/bench``."""
import re
from datetime import datetime

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.seed.demo import DEMO_PASSWORD, ensure_fixtures, generate_trainees
from models import Application, Trainee
from tests.factories import PASSWORD
from tests.queries import counting_statements, statements_for
from tests.review_queue import queue_of
from views.admin.applications import ApplicationView

QUEUE_PAGES = {
    "county_zy": ["/admin/application/?flt0_status_equals=submitted", "/admin/application/?page=1",
                  "/admin/application/?search=410", "/admin/"],
    "city_zz": ["/admin/application/?flt0_status_equals=county_approved", "/admin/application/?page=1", "/admin/"],
    "base_one": ["/admin/application/?flt0_status_equals=submitted", "/admin/application/?page=1", "/admin/",
                 "/admin/application/?flt0_missing_documents_equals=diploma",
                 "/admin/application/?flt0_admission_acceptance_equals=declined&flt1_admission_ticket_equals=assigned"],
    "province": ["/admin/application/?flt0_status_equals=city_approved", "/admin/application/?page=2",
                 "/admin/application/?search=4101", "/admin/application/?search=13", "/admin/application/?search=王",
                 "/admin/"],
}


def _counts(client, auth) -> dict:
    counts = {}
    for username, urls in QUEUE_PAGES.items():
        auth.login(username, DEMO_PASSWORD)
        for url in urls:
            client.get(url)  # warm-up
            count, page = statements_for(client, url)
            counts[(username, url)] = (count, page.count("details/?id="))  # statements, rows listed
        auth.logout()
    return counts


def test_queue_search_and_dashboard_statements_do_not_grow_with_the_data(app, client, auth):
    """Each queue list (page 1, a later page, a filter), each search and the dashboard run as many
    statements with 160 trainees as with 40: a page's claimed exemptions and the standings of residency
    applications confirmed on site are read with its rows."""
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(40, random_seed=3, echo=lambda *a: None)
    few = _counts(client, auth)
    generate_trainees(120, random_seed=4, echo=lambda *a: None)
    many = _counts(client, auth)
    # a page with no rows (page 2 of 40 trainees) does not read them: one statement fewer
    grown = {key: (few[key], many[key]) for key in few
             if many[key][0] != few[key][0] + (1 if many[key][1] and not few[key][1] else 0)}
    assert grown == {}
    assert max(count for count, _rows in many.values()) <= 13


def _ids_on_page(client, url: str) -> list[int]:
    """The application numbers of the list's rows, in order (each row links to its details page)."""
    html = client.get(url).get_data(as_text=True)
    body = html.split("model-list", 1)[1].split("</thead>", 1)[1].split("</table>", 1)[0]
    ids = []
    for row in body.split("<tr")[1:]:
        found = re.search(r"details/\?id=(\d+)", row)
        if found:
            ids.append(int(found.group(1)))
    return ids


@pytest.fixture
def demo_rows(app):
    """45 demo trainees, their applications all submitted at the same minute (drafts aside)."""
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(45, random_seed=5, echo=lambda *a: None)
    db.session.execute(update(Application).where(Application.status != "draft")
                       .values(submitted_at=datetime(2025, 3, 1, 9, 0)))
    db.session.commit()


def test_rows_submitted_at_the_same_moment_appear_once_across_pages(demo_rows, client, auth):
    """The list's order is total: rows with the same 提交时间 are ordered by their number, newest first, and
    every row is on exactly one page; a later page (its ids found first) continues the first."""
    auth.login("province", DEMO_PASSWORD)
    submitted = sorted(db.session.scalars(select(Application.id).where(Application.status != "draft")).all(),
                       reverse=True)
    everything = db.session.scalars(select(Application.id)).all()
    assert len(submitted) > 20
    by_submission = f"sort={SUBMITTED_AT_COLUMN}&desc=1"  # 提交时间, newest first (the queues' own order differs)
    pages = [_ids_on_page(client, f"/admin/application/?{by_submission}&page_size=20&page={p}") for p in range(4)]
    shown = [i for page in pages for i in page]
    assert sorted(shown) == sorted(everything) and len(set(shown)) == len(shown)
    assert [i for i in shown if i in set(submitted)] == submitted
    assert _ids_on_page(client, f"/admin/application/?{by_submission}&page_size=100") == shown


SUBMITTED_AT_COLUMN = ApplicationView.column_list.index("submitted_at")


def _search(client, term: str) -> str:
    return client.get(f"/admin/application/?search={term}").get_data(as_text=True)


def test_search_by_the_start_of_an_id_number_or_a_mobile(world, client, auth):
    """6 to 17 characters of an ID number, or the start of a mobile, find the trainee's application; a
    number is not looked for in unit names."""
    trainee = world.trainees["zy"]
    other = world.trainees["js"]
    application = world.applications["zy"]
    db.session.execute(update(Application).where(Application.id == application.id)
                       .values(unit_name=f"第{other.id_number[:8]}医院"))
    db.session.commit()
    auth.login("province", PASSWORD)
    for term in (trainee.id_number[:6], trainee.id_number[:17], trainee.id_number, trainee.mobile[:7],
                 trainee.mobile):
        html = _search(client, term)
        assert trainee.name in html, term
    by_other_prefix = _search(client, other.id_number[:8])
    assert other.name in by_other_prefix
    # the unit name holds those digits, but a number is only an ID number or a mobile
    if trainee.id_number[:8] != other.id_number[:8]:
        assert trainee.name not in by_other_prefix
    assert trainee.name not in _search(client, "99999999")


def test_a_short_term_finds_names_and_a_longer_one_unit_names_too(world, client, auth):
    """"杨" (under 3 characters) finds names beginning with it, not units containing it — no index can
    answer a "contains" that short; from 3 characters on, unit names containing the term are found too."""
    zy = world.applications["zy"]
    db.session.execute(update(Application).where(Application.id == zy.id).values(unit_name="郑州杨柳社区卫生服务中心"))
    db.session.execute(update(Trainee).where(Trainee.id == world.trainees["js"].id).values(name="杨柳青"))
    db.session.commit()
    auth.login("province", PASSWORD)
    short = _search(client, "杨柳")
    assert "杨柳青" in short and world.trainees["zy"].name not in short
    longer = _search(client, "杨柳社")
    assert world.trainees["zy"].name in longer and "杨柳青" not in longer


def test_a_unit_name_search_finds_both_ways_inside_the_scope(world, client, auth):
    """A term of 3 characters or more finds the applications whose unit name contains it and those whose
    trainee's name begins with it, and for a city reviewer only inside the city."""
    term = "杨柳社"
    for key, unit in (("zy", "郑州杨柳社区卫生服务中心"), ("xg", "洛阳杨柳社区卫生服务中心")):
        db.session.execute(update(Application).where(Application.id == world.applications[key].id)
                           .values(unit_name=unit))
    db.session.execute(update(Trainee).where(Trainee.id == world.trainees["js"].id).values(name="杨柳社长"))
    db.session.commit()
    names = {key: world.trainees[key].name for key in ("zy", "xg")} | {"js": "杨柳社长"}
    auth.login("city_zz", PASSWORD)
    html = _search(client, term)
    assert names["zy"] in html and names["js"] in html and names["xg"] not in html
    assert re.search(r"列表\s*\(2\)", html)
    auth.logout()
    auth.login("province", PASSWORD)
    html = _search(client, term)
    assert all(name in html for name in names.values())
    assert names["zy"] not in _search(client, "杨柳社区医院")


def test_search_by_number_prefix_stays_in_scope(world, client, auth):
    """A county reviewer's search by the start of an ID number finds nobody outside their county."""
    outsider = world.trainees["xg"]
    auth.login("county_zy", PASSWORD)
    assert outsider.name not in _search(client, outsider.id_number[:10])
    assert outsider.name not in _search(client, outsider.mobile)


@pytest.mark.parametrize("submitted,shown", [
    (datetime(2025, 3, 10, 23, 59), True),   # the last minute of the end day
    (datetime(2025, 3, 11, 0, 0), False),    # midnight after it
    (datetime(2025, 3, 1, 0, 0), True),      # the first moment of the first day
    (datetime(2025, 2, 28, 23, 59), False),  # the day before
])
def test_submitted_between_includes_its_end_day(world, client, auth, submitted, shown):
    """提交时间 "between 3月1日 and 3月10日" includes all of 10 March and nothing of 11 March."""
    application = world.applications["zy"]
    db.session.execute(update(Application).where(Application.id == application.id).values(submitted_at=submitted))
    db.session.commit()
    trainee_name = db.session.scalar(select(Trainee.name).where(Trainee.id == application.trainee_id))
    auth.login("county_zy", PASSWORD)
    html = client.get("/admin/application/?flt0_submitted_at_between=2025-03-01+to+2025-03-10").get_data(as_text=True)
    assert (trainee_name in html) is shown


COUNTED_URLS = ["/admin/application/", "/admin/application/?flt0_status_equals=submitted",
                "/admin/application/?flt0_program_equals=gp_transfer&flt1_status_equals=county_approved",
                "/admin/application/?flt0_county_equals={county}", "/admin/application/?flt0_base_equals={base}",
                "/admin/application/?flt0_city_equals={city}&flt1_status_equals=submitted",
                # not answered by the maintained counts: a search, the identity and waiting filters
                "/admin/application/?search=41", "/admin/application/?flt0_identity_equals=open_entry"]


def _listed_count(html: str) -> int:
    """The number in the list's tab, 列表 (N)."""
    found = re.search(r"列表\s*\((\d+)\)", html)
    return int(found.group(1)) if found else 0


def _scoped_count(view_url: str, user) -> int:
    """The same list counted by reading the applications (the view's scoped query and filters)."""
    from flask import current_app
    from flask_login import login_user
    view = next(v for v in current_app.extensions["admin"][0]._views if isinstance(v, ApplicationView))
    with current_app.test_request_context(view_url):
        login_user(user)
        view_args = view._get_list_extra_args()
        count, _rows = super(ApplicationView, view).get_list(0, None, False, view_args.search, view_args.filters,
                                                             page_size=20)
    return count


@pytest.mark.parametrize("username", ["county_zy", "city_zz", "base_one", "province"])
def test_the_list_count_from_the_maintained_counts_equals_the_rows(app, client, auth, username):
    """The number in a list's tab (列表 (N)) is the number of applications the list holds, for every
    scope and filter, whether read from the maintained counts or by counting the rows; it follows a
    change at once (before the worker folds the ledger)."""
    from models import Account, Region, TrainingBase
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(60, random_seed=7, echo=lambda *a: None)
    some = db.session.scalars(select(Application).where(Application.status == "submitted")).first()
    some.status = "county_approved"  # a change the triggers count, not yet folded
    db.session.commit()
    user = db.session.scalar(select(Account).where(Account.username == username))
    county = some.county_id
    city = db.session.scalar(select(Region.parent_id).where(Region.id == county)) or county
    base = db.session.scalar(select(TrainingBase.id).order_by(TrainingBase.id))
    auth.login(username, DEMO_PASSWORD)
    seen = set()
    for template in COUNTED_URLS:
        url = template.format(county=county, city=city, base=base)
        expected = _scoped_count(url, user)
        assert _listed_count(client.get(url).get_data(as_text=True)) == expected, url
        seen.add(expected)
    assert len(seen) > 1  # the filters select different numbers: the comparison is not between zeros


@pytest.mark.parametrize("username", ["county_zy", "city_zz", "base_one"])
def test_each_queue_count_in_the_menu_equals_the_rows_its_link_lists(app, client, auth, username):
    """The menu's queue numbers come from the maintained counts: each equals the applications its link
    lists, counted by reading them, right after a change (before the worker folds the ledger)."""
    from html import unescape

    from models import Account
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(60, random_seed=11, echo=lambda *a: None)
    from models import Batch, Region
    user = db.session.scalar(select(Account).where(Account.username == username))
    # changes the triggers count, not yet folded: GP applications moved into the reviewer's queues
    gp = select(Batch.id).where(Batch.program == "gp_transfer")
    county = db.session.get(Region, db.session.scalar(select(Account.region_id).where(Account.username == "county_zy")))
    moved = db.session.scalars(select(Application).where(Application.batch_id.in_(gp),
                                                         Application.status.in_(("submitted", "county_approved")))
                               .order_by(Application.id).limit(4)).all()
    for some, status in zip(moved, ("submitted", "county_approved", "city_approved", "submitted")):
        some.county_id, some.city_id, some.status = county.id, county.parent_id, status
    base = db.session.scalar(select(Account.base_id).where(Account.username == "base_one"))
    residency = db.session.scalars(select(Application).where(Application.batch_id.not_in(gp),
                                                             Application.status != "draft")
                                   .order_by(Application.id).limit(2)).all()
    for some, status in zip(residency, ("submitted", "base_approved")):
        some.base_id, some.status = base, status
    db.session.commit()
    auth.login(username, DEMO_PASSWORD)
    html = client.get("/admin/").get_data(as_text=True)
    links = re.findall(MENU_QUEUE_LINK, html)
    assert links, "no queue in the menu"
    for href, shown in links:
        assert int(shown) == _scoped_count(unescape(href), user), href
    assert any(int(shown) for _href, shown in links)  # not a comparison between zeros
    # on a list page the menu's numbers are read with the list's own count, in one statement: the same
    for page in [unescape(href) for href, _shown in links] + ["/admin/application/",
                                                             "/admin/application/?flt0_status_equals=submitted"]:
        html = client.get(page).get_data(as_text=True)
        assert re.findall(MENU_QUEUE_LINK, html) == links, page
        listed = re.search(r'class="nav-link active">列表(?: \((\d+)\))?</a>', html)
        assert int(listed.group(1) or 0) == _scoped_count(page, user), page


MENU_QUEUE_LINK = r'<a[^>]+href="([^"]*flt1_program_equals[^"]*)"[^>]*>\s*[^<（]+?（(\d+)）\s*</a>'


def test_static_file_urls_are_made_once_per_mount_point(app, world, client, auth):
    """A back-office page's links to static files are kept per process: the same as Flask builds them,
    under whatever path the platform is mounted at (a proxy's SCRIPT_NAME)."""
    from flask import url_for

    from views.admin.base import STATIC_URLS
    auth.login("county_zy", PASSWORD)
    STATIC_URLS.clear()
    html = client.get("/admin/application/").get_data(as_text=True)
    kept = dict(STATIC_URLS)
    assert kept and all(url in html for url in kept.values())
    view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, ApplicationView))
    for root in ("", "/hnpx"):
        with app.test_request_context("/admin/application/", base_url=f"http://localhost{root}/"):
            made = view.get_url("admin.static", filename="admin/js/helpers.js", v="1.0.0")
            assert made == url_for("admin.static", filename="admin/js/helpers.js", v="1.0.0")
            assert made.startswith(f"{root}/admin/static/")
            assert view.get_url("admin.static", filename="admin/js/helpers.js", v="1.0.0") == made  # kept
            assert view.get_url(".index_view", page=2) == f"{root}/admin/application/?page=2"  # others as before


def test_view_links_are_written_as_flask_writes_them(app, world, client, auth):
    """A link to a view without variable parts is its path and the arguments as Flask writes them: None
    left out, a list's items repeated, Chinese, spaces, '&', '#', '%' and '+' quoted; under any mount
    point; a rule with a variable part, and _external or _anchor, go through Flask's URL map."""
    from flask import url_for

    from views.admin.urls import PLAIN_PATHS
    auth.login("county_zy", PASSWORD)
    view = next(v for v in app.extensions["admin"][0]._views if isinstance(v, ApplicationView))
    cases = [
        {},
        {"page": None, "sort": None, "search": None},
        {"page": 3, "sort": 10, "desc": 1, "page_size": 20},
        {"search": "杨 小&明#1%+=?/", "flt0_status_equals": "submitted"},
        {"flt1_program_equals": ["gp_transfer", "residency"], "x": [None, "1"]},
        {"search": "=HYPERLINK(\"x\")", "flt3_submitted_at_between": "2026-05-01 to 2026-05-31"},
        {"empty": []},
    ]
    for root in ("", "/hnpx"):
        PLAIN_PATHS.clear()
        with app.test_request_context("/admin/application/", base_url=f"http://localhost{root}/"):
            for values in cases:
                for endpoint in (".index_view", ".export_full_view", "application.index_view", "auth.login"):
                    assert view.get_url(endpoint, **values) == url_for(endpoint, **values), (endpoint, values)
            assert view.get_url(".index_view", page=2) == f"{root}/admin/application/?page=2"
            assert view.get_url(".details_view", id=7) == url_for(".details_view", id=7)
            assert view.get_url(".index_view", _external=True).startswith("http://localhost")
            assert view.get_url(".index_view", page=1, _anchor="rows").endswith("?page=1#rows")
            assert PLAIN_PATHS[(root, "application", ".index_view")] == f"{root}/admin/application/"


def test_the_claimed_exemption_types_are_read_with_the_rows(world, client, auth):
    """The 减免类型 column shows each row's claimed types in order, read with the rows themselves (no
    statement of their own)."""
    ids = [a.id for a in queue_of(world, 3, claims={0: (3, 1), 2: (2,)})]
    db.session.expunge_all()
    auth.login("county_zy", PASSWORD)
    with counting_statements() as counter:
        html = client.get("/admin/application/?flt0_status_equals=submitted").get_data(as_text=True)
    cells = {}
    for row in html.split("<tr")[1:]:
        found = re.search(r"details/\?id=(\d+)", row)
        if found:
            cell = re.search(r'<td class="col-exemptions">([^<]*)</td>', row)
            cells[int(found.group(1))] = cell.group(1)
    assert [cells[i] for i in ids] == ["减免类型 1、3", "", "减免类型 2"]
    assert not [s for s in counter.statements if "FROM exemption_request" in s.split("(SELECT", 1)[0]]


@pytest.mark.parametrize("username", ["county_zy", "province"])
def test_a_search_is_counted_up_to_its_cap(app, client, auth, username, monkeypatch):
    """A search in the default order is counted up to ``SEARCH_COUNT_CAP``: below it the tab's number
    equals the rows counted by reading them (first page, a later page, past the last page, nothing
    found, another order); a first page with room left is counted from its own ids, without a count
    statement; above the cap the tab says 超过 N 条, the list asks for a longer term, the pager stops at
    the cap, and the 全部 form leaves the counting to its confirmation page."""
    from collections import Counter

    import views.admin.applications as applications
    from models import Account
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(90, random_seed=8, echo=lambda *a: None)
    user = db.session.scalar(select(Account).where(Account.username == username))
    terms = [t for t, _n in Counter(n[:6] for n in db.session.scalars(select(Trainee.id_number))).most_common(8)]
    term = max(terms, key=lambda t: _scoped_count(f"/admin/application/?search={t}", user))  # an ID's start
    surname = Counter(name[0] for name in db.session.scalars(select(Trainee.name))).most_common(1)[0][0]
    auth.login(username, DEMO_PASSWORD)
    by_submission = f"sort={SUBMITTED_AT_COLUMN}&desc=1"
    found = []
    for query in (f"search={term}", f"search={surname}", f"search={term}&page_size=2&page=1",
                  f"search={term}&page_size=2&page=400", "search=不存在的名字", f"search={term}&{by_submission}"):
        url = f"/admin/application/?{query}"
        expected = _scoped_count(url, user)
        html = client.get(url).get_data(as_text=True)
        assert _listed_count(html) == expected, url
        assert "search-capped" not in html
        found.append(expected)
    assert 2 < found[0] < 20 and found[4] == 0  # more than a page of 2, less than one of 20; and nothing found
    with counting_statements() as counter:
        client.get(f"/admin/application/?search={term}")
    assert not [s for s in counter.statements if "count(" in s.lower()]  # the page's ids were its count

    # the cap below what the term finds; on its second page (the first has room for all: its own count)
    monkeypatch.setattr(applications, "SEARCH_COUNT_CAP", found[0] - 1)
    with counting_statements() as counter:
        html = client.get(f"/admin/application/?search={term}&page=1").get_data(as_text=True)
    assert f"列表 (超过 {found[0] - 1} 条)" in html
    assert "符合条件的报名超过" in html and "缩小查找范围" in html
    counts = [s for s in counter.statements if "count(" in s.lower()]
    assert len(counts) == 1 and re.search(r"LIMIT \S+( OFFSET \S+)?\)", counts[0])  # counted no further than the cap
    if "bulk-all-form" in html:
        assert 'name="count"' not in html and "全部符合条件的报名（超过" in html


def _cells(html: str) -> list[str]:
    """The list's rows as a user's browser reads them: tags and text with spaces between tags dropped, the
    CSRF tokens (one per page) left out."""
    body = html.split("<tbody", 1)[-1] if "<tbody" in html else html.split("</thead>", 1)[1]
    body = body.split("</table>", 1)[0]
    body = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', body)
    return [re.sub(r">\s+<", "><", re.sub(r"\s+", " ", row)).strip() for row in body.split("<tr>")[1:]]


@pytest.mark.parametrize("username, url", [
    ("county_zy", "/admin/application/"),
    ("city_zz", "/admin/application/?sort=0&desc=1"),
    ("province", "/admin/application/?page=1"),
])
def test_the_rows_written_in_python_equal_flask_admins_cells(demo_rows, client, auth, monkeypatch, username, url):
    """The list's rows written by ``views.admin.list_rows`` are the cells Flask-Admin's row actions and
    ``get_value`` write (the page's fallback, which the superuser's delete button takes): same columns,
    values, masks, review buttons (their one-click forms too) and links."""
    from models import Account, Region
    county = db.session.scalar(select(Account.region_id).where(Account.username == "county_zy"))
    city = db.session.scalar(select(Region.parent_id).where(Region.id == county))
    db.session.execute(update(Application).where(Application.id % 2 == 0).values(county_id=county, city_id=city))
    db.session.commit()
    auth.login(username, DEMO_PASSWORD)
    written = _cells(client.get(url).get_data(as_text=True))
    monkeypatch.setattr("views.admin.review_loop.list_rows", lambda view, context: None)
    flask_admins = _cells(client.get(url).get_data(as_text=True))
    assert len(written) >= 2 and "review-buttons" in written[0] and len(written) == len(flask_admins)
    assert written == flask_admins
    if username == "county_zy":  # submitted applications: each row has its one-click approve form
        assert sum("row-approve" in row for row in written) >= 2


def test_the_superusers_list_keeps_flask_admins_row_actions(world, client, auth):
    """The superuser's rows carry a delete button, which ``list_rows`` does not write: the page falls back
    to Flask-Admin's row actions (view, edit, delete, the review buttons)."""
    auth.login("super", PASSWORD)
    html = client.get("/admin/application/").get_data(as_text=True)
    rows = _cells(html)
    assert rows and all('action="/admin/application/delete/"' in row and "details/?id=" in row for row in rows)
    assert all('class="review-buttons"' in row for row in rows)


@pytest.mark.parametrize("page, pages", [(0, 2), (0, 9), (3, 9), (4, 9), (8, 9), (0, 50), (25, 50), (49, 50),
                                         (2, 3), (1, 7)])
def test_the_pager_links_the_pages_flask_admins_pager_links(app, page, pages):
    """``pager_links`` gives the pages, in order, that Flask-Admin's ``lib.pager`` macro links (the
    current one inactive, first/previous/next/last disabled at the ends)."""
    from views.admin.list_rows import pager_links
    with app.test_request_context("/admin/application/"):
        macro = app.jinja_env.get_template("admin/lib.html").module.pager
        html = str(macro(page, pages, lambda p: f"/p{p}"))
    expected = re.findall(r'<li class="page-item( active| disabled)?">\s*<a class="page-link" href="([^"]*)">([^<]*)</a>',
                          html)
    expected = [(text.replace("&laquo;", "«").replace("&raquo;", "»").replace("&lt;", "<").replace("&gt;", ">"),
                 None if href == "javascript:void(0)" else int(href[2:]), state.strip()) for state, href, text in expected]
    assert expected and pager_links(page, pages) == expected  # (one page has no pager: the template asks for none)


@pytest.mark.parametrize("username", ["city_zz", "province"])
def test_a_unit_name_no_trainee_name_starts_with_is_searched_in_unit_names_alone(app, client, auth, username,
                                                                                 monkeypatch):
    """A term of 3 characters or more that starts no trainee's name ("人民医院") is looked for in unit names
    alone (no union to sort): the same applications, in the list's order (longest waiting first), counted
    up to the cap like a name search; a term that also starts a name still finds both ways."""
    from collections import Counter

    import views.admin.applications as applications
    from models import Account
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(90, random_seed=8, echo=lambda *a: None)
    user = db.session.scalar(select(Account).where(Account.username == username))
    names = set(db.session.scalars(select(Trainee.name)))
    units = Counter(u for u in db.session.scalars(select(Application.unit_name)) if u)
    terms = {part for unit in units for part in (unit[-4:], unit[-5:]) if not any(n.startswith(part) for n in names)}
    term = max(sorted(terms), key=lambda t: _scoped_count(f"/admin/application/?search={t}", user))
    url = f"/admin/application/?search={term}"
    expected = _scoped_count(url, user)
    assert expected > 2
    auth.login(username, DEMO_PASSWORD)
    with counting_statements() as counter:
        html = client.get(url + "&page_size=100").get_data(as_text=True)
    assert _listed_count(html) == expected
    in_order = [row_id for row_id, in db.session.execute(
        select(Application.id).where(Application.unit_name.contains(term), Application.id.in_(
            _ids_on_page(client, url + "&page_size=100"))).order_by(Application.status_changed_at, Application.id))]
    assert _ids_on_page(client, url + "&page_size=100") == in_order and len(in_order) == expected
    finding = [s for s in counter.statements if "unit_name LIKE" in s and "count(" not in s.lower()]
    assert finding and all("UNION" not in s and "OVER (" not in s for s in finding)

    monkeypatch.setattr(applications, "SEARCH_COUNT_CAP", expected - 1)
    html = client.get(url + "&page_size=2&page=1").get_data(as_text=True)
    assert f"列表 (超过 {expected - 1} 条)" in html and "缩小查找范围" in html


def test_a_unit_name_search_stops_at_the_cap_from_the_units_that_start_with_it(app, client, auth, monkeypatch):
    """A unit-name search counts the units whose name starts with the term first (a prefix index): when
    those alone pass the cap, the list says "more than …" without the "contains" count that reads every
    unit name; when they do not, the "contains" count gives the exact number. Both sides of the cap."""
    from collections import Counter

    import views.admin.applications as applications
    from models import Account
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(90, random_seed=8, echo=lambda *a: None)
    user = db.session.scalar(select(Account).where(Account.username == "province"))
    names = set(db.session.scalars(select(Trainee.name)))
    units = Counter(u for u in db.session.scalars(select(Application.unit_name)) if u)
    unit = max(sorted(u for u in units if not any(n.startswith(u) for n in names)), key=units.get)
    url = f"/admin/application/?search={unit}&page_size=2&page=1"
    found = _scoped_count(f"/admin/application/?search={unit}", user)
    assert found >= units[unit] >= 3  # the units that contain it: this one at least
    auth.login("province", DEMO_PASSWORD)

    def counts(cap: int) -> tuple[str, list[str]]:
        monkeypatch.setattr(applications, "SEARCH_COUNT_CAP", cap)
        with counting_statements() as counter:
            html = client.get(url).get_data(as_text=True)
        return html, [s for s in counter.statements if s.lower().startswith("select count(")]

    html, counted = counts(units[unit] - 1)  # the units starting with it pass the cap: one count, of those
    assert f"列表 (超过 {units[unit] - 1} 条)" in html
    assert len(counted) == 1 and f"LIKE '{unit}%" in counted[0]
    html, counted = counts(found)  # they do not: the "contains" count, exact
    assert _listed_count(html) == found
    assert len(counted) == 2 and f"LIKE '{unit}%" in counted[0] and f"LIKE '{unit}%" not in counted[1]


@pytest.mark.parametrize("order", ["", f"sort={SUBMITTED_AT_COLUMN}", f"sort={SUBMITTED_AT_COLUMN}&desc=1",
                                   "sort=0&desc=1"])
def test_a_page_past_the_middle_is_found_from_the_end(demo_rows, client, auth, order):
    """A page past the middle of a list with a maintained count is found by walking the order backwards
    from the end: every page, the last one (partly filled) included, shows the rows the whole list shows
    there, in the same order, drafts without a 提交时间 too."""
    from models import Account
    auth.login("province", DEMO_PASSWORD)
    user = db.session.scalar(select(Account).where(Account.username == "province"))
    everything = _ids_on_page(client, f"/admin/application/?{order}&page_size=100")
    assert len(everything) == _scoped_count(f"/admin/application/?{order}", user)
    size = 20  # a page size the list offers (another is read as 20)
    assert len(everything) % size and len(everything) > 2 * size  # a last page partly filled, past the middle
    pages = []
    for page in range((len(everything) + size - 1) // size):
        with counting_statements() as counter:
            pages.append(_ids_on_page(client, f"/admin/application/?{order}&page_size={size}&page={page}"))
        finding = [s for s in counter.statements if s.startswith("SELECT application.id") and "LIMIT" in s]
        assert len(finding) == 1
        backwards = page * size * 2 > len(everything)
        order_by = finding[0].rsplit("ORDER BY", 1)[1]
        assert ("DESC" in order_by) == (order.endswith("desc=1") != backwards), (page, size, len(everything), order_by)
    assert [i for page in pages for i in page] == everything
    assert len(pages[-1]) == len(everything) % size


@pytest.mark.parametrize("username", ["county_zy", "city_zz", "base_one", "province"])
def test_a_counted_list_page_lists_the_ids_flask_admins_query_lists(app, auth, username):
    """A list whose filters the maintained counts answer reads its page's ids from a kept statement
    (``ApplicationView.counted_page_ids``), not Flask-Admin's query: for every scope, counted filter, sort
    column in both directions (and a column that cannot be sorted: the default order) and page (the first,
    the middle, those read from the end, the last, past the end), the ids are those Flask-Admin's own query
    finds with a plain OFFSET, in the same order."""
    from flask import current_app
    from flask_login import login_user

    from models import Account, Region
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(60, random_seed=11, echo=lambda *a: None)
    # ties in every sort column, so that the tie-break by id decides part of each order
    db.session.execute(update(Application).where(Application.id % 3 == 0)
                       .values(unit_name="同名单位", submitted_at=datetime(2026, 3, 1, 9), status_changed_at=datetime(2026, 3, 2, 9)))
    # half of them in the county reviewer's county (and so the city reviewer's city), at the base's base
    county = db.session.scalar(select(Account.region_id).where(Account.username == "county_zy"))
    city = db.session.scalar(select(Region.parent_id).where(Region.id == county))
    base = db.session.scalar(select(Account.base_id).where(Account.username == "base_one"))
    db.session.execute(update(Application).where(Application.id % 2 == 0)
                       .values(county_id=county, city_id=city, base_id=base))
    db.session.commit()
    user = db.session.scalar(select(Account).where(Account.username == username))
    view = next(v for v in current_app.extensions["admin"][0]._views if isinstance(v, ApplicationView))
    size, compared, listed = 4, 0, set()
    for template in COUNTED_URLS[:6]:
        url = template.format(county=county, city=city, base=base)
        for sort in (None, "id", "status", "submitted_at", "status_changed_at", "unit_name", "trainee.name"):
            for desc in (False, True):
                with current_app.test_request_context(url):
                    login_user(user)
                    filters = view._get_list_extra_args().filters
                    total, _ = view.get_list(0, sort, desc, None, filters, page_size=size)
                    pages = -(-total // size)
                    for page in sorted({0, 1, pages // 2, pages // 2 + 1, pages - 2, pages - 1, pages} - {-1, -2}):
                        kept = [row.id for row in view.get_list(page, sort, desc, None, filters, page_size=size)[1]]
                        _count, rows = super(ApplicationView, view).get_list(page, sort, desc, None, filters,
                                                                             page_size=size)
                        assert kept == [row.id for row in rows], (url, sort, desc, page)
                        compared += 1
                        listed.update(kept)
    assert compared > 100 and len(listed) > 10  # pages that hold rows were compared, not only empty ones


def test_a_counted_list_page_runs_five_statements(app, client, auth):
    """A queue page whose filters the maintained counts answer runs five statements, whatever the data: the
    session's account, the counts (the list's and the menu's), the page's ids, its rows, and what the
    page offers beside them (its filters' batches and bases and the saved filters, in one)."""
    ensure_fixtures(echo=lambda *a: None)
    generate_trainees(40, random_seed=3, echo=lambda *a: None)
    auth.login("county_zy", DEMO_PASSWORD)
    url = "/admin/application/?flt0_status_equals=submitted"
    client.get(url)
    with counting_statements() as counter:
        html = client.get(url).get_data(as_text=True)
    assert counter.count == 5, counter.statements
    assert "details/?id=" in html and "我的筛选" in html

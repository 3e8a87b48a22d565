"""Each role's default queue: a menu link into the list with the role's filter, scoped as always."""
from __future__ import annotations

import re
from html import unescape

from app.extensions import db
from models import Status
from tests.factories import PASSWORD, ApplicationFactory, TraineeFactory, id_number
from tests.queries import statements


def queue_links(html: str) -> dict[str, str]:
    """Menu label → href of the queue links (the links carrying both program and status filters); the
    label without its count "（3）"."""
    links = re.findall(r'<a[^>]+href="([^"]*flt1_program_equals[^"]*)"[^>]*>\s*([^<（]+?)（\d+）\s*</a>', html)
    return {label: unescape(href) for href, label in links}


def queue_counts(html: str) -> dict[str, int]:
    """Menu label → the count it shows."""
    found = re.findall(r'<a[^>]+href="[^"]*flt1_program_equals[^"]*"[^>]*>\s*([^<（]+?)（(\d+)）\s*</a>', html)
    return {label: int(count) for label, count in found}


def make(world, county, status):
    city = {"zy": "zz", "js": "zz", "xg": "ly"}[county]
    application = ApplicationFactory(trainee=TraineeFactory(id_number=id_number(world.regions[county].code)),
                                     batch=world.batches["gp"], county=world.regions[county],
                                     city=world.regions[city], unit_name="测试单位", status=status)
    db.session.commit()
    return application


def test_each_role_has_its_queues_in_the_menu(world, client, auth):
    expected = {
        "county_zy": ["待我审核"],
        "city_zz": ["待我审核", "待分配基地"],
        "base_zz": ["待基地审核", "待现场确认", "已录取待报到"],
        "province": ["已确认待录取", "已录取未报到"],
        "support": [],
    }
    for username, labels in expected.items():
        auth.login(username, PASSWORD)
        links = queue_links(client.get("/admin/").get_data(as_text=True))
        assert sorted(links) == sorted(labels), username
        auth.logout()


def test_county_queue_shows_only_own_county_applications_waiting_for_it(world, client, auth):
    waiting = make(world, "zy", Status.SUBMITTED)
    done = make(world, "zy", Status.COUNTY_APPROVED)
    other_county = make(world, "js", Status.SUBMITTED)
    auth.login("county_zy", PASSWORD)
    url = queue_links(client.get("/admin/").get_data(as_text=True))["待我审核"]
    assert "flt2_status_equals=submitted" in url and "flt1_program_equals=gp_transfer" in url
    html = client.get(url).get_data(as_text=True)
    ids = set(re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html))
    assert ids == {str(waiting.id)}
    assert str(done.id) not in ids and str(other_county.id) not in ids
    # the plain list is still the whole county
    html = client.get("/admin/application/").get_data(as_text=True)
    everything = set(re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', html))
    assert {str(waiting.id), str(done.id)} <= everything and str(other_county.id) not in everything


def test_city_queues_split_review_and_assignment(world, client, auth):
    review = make(world, "js", Status.COUNTY_APPROVED)
    assign = make(world, "zy", Status.CITY_APPROVED)
    make(world, "xg", Status.COUNTY_APPROVED)  # another city
    auth.login("city_zz", PASSWORD)
    links = queue_links(client.get("/admin/").get_data(as_text=True))
    def rows(url):
        return set(re.findall(r'name="rowid" class="action-checkbox" value="(\d+)"', client.get(url).get_data(as_text=True)))
    assert rows(links["待我审核"]) == {str(review.id)}
    assert rows(links["待分配基地"]) == {str(assign.id)}


def test_the_menu_and_the_dashboard_count_each_queue_within_the_scope(world, client, auth):
    auth.login("city_zz", PASSWORD)
    from_before = queue_counts(client.get("/admin/").get_data(as_text=True))
    for county, status in (("zy", Status.COUNTY_APPROVED), ("js", Status.COUNTY_APPROVED),
                           ("zy", Status.CITY_APPROVED), ("xg", Status.COUNTY_APPROVED), ("zy", Status.SUBMITTED)):
        make(world, county, status)  # 西工区 is another city's; 待区县审核 is the county's
    html = client.get("/admin/").get_data(as_text=True)
    counts = queue_counts(html)
    assert counts["待我审核"] == from_before["待我审核"] + 2
    assert counts["待分配基地"] == from_before["待分配基地"] + 1
    # the dashboard's row of queues, with the same numbers
    found = dict(re.findall(r'data-queue="(\w+)">[^<]*<span class="badge[^"]*">(\d+)</span>', html))
    assert int(found["city"]) == counts["待我审核"] and int(found["assignment"]) == counts["待分配基地"]
    # one grouped query for the counts, on every page of the back office
    client.get("/admin/application/")  # the filters' reference options are read once per process
    before = statements(client, "/admin/application/")
    make(world, "zy", Status.COUNTY_APPROVED)
    assert statements(client, "/admin/application/") == before

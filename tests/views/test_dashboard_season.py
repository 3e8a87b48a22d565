"""The dashboard stays one screen for 38 bases (issue 14: "The dashboard stays one screen for 38 bases:
totals, top items, and a searchable table") and shows the residency season per base and specialty
(issue 15, item 6: "Lists, exports and the dashboard show each of these states per base and specialty:
exam allocation, scores, admission, acceptance, 报到 and missing documents"): the numbers, who sees
which base, forged ids, and a fixed number of statements whatever the number of bases."""
from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

import pytest

from app.extensions import db
from models import Acceptance, Quota, Status
from models.enums import Program
from tests.dashboard import (
    dashboard,
    exam_room,
    give_seat,
    notice,
    residency_application,
    rows_by,
    tables,
    training_record,
)
from tests.catalogue import english_on_page, identifiers_on_page, own_msgids
from tests.factories import PASSWORD, BaseFactory, BatchFactory, specialty
from tests.queries import statements_for

# [quota, applicants, per place, exam numbers, scored, absent, admitted, accepted, declined or expired,
#  awaiting answer, reported, missing documents]
ZZ = {"0100": ["3", "5", "1.7", "3", "2", "1", "0", "0", "1", "0", "0", "0"],
      "0200": ["2", "3", "1.5", "2", "1", "0", "2", "1", "1", "1", "1", "1"],
      "total": ["5", "8", "1.6", "5", "3", "1", "2", "1", "2", "1", "1", "1"]}
LY = {"0100": ["4", "2", "0.5", "2", "2", "0", "1", "0", "0", "0", "0", "0"]}
ALL = ["9", "10", "1.1", "7", "5", "1", "3", "1", "2", "1", "1", "1"]


@pytest.fixture
def season(world):
    """A residency batch in every state of the season at two bases (郑州: internal medicine 3 places,
    paediatrics 2; 洛阳: internal medicine 4)."""
    batch = BatchFactory(name="住培进展批次", program=Program.RESIDENCY)
    zz, ly = world.bases["zz"], world.bases["ly"]
    internal, paediatrics = specialty("0100"), specialty("0200")
    for base, spec, capacity in ((zz, internal, 3), (zz, paediatrics, 2), (ly, internal, 4)):
        db.session.add(Quota(batch=batch, base=base, specialty=spec, capacity=capacity))
    room_zz, room_ly = exam_room(batch, zz), exam_room(batch, ly)

    def apply(county, base, status, choices, seat=False, **values):
        application = residency_application(world, county, batch, base, status, choices, **values)
        if seat:
            give_seat(application, room_zz if base is zz else room_ly)
        return application

    apply("zy", zz, Status.SUBMITTED, [internal])                                   # waiting for the base
    pending = apply("zy", zz, Status.ADMITTED, [internal, paediatrics], seat=True, combined_score=85,
                    admitted_specialty_id=paediatrics.id)
    notice(pending, paediatrics)                                                    # not yet answered
    reported = apply("js", zz, Status.REPORTED, [paediatrics], seat=True, combined_score=90,
                     admitted_specialty_id=paediatrics.id)
    notice(reported, paediatrics, Acceptance.ACCEPTED)
    training_record(reported, diploma_due=date(2025, 8, 31))                       # diploma and degree missing
    apply("zy", zz, Status.NOT_ADMITTED, [internal], seat=True, combined_score=60)
    apply("zy", zz, Status.CONFIRMED, [internal], seat=True, exam_absent=True)       # 缺考
    apply("zy", zz, Status.CONFIRMED, [paediatrics], seat=True)                      # no score yet
    declined = apply("js", zz, Status.NOT_ADMITTED, [internal])
    notice(declined, internal, Acceptance.DECLINED)
    expired = apply("js", zz, Status.NOT_ADMITTED, [paediatrics])
    notice(expired, paediatrics, Acceptance.EXPIRED)
    apply("zy", zz, Status.DRAFT, [internal])                                       # not counted anywhere
    apply("xg", ly, Status.CONFIRMED, [internal], seat=True, combined_score=100)
    admitted = apply("xg", ly, Status.ADMITTED, [internal], seat=True, combined_score=10)
    # accepted with the documents on file (or withdrawn): nothing missing
    training_record(admitted, diploma_due=date(2025, 8, 31), withdrawn_at=datetime(2025, 9, 1))
    db.session.commit()
    return batch


def base_page(client, base_id) -> str:
    response = client.get(f"/admin/base/{base_id}/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def headline(html: str, batch) -> dict[str, str]:
    section = html.split(f'id="b{batch.id}-headline"', 1)[1].split("</dl>", 1)[0]
    return dict(re.findall(r'data-headline="(\w+)"><dt>[^<]*</dt><dd>(\d+)</dd>', section))


def top_lists(html: str, batch) -> dict[str, list[tuple[str, str]]]:
    """Top list key → [(base id, value)]."""
    section = html.split(f'id="b{batch.id}"', 1)[1]
    found = {}
    for key, body in re.findall(r'<ol class="dash-top" data-top="(\w+)">(.*?)</ol>', section, re.S):
        found[key] = re.findall(r'<li data-base="(\d+)">.*?<span class="dash-top-value">([\d.]+)</span>', body, re.S)
    return found


def test_province_sees_one_table_of_bases_with_each_state(world, season, client, auth):
    zz, ly = world.bases["zz"], world.bases["ly"]
    html = dashboard(client, "province", auth)
    assert rows_by(tables(html)[f"b{season.id}-bases-table"], "data-base") == {
        str(zz.id): ZZ["total"], str(ly.id): LY["0100"], "total": ALL}
    assert headline(html, season) == {"applications": "11", "waiting": "1", "places": "9", "admitted": "3",
                                      "accepted": "1", "reported": "1"}
    tops = top_lists(html, season)
    assert tops["ratio"] == [(str(zz.id), "1.7"), (str(zz.id), "1.5"), (str(ly.id), "0.5")]
    assert tops["waiting"] == [(str(zz.id), "1")]
    assert tops["unscored"] == [(str(zz.id), "1")]       # five exam numbers: three scored, one absent
    assert tops["missing"] == [(str(zz.id), "1")]
    # the base's name opens its page per specialty
    assert f'href="/admin/base/{zz.id}/"' in html
    page = base_page(client, zz.id)
    assert rows_by(tables(page)[f"b{season.id}-res{zz.id}-table"], "data-specialty") == ZZ
    assert rows_by(tables(base_page(client, ly.id))[f"b{season.id}-res{ly.id}-table"], "data-specialty") == LY


def test_the_reported_count_opens_a_list_of_that_many(world, season, client, auth):
    html = dashboard(client, "province", auth)
    row = html.split(f'<tr data-base="{world.bases["zz"].id}">', 1)[1].split("</tr>", 1)[0]
    href = re.search(r'<a href="(/admin/application/\?[^"]*flt_status_equals=reported[^"]*)">1</a>', row).group(1)
    listing = client.get(unescape(href)).get_data(as_text=True)
    body = listing.split("model-list", 1)[1].split("</thead>", 1)[1].split("</table>", 1)[0]
    assert len([r for r in body.split("<tr")[1:] if "colspan" not in r.split("</tr>", 1)[0]]) == 1


def test_base_staff_see_their_base_per_specialty_and_never_the_other(world, season, client, auth):
    zz, ly = world.bases["zz"], world.bases["ly"]
    html = dashboard(client, "base_zz", auth)
    found = tables(html)
    assert rows_by(found[f"b{season.id}-res{zz.id}-table"], "data-specialty") == ZZ
    assert f"b{season.id}-bases-table" not in found and f"res{ly.id}" not in html and ly.name not in html
    assert headline(html, season) == {"applications": "8", "waiting": "1", "places": "5", "admitted": "2",
                                      "accepted": "1", "reported": "1"}
    assert 'data-top="' not in html.split(f'id="b{season.id}"', 1)[1]  # one base: no top lists
    assert client.get(f"/admin/base/{ly.id}/").status_code == 404
    assert rows_by(tables(base_page(client, zz.id))[f"b{season.id}-res{zz.id}-table"], "data-specialty") == ZZ
    auth.logout()
    html = dashboard(client, "base_ly", auth)
    assert rows_by(tables(html)[f"b{season.id}-res{ly.id}-table"], "data-specialty") == LY
    assert zz.name not in html and f"res{zz.id}" not in html
    assert client.get(f"/admin/base/{zz.id}/").status_code == 404


@pytest.mark.parametrize("user", ["county_zy", "city_zz", "univ_zz"])
def test_commissions_see_no_base_table_and_no_base_page(world, season, client, auth, user):
    auth.login(user, PASSWORD)
    html = client.get("/admin/").get_data(as_text=True)
    assert "-bases-table" not in html and f"b{season.id}-res" not in html and "/admin/base/" not in html
    for base in world.bases.values():
        assert client.get(f"/admin/base/{base.id}/").status_code == 404


def test_reviewers_keep_queues_and_regions_unfolded_the_province_folds_them(world, season, client, auth):
    gp = world.batches["gp"]
    html = dashboard(client, "county_zy", auth)
    assert re.search(r'<details class="dash-section dash-fold" open>\s*<summary><h3>[^<]*</h3></summary>\s*'
                     r'<div class="row">\s*<div[^>]*>\s*<div class="dash-chart"[^>]*>\s*<canvas data-chart="b'
                     + str(gp.id) + '-regions"', html)
    assert f"b{gp.id}-queues-table" in html and f"b{gp.id}-regions-table" in html
    auth.logout()
    html = dashboard(client, "province", auth)
    assert '<details class="dash-section dash-fold" open>' not in html
    assert '<details class="dash-section dash-fold">' in html


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1%2C2", "99999999999999999999", "9223372036854775808",
                                   "%00", "1%00", "=1+1"])
def test_a_forged_base_id_is_not_found(world, season, client, auth, value):
    auth.login("province", PASSWORD)
    assert client.get(f"/admin/base/{value}/").status_code == 404


def test_a_base_without_residency_places_says_so(world, client, auth):
    other = BaseFactory(name="无住培名额基地", city=world.regions["zz"])
    db.session.commit()
    auth.login("province", PASSWORD)
    assert "该基地在当前批次中没有住培名额" in base_page(client, other.id)


def _more_bases(world, batch, count: int) -> None:
    """``count`` more bases, each with two specialties and applications in every state."""
    internal, paediatrics = specialty("0100"), specialty("0200")
    for n in range(count):
        base = BaseFactory(name=f"示例基地{n:02d}", city=world.regions["zz" if n % 2 else "ly"])
        room = exam_room(batch, base)
        for spec in (internal, paediatrics):
            db.session.add(Quota(batch=batch, base=base, specialty=spec, capacity=10 + n))
        admitted = residency_application(world, "zy", batch, base, Status.REPORTED, [internal, paediatrics],
                                         combined_score=70, admitted_specialty_id=internal.id)
        give_seat(admitted, room)
        notice(admitted, internal, Acceptance.ACCEPTED)
        training_record(admitted, diploma_due=date(2025, 8, 31))
        residency_application(world, "xg", batch, base, Status.SUBMITTED, [paediatrics])
    db.session.commit()


@pytest.mark.parametrize("user", ["province", "base_zz"])
def test_statements_do_not_grow_with_38_bases(world, season, client, auth, user):
    """The dashboard and a base's page run the same number of statements for 2 bases and for 38."""
    auth.login(user, PASSWORD)
    zz = world.bases["zz"]
    dashboard_few, _html = statements_for(client, "/admin/")
    page_few, _html = statements_for(client, f"/admin/base/{zz.id}/")
    _more_bases(world, season, 36)
    dashboard_many, html = statements_for(client, "/admin/")
    page_many, _html = statements_for(client, f"/admin/base/{zz.id}/")
    assert (dashboard_many, page_many) == (dashboard_few, page_few)
    assert dashboard_few <= 9 and page_few <= 6
    if user == "province":
        assert len(rows_by(tables(html)[f"b{season.id}-bases-table"], "data-base")) == 38 + 1  # and the total
        assert html.count("<canvas") <= 6  # queues, scores and regions per batch: no chart per base


def test_gp_top_items_for_the_province(world, client, auth):
    gp = world.batches["gp"]
    for n in range(3):
        base = BaseFactory(name=f"全科示例基地{n}", city=world.regions["zz"])
        db.session.add(Quota(batch=gp, base=base, specialty=specialty("0700"), capacity=n))
    db.session.commit()
    html = dashboard(client, "province", auth)
    tops = top_lists(html, gp)
    assert [value for _base, value in tops["gp_places"]][:3] == ["0", "1", "2"]  # fewest places left first
    assert headline(html, gp)["places"] == str(5 + 5 + 0 + 1 + 2)
    assert re.search(r'data-top="regions">.*?<span>[^<]+</span>\s*<span class="dash-top-value">1</span>', html, re.S)


@pytest.mark.parametrize("user", ["province", "base_zz"])
def test_the_dashboard_and_the_base_page_read_in_chinese(world, season, client, auth, user):
    auth.login(user, PASSWORD)
    own = {base.name for base in world.bases.values()} | {season.name, world.batches["gp"].name, user}
    for url in ("/admin/", f"/admin/base/{world.bases['zz'].id}/"):
        html = client.get(url).get_data(as_text=True)
        assert english_on_page(html, own_msgids()) == ([], []), url
        assert identifiers_on_page(html, own) == [], url

"""The dashboard's recruitment progress (招收进度): per current batch the plan, the quota total, the
bases with places against those expected and the admissions so far; the round-2 batch under its first
round and counted towards phase two; each phase deadline's state at the day's edges; for the province
admin and the superuser only; a fixed number of statements whatever the number of rows."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from models import Quota, Status
from models.enums import BatchRound, BatchStatus, Program
from tests.catalogue import zh
from tests.dashboard import add_application, dashboard, rows_by, tables
from tests.factories import PASSWORD, BaseFactory, BatchFactory, specialty
from tests.queries import statements_for

PHASE_ONE, PHASE_TWO = date(2024, 5, 31), date(2024, 6, 15)
AT = datetime(2024, 5, 20, 10, 0)


@pytest.fixture
def clock(monkeypatch):
    """The dashboard's clock, settable by the test."""
    moment = {"at": AT}
    monkeypatch.setattr("app.domain.reporting.dashboard.now", lambda: moment["at"])
    return moment


@pytest.fixture
def season(world):
    """A residency season: first round (plan 10, 3 bases expected) with quotas at two bases and a base
    with no places left, admissions in several states, and its round-2 batch (still a draft)."""
    first = BatchFactory(name="2024年住培招收（第一阶段）", program=Program.RESIDENCY, plan_total=10,
                         expected_base_count=3, phase_one_deadline=PHASE_ONE, phase_two_deadline=PHASE_TWO)
    second = BatchFactory(name="2024年住培招收（调剂补录）", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY,
                          previous_batch=first, status=BatchStatus.DRAFT, phase_two_deadline=PHASE_TWO)
    zz, ly, empty = world.bases["zz"], world.bases["ly"], BaseFactory(name="无名额基地", city=world.regions["zz"])
    internal, paediatrics = specialty("0100"), specialty("0200")
    for batch, base, spec, capacity in ((first, zz, internal, 3), (first, zz, paediatrics, 2), (first, ly, internal, 4),
                                        (first, empty, internal, 0), (second, ly, internal, 2)):
        db.session.add(Quota(batch=batch, base=base, specialty=spec, capacity=capacity))
    for county, status in (("zy", Status.ADMITTED), ("js", Status.REPORTED), ("xg", Status.ADMITTED),
                           ("zy", Status.CONFIRMED), ("zy", Status.NOT_ADMITTED), ("zy", Status.SUBMITTED)):
        add_application(world, county, first, status, base=zz if county != "xg" else ly)
    add_application(world, "xg", second, Status.ADMITTED, base=ly)
    add_application(world, "xg", second, Status.SUBMITTED, base=ly)
    db.session.commit()
    return first, second


def progress_tables(html: str, batch) -> tuple[dict, dict]:
    found = tables(html)
    return (rows_by(found[f"progress-{batch.id}-batches"], "data-batch"),
            rows_by(found[f"progress-{batch.id}-phases"], "data-phase"))


def phase_rows(html: str, batch) -> dict[str, dict]:
    """Phase → its row's attributes (deadline state, plan result)."""
    return {attrs["data-phase"]: attrs for attrs, _cells in tables(html)[f"progress-{batch.id}-phases"]
            if "data-phase" in attrs}


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_plan_quotas_bases_and_admissions_per_batch(world, season, clock, client, auth):
    first, second = season
    html = dashboard(client, "province", auth)
    batches, phases = progress_tables(html, first)
    # 招收计划, 名额合计, bases with places / expected, admitted (admitted or reported)
    assert batches == {
        str(first.id): ["10", "9", "2 / 3", "3"],
        str(second.id): ["—", "2", "1 / —", "1"]}
    # the round-2 batch sits in its first round's table, not in one of its own
    assert f"progress-{second.id}-batches" not in html
    assert [squeeze(cells[1]) for cells in phases.values()] == ["3", "4"]  # phase two adds round 2
    assert squeeze(phases["one"][0]).startswith("2024年5月31日")
    short = zh("%(count)s short", count=7)
    assert zh("Plan not met") in phases["one"][2] and short in phases["one"][2]
    assert zh("%(count)s short", count=6) in phases["two"][2]


def test_gp_batches_count_assigned_applicants_and_their_gp_places(world, clock, client, auth):
    gp = world.batches["gp"]
    gp.plan_total, gp.expected_base_count = 2, 2
    db.session.add(Quota(batch=gp, base=world.bases["zz"], specialty=specialty("0100"), capacity=9))  # no GP place
    add_application(world, "zy", gp, Status.CITY_APPROVED)  # not assigned yet
    db.session.commit()
    html = dashboard(client, "super", auth)
    batches, phases = progress_tables(html, gp)
    assert batches == {str(gp.id): ["2", "10", "2 / 2", "2"]}  # the world's two assigned applicants
    attrs = phase_rows(html, gp)
    assert attrs["two"]["data-plan"] == "met" and zh("Plan met") in phases["two"][2]
    assert attrs["one"]["data-deadline"] == "unset" and zh("Not set") in phases["one"][0]


def test_without_plan_figure_the_result_says_so(world, clock, client, auth):
    html = dashboard(client, "province", auth)
    gp = world.batches["gp"]
    assert phase_rows(html, gp)["one"]["data-plan"] == "no_plan"
    assert zh("No plan figure set") in html


def test_draft_and_archived_batches_stay_out_but_a_draft_round_two_is_shown(world, season, clock, client, auth):
    first, _second = season
    draft = BatchFactory(name="未发布第一阶段", status=BatchStatus.DRAFT, plan_total=5)
    archived = BatchFactory(name="已归档调剂", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY,
                            previous_batch=first, status=BatchStatus.ARCHIVED)
    db.session.commit()
    html = dashboard(client, "province", auth)
    assert f'data-progress="{draft.id}"' not in html and "未发布第一阶段" not in html
    assert str(archived.id) not in progress_tables(html, first)[0]
    assert zh("Not published") in html  # the round-2 draft, with its status


# --- deadline states at the day's edges ---------------------------------------------------------

EDGES = [
    # clock, expected state key, the Chinese the row shows
    (datetime(2024, 5, 30, 23, 59, 59), "ahead", ("%(days)s days left", {"days": 1})),
    (datetime(2024, 5, 31, 0, 0, 0), "today", ("Due today", {})),
    (datetime(2024, 5, 31, 23, 59, 59), "today", ("Due today", {})),
    (datetime(2024, 6, 1, 0, 0, 0), "passed", ("Passed %(days)s days ago", {"days": 1})),
]


@pytest.mark.seed("5 月 31 日前完成第一阶段招收工作")
@pytest.mark.parametrize("at, key, message", EDGES, ids=["day-before", "day-starts", "day-ends", "day-after"])
def test_phase_one_deadline_state_at_the_edges(world, season, clock, client, auth, at, key, message):
    first, _second = season
    clock["at"] = at
    html = dashboard(client, "province", auth)
    assert phase_rows(html, first)["one"]["data-deadline"] == key
    assert zh(message[0], **message[1]) in progress_tables(html, first)[1]["one"][0]


@pytest.mark.seed("各住培基地于 6 月 15 日前完成第二阶段招收工作")
@pytest.mark.parametrize("offset, key, message", [
    (-1, "ahead", ("%(days)s days left", {"days": 1})), (0, "today", ("Due today", {})),
    (1, "passed", ("Passed %(days)s days ago", {"days": 1})),
    (16, "passed", ("Passed %(days)s days ago", {"days": 16}))],
    ids=["day-before", "day-of", "day-after", "later"])
def test_phase_two_deadline_state_at_the_edges(world, season, clock, client, auth, offset, key, message):
    first, _second = season
    clock["at"] = datetime.combine(PHASE_TWO + timedelta(days=offset), datetime.min.time()) + timedelta(hours=15)
    html = dashboard(client, "province", auth)
    assert phase_rows(html, first)["two"]["data-deadline"] == key
    assert zh(message[0], **message[1]) in progress_tables(html, first)[1]["two"][0]


@pytest.mark.seed("各住培基地于 6 月 15 日前完成第二阶段招收工作")
def test_phase_two_deadline_comes_from_the_round_two_batch_when_the_first_round_has_none(world, season, clock,
                                                                                        client, auth):
    first, second = season
    first.phase_two_deadline, second.phase_two_deadline = None, date(2024, 6, 14)
    db.session.commit()
    html = dashboard(client, "province", auth)
    assert squeeze(progress_tables(html, first)[1]["two"][0]).startswith("2024年6月14日")


@pytest.mark.seed("5 月 31 日前完成第一阶段招收工作")
@pytest.mark.parametrize("admitted, plan, key", [(3, 4, "short"), (3, 3, "met"), (3, 2, "met")],
                         ids=["one-short", "exactly", "over"])
def test_plan_met_at_the_edge(world, season, clock, client, auth, admitted, plan, key):
    first, _second = season
    first.plan_total = plan
    db.session.commit()
    html = dashboard(client, "province", auth)
    row = phase_rows(html, first)["one"]
    assert row["data-plan"] == key
    assert squeeze(progress_tables(html, first)[1]["one"][1]) == str(admitted)


# --- who sees it ---------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["support", "city_zz", "city_ly", "county_zy", "base_zz", "base_ly"])
def test_other_roles_do_not_see_the_progress(world, season, clock, client, auth, user):
    html = dashboard(client, user, auth)
    assert 'id="progress"' not in html and "data-progress" not in html and "progress-" not in html
    assert zh("Recruitment progress") not in html


@pytest.mark.parametrize("user", ["province", "super"])
def test_province_admin_and_superuser_see_the_progress(world, season, clock, client, auth, user):
    first, _second = season
    html = dashboard(client, user, auth)
    assert zh("Recruitment progress") in html and f'data-progress="{first.id}"' in html


# --- a fixed number of statements ------------------------------------------------------------------

def test_statement_count_does_not_grow_with_batches_quotas_or_applications(world, season, clock, client, auth):
    auth.login("province", PASSWORD)
    client.get("/admin/")  # warm-up
    few, html = statements_for(client, "/admin/")
    assert 'id="progress"' in html
    for n in range(4):
        first = BatchFactory(name=f"更多批次{n}", program=Program.RESIDENCY, plan_total=100 + n,
                             expected_base_count=2, phase_one_deadline=PHASE_ONE)
        second = BatchFactory(name=f"更多调剂{n}", program=Program.RESIDENCY, round=BatchRound.SUPPLEMENTARY,
                              previous_batch=first, status=BatchStatus.OPEN)
        for batch in (first, second):
            for base in (world.bases["zz"], world.bases["ly"]):
                db.session.add(Quota(batch=batch, base=base, specialty=specialty("0100"), capacity=5))
            for county, status in (("zy", Status.ADMITTED), ("xg", Status.REPORTED), ("js", Status.CONFIRMED)):
                add_application(world, county, batch, status, base=world.bases["zz"])
    db.session.commit()
    many, html = statements_for(client, "/admin/")
    assert html.count("data-progress=") == 6  # the season, the GP batch and four more first rounds
    assert many == few, (few, many)

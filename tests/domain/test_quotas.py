"""The quota grid's rules (app.domain.quotas): what a cell takes, the seats a quota may not go below,
which bases and specialties the grid has, and all-or-nothing saving."""
from __future__ import annotations

import pytest

from app.domain.quota_import import import_quotas
from app.domain.quotas import apply_capacities, load_grid, parse_capacity, seats_taken
from app.domain.review.assignment import AssignmentError, assign_base
from models import Status
from tests.factories import specialty
from tests.quota_helpers import quota_of, residency_grid, seats_taken as take, workbook


@pytest.mark.parametrize("raw, expected", [
    ("12", (12, None)), (" ３ ", (3, None)), ("", (None, None)), (None, (None, None)), (7.0, (7, None)),
    (0, (0, None)), ("1,200", (1200, None)), ("100000", (100000, None)),
])
def test_a_cell_takes_whole_numbers(app, raw, expected):
    assert parse_capacity(raw) == expected


@pytest.mark.parametrize("raw, message", [
    ("-1", "名额不能为负数。"), (-5, "名额不能为负数。"), ("abc", "名额请填写整数。"), ("2.5", "名额请填写整数。"),
    (2.5, "名额请填写整数。"), ("1e3", "名额请填写整数。"), ("9" * 400, "名额请填写整数。"),
    (10 ** 30, "名额最多为 100000。"), ("100001", "名额最多为 100000。"), ("1\x00", "内容含有无法输入的字符。"),
    (True, "名额请填写整数。"), ("=1+1", "名额请填写整数。"),
])
def test_a_cell_refuses_anything_else_in_chinese(app, raw, message):
    number, problem = parse_capacity(raw)
    assert number is None and problem == message


def test_the_grid_has_the_programs_bases_and_their_specialties(world):
    batch, zz, ly, gp_only, internal, surgery = residency_grid()
    grid = load_grid(batch)
    names = [b.name for b in grid.bases]
    ids = [b.id for b in grid.bases]  # in the order the bases were created
    assert ids == sorted(ids) and {"住培基地洛阳", "住培基地郑州"} <= set(names) and "全科基地" not in names
    assert grid.capacities == {(zz.id, internal.id): 5, (zz.id, surgery.id): 0}
    assert not grid.editable((zz.id, specialty("0200").id)) and grid.editable((ly.id, specialty("0200").id))
    gp_grid = load_grid(world.batches["gp"])
    assert [s.code for s in gp_grid.specialties] == ["0700"]
    assert {b.name for b in gp_grid.bases} >= {"测试基地郑州", "全科基地"} and "住培基地郑州" not in {
        b.name for b in gp_grid.bases}


def test_seats_taken_are_admitted_or_reported_residency_and_assigned_gp(world):
    batch, zz, _ly, _gp, internal, surgery = residency_grid()
    take(batch, zz, internal, 2)
    take(batch, zz, internal, 1, Status.REPORTED)
    take(batch, zz, surgery, 1, Status.NOT_ADMITTED)  # a declined or refused seat is free
    assert seats_taken(batch) == {(zz.id, internal.id): 3}
    gp = specialty("0700")
    assert seats_taken(world.batches["gp"]) == {(world.bases["zz"].id, gp.id): 1, (world.bases["ly"].id, gp.id): 1}


def test_saving_is_all_or_nothing(world):
    batch, zz, ly, _gp, internal, surgery = residency_grid()
    take(batch, zz, internal, 4)
    problems, changed = apply_capacities(batch, {(ly.id, internal.id): 6, (zz.id, internal.id): 3})
    assert changed == 0 and list(problems) == [(zz.id, internal.id)]
    assert "此处已占用 4 个名额" in problems[(zz.id, internal.id)]
    problems, changed = apply_capacities(batch, {(ly.id, internal.id): 6, (zz.id, internal.id): 4,
                                                 (ly.id, surgery.id): 0})
    assert problems == {} and changed == 2  # a zero without a quota row adds none
    assert quota_of(batch, ly, internal) == 6 and quota_of(batch, ly, surgery) is None


def test_a_lowered_gp_quota_then_refuses_the_next_assignment(world):
    """The grid and the assignment count the same seats: a quota lowered to the assigned trainees is full."""
    gp_batch, base, gp = world.batches["gp"], world.bases["zz"], specialty("0700")
    assert apply_capacities(gp_batch, {(base.id, gp.id): 1}) == ({}, 1)
    application = world.applications["js"]
    application.status = Status.CITY_APPROVED
    with pytest.raises(AssignmentError):
        assign_base(application, base, world.accounts["city_zz"])


def test_an_import_checks_every_row_before_applying(world):
    batch, zz, ly, _gp, internal, _surgery = residency_grid()
    report = import_quotas(workbook([[ly.id, "", "0100", "", 3], [zz.id, "", "0100", "", -1]]), batch)
    assert [p.row for p in report.problems] == [3] and quota_of(batch, ly, internal) is None
    report = import_quotas(workbook([[ly.id, "", "0100", "", 3], [zz.id, "", "0100", "", ""]]), batch)
    assert report.problems == [] and report.changed == 1 and quota_of(batch, ly, internal) == 3

"""Masking of ID numbers and mobile numbers (PIPL): the forms the lists, exports and searches show."""
import pytest

from app.domain.privacy import FULL_EXPORT_ROLES, REVEAL_ROLES, mask, mask_id_number, mask_phone
from models import Role


def test_an_id_number_keeps_its_first_six_and_last_four():
    assert mask_id_number("410102198803141230") == "410102********1230"
    assert mask_id_number("41010219880314123X") == "410102********123X"
    assert mask_id_number("410102880314123") == "410102*****4123"  # the old 15-digit card


def test_a_mobile_keeps_its_first_three_and_last_four():
    assert mask_phone("13900000001") == "139****0001"


@pytest.mark.parametrize("value, expected", [("", ""), (None, ""), ("E1234567", "****4567"), ("123", "***")])
def test_short_or_empty_values_reveal_no_more_than_the_last_four(value, expected):
    assert mask_id_number(value) == expected


def test_columns_are_masked_by_their_attribute_name():
    assert mask("trainee.id_number", "410102198803141230") == "410102********1230"
    assert mask("emergency_phone", "13900000001") == "139****0001"
    assert mask("name", "张三") == "张三"


def test_who_may_see_full_values():
    assert Role.TRAINEE not in REVEAL_ROLES and Role.TRAINEE not in FULL_EXPORT_ROLES
    assert Role.SUPPORT in REVEAL_ROLES and Role.SUPPORT not in FULL_EXPORT_ROLES
    for role in (Role.COUNTY_REVIEWER, Role.CITY_REVIEWER, Role.BASE_STAFF, Role.PROVINCE_ADMIN, Role.SUPERUSER):
        assert role in REVEAL_ROLES and role in FULL_EXPORT_ROLES

"""Dates and times in the back office read the Chinese way, times included."""
import re

from tests.factories import PASSWORD


def test_list_shows_chinese_date_and_time(world, client, auth):
    auth.login("province", PASSWORD)
    html = client.get("/admin/application/").get_data(as_text=True)
    submitted = world.applications["zy"].submitted_at
    expected = f"{submitted.year}年{submitted.month}月{submitted.day}日 {submitted:%H:%M}"
    assert expected in html
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", html)

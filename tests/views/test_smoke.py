"""The world fixture builds and every role can log in."""
from tests.factories import PASSWORD


def test_world_builds_and_staff_log_in(world, auth, client):
    response = auth.login("province", PASSWORD)
    assert response.status_code == 302 and response.location.endswith("/admin/")
    page = client.get("/admin/").get_data(as_text=True)
    assert "工作台" in page

"""The back-office dashboard as a user reads it: its tables by id, a table's rows by a data attribute,
the page of a logged-in user; and applications added at a status and a submission time."""
from __future__ import annotations

from html.parser import HTMLParser

from models import Application
from models.clock import now
from tests.factories import PASSWORD, ApplicationFactory, TraineeFactory, id_number


class Tables(HTMLParser):
    """Every table with an id: its rows (tr attributes, cells as (text, href))."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[str, str | None]]]]] = {}
        self._table = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif self._table is not None and tag == "tr":
            self._row = (attrs, [])
            self._table.append(self._row)
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ["", None]
        elif self._cell is not None and tag == "a":
            self._cell[1] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row[1].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def tables(html: str) -> dict:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def rows_by(table, attribute: str) -> dict[str, list[str]]:
    """Row key (a data attribute of the row) → the texts of its cells after the first."""
    return {attrs[attribute]: [text for text, _href in cells[1:]] for attrs, cells in table if attribute in attrs}


def dashboard(client, user: str, auth) -> str:
    auth.login(user, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def add_application(world, county_key: str, batch, status: str, submitted_at=None, **values) -> Application:
    city_key = "ly" if county_key == "xg" else "zz"
    county = world.regions[county_key]
    trainee = TraineeFactory(id_number=id_number(county.code))
    return ApplicationFactory(trainee=trainee, batch=batch, county=county, city=world.regions[city_key],
                              status=status, submitted_at=submitted_at or now(), **values)

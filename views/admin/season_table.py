"""The residency season table's number cells (dashboard and per-base page), written in Python: a
province dashboard shows some 300 rows of 12 cells, and a Jinja macro per cell cost more than the
rest of the page."""
from __future__ import annotations

from markupsafe import Markup, escape

ZERO = '<span class="text-muted">0</span>'
# the counts in the table's order; the flagged ones stand out when not zero
COLUMNS = ("applied", "ratio", "seats", "scored", "absent", "admitted", "accepted", "declined", "pending",
           "reported", "missing")
FLAGGED = {"pending": " text-warning font-weight-bold", "missing": " text-danger font-weight-bold"}


def _number(value) -> str:
    return str(escape(value)) if value else ZERO


def season_cells(t: dict, reported=None) -> Markup:
    """The quota, applicants, applicants per place, 准考证, scored, 缺考, admitted, the answers to the
    notices, 报到 (``reported``: a link into the list, else the number) and missing documents."""
    quota = t.get("quota")
    cells = [f'<td class="num">{escape(quota) if quota is not None else "—"}</td>']
    for name in COLUMNS:
        value = t.get(name)
        if name == "ratio":
            text = escape(value) if value else "—"
        elif name == "reported" and reported is not None:
            text = escape(reported)
        else:
            text = _number(value)
        flag = FLAGGED.get(name, "") if value else ""
        cells.append(f'<td class="num{flag}">{text}</td>')
    return Markup("\n  ".join(cells))

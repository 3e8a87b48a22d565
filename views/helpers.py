"""Helpers shared by the back office and the portal: parsing what comes in from a URL or a form."""
from __future__ import annotations

import re

from models.base import MAX_INT

INT_RE = re.compile(r"^\d{1,18}$")


def parse_id(value) -> int | None:
    """A primary key from a URL or form: a plain positive integer, else ``None`` (``1,2`` too)."""
    if isinstance(value, int):
        return value
    if not isinstance(value, str) or not INT_RE.match(value.strip()):
        return None
    number = int(value.strip())
    return number if 0 < number <= MAX_INT else None

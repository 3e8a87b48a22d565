"""Back-office links to views whose URL rule has no variable part, without Flask's URL map on every link.

A list page links to its own view some twenty times (each column's sort, each page of the pager, the
page sizes, the export, "clear the search"), each through ``url_for``: the blueprint, the URL map's
lookup, the rule's builder. For a rule without variables the URL is always its path and the arguments
as a query string, so the path is found once per process, mount point and endpoint, and the query
string is written as Werkzeug writes it (``werkzeug.urls._urlencode``: ``None`` left out, a list's
items repeated, the same characters left unquoted). ``tests/views/test_list_speed.py`` compares the
two on a range of arguments.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request, url_for
from werkzeug.datastructures import iter_multi_items

SAFE = "!$'()*,/:;?@"  # the characters Werkzeug leaves unquoted in a query string
PLAIN_PATHS: dict[tuple, str | None] = {}  # (mount point, blueprint, endpoint) -> path; None: use url_for
PLAIN_PATHS_KEPT = 1024  # a few hundred endpoints; the limit only bounds the dict
_UNKNOWN = object()


def view_url(endpoint: str, values: dict) -> str:
    """``url_for(endpoint, **values)`` inside a request (``values`` without ``_external``, ``_anchor`` …)."""
    key = (request.script_root, request.blueprint, endpoint)
    path = PLAIN_PATHS.get(key, _UNKNOWN)
    if path is _UNKNOWN:
        if len(PLAIN_PATHS) >= PLAIN_PATHS_KEPT:
            PLAIN_PATHS.clear()
        path = PLAIN_PATHS[key] = _plain_path(endpoint)
    if path is None:
        return url_for(endpoint, **values)
    query = urlencode([item for item in iter_multi_items(values) if item[1] is not None], safe=SAFE)
    return f"{path}?{query}" if query else path


def _plain_path(endpoint: str) -> str | None:
    """The path of ``endpoint`` when its one rule has no variable part and nothing else shapes its URLs
    (URL defaults, sorted or host-matched parameters, a subdomain); else None."""
    app = current_app
    url_map = app.url_map
    if app.url_default_functions or url_map.sort_parameters or url_map.host_matching:
        return None
    name = endpoint
    if name.startswith("."):
        name = f"{request.blueprint}{name}" if request.blueprint else name[1:]
    try:
        rules = list(url_map.iter_rules(name))
    except KeyError:
        return None
    if len(rules) != 1 or rules[0].arguments or rules[0].defaults or rules[0].subdomain or rules[0].websocket:
        return None
    return url_for(endpoint)

"""The Chinese catalogue: the compiled one (translations/…/messages.mo) read as the pages read it,
the source one (messages.po) with its msgids, and English found on a page.

``make test`` compiles the catalogue before the suite runs; a missing .mo fails these helpers
loudly instead of letting English pass for Chinese."""
from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

MESSAGES = Path(__file__).resolve().parent.parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
MO_FILE = MESSAGES / "messages.mo"
PO_FILE = MESSAGES / "messages.po"
# Flask-Admin's own English, which must come out translated
FLASK_ADMIN_ENGLISH = ["List", "Create", "Edit", "Details", "Export", "Add Filter", "Search", "Save", "Cancel",
                       "Delete", "Home", "With selected", "Apply", "Reset Filters", "Filter", "Previous", "Next",
                       "Record does not exist.", "Are you sure", "Save and Continue Editing", "Save and Add Another",
                       "equals", "not equal", "contains", "greater than", "smaller than", "empty", "between",
                       "__None"]


@lru_cache(maxsize=1)
def compiled() -> dict[str, str]:
    """msgid → Chinese of every translated message in the compiled catalogue."""
    assert MO_FILE.exists(), f"the catalogue is not compiled: run `make translations` ({MO_FILE.name} missing)"
    with open(MO_FILE, "rb") as handle:
        catalogue = read_mo(handle)
    return {message.id: message.string for message in catalogue
            if isinstance(message.id, str) and message.id and message.string}


def zh(msgid: str, **params) -> str:
    """gettext over the compiled catalogue; fails when ``msgid`` has no Chinese."""
    text = compiled().get(str(msgid))
    assert text, f"not translated: {msgid!r}"
    return text % params if params else text


def load_catalogue() -> Catalog:
    """The source catalogue (messages.po), fuzzy flags and all."""
    with open(PO_FILE, "rb") as handle:
        return read_po(handle)


def own_msgids() -> set[str]:
    """The project's English msgids (singular ones)."""
    return {m.id for m in load_catalogue() if m.id and isinstance(m.id, str)}


class VisibleText(HTMLParser):
    """Text a person sees, plus placeholders, titles and outside addresses of assets."""

    def __init__(self):
        super().__init__()
        self.skip = 0
        self.text: list[str] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        for key in ("placeholder", "title", "data-placeholder"):
            if attrs.get(key):
                self.text.append(attrs[key])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.text.append(attrs["value"])
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if re.match(r"^(https?:)?//", value) and tag in ("script", "link", "img", "iframe"):
                self.outside.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.text.append(data.strip())


def english_on_page(html: str, own_messages: set[str]) -> tuple[list[str], list[str]]:
    """(visible texts that are one of ``own_messages`` or Flask-Admin's English, outside asset addresses)."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.text:
        if text in own_messages or text in FLASK_ADMIN_ENGLISH:
            found.append(text)
    return found, parser.outside


# Words a page may show in Latin letters: file kinds, abbreviations and brand names
LATIN_ALLOWED = {"PDF", "Excel", "ID", "SMS", "CSV", "XLSX", "xlsx", "csv", "pdf", "jpg", "png", "JPG", "PNG",
                 "jpeg", "JPEG", "CPR", "GB", "MB", "KB", "QQ", "Email", "email", "Windows", "Chrome", "Edge",
                 "IE", "PC", "URL", "AM", "PM", "vs", "Markdown", "HTML", "https"}
MIME_TYPE = re.compile(r"\b(image|application|text)/[a-z0-9.+-]+")  # a file's own content type
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
LATIN_WORD = re.compile(r"(?<![A-Za-z0-9@._/-])[A-Za-z]{2,}(?![A-Za-z0-9@_-])")


def identifiers_on_page(html: str, own_data: set[str]) -> list[str]:
    """Visible texts that show a ``snake_case`` identifier or an English word, leaving out the
    texts that are the user's own data (``own_data``: usernames, names, emails …) and the allowed
    abbreviations."""
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.text:
        if text in own_data or text.startswith(("{", "[", "<")):  # Flask-Admin's hidden filters and inline forms
            continue
        stripped = MIME_TYPE.sub(" ", text)
        for datum in sorted(own_data, key=len, reverse=True):
            if len(datum) > 2 and datum in stripped:
                stripped = stripped.replace(datum, " ")
        if SNAKE_CASE.search(stripped) or any(w not in LATIN_ALLOWED for w in LATIN_WORD.findall(stripped)):
            found.append(text)
    return found


class Links(HTMLParser):
    """The addresses of the links on a page."""

    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_on_page(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.hrefs

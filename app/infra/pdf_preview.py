"""Uploaded PDFs shown as page images rendered on the server (PDFium, through pypdfium2).

A PDF is never shown by the browser's own viewer (it downloads as an attachment, see
``app.infra.storage``): reviewers see its first pages (``PDF_PREVIEW_PAGES``, 3 by default) as PNG
images, each at ``/files/<id>/page/<n>.png`` behind the same scope check as the file.

Rendering is bounded: it runs in a child process (``pdf_render_worker.py``) with a time limit
(``PDF_PREVIEW_TIMEOUT`` seconds) and a memory limit, at most ``PDF_PREVIEW_MAX_SIDE`` pixels on
the longer side, and only the first pages. A PDF that cannot be read (damaged, encrypted, too slow)
gets a Chinese message instead of images. Page counts and rendered pages are kept in the file
store next to the file (``<stem>.pages.json``, ``<stem>.page<n>.png``) and go with it when it is
deleted.

PDFium needs a file on disk: with a local folder it reads the stored file itself; with an object
store, a temporary local copy bounded by the upload limit (``storage.local_copy``), removed after
the count or the render. Rendered pages are written to a temporary folder, then put in the store.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, current_app
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from app.infra import storage
from app.infra.filestore import StoreUnavailable, store
from models import Attachment

WORKER = Path(__file__).with_name("pdf_render_worker.py")
BROKEN, NO_PAGE = 2, 3
INFO_SUFFIX = ".pages.json"
INFO_LIMIT = 4096


class PreviewError(Exception):
    """The PDF cannot be shown as images; ``str(error)`` is the Chinese message."""


@dataclass
class Preview:
    """What to show for a PDF: the page numbers with an image, the document's page count, or why not."""

    pages: list[int] = field(default_factory=list)
    total: int = 0
    error: str | None = None


def _unreadable() -> str:
    return _("This PDF cannot be shown as page images (it may be damaged or encrypted); "
             "please download it and open it on your computer.")


def _settings() -> tuple[int, int, float]:
    config = current_app.config
    return (max(0, int(config.get("PDF_PREVIEW_PAGES", 3))), max(100, int(config.get("PDF_PREVIEW_MAX_SIDE", 1600))),
            float(config.get("PDF_PREVIEW_TIMEOUT", 10)))


def _run(*args: str, timeout: float) -> tuple[int | None, str]:
    """(exit status, output) of the worker; status None when it took too long."""
    try:
        done = subprocess.run([sys.executable, "-I", str(WORKER), *args], capture_output=True, text=True,
                              timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        current_app.logger.warning("PDF preview timed out after %ss: %s", timeout, args[:2])
        return None, ""
    return done.returncode, done.stdout


def _kept_info(name: str) -> dict | None:
    try:
        info = json.loads(storage.read_small(name, INFO_LIMIT).decode("utf-8"))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
    return info if isinstance(info, dict) else None


def page_count(attachment: Attachment) -> int:
    """The PDF's number of pages (kept after the first look); PreviewError when it cannot be read,
    StoreUnavailable when the file store does not answer."""
    try:
        info_name = storage.derived_name(attachment, INFO_SUFFIX)
    except FileNotFoundError:
        raise NotFound() from None
    info = _kept_info(info_name)
    if info is None:
        try:
            with storage.local_copy(attachment) as source:
                status, output = _run("count", str(source), timeout=_settings()[2])
        except FileNotFoundError:
            raise NotFound() from None
        except ValueError:  # larger than any upload may be
            status, output = 1, ""
        if status == 0 and output.strip().isdigit():
            info = {"pages": int(output.strip())}
        elif status is None:
            raise PreviewError(_unreadable())  # too slow now: not kept, it may be the machine's load
        else:
            info = {"broken": True}
        try:
            storage.put_derived(info_name, io.BytesIO(json.dumps(info).encode()), "application/json")
        except StoreUnavailable:
            pass  # counted again next time
    if info.get("broken") or not isinstance(info.get("pages"), int):
        raise PreviewError(_unreadable())
    return info["pages"]


def _store_unavailable() -> str:
    return _("File storage is temporarily unavailable, so this file cannot be shown now. Please try "
             "again in a few minutes.")


def preview(attachment: Attachment) -> Preview | None:
    """What the page shows for ``attachment``: None when it is not a PDF."""
    if attachment.content_type != storage.PDF:
        return None
    try:
        total = page_count(attachment)
    except StoreUnavailable:
        return Preview(error=_store_unavailable())
    except (PreviewError, NotFound) as error:
        return Preview(error=str(error) if isinstance(error, PreviewError) else _unreadable())
    return Preview(pages=list(range(1, min(total, _settings()[0]) + 1)), total=total)


def page_name(attachment: Attachment, number: int) -> str:
    """The stored PNG of page ``number`` (rendered once, then kept). NotFound past the shown pages;
    PreviewError when the PDF cannot be rendered."""
    pages, max_side, timeout = _settings()
    if attachment.content_type != storage.PDF or not 1 <= number <= pages:
        raise NotFound()
    if number > page_count(attachment):
        raise NotFound()
    target = storage.derived_name(attachment, f".page{number}.png")
    if store().exists(target):
        return target
    with tempfile.TemporaryDirectory(prefix="hn-page-") as folder:
        rendered = Path(folder) / "page.png"
        try:
            with storage.local_copy(attachment) as source:
                status, _output = _run("render", str(source), str(number), str(max_side), str(rendered),
                                       timeout=timeout)
        except FileNotFoundError:
            raise NotFound() from None
        except ValueError:
            status = 1
        if status != 0 or not rendered.is_file():
            raise PreviewError(_unreadable())
        with open(rendered, "rb") as handle:
            storage.put_derived(target, handle, "image/png")
    return target


def page_response(attachment: Attachment, number: int) -> Response:
    """Page ``number`` as an inline PNG with the file headers (sandboxed, never cached by others)."""
    response = storage.stream_response(page_name(attachment, number), "image/png")
    response.headers.set("Content-Disposition", "inline", filename=f"page-{number}.png")
    return storage.protect_file_response(response)

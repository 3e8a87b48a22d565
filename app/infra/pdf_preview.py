"""Uploaded PDFs shown as page images rendered on the server (PDFium, through pypdfium2).

A PDF is never shown by the browser's own viewer (it downloads as an attachment, see
``app.infra.storage``): reviewers see its first pages (``PDF_PREVIEW_PAGES``, 3 by default) as PNG
images, each at ``/files/<id>/page/<n>.png`` behind the same scope check as the file.

Rendering is bounded: it runs in a child process (``pdf_render_worker.py``) with a time limit
(``PDF_PREVIEW_TIMEOUT`` seconds) and a memory limit, at most ``PDF_PREVIEW_MAX_SIDE`` pixels on
the longer side, and only the first pages. A PDF that cannot be read (damaged, encrypted, too slow)
gets a Chinese message instead of images. Page counts and rendered pages are kept next to the file
(``<stem>.pages.json``, ``<stem>.page<n>.png``) and go with it when it is deleted.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from app.infra import storage
from models import Attachment

WORKER = Path(__file__).with_name("pdf_render_worker.py")
BROKEN, NO_PAGE = 2, 3
INFO_SUFFIX = ".pages.json"


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


def page_count(attachment: Attachment) -> int:
    """The PDF's number of pages (kept after the first look); PreviewError when it cannot be read."""
    try:
        source = storage.stored_path(attachment)
        info_path = storage.derived_path(attachment, INFO_SUFFIX)
    except FileNotFoundError:
        raise NotFound() from None
    if not source.is_file():
        raise NotFound()
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict):
        status, output = _run("count", str(source), timeout=_settings()[2])
        if status == 0 and output.strip().isdigit():
            info = {"pages": int(output.strip())}
        elif status is None:
            raise PreviewError(_unreadable())  # too slow now: not kept, it may be the machine's load
        else:
            info = {"broken": True}
        _write_atomically(info_path, json.dumps(info).encode())
    if info.get("broken") or not isinstance(info.get("pages"), int):
        raise PreviewError(_unreadable())
    return info["pages"]


def preview(attachment: Attachment) -> Preview | None:
    """What the page shows for ``attachment``: None when it is not a PDF."""
    if attachment.content_type != storage.PDF:
        return None
    try:
        total = page_count(attachment)
    except (PreviewError, NotFound) as error:
        return Preview(error=str(error) if isinstance(error, PreviewError) else _unreadable())
    return Preview(pages=list(range(1, min(total, _settings()[0]) + 1)), total=total)


def page_path(attachment: Attachment, number: int) -> Path:
    """The PNG of page ``number`` (rendered once, then kept). NotFound past the shown pages;
    PreviewError when the PDF cannot be rendered."""
    pages, max_side, timeout = _settings()
    if attachment.content_type != storage.PDF or not 1 <= number <= pages:
        raise NotFound()
    if number > page_count(attachment):
        raise NotFound()
    target = storage.derived_path(attachment, f".page{number}.png")
    if target.is_file():
        return target
    partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}.part")
    try:
        status, _output = _run("render", str(storage.stored_path(attachment)), str(number), str(max_side),
                               str(partial), timeout=timeout)
        if status != 0 or not partial.is_file():
            raise PreviewError(_unreadable())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def page_response(attachment: Attachment, number: int) -> Response:
    """Page ``number`` as an inline PNG with the file headers (sandboxed, never cached by others)."""
    path = page_path(attachment, number)
    response = send_file(path, mimetype="image/png", max_age=0, conditional=True)
    response.headers.set("Content-Disposition", "inline", filename=f"page-{number}.png")
    return storage.protect_file_response(response)


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)

"""Uploaded files live here: checking, storing, thumbnails, sending and deleting attachments.

Only JPEG, PNG and PDF are accepted, recognised by their content (never by the client's name
or content type). Images are decoded with Pillow under size and pixel limits, turned upright
from their EXIF orientation and re-encoded, which drops every piece of metadata (EXIF, GPS,
ICC, comments, text chunks); a JPEG thumbnail (at most 320 px) is written next to them. PDFs are
stored as sent, and shown as page images rendered on the server (``app.infra.pdf_preview``, cached
next to the file).

Only the platform's own re-encoded images are sent inline; PDFs always download as attachments
(a PDF may carry JavaScript). Every file response carries ``Content-Security-Policy: sandbox``
(nothing it holds may run as this site) and ``X-Content-Type-Options: nosniff``
(``protect_file_response``).

Files go to ``UPLOAD_FOLDER`` under a random name (``secrets.token_hex(16)`` plus the real
extension); the client's name is kept, cleaned, as display text only. Files follow the database
transaction: a file saved by a transaction that does not commit is removed when it ends, and
the files of a deleted attachment are removed once the deletion commits.

Configuration: ``UPLOAD_FOLDER``, ``UPLOAD_MAX_BYTES`` (default 10 MB) and
``UPLOAD_MAX_PIXELS`` (default 40 million).
"""
from __future__ import annotations

import glob
import hashlib
import io
import os
import secrets
import struct
import unicodedata
import warnings
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from app.extensions import db
from models import Attachment
from models.enums import AttachmentKind

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 50
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 88
THUMBNAIL_QUALITY = 80
MAX_NAME_LENGTH = 255
PDF_EOF_WINDOW = 1024  # readers look for %%EOF within the last 1024 bytes

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
IMAGE_TYPES = frozenset({JPEG, PNG})
INLINE_TYPES = IMAGE_TYPES  # re-encoded by the platform (``_process_image``); PDFs are stored as sent
# a file opened on its own runs nothing, loads nothing and cannot be framed
FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'"
THUMBNAIL_SUFFIX = ".thumb.jpg"

# Pillow errors on damaged input are not all OSError
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, struct.error)

# session.info keys: files written by the open transaction / files to remove once it commits
_WRITTEN = "storage.written"
_DOOMED = "storage.doomed"


class UploadError(ValueError):
    """An upload refused for a reason the user can fix; ``str(error)`` is the Chinese message.

    ``code`` names the reason for programs: ``missing``, ``empty``, ``too_big``,
    ``unsupported``, ``damaged``, ``too_many_pixels``, ``too_small`` (``invalid`` when a caller
    raises one of its own).
    """

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


# --------------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------------

def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]).resolve()


def _path_in_folder(name: str) -> Path:
    """``name`` under UPLOAD_FOLDER; FileNotFoundError for anything that would leave it."""
    if (not name or "/" in name or "\\" in name or "\x00" in name or name in (".", "..")
            or os.sep in name or (os.altsep and os.altsep in name)):
        raise FileNotFoundError(f"unsafe stored name {name!r}")
    folder = upload_folder()
    path = (folder / name).resolve()
    if path.parent != folder:
        raise FileNotFoundError(f"stored name {name!r} leaves the upload folder")
    return path


def stored_path(attachment: Attachment) -> Path:
    """The file's path under UPLOAD_FOLDER (FileNotFoundError if the stored name is unsafe)."""
    return _path_in_folder(attachment.stored_name)


def thumbnail_name(stored_name: str) -> str:
    """``<stem>.thumb.jpg`` for a stored name ``<stem>.<ext>``."""
    return Path(stored_name).stem + THUMBNAIL_SUFFIX


def thumbnail_path(attachment: Attachment) -> Path | None:
    """Where the image's thumbnail is kept; None for PDFs and other non-images."""
    if attachment.content_type not in IMAGE_TYPES:
        return None
    return _path_in_folder(thumbnail_name(attachment.stored_name))


def derived_path(attachment: Attachment, suffix: str) -> Path:
    """A file made from the stored one (``<stem><suffix>``, e.g. a rendered PDF page) in UPLOAD_FOLDER."""
    return _path_in_folder(Path(attachment.stored_name).stem + suffix)


def open_file(attachment: Attachment) -> BinaryIO:
    """The stored file, opened for binary reading (FileNotFoundError when missing)."""
    return open(stored_path(attachment), "rb")


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

def clean_original_name(name: str | None) -> str:
    """The client's file name as display text: the last path part (``/`` or ``\\``), without
    control or format characters (bidi overrides, zero-width), at most 255 characters with the
    extension kept. Chinese stays as it is."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C")).strip()
    if name.strip(".") == "":
        return ""
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and 0 < len(suffix) <= 10:
            name = stem[:MAX_NAME_LENGTH - len(suffix) - 1].rstrip() + "." + suffix
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def download_name(attachment: Attachment) -> str:
    """The original name, with the extension of the real type when the client's one differs
    (a PNG sent as ``scan.pdf`` downloads as ``scan.png``)."""
    name = attachment.original_name or ""
    extension = EXTENSIONS.get(attachment.content_type)
    if extension is None:
        return name or f"attachment-{attachment.id}"
    stem, dot, suffix = name.rpartition(".")
    suffix = suffix.lower()
    if dot and stem and ("." + suffix == extension or (extension == ".jpg" and suffix in ("jpeg", "jpe"))):
        return name
    base = stem if dot and stem and len(suffix) <= 10 else name
    return (base or f"attachment-{attachment.id}")[:MAX_NAME_LENGTH - len(extension)] + extension


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------

def _limit_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    if limit >= 1024:
        return f"{limit / 1024:g} KB"
    return f"{limit} B"


def _read_limited(file: FileStorage, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the upload: enough to tell that it is too big."""
    stream = file.stream
    if stream is None:
        return b""
    try:
        if stream.seekable():
            stream.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    chunks, remaining = [], limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _is_pdf(data: bytes) -> bool | None:
    """True for a complete PDF, False for a PDF without its end marker, None if not a PDF."""
    if not data.startswith(b"%PDF-"):
        return None
    return b"%%EOF" in data[-PDF_EOF_WINDOW:]


def _too_many_pixels() -> UploadError:
    return UploadError(_("The image's dimensions are too large; please make it smaller and upload "
                         "it again."), "too_many_pixels")


def _damaged() -> UploadError:
    return UploadError(_("The image is damaged and cannot be opened; please upload it again."), "damaged")


def _unsupported() -> UploadError:
    return UploadError(_("Only JPG or PNG images and PDF files can be uploaded."), "unsupported")


def _grey_8bit(image: Image.Image) -> Image.Image:
    """16-bit grey scaled to 8 bits (a plain convert would clip everything above 255 to white)."""
    return image.convert("I").point(lambda value: value / 257).convert("L")


def _for_png(image: Image.Image) -> Image.Image:
    """RGBA and LA stay; transparency (palette or colour key) becomes RGBA; palettes become RGB."""
    if image.mode in ("RGBA", "LA"):
        return image
    if image.mode == "PA" or "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("RGB", "L", "1"):
        return image
    if image.mode.startswith("I"):
        return _grey_8bit(image)
    return image.convert("RGB")


def _for_jpeg(image: Image.Image) -> Image.Image:
    """RGB and grey stay; CMYK, YCbCr and the rest become RGB."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode.startswith("I"):
        return _grey_8bit(image)
    return image.convert("RGB")


def _flatten(image: Image.Image) -> Image.Image:
    """An image a JPEG can hold: transparency composed onto white."""
    if image.mode in ("RGBA", "LA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return _for_jpeg(image)


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    image.info = {}  # Pillow would copy ICC profiles, colour keys and comments from info
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _upright(image: Image.Image) -> None:
    """Apply the EXIF orientation in place; an unreadable EXIF block is ignored (it is dropped)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except _DECODE_ERRORS + (TypeError, ZeroDivisionError):
        pass


def _process_image(data: bytes, max_pixels: int) -> tuple[str, bytes, bytes, int, int]:
    """(content type, stored bytes, thumbnail bytes, width, height) of an uploaded JPEG or PNG."""
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that: both are refusals
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            source = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except UnidentifiedImageError:
            raise _unsupported() from None
        except _DECODE_ERRORS:
            raise _damaged() from None
        with source:
            # the header's dimensions, before a single pixel is decoded
            width, height = source.size
            if width * height > max_pixels:
                raise _too_many_pixels()
            if min(width, height) < MIN_SIDE:
                raise UploadError(_("The image is too small (at least %(side)s pixels on each side); "
                                    "please upload a clear picture.", side=MIN_SIDE), "too_small")
            is_png = source.format == "PNG"  # MPO (a phone JPEG with a preview) is stored as JPEG
            try:
                source.load()
                _upright(source)
                image = _for_png(source) if is_png else _for_jpeg(source)
                if is_png:
                    stored = _encode(image, "PNG", optimize=True)
                else:
                    stored = _encode(image, "JPEG", quality=JPEG_QUALITY, optimize=True)
                scale = min(1.0, THUMBNAIL_SIDE / image.width, THUMBNAIL_SIDE / image.height)
                size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
                small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if scale < 1 else image
                thumbnail = _encode(_flatten(small), "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                raise _too_many_pixels() from None
            except _DECODE_ERRORS:
                raise _damaged() from None
            return (PNG if is_png else JPEG), stored, thumbnail, image.width, image.height


def _write_new(path: Path, data: bytes, written: list[Path]) -> None:
    with open(path, "xb") as handle:  # a fresh random name: never overwrite
        written.append(path)
        handle.write(data)


def save(file: FileStorage, kind: str, trainee, uploaded_by=None, application=None,
         exemption_request=None) -> Attachment:
    """Check ``file``, store it (and a thumbnail for images) and add its Attachment to the
    session, flushed, not committed. Raises UploadError with a Chinese message when the upload
    is refused; nothing stays on disk when anything fails, or when the transaction does not
    commit."""
    if kind not in AttachmentKind.values():
        raise ValueError(f"unknown attachment kind {kind!r}")
    if application is not None and application.trainee_id not in (None, trainee.id):
        raise ValueError("the application belongs to another trainee")
    if file is None:
        raise UploadError(_("Please choose a file to upload."), "missing")

    config = current_app.config
    limit = int(config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)
    max_pixels = int(config.get("UPLOAD_MAX_PIXELS") or DEFAULT_MAX_PIXELS)
    data = _read_limited(file, limit)
    if not data:
        if not file.filename:
            raise UploadError(_("Please choose a file to upload."), "missing")
        raise UploadError(_("The file is empty; please choose it again."), "empty")
    if len(data) > limit:
        raise UploadError(_("The file may not be larger than %(limit)s; please make it smaller and "
                            "upload it again.", limit=_limit_text(limit)), "too_big")

    pdf = _is_pdf(data)
    if pdf is False:
        raise UploadError(_("The PDF file is incomplete or damaged; please upload it again."), "damaged")
    if pdf:
        content_type, stored, thumbnail, width, height = PDF, data, None, None, None
    else:
        content_type, stored, thumbnail, width, height = _process_image(data, max_pixels)

    stored_name = secrets.token_hex(16) + EXTENSIONS[content_type]
    original_name = clean_original_name(file.filename) or _("Unnamed file") + EXTENSIONS[content_type]
    written: list[Path] = []
    try:
        upload_folder().mkdir(parents=True, exist_ok=True)
        _write_new(_path_in_folder(stored_name), stored, written)
        if thumbnail is not None:
            _write_new(_path_in_folder(thumbnail_name(stored_name)), thumbnail, written)
        if (application is not None and application.id is None) or (
                exemption_request is not None and exemption_request.id is None):
            db.session.flush()
        attachment = Attachment(
            kind=kind, trainee=trainee, uploaded_by=uploaded_by,
            application_id=application.id if application is not None else None,
            exemption_request_id=exemption_request.id if exemption_request is not None else None,
            stored_name=stored_name, original_name=original_name, content_type=content_type,
            size=len(stored), sha256=hashlib.sha256(stored).hexdigest(), width=width, height=height)
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_WRITTEN, []).extend(written)
    return attachment


# --------------------------------------------------------------------------------------------
# Sending and deleting
# --------------------------------------------------------------------------------------------

def protect_file_response(response: Response) -> Response:
    """The headers of every file response: the sandbox policy, nosniff, never cached by others."""
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.no_cache = None
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


def send(attachment: Attachment, thumbnail: bool = False) -> Response:
    """The file (or the image's thumbnail) as a response: inline for the platform's re-encoded
    images, an attachment for PDFs; named after the original name (RFC 5987 ``filename*`` for
    Chinese); sandboxed and never cached by others (``protect_file_response``).
    Raises NotFound when there is no such file (or no thumbnail, as for PDFs)."""
    try:
        path = thumbnail_path(attachment) if thumbnail else stored_path(attachment)
    except FileNotFoundError:
        raise NotFound() from None
    if path is None or not path.is_file():
        raise NotFound()
    mimetype = JPEG if thumbnail else (attachment.content_type or "application/octet-stream")
    response = send_file(path, mimetype=mimetype, max_age=0, conditional=True)
    name = download_name(attachment)
    if thumbnail:
        name = Path(name).stem + THUMBNAIL_SUFFIX
    disposition = "inline" if thumbnail or mimetype in INLINE_TYPES else "attachment"
    try:
        name.encode("ascii")
        names = {"filename": name}
    except UnicodeEncodeError:
        fallback = f"attachment-{attachment.id}{Path(name).suffix if Path(name).suffix.isascii() else ''}"
        names = {"filename": fallback, "filename*": "UTF-8''" + quote(name, safe="!#$&+-.^_`|~")}
    response.headers.set("Content-Disposition", disposition, **names)
    return protect_file_response(response)


def delete(attachment: Attachment) -> None:
    """Delete the row now (flushed) and its files (with its thumbnail and rendered PDF pages) once
    the transaction commits; a trainee whose photo it was keeps no reference to it."""
    paths = []
    for path_of in (stored_path, thumbnail_path):
        try:
            path = path_of(attachment)
        except FileNotFoundError:
            continue
        if path is not None:
            paths.append(path)
    if paths:  # files made from the stored one share its random stem
        paths.extend(p for p in upload_folder().glob(glob.escape(paths[0].stem) + ".*") if p not in paths)
    trainee = attachment.trainee
    if trainee is not None and trainee.photo_id == attachment.id:
        trainee.photo = None
    db.session.delete(attachment)
    db.session.flush()
    db.session.info.setdefault(_DOOMED, []).extend(paths)


@event.listens_for(Session, "after_commit")
def _keep_written_remove_doomed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for path in session.info.pop(_DOOMED, ()):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted(session: Session, transaction) -> None:
    """After a rollback (or a close without commit), files saved in it go; deletions are off."""
    if transaction.parent is not None:
        return
    for path in session.info.pop(_WRITTEN, ()):
        path.unlink(missing_ok=True)
    session.info.pop(_DOOMED, None)

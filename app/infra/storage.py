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

Files go to the configured store (``app.infra.filestore``: the ``UPLOAD_FOLDER`` folder, or an
S3-compatible bucket) under a random name (``secrets.token_hex(16)`` plus the real extension); the
client's name is kept, cleaned, as display text only. The same checks run whichever store is used.
Files stream in and out: an upload is copied in chunks into a temporary file (kept in memory only
while it is small) for the checks, then sent to the store from there; a download is sent in chunks.

Files follow the database transaction. The object is written first, then the row is flushed: a
failure before the row exists removes the object at once, and a file saved by a transaction that
does not commit (a failed commit included) is removed when the transaction ends; the files of a
deleted attachment are removed once the deletion commits. A removal the store refuses (it is down)
is logged; ``flask files orphans`` lists (and with ``--delete`` removes) files without a row.
When the store cannot be reached, an upload is refused with a Chinese message (``UploadError``
with code ``unavailable``: nothing was saved, try again) and a download answers 503.

Configuration: ``UPLOAD_FOLDER``, ``UPLOAD_MAX_BYTES`` (default 10 MB), ``UPLOAD_MAX_PIXELS``
(default 40 million), and the store's settings (``STORAGE_BACKEND``, ``S3_*``).
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import struct
import tempfile
import time
import unicodedata
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import quote

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound

from app.extensions import db
from app.infra.filestore import CHUNK, FileStore, StoreUnavailable, store
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

SPOOL_IN_MEMORY = 1024 * 1024  # an upload or a re-encoded image past this goes to a temporary file
log = logging.getLogger(__name__)

# session.info keys: (store, name) written by the open transaction / to remove once it commits
_WRITTEN = "storage.written"
_DOOMED = "storage.doomed"
SESSION_FILE_KEYS = (_WRITTEN, _DOOMED)  # a session holding these is rolled back, never committed unasked


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
# Names in the store
# --------------------------------------------------------------------------------------------

def _checked(name: str) -> str:
    """``name`` if it is one plain file name (FileNotFoundError for anything that would leave the store)."""
    if (not name or "/" in name or "\\" in name or "\x00" in name or name in (".", "..")):
        raise FileNotFoundError(f"unsafe stored name {name!r}")
    return name


def stored_name(attachment: Attachment) -> str:
    """The file's name in the store (FileNotFoundError if the stored name is unsafe)."""
    return _checked(attachment.stored_name)


def thumbnail_name(stored_name: str) -> str:
    """``<stem>.thumb.jpg`` for a stored name ``<stem>.<ext>``."""
    return Path(stored_name).stem + THUMBNAIL_SUFFIX


def thumbnail_of(attachment: Attachment) -> str | None:
    """The name of the image's thumbnail; None for PDFs and other non-images."""
    if attachment.content_type not in IMAGE_TYPES:
        return None
    return thumbnail_name(stored_name(attachment))


def derived_name(attachment: Attachment, suffix: str) -> str:
    """A file made from the stored one (``<stem><suffix>``, e.g. a rendered PDF page)."""
    return _checked(Path(stored_name(attachment)).stem + suffix)


def open_file(attachment: Attachment) -> BinaryIO:
    """The stored file, opened for binary reading in chunks (FileNotFoundError when missing,
    StoreUnavailable when the store does not answer)."""
    return store().open(stored_name(attachment))


def read_small(name: str, limit: int) -> bytes:
    """A small file of the store (at most ``limit`` bytes: ValueError past it)."""
    with store().open(_checked(name)) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{name} is larger than {limit} bytes")
    return data


def put_derived(name: str, stream: BinaryIO, content_type: str) -> None:
    """Keep a file made from a stored one (a rendered page); one made meanwhile by another worker wins."""
    try:
        store().save(_checked(name), stream, content_type)
    except FileExistsError:
        pass


def _copy_bounded(source: BinaryIO, target: BinaryIO, limit: int) -> None:
    copied = 0
    while chunk := source.read(CHUNK):
        copied += len(chunk)
        if copied > limit:
            raise ValueError("the stored file is larger than it may be")
        target.write(chunk)


def _copy_limit(attachment: Attachment) -> int:
    return max(int(current_app.config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES), attachment.size or 0)


@contextmanager
def local_copy(attachment: Attachment) -> Iterator[Path]:
    """A path on this machine holding the stored file, for programs that need one (PDFium): the
    file itself in a local folder; from an object store, a temporary copy, bounded by the upload
    limit (or the recorded size), removed afterwards."""
    files = store()
    name = stored_name(attachment)
    path = files.local_path(name)
    if path is not None:
        files.size(name)  # FileNotFoundError / StoreUnavailable like the object store
        yield path
        return
    with files.open(name) as source, tempfile.NamedTemporaryFile(
            prefix="hn-copy-", suffix=Path(name).suffix) as copy:
        _copy_bounded(source, copy, _copy_limit(attachment))
        copy.flush()
        yield Path(copy.name)


@contextmanager
def seekable_copy(attachment: Attachment) -> Iterator[BinaryIO]:
    """The stored file as a seekable stream (Pillow needs one): the file itself in a local folder,
    else a copy kept in memory only while it is small, bounded by the upload limit."""
    with open_file(attachment) as source:
        if source.seekable() if hasattr(source, "seekable") else False:
            yield source
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as copy:
            _copy_bounded(source, copy, _copy_limit(attachment))
            copy.seek(0)
            yield copy


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


def _spool_limited(file: FileStorage, limit: int) -> tuple[BinaryIO, int]:
    """At most ``limit + 1`` bytes of the upload (enough to tell that it is too big), copied in
    chunks into a temporary file (in memory while small), with their count; rewound."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    stream = file.stream
    if stream is None:
        return spool, 0
    try:
        if stream.seekable():
            stream.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    size, remaining = 0, limit + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, CHUNK))
        if not chunk:
            break
        spool.write(chunk)
        size += len(chunk)
        remaining -= len(chunk)
    spool.seek(0)
    return spool, size


def _is_pdf(spool: BinaryIO, size: int) -> bool | None:
    """True for a complete PDF, False for a PDF without its end marker, None if not a PDF."""
    spool.seek(0)
    head = spool.read(5)
    if head != b"%PDF-":
        spool.seek(0)
        return None
    spool.seek(max(0, size - PDF_EOF_WINDOW))
    tail = spool.read(PDF_EOF_WINDOW)
    spool.seek(0)
    return b"%%EOF" in tail


def _digest(stream: BinaryIO) -> tuple[int, str]:
    """(size, sha256) of a stream read in chunks from the start; rewound."""
    stream.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return size, digest.hexdigest()


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


def _encode(image: Image.Image, fmt: str, **options) -> BinaryIO:
    """The image encoded into a temporary file (in memory while small), rewound."""
    image.info = {}  # Pillow would copy ICC profiles, colour keys and comments from info
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    image.save(output, fmt, **options)
    output.seek(0)
    return output


def _upright(image: Image.Image) -> None:
    """Apply the EXIF orientation in place; an unreadable EXIF block is ignored (it is dropped)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except _DECODE_ERRORS + (TypeError, ZeroDivisionError):
        pass


def _process_image(data: BinaryIO, max_pixels: int) -> tuple[str, BinaryIO, BinaryIO, int, int]:
    """(content type, stored file, thumbnail file, width, height) of an uploaded JPEG or PNG."""
    with warnings.catch_warnings():
        # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that: both are refusals
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            source = Image.open(data, formats=("JPEG", "PNG"))
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


def _unavailable() -> UploadError:
    return UploadError(_("File storage is temporarily unavailable, so the file was not saved. Please "
                         "try again in a few minutes."), "unavailable")


def save(file: FileStorage, kind: str, trainee, uploaded_by=None, application=None,
         exemption_request=None, notice=None) -> Attachment:
    """Check ``file``, store it (and a thumbnail for images) and add its Attachment to the
    session, flushed, not committed; a notice's file has ``notice`` and no trainee. Raises UploadError
    with a Chinese message when the upload is refused or the store cannot be reached; nothing stays in
    the store when anything fails, or when the transaction does not commit."""
    if kind not in AttachmentKind.values():
        raise ValueError(f"unknown attachment kind {kind!r}")
    if (trainee is None) == (notice is None):
        raise ValueError("a file belongs to a trainee or to a notice")
    if application is not None and application.trainee_id not in (None, trainee.id):
        raise ValueError("the application belongs to another trainee")
    if file is None:
        raise UploadError(_("Please choose a file to upload."), "missing")

    config = current_app.config
    limit = int(config.get("UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)
    max_pixels = int(config.get("UPLOAD_MAX_PIXELS") or DEFAULT_MAX_PIXELS)
    spool, received = _spool_limited(file, limit)
    with spool:
        if not received:
            if not file.filename:
                raise UploadError(_("Please choose a file to upload."), "missing")
            raise UploadError(_("The file is empty; please choose it again."), "empty")
        if received > limit:
            raise UploadError(_("The file may not be larger than %(limit)s; please make it smaller and "
                                "upload it again.", limit=_limit_text(limit)), "too_big")

        pdf = _is_pdf(spool, received)
        if pdf is False:
            raise UploadError(_("The PDF file is incomplete or damaged; please upload it again."), "damaged")
        if pdf:
            content_type, stored, thumbnail, width, height = PDF, spool, None, None, None
        else:
            content_type, stored, thumbnail, width, height = _process_image(spool, max_pixels)
        try:
            return _store_and_add(kind, file, (trainee, notice), uploaded_by, application, exemption_request,
                                  content_type, stored, thumbnail, width, height)
        finally:
            for made in (stored, thumbnail):
                if made is not None and made is not spool:
                    made.close()


def _store_and_add(kind, file, owner, uploaded_by, application, exemption_request, content_type: str,
                   stored: BinaryIO, thumbnail: BinaryIO | None, width, height) -> Attachment:
    """The object(s) first, then the row; the objects go again if the row cannot be flushed.
    ``owner`` is (trainee, None) or (None, notice)."""
    trainee, notice = owner
    size, sha256 = _digest(stored)
    name = secrets.token_hex(16) + EXTENSIONS[content_type]
    original_name = clean_original_name(file.filename) or _("Unnamed file") + EXTENSIONS[content_type]
    files = store()
    written: list[tuple[FileStore, str]] = []
    try:
        try:
            for object_name, stream, object_type in ((name, stored, content_type),
                                                     (thumbnail_name(name), thumbnail, JPEG)):
                if stream is None:
                    continue
                written.append((files, object_name))
                files.save(object_name, stream, object_type)
        except StoreUnavailable as error:
            log.warning("upload not stored: %s", error)
            raise _unavailable() from None
        if any(row is not None and row.id is None for row in (application, exemption_request, notice)):
            db.session.flush()
        attachment = Attachment(
            kind=kind, trainee=trainee, uploaded_by=uploaded_by, notice_id=notice.id if notice is not None else None,
            application_id=application.id if application is not None else None,
            exemption_request_id=exemption_request.id if exemption_request is not None else None,
            stored_name=name, original_name=original_name, content_type=content_type,
            size=size, sha256=sha256, width=width, height=height)
        db.session.add(attachment)
        db.session.flush()
    except BaseException:
        _remove(written)
        raise
    db.session.info.setdefault(_WRITTEN, []).extend(written)
    return attachment


def _remove(objects) -> None:
    """Remove stored objects; one the store refuses now is logged (``flask files orphans`` finds it)."""
    for files, name in objects:
        try:
            files.delete(name)
        except (StoreUnavailable, OSError) as error:
            log.warning("could not remove %s from the file store: %s", name, error)


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


def stream_response(name: str, mimetype: str) -> Response:
    """The stored file ``name`` as a response sent in chunks. From a local folder through
    ``send_file`` (ranges and conditional requests); from an object store, its body read in chunks
    with the size the store reports. NotFound when missing; StoreUnavailable when the store does not
    answer (a 503 page, ``app.errors``)."""
    files = store()
    try:
        size = files.size(name)
        path = files.local_path(name)
        if path is not None:
            return send_file(path, mimetype=mimetype, max_age=0, conditional=True)
        body = files.open(name)
    except FileNotFoundError:
        raise NotFound() from None

    def chunks():
        try:
            while chunk := body.read(CHUNK):
                yield chunk
        finally:
            body.close()
    response = Response(chunks(), mimetype=mimetype, direct_passthrough=True)
    response.content_length = size
    return response


def send(attachment: Attachment, thumbnail: bool = False) -> Response:
    """The file (or the image's thumbnail) as a response: inline for the platform's re-encoded
    images, an attachment for PDFs; named after the original name (RFC 5987 ``filename*`` for
    Chinese); sandboxed and never cached by others (``protect_file_response``).
    Raises NotFound when there is no such file (or no thumbnail, as for PDFs)."""
    try:
        name = thumbnail_of(attachment) if thumbnail else stored_name(attachment)
    except FileNotFoundError:
        raise NotFound() from None
    if name is None:
        raise NotFound()
    mimetype = JPEG if thumbnail else (attachment.content_type or "application/octet-stream")
    response = stream_response(name, mimetype)
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
    the transaction commits; a trainee whose photo it was keeps no reference to it. The files made
    from it are listed when the transaction commits (a page rendered meanwhile goes too)."""
    try:
        stem = Path(stored_name(attachment)).stem
    except FileNotFoundError:
        stem = None
    trainee = attachment.trainee
    if trainee is not None and trainee.photo_id == attachment.id:
        trainee.photo = None
    db.session.delete(attachment)
    db.session.flush()
    if stem:
        db.session.info.setdefault(_DOOMED, []).append((store(), stem))


def orphans(older_than_seconds: float = 3600) -> list[str]:
    """Names in the store that belong to no attachment row and were written more than
    ``older_than_seconds`` ago (an upload still being committed is not one): left by a process
    that died between the object and the commit, or by a removal the store refused."""
    stems = {Path(name).stem for name in db.session.scalars(db.select(Attachment.stored_name))}
    cutoff = time.time() - older_than_seconds
    return sorted(name for name, modified in store().listing()
                  if not name.startswith(".") and name.split(".", 1)[0] not in stems and modified < cutoff)


@event.listens_for(Session, "after_commit")
def _keep_written_remove_doomed(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
    for files, stem in session.info.pop(_DOOMED, ()):
        try:
            names = files.names_with_stem(stem)
        except (StoreUnavailable, OSError) as error:
            log.warning("could not list the files of %s in the file store: %s", stem, error)
            continue
        _remove((files, name) for name in names)


@event.listens_for(Session, "after_transaction_end")
def _remove_uncommitted(session: Session, transaction) -> None:
    """After a rollback (or a close without commit), files saved in it go; deletions are off."""
    if transaction.parent is not None:
        return
    _remove(session.info.pop(_WRITTEN, ()))
    session.info.pop(_DOOMED, None)

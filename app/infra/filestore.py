"""Where uploaded files are kept, chosen by ``STORAGE_BACKEND``: ``local`` (default) or ``s3``.

Both backends answer the same small interface (``FileStore``): save a stream under a new name,
open a name as a readable stream, delete, exists, size, list the names that share a stem, and a
readiness check. Files always move as streams in bounded chunks; nothing here reads a file whole.

- ``local``: a folder (``UPLOAD_FOLDER``), which may be a shared mount (NFS, CIFS) so that several
  app servers see the same files.
- ``s3``: any S3-compatible object store (MinIO, Ceph RGW, 阿里云 OSS, 腾讯云 COS) through boto3:
  ``S3_ENDPOINT_URL``, ``S3_BUCKET``, ``S3_REGION``, ``S3_ACCESS_KEY_ID``, ``S3_SECRET_ACCESS_KEY``,
  ``S3_PREFIX`` (a folder inside the bucket, e.g. ``uploads/``), ``S3_ADDRESSING_STYLE`` (``path``
  for MinIO and Ceph on an address; ``virtual`` for OSS and COS, which only accept the bucket in
  the host name), ``S3_CONNECT_TIMEOUT`` and ``S3_READ_TIMEOUT`` (seconds).

A store that cannot be reached raises ``StoreUnavailable`` (an ``OSError``); a name that is not
there raises ``FileNotFoundError``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

CHUNK = 256 * 1024
MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
# Files up to the upload limit go up in one streamed PUT; past 64 MB, in parts of 8 MB, two at a
# time (s3transfer holds each part in memory while sending it: at most 16 MB).
TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024,
                          max_concurrency=2, io_chunksize=CHUNK)


class StoreUnavailable(OSError):
    """The file store did not answer (a mount gone, the object store down or refusing us)."""


def _safe_name(name: str) -> str:
    """``name`` if it is one plain file name; FileNotFoundError for anything that could leave the store."""
    if (not name or "/" in name or "\\" in name or "\x00" in name or name in (".", "..")
            or os.sep in name or (os.altsep and os.altsep in name)):
        raise FileNotFoundError(f"unsafe stored name {name!r}")
    return name


class FileStore(Protocol):
    kind: str

    def save(self, name: str, stream: BinaryIO, content_type: str) -> None:
        """Write ``stream`` (read from its current position) as a new file ``name``."""

    def open(self, name: str) -> BinaryIO:
        """``name`` opened for binary reading, streamed."""

    def delete(self, name: str) -> None:
        """Remove ``name``; a missing one is no error."""

    def exists(self, name: str) -> bool: ...

    def size(self, name: str) -> int:
        """The size in bytes (FileNotFoundError when missing)."""

    def names_with_stem(self, stem: str) -> list[str]:
        """Every name ``<stem>.<anything>`` (a file and what was made from it)."""

    def names(self) -> Iterator[str]:
        """Every name in the store."""

    def listing(self) -> Iterator[tuple[str, float]]:
        """Every name in the store with the time it was written (seconds since the epoch)."""

    def local_path(self, name: str) -> Path | None:
        """The file's path when it is on a local (or mounted) disk, else None."""

    def check(self) -> tuple[bool, str]:
        """(reachable, detail) for /readyz; the detail never carries a secret or a path."""


# --------------------------------------------------------------------------------------------
# A folder
# --------------------------------------------------------------------------------------------

class LocalStore:
    kind = "local"

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder).resolve()

    def path(self, name: str) -> Path:
        path = (self.folder / _safe_name(name)).resolve()
        if path.parent != self.folder:
            raise FileNotFoundError(f"stored name {name!r} leaves the upload folder")
        return path

    def save(self, name: str, stream: BinaryIO, content_type: str) -> None:
        """Written under a hidden temporary name, then linked in place: a reader never sees half a
        file, and an existing file is never overwritten (FileExistsError)."""
        path = self.path(name)
        partial = self.folder / f".{name}.{secrets.token_hex(4)}.part"
        try:
            with open(partial, "xb") as handle:
                shutil.copyfileobj(stream, handle, CHUNK)
            os.link(partial, path)
        except FileExistsError:
            raise
        except OSError as error:
            raise StoreUnavailable(f"cannot write to the upload folder: {type(error).__name__}") from error
        finally:
            partial.unlink(missing_ok=True)

    def _gone(self, name: str, error: OSError) -> OSError:
        """FileNotFoundError for a missing file; StoreUnavailable when the folder itself is gone
        (a shared mount that went away) or refuses us."""
        if isinstance(error, (FileNotFoundError, IsADirectoryError)) and self.folder.is_dir():
            return FileNotFoundError(name)
        return StoreUnavailable(f"cannot read the upload folder: {type(error).__name__}")

    def open(self, name: str) -> BinaryIO:
        path = self.path(name)
        try:
            if path.is_dir():
                raise IsADirectoryError(name)
            return open(path, "rb")
        except OSError as error:
            raise self._gone(name, error) from None

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def size(self, name: str) -> int:
        path = self.path(name)
        try:
            if path.is_dir():
                raise IsADirectoryError(name)
            return path.stat().st_size
        except OSError as error:
            raise self._gone(name, error) from None

    def names_with_stem(self, stem: str) -> list[str]:
        _safe_name(stem)
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.name.startswith(stem + ".") and p.is_file())

    def names(self) -> Iterator[str]:
        return (name for name, _modified in self.listing())

    def listing(self) -> Iterator[tuple[str, float]]:
        if self.folder.is_dir():
            for path in self.folder.iterdir():
                if path.is_file():
                    yield path.name, path.stat().st_mtime

    def local_path(self, name: str) -> Path | None:
        return self.path(name)

    def check(self) -> tuple[bool, str]:
        """The folder takes a file (a shared mount that went away does not)."""
        try:
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".ready-"):
                pass
            return True, "ok"
        except OSError as error:
            return False, type(error).__name__


# --------------------------------------------------------------------------------------------
# S3-compatible object storage
# --------------------------------------------------------------------------------------------

def _missing(error: ClientError) -> bool:
    response = error.response or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in MISSING_CODES or status == 404


class S3Store:
    kind = "s3"

    def __init__(self, *, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None, prefix: str = "",
                 addressing_style: str = "path", connect_timeout: float = 3, read_timeout: float = 30):
        if not bucket:
            raise ValueError("S3_BUCKET is required when STORAGE_BACKEND is s3")
        self.bucket = bucket
        self.prefix = (prefix or "").strip("/")
        self.prefix = self.prefix + "/" if self.prefix else ""
        config = BotoConfig(
            s3={"addressing_style": addressing_style or "path"},
            connect_timeout=connect_timeout, read_timeout=read_timeout,
            retries={"max_attempts": 2, "mode": "standard"},  # a store that is down answers within seconds
            # OSS and COS do not all take the newer default checksums; send them only where required
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
            signature_version="s3v4")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key_id or None, aws_secret_access_key=secret_access_key or None,
            config=config)

    def key(self, name: str) -> str:
        return self.prefix + _safe_name(name)

    def _call(self, operation: str, **kwargs):
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except ClientError as error:
            if _missing(error):
                raise FileNotFoundError(kwargs.get("Key", self.bucket)) from None
            raise StoreUnavailable(f"object store refused {operation}: "
                                   f"{error.response.get('Error', {}).get('Code', '?')}") from error
        except BotoCoreError as error:
            raise StoreUnavailable(f"object store unreachable ({operation}): {type(error).__name__}") from error

    def save(self, name: str, stream: BinaryIO, content_type: str) -> None:
        key = self.key(name)
        try:
            self.client.upload_fileobj(stream, self.bucket, key, ExtraArgs={"ContentType": content_type},
                                       Config=TRANSFER)
        except ClientError as error:
            raise StoreUnavailable(f"object store refused the upload: "
                                   f"{error.response.get('Error', {}).get('Code', '?')}") from error
        except (BotoCoreError, OSError) as error:
            # s3transfer wraps some failures (e.g. a refused connection) in its own errors
            raise StoreUnavailable(f"object store unreachable (upload): {type(error).__name__}") from error
        except Exception as error:
            if type(error).__module__.startswith(("s3transfer", "boto3")):
                raise StoreUnavailable(f"object store unreachable (upload): {type(error).__name__}") from error
            raise

    def open(self, name: str) -> BinaryIO:
        body = self._call("get_object", Key=self.key(name))["Body"]
        return _BodyReader(body)

    def delete(self, name: str) -> None:
        self._call("delete_object", Key=self.key(name))

    def exists(self, name: str) -> bool:
        try:
            self._call("head_object", Key=self.key(name))
        except FileNotFoundError:
            return False
        return True

    def size(self, name: str) -> int:
        return int(self._call("head_object", Key=self.key(name))["ContentLength"])

    def names_with_stem(self, stem: str) -> list[str]:
        return sorted(name for name, _modified in self._list(self.key(stem) + "."))

    def names(self) -> Iterator[str]:
        return (name for name, _modified in self._list(self.prefix))

    def listing(self) -> Iterator[tuple[str, float]]:
        return self._list(self.prefix)

    def _list(self, prefix: str) -> Iterator[tuple[str, float]]:
        token = None
        while True:
            kwargs = {"Prefix": prefix, **({"ContinuationToken": token} if token else {})}
            page = self._call("list_objects_v2", **kwargs)
            for item in page.get("Contents", ()):
                name = item["Key"][len(self.prefix):]
                if "/" not in name:
                    yield name, item["LastModified"].timestamp()
            if not page.get("IsTruncated"):
                return
            token = page.get("NextContinuationToken")

    def local_path(self, name: str) -> Path | None:
        return None

    def check(self) -> tuple[bool, str]:
        """The bucket answers (HeadBucket)."""
        try:
            self._call("head_bucket")
            return True, "ok"
        except FileNotFoundError:
            return False, "NoSuchBucket"
        except StoreUnavailable as error:
            cause = error.__cause__
            return False, type(cause).__name__ if cause is not None else "unreachable"


class _BodyReader:
    """A botocore body as a plain binary stream: read in chunks, closed when done; read errors
    (the store going away mid-file) come out as StoreUnavailable."""

    def __init__(self, body):
        self.body = body

    def read(self, size: int = -1) -> bytes:
        try:
            return self.body.read(None if size is None or size < 0 else size)
        except (BotoCoreError, OSError) as error:
            raise StoreUnavailable(f"object store read failed: {type(error).__name__}") from error

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while chunk := self.read(CHUNK):
            yield chunk


# --------------------------------------------------------------------------------------------
# The configured store
# --------------------------------------------------------------------------------------------

S3_SETTINGS = ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY",
               "S3_PREFIX", "S3_ADDRESSING_STYLE", "S3_CONNECT_TIMEOUT", "S3_READ_TIMEOUT")


def store() -> FileStore:
    """The store the configuration names (one per app and settings; boto3 clients are thread-safe)."""
    config = current_app.config
    backend = (config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStore(config["UPLOAD_FOLDER"])
    if backend != "s3":
        raise ValueError(f"unknown STORAGE_BACKEND {backend!r} (local or s3)")
    settings = tuple(config.get(name) for name in S3_SETTINGS)
    cache = current_app.extensions.setdefault("file_store", {})
    if settings not in cache:
        cache.clear()
        cache[settings] = S3Store(
            bucket=config.get("S3_BUCKET"), endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"), access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"), prefix=config.get("S3_PREFIX") or "",
            addressing_style=config.get("S3_ADDRESSING_STYLE") or "path",
            connect_timeout=float(config.get("S3_CONNECT_TIMEOUT") or 3),
            read_timeout=float(config.get("S3_READ_TIMEOUT") or 30))
    return cache[settings]

"""The file store chosen by configuration (app/infra/filestore.py), beyond the checks that
tests/infra/test_storage.py runs on both stores: memory stays bounded for large files, the object
store being down (an upload refused with a Chinese message and nothing left behind, a download
answering 503, /readyz saying so), and files without a record found by ``flask files orphans``.

The S3 store runs against moto's S3 server (tests/conftest.py): an emulator of the S3 protocol over
real HTTP, used only by the tests. A second server is started (and stopped) where a test needs the
store to go away.
"""
from __future__ import annotations

import gc
import hashlib
import io
import json
import secrets
import tracemalloc

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from app.infra.filestore import StoreUnavailable, store
from app.infra.storage import UploadError
from models import Attachment
from tests.conftest import MotoServer, free_port, use_s3
from tests.factories import PASSWORD
from tests.flows import applicant, upload  # noqa: F401
from tests.flows import start_gp as start

MB = 1024 * 1024
DOWN_UPLOAD = "文件存储暂时不可用，文件未保存。请过几分钟后重试。"
DOWN_PAGE = "文件存储暂时不可用，请过几分钟后重试。"


class GeneratedPdf(io.RawIOBase):
    """A ``size``-byte "PDF" made while it is read (so the test itself holds none of it)."""

    def __init__(self, size: int):
        self.size, self.position = size, 0
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
        count = min(len(buffer), self.size - self.position)
        chunk = bytearray(b"0" * count)
        for offset, part in ((0, head), (self.size - len(tail), tail)):
            for index, byte in enumerate(part):
                if self.position <= offset + index < self.position + count:
                    chunk[offset + index - self.position] = byte
        buffer[:count] = chunk
        self.digest.update(chunk)
        self.position += count
        return count


def png_bytes(size=(300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def login(auth, username: str) -> None:
    response = auth.login(username, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location, username


def attachment_count() -> int:
    return db.session.scalar(select(db.func.count(Attachment.id)))


# --------------------------------------------------------------------------------------------
# Large files stream through bounded memory, on both stores
# --------------------------------------------------------------------------------------------

def test_a_large_file_goes_in_and_out_in_bounded_memory(app, auth, client, world, file_backend, monkeypatch):
    size = 24 * MB
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 32 * MB)
    source = GeneratedPdf(size)
    gc.collect()
    tracemalloc.start()
    try:
        attachment = storage.save(FileStorage(stream=source, filename="大文件.pdf"), "diploma",
                                  world.trainees["zy"], uploaded_by=world.accounts["trainee_zy"])
        db.session.commit()
        _current, upload_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (attachment.size, attachment.sha256) == (size, source.digest.hexdigest())
    assert store().size(attachment.stored_name) == size
    assert upload_peak < 4 * MB, f"{file_backend}: {upload_peak / MB:.1f} MB held for a {size // MB} MB upload"

    login(auth, "county_zy")
    gc.collect()
    tracemalloc.start()
    try:
        response = client.get(f"/files/{attachment.id}", buffered=False)
        assert response.status_code == 200
        received, digest = 0, hashlib.sha256()
        for chunk in response.response:
            received += len(chunk)
            digest.update(chunk)
        response.close()
        _current, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (received, digest.hexdigest()) == (size, attachment.sha256)
    assert response.headers["Content-Length"] == str(size)
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert download_peak < 4 * MB, f"{file_backend}: {download_peak / MB:.1f} MB held for a {size // MB} MB download"


# --------------------------------------------------------------------------------------------
# The object store down
# --------------------------------------------------------------------------------------------

@pytest.fixture
def s3_down(app, monkeypatch):
    """The s3 store, pointed at a port where nothing listens."""
    for key, value in {"STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
                       "S3_BUCKET": "hn-uploads", "S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "k",
                       "S3_SECRET_ACCESS_KEY": "s", "S3_CONNECT_TIMEOUT": 1}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def own_server(tmp_path):
    """An S3 server of this test's own, which the test may stop."""
    server = MotoServer(tmp_path / "moto.log").start()
    yield server
    server.stop()


def test_an_upload_while_the_store_is_down_says_so_in_chinese_and_saves_nothing(s3_down, world):
    before = attachment_count()
    with pytest.raises(UploadError) as caught:
        storage.save(FileStorage(io.BytesIO(png_bytes()), filename="照片.png"), "photo", world.trainees["zy"])
    assert caught.value.code == "unavailable" and str(caught.value) == DOWN_UPLOAD
    assert attachment_count() == before


def test_the_trainee_is_told_to_retry_and_the_retry_works_once_the_store_is_back(
        app, world, client, applicant, s3_server, monkeypatch):  # noqa: F811
    application = start(client, world)
    use_s3(app, monkeypatch, s3_server.url)
    bucket = app.config["S3_BUCKET"]
    url = f"/portal/applications/{application.id}/files"
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # the store goes away
    response = upload(client, url, png_bytes(), "外出参培证明.png", kind="outing_proof")
    assert response.status_code == 302  # back to the form, not a 500
    page = client.get(response.location).get_data(as_text=True)
    assert DOWN_UPLOAD in page
    assert db.session.scalar(select(Attachment).where(Attachment.application_id == application.id)) is None

    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_server.url)  # it is back: the same upload again
    response = upload(client, url, png_bytes(), "外出参培证明.png", kind="outing_proof")
    assert response.status_code == 302 and "上传成功。" in client.get(response.location).get_data(as_text=True)
    attachment = db.session.scalar(select(Attachment).where(Attachment.application_id == application.id))
    assert set(store().names()) >= {attachment.stored_name, storage.thumbnail_of(attachment)}
    assert bucket == app.config["S3_BUCKET"]


def test_downloads_answer_503_in_chinese_when_the_store_goes_away(app, auth, client, world, own_server,
                                                                   monkeypatch):
    use_s3(app, monkeypatch, own_server.url)
    photo = storage.save(FileStorage(io.BytesIO(png_bytes()), filename="照片.png"), "photo", world.trainees["zy"],
                         uploaded_by=world.accounts["trainee_zy"])
    pdf = storage.save(FileStorage(io.BytesIO(b"%PDF-1.4\n" + b"0" * 100 + b"\n%%EOF\n"), filename="证书.pdf"),
                       "diploma", world.trainees["zy"], application=world.applications["zy"])
    db.session.commit()
    login(auth, "county_zy")
    assert client.get(f"/files/{photo.id}").status_code == 200

    own_server.stop()
    for url in (f"/files/{photo.id}", f"/files/{photo.id}?thumb=1", f"/files/{pdf.id}", f"/files/{pdf.id}/page/1.png"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert DOWN_PAGE in response.get_data(as_text=True), url
    # the reviewer's page of the application still opens, saying why the PDF is not shown
    details = client.get(f"/admin/application/details/?id={world.applications['zy'].id}")
    assert details.status_code == 200
    assert "文件存储暂时不可用，此文件暂时无法显示。请过几分钟后重试。" in details.get_data(as_text=True)


def test_a_local_folder_that_went_away_is_503_not_404(app, auth, client, world, tmp_path, monkeypatch):
    photo = storage.save(FileStorage(io.BytesIO(png_bytes()), filename="照片.png"), "photo", world.trainees["zy"])
    db.session.commit()
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "unmounted"))
    login(auth, "trainee_zy")
    response = client.get(f"/files/{photo.id}")
    assert response.status_code == 503 and DOWN_PAGE in response.get_data(as_text=True)


def test_readyz_checks_the_bucket(app, client, s3_server, monkeypatch):
    use_s3(app, monkeypatch, s3_server.url)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json()["checks"]["file_storage"] == {"ok": True, "detail": "ok"}

    monkeypatch.setitem(app.config, "S3_BUCKET", "hn-no-such-bucket")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.get_json()["checks"]["file_storage"]["ok"] is False


def test_readyz_reports_the_object_store_down_without_its_address(client, s3_down, app):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 503 and body["status"] == "not ready"
    assert body["checks"]["file_storage"]["ok"] is False and body["checks"]["database"]["ok"] is True
    assert app.config["S3_ENDPOINT_URL"] not in json.dumps(body) and "127.0.0.1" not in json.dumps(body)


def test_a_removal_the_store_refuses_leaves_the_row_gone_and_the_file_listed(app, world, own_server, monkeypatch,
                                                                             runner):
    use_s3(app, monkeypatch, own_server.url)
    attachment = storage.save(FileStorage(io.BytesIO(png_bytes()), filename="照片.png"), "photo",
                              world.trainees["zy"])
    db.session.commit()
    names = {attachment.stored_name, storage.thumbnail_of(attachment)}
    real_delete = type(store()).delete

    def refused(self, name):
        raise StoreUnavailable("the store went away")
    monkeypatch.setattr(type(store()), "delete", refused)
    storage.delete(attachment)
    db.session.commit()  # the deletion stands; the files wait for the sweep
    assert db.session.get(Attachment, attachment.id) is None
    monkeypatch.setattr(type(store()), "delete", real_delete)
    assert names <= set(store().names())
    assert set(storage.orphans(older_than_seconds=0)) == names


# --------------------------------------------------------------------------------------------
# Files without a record: flask files orphans
# --------------------------------------------------------------------------------------------

def test_orphans_are_listed_and_removed_by_the_command(app, world, runner, file_backend):
    kept = storage.save(FileStorage(io.BytesIO(png_bytes()), filename="照片.png"), "photo", world.trainees["zy"])
    db.session.commit()
    orphan = secrets.token_hex(16) + ".pdf"  # a process died between the object and the commit
    store().save(orphan, io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "application/pdf")

    assert storage.orphans() == []  # too young: it may still be committing
    result = runner.invoke(args=["files", "orphans", "--older-than-hours", "0"])
    assert result.exit_code == 0 and orphan in result.output and "1 file(s)" in result.output
    assert store().exists(orphan)
    result = runner.invoke(args=["files", "orphans", "--older-than-hours", "0", "--delete"])
    assert result.exit_code == 0 and f"removed {orphan}" in result.output
    assert not store().exists(orphan)
    assert {kept.stored_name, storage.thumbnail_of(kept)} <= set(store().names())

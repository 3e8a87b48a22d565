"""Uploads (app/infra/storage.py): what is accepted, what is stored, what a user downloads.

Every test runs against both file stores (``file_backend`` in tests/conftest.py): the upload
folder, and an S3 bucket on moto's S3 server (a real HTTP endpoint started by the session).

Images and PDFs are made in memory. Each check looks at what a user (or an administrator looking
at the store) would see: the refusal message in Chinese, the files in the store, the pixels and
metadata of the stored image, and the download through /files/<id> with the scope of the world
(tests/factories.py): trainee_zy owns the "zy" files, county_zy sees them, county_xg and
trainee_js do not.
"""
from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import zlib
from urllib.parse import quote

import pytest
from PIL import Image, ImageFile, PngImagePlugin
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.infra import storage
from app.infra.filestore import StoreUnavailable, store
from app.infra.storage import UploadError
from models import Attachment
from tests.factories import PASSWORD

pytestmark = pytest.mark.usefixtures("file_backend")

HEX_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|pdf)$")
CJK = re.compile(r"[\u4e00-\u9fff]")
RED, BLUE = (255, 0, 0), (0, 0, 255)

PDF_BYTES = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
             b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
             b"trailer << /Root 1 0 R >>\n%%EOF\n")


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def image_bytes(fmt: str = "JPEG", size=(200, 100), mode: str = "RGB", color=RED, **save) -> bytes:
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def split_jpeg(exif=None) -> bytes:
    """200×100: left half red, right half blue (to see which way it was turned)."""
    image = Image.new("RGB", (200, 100), RED)
    image.paste(Image.new("RGB", (100, 100), BLUE), (100, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose IHDR claims ``width`` × ``height`` (valid CRC, tiny pixel data)."""
    data = image_bytes("PNG", (60, 60))
    body = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:8] + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body)) + data[33:]


def upload(data: bytes, name: str = "照片.jpg", content_type: str = "application/octet-stream") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


def save(world, data: bytes, name: str = "照片.jpg", key: str = "zy", kind: str = "photo", **kwargs) -> Attachment:
    return storage.save(upload(data, name, kwargs.pop("content_type", "image/jpeg")), kind, world.trainees[key],
                        uploaded_by=world.accounts[f"trainee_{key}"], **kwargs)


def read(name: str) -> bytes:
    with store().open(name) as handle:
        return handle.read()


def stored_bytes(attachment: Attachment) -> bytes:
    return read(storage.stored_name(attachment))


def thumbnail_image(attachment: Attachment) -> Image.Image:
    return Image.open(io.BytesIO(read(storage.thumbnail_of(attachment))))


def stored_image(attachment: Attachment) -> Image.Image:
    image = Image.open(io.BytesIO(stored_bytes(attachment)))
    image.load()
    return image


def close(color, expected, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected))


def files_in(_folder=None) -> set[str]:
    """The names in the configured store."""
    return set(store().names())


@pytest.fixture
def folder(app, file_backend):
    """The store (folder or bucket); whatever a test leaves in it is removed afterwards."""
    before = files_in()
    yield store()
    for name in files_in() - before:
        store().delete(name)


def refused(world, folder, data: bytes, name: str = "照片.jpg") -> UploadError:
    """The upload is refused with a Chinese message, and nothing is written or added."""
    before = files_in(folder)
    with pytest.raises(UploadError) as caught:
        save(world, data, name)
    message = str(caught.value)
    assert CJK.search(message), message
    assert files_in(folder) == before
    assert db.session.scalar(select(db.func.count(Attachment.id)).where(
        Attachment.stored_name.not_like("world-%"))) == 0
    return caught.value


# --------------------------------------------------------------------------------------------
# Accepted files
# --------------------------------------------------------------------------------------------

def test_jpeg_is_stored_under_a_random_name_with_a_thumbnail(world, folder):
    data = image_bytes("JPEG", (800, 600))
    attachment = save(world, data, "学员照片.jpg")
    assert HEX_NAME.match(attachment.stored_name) and attachment.stored_name.endswith(".jpg")
    assert attachment.id is not None and attachment in db.session
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/jpeg", 800, 600)
    assert attachment.original_name == "学员照片.jpg"
    assert attachment.trainee_id == world.trainees["zy"].id
    assert attachment.uploaded_by_id == world.accounts["trainee_zy"].id
    stored = stored_bytes(attachment)
    assert (attachment.size, attachment.sha256) == (len(stored), hashlib.sha256(stored).hexdigest())
    assert stored_image(attachment).format == "JPEG"
    thumb = storage.thumbnail_of(attachment)
    assert thumb == attachment.stored_name.removesuffix(".jpg") + ".thumb.jpg" and thumb in files_in()
    with thumbnail_image(attachment) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
    # a second upload of the same picture gets a name of its own
    assert save(world, data, "学员照片.jpg").stored_name != attachment.stored_name


def test_png_keeps_its_transparency_and_its_thumbnail_is_a_jpeg(world, folder):
    attachment = save(world, image_bytes("PNG", (400, 100), "RGBA", (0, 128, 0, 100)), "seal.png")
    image = stored_image(attachment)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (400, 100))
    assert image.getpixel((10, 10)) == (0, 128, 0, 100)
    with thumbnail_image(attachment) as thumb:
        assert (thumb.format, thumb.size) == ("JPEG", (320, 80))
        assert close(thumb.convert("RGB").getpixel((5, 5)), (155, 205, 155))  # composed onto white


def test_exif_orientation_is_applied_and_every_bit_of_metadata_dropped(world, folder):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[0x8825] = {1: "N", 2: (34.0, 45.0, 0.0)}  # GPS
    data = split_jpeg(exif.tobytes())
    with Image.open(io.BytesIO(data)) as original:
        assert original.size == (200, 100) and original.getexif()[0x0112] == 6
    attachment = save(world, data, "IMG_0001.JPG")
    image = stored_image(attachment)
    assert image.size == (100, 200) and (attachment.width, attachment.height) == (100, 200)
    assert close(image.getpixel((50, 20)), RED) and close(image.getpixel((50, 180)), BLUE)  # left went up
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    assert b"PhoneMaker" not in stored_bytes(attachment)
    with thumbnail_image(attachment) as thumb:
        assert thumb.size == (100, 200) and dict(thumb.getexif()) == {}


def test_png_text_exif_and_colour_profile_are_dropped(world, folder):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三 13800000000")
    info.add_itxt("Comment", "身份证号码")
    exif = Image.Exif()
    exif[0x010F] = "ScannerMaker"
    data = image_bytes("PNG", (120, 80), pnginfo=info, exif=exif.tobytes(), icc_profile=b"\0" * 200)
    attachment = save(world, data, "scan.png")
    image = stored_image(attachment)
    assert image.format == "PNG" and dict(image.getexif()) == {}
    assert not {"Author", "Comment", "exif", "icc_profile"} & set(image.info)
    raw = stored_bytes(attachment)
    assert b"ScannerMaker" not in raw and "张三".encode() not in raw and b"iCCP" not in raw


def test_cmyk_palette_and_16_bit_images_come_out_in_sensible_modes(world, folder):
    cmyk = save(world, image_bytes("JPEG", (100, 100), "CMYK", (0, 255, 255, 0)), "cmyk.jpg")
    image = stored_image(cmyk)
    assert image.mode == "RGB" and close(image.getpixel((50, 50)), RED)

    palette = Image.new("P", (100, 100), 1)
    palette.putpalette([255, 255, 255, 255, 0, 0] + [0] * 762)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=0)
    image = stored_image(save(world, buffer.getvalue(), "palette.png"))
    assert image.mode == "RGBA" and image.getpixel((5, 5)) == (255, 0, 0, 255)

    grey = stored_image(save(world, image_bytes("PNG", (100, 100), "I;16", 32896), "grey16.png"))
    assert grey.mode == "L" and 120 <= grey.getpixel((5, 5)) <= 135  # mid grey, not clipped to white


def test_pdf_is_accepted_as_sent_without_a_thumbnail(world, folder):
    attachment = save(world, PDF_BYTES, "学历证书.pdf", kind="diploma", content_type="application/pdf")
    assert HEX_NAME.match(attachment.stored_name) and attachment.stored_name.endswith(".pdf")
    assert (attachment.content_type, attachment.width, attachment.height) == ("application/pdf", None, None)
    assert stored_bytes(attachment) == PDF_BYTES
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest() and attachment.size == len(PDF_BYTES)
    assert storage.thumbnail_of(attachment) is None
    assert files_in(folder) - {"world-zy.png"} >= {attachment.stored_name}
    assert not any(name.endswith(".thumb.jpg") for name in files_in(folder))


def test_content_wins_over_the_name_and_the_declared_type(world, folder):
    attachment = save(world, image_bytes("PNG", (100, 100)), "扫描件.pdf", content_type="application/pdf")
    assert attachment.content_type == "image/png" and attachment.stored_name.endswith(".png")
    assert attachment.original_name == "扫描件.pdf"
    assert storage.download_name(attachment) == "扫描件.png"
    assert stored_image(attachment).format == "PNG"
    jpeg = save(world, image_bytes("JPEG", (100, 100)), "photo", content_type="text/plain")
    assert jpeg.content_type == "image/jpeg" and jpeg.stored_name.endswith(".jpg")


def test_the_application_and_exemption_request_are_recorded(world, folder):
    application = world.applications["zy"]
    request = application.exemptions[0]
    attachment = save(world, PDF_BYTES, "证明.pdf", kind="gp_work_proof", application=application,
                      exemption_request=request)
    db.session.commit()
    assert (attachment.application_id, attachment.exemption_request_id) == (application.id, request.id)
    with pytest.raises(ValueError):
        save(world, PDF_BYTES, "证明.pdf", key="js", application=application)
    with pytest.raises(ValueError):
        save(world, PDF_BYTES, "证明.pdf", kind="selfie")


# --------------------------------------------------------------------------------------------
# Refused files: a Chinese message, and nothing left behind
# --------------------------------------------------------------------------------------------

def test_a_text_file_named_jpg_is_refused(world, folder):
    error = refused(world, folder, b"just some text, not a picture\n" * 20, "学员照片.jpg")
    assert error.code == "unsupported" and "JPG" in str(error) and "PDF" in str(error)
    assert "只能上传" in str(error)


@pytest.mark.parametrize("data", [
    b"<html><script>alert(1)</script></html>",
    b"GIF89a" + b"\0" * 100,
    b"BM" + b"\0" * 100,
    image_bytes("GIF", (100, 100)),
    image_bytes("BMP", (100, 100)),
    image_bytes("TIFF", (100, 100)),
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n",
], ids=["html", "gif-magic", "bmp-magic", "gif", "bmp", "tiff", "eps"])
def test_other_formats_are_refused(world, folder, data):
    assert refused(world, folder, data, "x.png").code == "unsupported"


def test_an_empty_file_is_refused(world, folder):
    error = refused(world, folder, b"", "空文件.jpg")
    assert error.code == "empty" and "空" in str(error)
    assert refused(world, folder, b"", "").code == "missing"


class Endless(io.RawIOBase):
    """A stream that never ends, counting what was read from it."""

    def __init__(self, head: bytes):
        self.head, self.read_bytes = head, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = (self.head + b"\0" * len(buffer))[:len(buffer)]
        self.head = self.head[len(chunk):]
        buffer[:len(chunk)] = chunk
        self.read_bytes += len(chunk)
        return len(chunk)


def test_an_oversized_file_is_refused_after_reading_one_byte_past_the_limit(app, world, folder, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 2048)
    noisy = Image.frombytes("RGB", (200, 200), random.Random(0).randbytes(200 * 200 * 3))
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    data = buffer.getvalue()
    assert len(data) > 2048
    error = refused(world, folder, data, "大图.png")
    assert error.code == "too_big" and "2 KB" in str(error) and "不能超过" in str(error)

    stream = Endless(image_bytes("JPEG", (100, 100)))
    with pytest.raises(UploadError):
        storage.save(FileStorage(stream=stream, filename="无尽.jpg"), "photo", world.trainees["zy"])
    assert stream.read_bytes == 2049
    # exactly at the limit is fine
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(PDF_BYTES))
    assert save(world, PDF_BYTES, "a.pdf").size == len(PDF_BYTES)


def test_the_default_size_limit_is_ten_megabytes(app, world, folder, monkeypatch):
    monkeypatch.delitem(app.config, "UPLOAD_MAX_BYTES", raising=False)
    stream = Endless(PDF_BYTES)
    with pytest.raises(UploadError) as caught:
        storage.save(FileStorage(stream=stream, filename="big.pdf"), "photo", world.trainees["zy"])
    assert "10 MB" in str(caught.value) and stream.read_bytes == 10 * 1024 * 1024 + 1


@pytest.mark.parametrize("width, height", [(100_000, 100_000), (10_000, 10_000), (7_000, 7_000)],
                         ids=["past-pillow-error", "past-pillow-warning", "past-our-limit"])
def test_an_image_declaring_huge_dimensions_is_refused_before_decoding(world, folder, monkeypatch, width, height):
    data = png_declaring(width, height)
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self))
    error = refused(world, folder, data, "炸弹.png")
    assert error.code == "too_many_pixels" and "尺寸过大" in str(error)
    assert decoded == []


def test_pillows_bomb_guard_holds_even_with_a_higher_configured_limit(app, world, folder, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS", 10**12)
    for size in ((10_000, 10_000), (100_000, 100_000)):
        assert refused(world, folder, png_declaring(*size), "炸弹.png").code == "too_many_pixels"


def test_the_pixel_limit_is_configurable(app, world, folder, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS", 100 * 100)
    assert refused(world, folder, image_bytes("JPEG", (101, 100))).code == "too_many_pixels"
    assert save(world, image_bytes("JPEG", (100, 100))).width == 100


@pytest.mark.parametrize("size", [(49, 400), (400, 49), (10, 10)])
def test_a_tiny_image_is_refused(world, folder, size):
    error = refused(world, folder, image_bytes("PNG", size), "小图.png")
    assert error.code == "too_small" and "太小" in str(error) and "50" in str(error)


def test_damaged_images_and_pdfs_are_refused(world, folder):
    jpeg = image_bytes("JPEG", (400, 400))
    assert refused(world, folder, jpeg[:len(jpeg) // 2]).code == "damaged"
    png = image_bytes("PNG", (400, 400))
    assert refused(world, folder, png[:60] + b"\0" * 40 + png[100:], "x.png").code == "damaged"
    error = refused(world, folder, PDF_BYTES.replace(b"%%EOF", b"") + b"x" * 2000, "不完整.pdf")
    assert error.code == "damaged" and "PDF" in str(error)


def test_a_failure_while_writing_or_flushing_leaves_no_file(world, folder, monkeypatch):
    before = files_in(folder)
    kind = type(store())
    real_save = kind.save

    def store_fails_at_the_thumbnail(self, name, stream, content_type):
        if name.endswith(".thumb.jpg"):
            raise StoreUnavailable("the store went away")
        real_save(self, name, stream, content_type)
    monkeypatch.setattr(kind, "save", store_fails_at_the_thumbnail)
    with pytest.raises(UploadError) as caught:
        save(world, image_bytes("JPEG", (100, 100)))
    assert caught.value.code == "unavailable" and "文件存储暂时不可用" in str(caught.value)
    assert files_in(folder) == before  # the image written before the thumbnail went again
    assert db.session.scalar(select(db.func.count(Attachment.id))) == len(world.attachments)
    db.session.rollback()

    monkeypatch.setattr(kind, "save", real_save)

    def database_down():
        raise OSError("connection lost")
    monkeypatch.setattr(db.session, "flush", database_down)
    with pytest.raises(OSError):
        save(world, image_bytes("JPEG", (100, 100)))
    assert files_in(folder) == before


def test_files_of_an_upload_whose_commit_fails_are_removed(world, folder):
    """The object is written before the row; a commit that fails leaves neither."""
    before = files_in(folder)
    save(world, PDF_BYTES, "证明.pdf")
    assert len(files_in(folder) - before) == 1

    db.session.add(Attachment(kind="photo", content_type="image/png"))  # no owner, no name: refused at commit
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert files_in(folder) == before
    assert db.session.scalar(select(db.func.count(Attachment.id))) == len(world.attachments)


def test_files_of_an_upload_that_is_rolled_back_are_removed(world, folder):
    before = files_in(folder)
    attachment = save(world, image_bytes("JPEG", (100, 100)))
    assert len(files_in(folder) - before) == 2
    db.session.rollback()
    assert files_in(folder) == before
    kept = save(world, image_bytes("JPEG", (100, 100)))
    db.session.commit()
    assert {kept.stored_name, storage.thumbnail_of(kept)} <= files_in(folder)
    assert attachment.stored_name not in files_in(folder)


def test_delete_removes_the_row_and_its_files_once_committed(world, folder):
    attachment = save(world, image_bytes("JPEG", (100, 100)))
    trainee = world.trainees["zy"]
    trainee.photo = attachment
    db.session.commit()
    names = {storage.stored_name(attachment), storage.thumbnail_of(attachment)}
    attachment_id = attachment.id
    storage.delete(attachment)
    db.session.rollback()  # changed one's mind: the files stay
    assert names <= files_in(folder)
    attachment = db.session.get(Attachment, attachment_id)
    storage.delete(attachment)
    db.session.commit()
    assert not names & files_in(folder)
    assert db.session.get(Attachment, attachment_id) is None
    assert db.session.get(type(trainee), trainee.id).photo_id is None


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd.png", "passwd.png"),
    ("..\\..\\x.png", "x.png"),
    ("C:\\Users\\张三\\Desktop\\身份证.png", "身份证.png"),
    ("/var/www/uploads/../../shell.png", "shell.png"),
    ("..", "未命名文件.png"),
    ("a\x00b\r\nc\u202egnp.exe\u200b.png", "abcgnp.exe.png"),
    ("  学员 照片 .png ", "学员 照片 .png"),
])
def test_client_names_are_display_text_only(world, folder, name, shown):
    attachment = save(world, image_bytes("PNG", (100, 100)), name)
    assert HEX_NAME.match(attachment.stored_name)
    assert attachment.original_name == shown
    assert attachment.stored_name in files_in(folder)
    assert not any(".." in p or "passwd" in p or "/" in p for p in files_in(folder))


def test_a_long_name_is_cut_to_255_characters_keeping_the_extension(world, folder):
    attachment = save(world, PDF_BYTES, "证" * 300 + ".pdf")
    assert len(attachment.original_name) == 255 and attachment.original_name.endswith("证.pdf")
    db.session.commit()  # fits the column on PostgreSQL too


@pytest.mark.parametrize("stored_name", ["../x.png", "..\\x.png", "/etc/passwd", "..", "", "a/b.png"])
def test_unsafe_stored_names_never_reach_the_disk(world, stored_name):
    attachment = Attachment(stored_name=stored_name, content_type="image/png")
    with pytest.raises(FileNotFoundError):
        storage.stored_name(attachment)
    with pytest.raises(FileNotFoundError):
        storage.open_file(attachment)
    with pytest.raises(FileNotFoundError):
        store().open(stored_name)


# --------------------------------------------------------------------------------------------
# Downloads through /files/<id>
# --------------------------------------------------------------------------------------------

@pytest.fixture
def photo(world, folder):
    """A stored photo of the "zy" trainee named 学员照片.jpg, committed."""
    attachment = save(world, image_bytes("JPEG", (640, 480)), "学员照片.jpg")
    db.session.commit()
    return attachment


def login(auth, username: str) -> None:
    response = auth.login(username, PASSWORD)
    assert response.status_code == 302 and "/login" not in response.location, username


@pytest.mark.parametrize("user", ["trainee_zy", "county_zy", "city_zz", "province"])
def test_the_owner_and_reviewers_in_scope_download_the_photo(auth, client, photo, user):
    login(auth, user)
    response = client.get(f"/files/{photo.id}")
    assert response.status_code == 200
    assert response.data == stored_bytes(photo)
    assert response.mimetype == "image/jpeg"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f"filename*=UTF-8''{quote('学员照片.jpg')}" in disposition
    assert f"filename=attachment-{photo.id}.jpg;" in disposition  # an ASCII fallback for old clients
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]


@pytest.mark.parametrize("user", ["county_xg", "city_ly", "base_ly", "trainee_js", "trainee_xg"])
def test_out_of_scope_users_get_404_for_the_file_and_its_thumbnail(auth, client, photo, user):
    login(auth, user)
    assert client.get(f"/files/{photo.id}").status_code == 404
    assert client.get(f"/files/{photo.id}?thumb=1").status_code == 404


def test_download_needs_a_login(client, photo):
    response = client.get(f"/files/{photo.id}?thumb=1")
    assert response.status_code == 302 and "/login" in response.location


def test_the_thumbnail_of_an_image_downloads(auth, client, photo):
    login(auth, "trainee_zy")
    response = client.get(f"/files/{photo.id}?thumb=1")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == read(storage.thumbnail_of(photo))
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (320, 240)
    assert f"filename*=UTF-8''{quote('学员照片.thumb.jpg')}" in response.headers["Content-Disposition"]


def test_a_pdf_downloads_as_an_attachment_and_has_no_thumbnail(auth, client, world, folder):
    attachment = save(world, PDF_BYTES, "学历证书.pdf", kind="diploma")
    db.session.commit()
    login(auth, "county_zy")
    response = client.get(f"/files/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")  # never the browser's viewer
    assert client.get(f"/files/{attachment.id}?thumb=1").status_code == 404


def test_an_ascii_name_is_sent_as_is_and_a_renamed_png_downloads_as_png(auth, client, world, folder):
    plain = save(world, image_bytes("PNG", (100, 100)), "scan.pdf")
    db.session.commit()
    login(auth, "trainee_zy")
    response = client.get(f"/files/{plain.id}")
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'inline; filename=scan.png'


def test_a_missing_file_is_404_not_an_error(auth, client, photo):
    store().delete(photo.stored_name)
    store().delete(storage.thumbnail_of(photo))
    login(auth, "trainee_zy")
    assert client.get(f"/files/{photo.id}").status_code == 404
    assert client.get(f"/files/{photo.id}?thumb=1").status_code == 404

"""Visit photos (issue 14, finding 9): only real images, re-encoded without metadata, a pixel limit, served as
what they are."""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from fupin.assistance import services
from fupin.assistance.models import Visit, VisitPhoto
from tests import factories

from .conftest import TODAY, pair

GPS_IFD = 0x8825


def jpeg_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (30, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90°
    exif[GPS_IFD] = {1: "N", 2: (25.0, 23.0, 10.0), 3: "E", 4: (114.0, 55.0, 30.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and carries almost no data: what a decompression bomb looks like to a
    reader."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def visit_page(client, county_user, helper_with_login):
    household = factories.make_household()
    pair(household, helper_with_login, county_user)
    client.force_login(helper_with_login.user)

    def post(*photos):
        return client.post(
            reverse("assistance:add_visit", args=[household.pk]),
            {"visited_on": TODAY.isoformat(), "kind": "home", "findings": "一切正常", "photos": list(photos)},
        )

    post.household = household
    post.client = client
    return post


def test_a_photo_is_stored_as_a_jpeg_without_its_metadata(visit_page):
    response = visit_page(SimpleUploadedFile("IMG_0001.jpg", jpeg_with_gps(), content_type="image/jpeg"))
    assert response.status_code == 302
    photo = VisitPhoto.objects.get()
    assert photo.image.name.endswith(".jpg") and "IMG_0001" not in photo.image.name
    with photo.image.open("rb") as fh, Image.open(fh) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()  # no GPS position, no camera, no orientation tag left
        assert stored.size == (48, 64)  # turned upright by its orientation before the tag went
    served = visit_page.client.get(reverse("assistance:visit_photo", args=[photo.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg" and served["X-Content-Type-Options"] == "nosniff"


def test_a_png_with_transparency_is_kept_as_a_jpeg(visit_page):
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(out, "PNG")
    assert (
        visit_page(SimpleUploadedFile("a.png", out.getvalue(), content_type="image/png")).status_code == 302
    )
    with VisitPhoto.objects.get().image.open("rb") as fh, Image.open(fh) as stored:
        assert stored.format == "JPEG" and stored.mode == "RGB"


@pytest.mark.parametrize(
    "name, content",
    [
        ("page.jpg", b"<!doctype html><html><script>alert(document.cookie)</script></html>"),
        (
            "logo.jpg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
        ),
        ("gif.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
        ("empty.jpg", b""),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused(visit_page, name, content):
    response = visit_page(SimpleUploadedFile(name, content, content_type="image/jpeg"))
    assert response.status_code == 400
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_too_many_pixels_are_refused_before_decoding(visit_page, settings, county_user):
    bomb = png_header_only(30_000, 30_000)  # 900 million pixels in a few dozen bytes
    response = visit_page(SimpleUploadedFile("bomb.png", bomb, content_type="image/png"))
    assert response.status_code == 400 and not VisitPhoto.objects.exists()
    settings.FUPIN_PHOTO_MAX_PIXELS = 5_000_000
    with pytest.raises(services.AssistanceError) as e:
        services.record_visit(
            visit_page.household,
            by=county_user,
            visited_on=TODAY,
            findings="x",
            photos=[SimpleUploadedFile("big.png", png_header_only(4000, 3000))],
        )
    assert "超过上限5百万像素" in e.value.errors["photos"]


def test_a_photo_kept_from_before_is_never_served_as_a_page(visit_page, county_user):
    assert visit_page().status_code == 302
    visit = Visit.objects.get()
    old = VisitPhoto.objects.create(
        visit=visit, image=ContentFile(b"<html><script>alert(1)</script></html>", name="x.html")
    )
    served = visit_page.client.get(reverse("assistance:visit_photo", args=[old.pk]))
    assert served.status_code == 200
    assert (
        served["Content-Type"] == "application/octet-stream" and served["X-Content-Type-Options"] == "nosniff"
    )
    assert served["Content-Disposition"].startswith("attachment")

"""Uploaded images are bounded by pixels and decoded size, not only bytes (issue 18,
defect 6: a 36 KB PNG of 13000x13000 pixels was accepted as a logo, and each LOA render
then took 25 s and 1.4 GB)."""

import io
import struct

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from porting.bills import bill_kind
from tenancy.images import MAX_IMAGE_PIXELS, ImageLimits, check_image
from tenancy.models import Organization, validate_logo

from .images import broken_png, huge_png, png

HUGE = huge_png()


class LogoForm(forms.ModelForm):
    """The logo field as the admin's organization form has it (the model's validators)."""

    class Meta:
        model = Organization
        fields = ["logo"]


def test_the_probe_png_is_small_in_bytes_and_huge_in_pixels():
    assert len(HUGE) < 64 * 1024
    assert struct.unpack(">II", HUGE[16:24]) == (13000, 13000)  # IHDR: width, height


@pytest.mark.django_db
def test_a_13000_pixel_logo_is_refused_with_a_clear_form_error(org_a):
    form = LogoForm(
        data={}, files={"logo": SimpleUploadedFile("logo.png", HUGE, "image/png")},
        instance=org_a,
    )  # fmt: skip
    assert not form.is_valid()
    (message,) = form.errors["logo"]
    assert "13000×13000 pixels" in message and "at most 4 million pixels" in message
    org_a.refresh_from_db()
    assert not org_a.logo


@pytest.mark.django_db
def test_a_normal_logo_is_accepted(org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    form = LogoForm(data={}, files={"logo": SimpleUploadedFile("logo.png", png())},
                    instance=org_a)  # fmt: skip
    assert form.is_valid(), form.errors
    form.save()
    assert org_a.logo_data_uri().startswith("data:image/png;base64,")


def test_a_logo_whose_pixels_do_not_decode_is_refused():
    with pytest.raises(ValidationError, match="could not be read"):
        validate_logo(SimpleUploadedFile("logo.png", broken_png()))


@pytest.mark.django_db
def test_a_huge_logo_stored_before_the_limit_never_reaches_a_document(org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    org_a.logo.save("logo.png", ContentFile(HUGE), save=True)  # past the validator
    assert org_a.logo_data_uri() == ""


def test_a_huge_bill_photo_is_refused():
    with pytest.raises(ValidationError, match="13000×13000 pixels"):
        bill_kind(HUGE)
    assert bill_kind(png(2000, 1500)) == ("image/png", "png")


def test_decoded_size_is_bounded_as_well_as_pixels():
    limits = ImageLimits(what="The image", formats=("PNG",), max_bytes=10**6,
                         max_pixels=10**6, max_decoded_bytes=1_000_000)  # fmt: skip
    check_image(png(600, 600, "L"), limits)  # 360,000 bytes decoded
    with pytest.raises(ValidationError, match="too large once opened"):
        check_image(png(600, 600, "RGBA"), limits)  # 1.44 MB decoded


def test_only_the_named_formats_are_read():
    limits = ImageLimits(what="The logo", formats=("PNG",), max_bytes=10**6,
                         max_pixels=10**6, max_decoded_bytes=10**7)  # fmt: skip
    with pytest.raises(ValidationError, match="must be a PNG image"):
        check_image(b"GIF89a" + b"\0" * 100, limits)
    with pytest.raises(ValidationError, match="must be a PNG image"):
        check_image(b"<svg onload=alert(1)>", limits)


def test_pillow_refuses_a_bomb_anywhere_in_the_process():
    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS == 40_000_000
    bomb = huge_png(10000, 9000)  # 90 million pixels: over twice the limit
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))

"""Images people upload (an organization's logo, a photo of a carrier bill) are bounded by
what they cost once decoded, not only by their bytes: a PNG of a few kilobytes can declare
13000x13000 pixels, half a gigabyte in memory, and every PDF that embeds it pays that
again. `check_image` reads the header through Pillow's format plugin (no pixel decoded), refuses
too many pixels or too large a decoded size, and only then lets Pillow decode or verify.

Pillow's own bomb guard is set for the whole process as well (`MAX_IMAGE_PIXELS` below):
whatever opens an image (WeasyPrint rendering a PDF, too) refuses one over twice that.
docs/security.md ("Hostile uploads")."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image

# The largest image anything in this process decodes: a 40-megapixel phone photo. Pillow
# warns above it and raises DecompressionBombError above twice it.
MAX_IMAGE_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Bytes per pixel once Pillow has decoded an image: one for the single-band modes, four
# for every other (Pillow keeps RGB as RGBX).
_ONE_BYTE_MODES = {"1", "L", "P"}


@dataclass(frozen=True)
class ImageLimits:
    what: str  # "The logo", "The image": how messages name it
    formats: tuple[str, ...]  # Pillow's format names, e.g. ("PNG", "JPEG")
    max_bytes: int
    max_pixels: int
    max_decoded_bytes: int
    # Decode every pixel as the last check (small images only): a file whose header is
    # fine but whose data is broken is refused here, not met later in a PDF render.
    decode: bool = False


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    frames: int

    @property
    def pixels(self) -> int:
        return self.width * self.height * self.frames


def decoded_bytes(mode: str, pixels: int) -> int:
    return pixels * (1 if mode in _ONE_BYTE_MODES else 4)


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g} million"


def _read_header(data: bytes, formats: tuple[str, ...]) -> Image.Image | None:
    """The image's header through Pillow's own format plugin, without `Image.open`'s bomb
    check, so that a huge image is refused below with its size in the message. No pixel
    is decoded here."""
    Image.init()
    prefix = data[:16]
    for name in formats:
        factory, accept = Image.OPEN[name]
        if accept is not None and not accept(prefix):
            continue
        with contextlib.suppress(Exception):  # not this format after all: the next one
            return factory(io.BytesIO(data), "")
    return None


def check_image(data: bytes, limits: ImageLimits) -> ImageInfo:
    """`data` as an image within `limits`, or ValidationError with a message for the
    person who uploaded it."""
    if len(data) > limits.max_bytes:
        raise ValidationError(
            f"{limits.what} must be at most {limits.max_bytes // 1024:,} KB.", code="too_large"
        )
    header = _read_header(data, limits.formats)
    if header is None:
        names = " or ".join(limits.formats)
        raise ValidationError(f"{limits.what} must be a {names} image.", code="not_an_image")
    with header:
        info = ImageInfo(header.format, header.width, header.height,
                         getattr(header, "n_frames", 1))  # fmt: skip
        mode = header.mode

    if info.pixels > limits.max_pixels:
        raise ValidationError(
            f"{limits.what} is {info.width}×{info.height} pixels"
            + (f" in {info.frames} frames" if info.frames > 1 else "")
            + f": at most {_megapixels(limits.max_pixels)} pixels. Scale it down and upload "
            "it again.",
            code="too_many_pixels",
        )
    if decoded_bytes(mode, info.pixels) > limits.max_decoded_bytes:
        raise ValidationError(
            f"{limits.what} is too large once opened ({info.width}×{info.height} pixels in "
            f"{mode}): at most {limits.max_decoded_bytes / 2**20:g} MB. Scale it down and "
            "upload it again.",
            code="too_large_decoded",
        )
    # Within bounds: now Pillow may look at the data (its bomb check passes by far).
    # verify() reads every chunk and its checksum: it finds a cut-off file even though
    # WeasyPrint, once imported, tells Pillow to load truncated images without a word.
    try:
        with Image.open(io.BytesIO(data), formats=limits.formats) as image:
            image.verify()
        if limits.decode:
            with Image.open(io.BytesIO(data), formats=limits.formats) as image:
                image.load()
    except Exception as exc:
        raise ValidationError(f"{limits.what} could not be read.", code="unreadable") from exc
    return info

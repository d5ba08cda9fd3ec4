"""Images made in the tests, byte by byte where Pillow would need the memory they claim."""

import io
import os
import struct
import zlib

from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(width: int = 13000, height: int = 13000) -> bytes:
    """A valid one-bit PNG of width x height black pixels in a few kilobytes (like the
    probe's 36 KB logo of 13000x13000). Written row by row: nothing holds the pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grayscale
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))  # fmt: skip


def png(width: int = 120, height: int = 40, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def broken_png() -> bytes:
    """A PNG whose header is fine and whose pixel data stops partway (noise does not
    compress, so the cut falls inside the pixels)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (120, 120), os.urandom(120 * 120 * 3)).save(buffer, "PNG")
    whole = buffer.getvalue()
    return whole[: len(whole) * 2 // 3]


def not_an_image(size: int = 60_000) -> bytes:
    """PNG's signature and then nothing an image reader understands."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(size)

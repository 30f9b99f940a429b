"""Bad and awkward pictures, made in memory, each with what the server must do with it."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from tests.conftest import gradient_picture


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header declares width×height pixels (10 gigapixels by default)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    row = b"\x00" + b"\x00" * width
    data = zlib.compress(row * 8, 9)  # only a few rows actually present
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def exif_rotated_jpeg() -> bytes:
    image = gradient_picture(320, 200)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    return encode(image, "JPEG", exif=exif.tobytes())


def sixteen_bit_png() -> bytes:
    array = (np.linspace(0, 65535, 200 * 160).reshape(160, 200)).astype(np.uint16)
    return encode(Image.fromarray(array, mode="I;16"), "PNG")


def palette_with_transparency() -> bytes:
    image = gradient_picture(200, 160).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(image, "PNG", transparency=0)


def animated(fmt: str) -> bytes:
    frames = [gradient_picture(160, 120, seed=s) for s in range(3)]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)


def heic_header() -> bytes:
    """The first bytes of an iPhone HEIC photo (ISO-BMFF `ftyp` box, brand heic)."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic" + b"\x00" * 200


def good() -> dict[str, bytes]:
    """Unusual but valid pictures: each must be accepted (202) and give a video."""
    base = gradient_picture(240, 180)
    return {
        "cmyk.jpg": encode(base.convert("CMYK"), "JPEG"),
        "16bit.png": sixteen_bit_png(),
        "palette-transparent.png": palette_with_transparency(),
        "animated.gif": animated("GIF"),
        "animated.webp": animated("WEBP"),
        "exif-rotated.jpg": exif_rotated_jpeg(),
        "picture.tiff": encode(base, "TIFF"),
        "wide-20000x200.png": encode(Image.new("RGB", (20000, 200), (30, 120, 200)), "PNG"),
        "rgba.png": encode(base.convert("RGBA"), "PNG"),
        "grayscale.bmp": encode(base.convert("L"), "BMP"),
    }


def bad() -> dict[str, tuple[bytes, str]]:
    """Pictures that must be refused with 4xx, mapped to a phrase the message must contain."""
    png = encode(gradient_picture(240, 180), "PNG")
    jpeg = encode(gradient_picture(240, 180), "JPEG")
    return {
        "empty.png": (b"", "empty"),
        "page.png": (b"<!doctype html><html><body><script>alert(1)</script></body></html>", "not a picture"),
        "notes.png": (b"just some text\n" * 50, "not a picture"),
        "truncated.jpg": (jpeg[: len(jpeg) // 2], "could not be decoded"),
        "truncated.png": (png[: len(png) // 2], "could not be decoded"),
        "header-only.png": (png[:33], "not a picture"),
        "bomb.png": (png_bomb(), "limit"),
        "bomb-wide.png": (png_bomb(1_000_000, 100), "limit"),
        "one-pixel.png": (encode(Image.new("RGB", (1, 1)), "PNG"), "at least"),
        "thin-3000x4.png": (encode(Image.new("RGB", (3000, 4)), "PNG"), "at least"),
        "drawing.svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>', "not a picture"),
        "photo.heic": (heic_header(), "HEIC"),
        "eps.png": (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n", "not a picture"),
        "random.bin": (bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), "not a picture"),
    }

"""Turn whatever picture a teacher uploads into one safe RGB image, or a clear refusal.

Handles EXIF rotation, palette/grayscale/CMYK/16-bit/alpha modes (alpha composited on white,
which also suits the model better than black), animated files (first frame) and decompression
bombs — checked from the header before any pixel is decoded, without touching Pillow's
process-wide `MAX_IMAGE_PIXELS`.

What comes out is pixels only: no colour profile, EXIF or text chunks travel on (a picture's
metadata is the uploader's, and can be megabytes of anything), and the picture is reduced to
`MAX_SHORT_SIDE` on its short side, because nothing i2v makes from it needs more (see there).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from i2v.errors import InvalidInput

MIN_SIDE = 32
# Only these decoders ever see an upload. Pillow would otherwise also try EPS (which runs
# Ghostscript), PSD, ICNS, FITS and two dozen more formats nobody needs for a teaching picture.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens MPO (phone photos)
READABLE = "PNG, JPEG, WebP, GIF, BMP or TIFF"
# Pictures are reduced so their short side is at most this many pixels. Every frame a preset makes
# (I2VGen-XL's largest, 1024p at 2.5:1, is 1664×640; Wan 2.2's is 1280×704) and every square crop
# the engine takes from the picture (as wide as the frame) fits inside a 2048-pixel short side, so
# no later step ever has to enlarge the picture; anything beyond is decoding, storing and
# re-reading pixels nobody uses (a 6000×6000 photo is 18× the pixels of its 2048×2048 reduction).
# The same reduction runs for every front end (CLI, API, studio), so one picture gives one video.
MAX_SHORT_SIDE = 2048


class ImageInputError(InvalidInput):
    """The upload cannot be used; the message says why and what to do."""


def load_image(source: bytes | Path, *, max_pixels: int = 40_000_000, max_bytes: int = 20 * 2**20) -> Image.Image:
    """Decode `source` (file bytes or a path) to an RGB image, first frame only, short side at most
    `MAX_SHORT_SIDE`, pixels only. Raises `ImageInputError` (the uploader's to fix) for any file that
    is empty, too large, not a picture, or broken at any stage of decoding."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    if not data:
        raise ImageInputError(f"The file is empty. Choose a picture ({READABLE}).")
    if len(data) > max_bytes:
        raise ImageInputError(
            f"The picture is {len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB. "
            "Save it smaller (e.g. as JPEG) and try again."
        )
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif"):
        raise ImageInputError(
            "HEIC/AVIF photos (the iPhone default) are not supported. Export the photo as JPEG "
            "(on the iPhone: Settings > Camera > Formats > Most Compatible) and try again."
        )
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageInputError(f"This file is not a picture i2v can read. Use {READABLE}.") from None
    except Image.DecompressionBombError:
        # Pillow refuses headers beyond twice its own limit before ours is checked.
        raise ImageInputError(
            f"The picture declares a size far above the limit of {max_pixels / 1e6:.0f} MP. Scale it down and try again."
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder error is the file's fault, never the server's
        raise _undecodable(exc) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageInputError(
            f"The picture is {width}×{height} pixels ({width * height / 1e6:.0f} MP); the limit is "
            f"{max_pixels / 1e6:.0f} MP. Scale it down and try again."
        )
    if min(width, height) < MIN_SIDE:
        raise ImageInputError(f"The picture is only {width}×{height} pixels; use one at least {MIN_SIDE} px on each side.")
    try:
        image.seek(0)
        # JPEG can decode straight at 1/2, 1/4 or 1/8 size (never below what is asked for):
        # a 6000×6000 photo then costs a fraction of a full decode.
        image.draft(None, reduced_size(width, height))
        image.load()
        image = to_rgb(ImageOps.exif_transpose(image))
        image = reduce(image)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises SyntaxError, struct.error, zlib.error, … for broken files
        raise _undecodable(exc) from None
    return pixels_only(image)


def _undecodable(exc: BaseException) -> ImageInputError:
    reason = str(exc).strip() or type(exc).__name__
    return ImageInputError(
        f"The picture could not be decoded ({reason[:200]}). Try saving it again as PNG or JPEG."
    )


def reduced_size(width: int, height: int, max_short_side: int = MAX_SHORT_SIDE) -> tuple[int, int]:
    """(width, height) scaled so the short side is at most `max_short_side`, aspect kept (rounded up)."""
    scale = max_short_side / min(width, height)
    if scale >= 1:
        return width, height
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def reduce(image: Image.Image, max_short_side: int = MAX_SHORT_SIDE) -> Image.Image:
    """The picture with its short side reduced to `max_short_side` (see there); smaller ones unchanged."""
    size = reduced_size(image.width, image.height, max_short_side)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def pixels_only(image: Image.Image) -> Image.Image:
    """A copy holding pixels and nothing else: Pillow would otherwise carry `info` (ICC profile, EXIF,
    text) into every file saved from it."""
    clean = image.copy()
    clean.info = {}
    return clean


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB with transparency flattened onto white and high bit depths scaled, not clipped."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        image = Image.fromarray(np.clip(array / peak * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    elif image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        span = max(array.max() - array.min(), 1e-12)
        image = Image.fromarray(((array - array.min()) / span * 255).astype(np.uint8), mode="L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image.convert("RGB")


def fit_image(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover (width, height) and centre-crop, as the I2VGen-XL reference does.

    Same arithmetic as the reference pipeline's `_center_crop_wide` (BOX filter, floor of the
    scaled size), so our conditioning image is pixel-identical to what the reference feeds in.
    """
    scale = min(image.width / width, image.height / height)
    resized = image.resize((round(image.width // scale), round(image.height // scale)), resample=Image.BOX)
    left = (resized.width - width) // 2
    top = (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


# Pictures whose aspects differ by more than this factor lose visibly different parts to the crop.
ASPECT_WARN_RATIO = 1.2


def aspect_warning(first: Image.Image, others: list[tuple[str, Image.Image]]) -> str | None:
    """A sentence warning that a later picture (`(name, picture)`, e.g. "the end picture") has a very
    different shape from the first: every picture is scaled and centre-cropped to the same frame by
    `fit_image`, so a different shape loses different parts, and the model is asked to move between
    two framings. None when every shape is close."""
    aspect = first.width / first.height
    odd = [(name, picture) for name, picture in others
           if max(picture.width / picture.height / aspect, aspect / (picture.width / picture.height)) > ASPECT_WARN_RATIO]
    if not odd:
        return None
    shapes = ", ".join(f"{name} is {p.width}×{p.height}" for name, p in odd)
    return (f"The pictures have very different shapes: the start picture is {first.width}×{first.height}, {shapes}. "
            "Each is cropped to the same frame from its centre, so their edges differ and the clip may jump; "
            "crop them to the same shape for a smooth change.")

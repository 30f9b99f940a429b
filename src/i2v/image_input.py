"""Turn whatever picture a teacher uploads into one safe RGB image, or a clear refusal.

Handles EXIF rotation, palette/grayscale/CMYK/16-bit/alpha modes (alpha composited on white,
which also suits the model better than black), animated files (first frame) and decompression
bombs — checked from the header before any pixel is decoded, without touching Pillow's
process-wide `MAX_IMAGE_PIXELS`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MIN_SIDE = 32
# Only these decoders ever see an upload. Pillow would otherwise also try EPS (which runs
# Ghostscript), PSD, ICNS, FITS and two dozen more formats nobody needs for a teaching picture.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also opens MPO (phone photos)
READABLE = "PNG, JPEG, WebP, GIF, BMP or TIFF"


class ImageInputError(ValueError):
    """The upload cannot be used; the message says why and what to do."""


def load_image(source: bytes | Path, *, max_pixels: int = 40_000_000, max_bytes: int = 20 * 2**20) -> Image.Image:
    """Decode `source` (file bytes or a path) to an RGB image, first frame only."""
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
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageInputError(f"The picture could not be decoded ({exc}). Try saving it again as PNG or JPEG.") from None
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
        image.load()
        image = ImageOps.exif_transpose(image)
        return to_rgb(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageInputError(f"The picture could not be decoded ({exc}). Try saving it again as PNG or JPEG.") from None


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

import io

import numpy as np
import pytest
from PIL import Image

from i2v.image_input import ImageInputError, load_image


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_exif_orientation_is_applied():
    # A 60×40 picture, red on its left half, stored with "rotate 90° CW to display" (orientation 6).
    array = np.zeros((40, 60, 3), np.uint8)
    array[:, :30] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    loaded = load_image(encode(Image.fromarray(array), "JPEG", exif=exif.tobytes(), quality=95))
    assert loaded.size == (40, 60)
    top = np.asarray(loaded)[:30].mean(axis=(0, 1))
    assert top[0] > 200 and top[1] < 60  # the red half is now at the top


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "1", "RGB", "I", "F"])
def test_modes_become_rgb(mode):
    base = Image.fromarray((np.linspace(0, 255, 64 * 64).reshape(64, 64)).astype(np.uint8)).convert("RGB")
    image = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I", "F") else "PNG"
    loaded = load_image(encode(image, fmt))
    assert loaded.mode == "RGB" and loaded.size == (64, 64)


def test_16_bit_is_scaled_not_clipped():
    array = np.full((48, 48), 65535 // 2, dtype=np.uint16)
    loaded = load_image(encode(Image.fromarray(array, mode="I;16"), "PNG"))
    value = np.asarray(loaded)[0, 0]
    assert loaded.mode == "RGB" and 120 <= value[0] <= 135


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white(mode):
    image = Image.new("RGBA", (40, 40), (255, 0, 0, 0)).convert(mode)
    loaded = np.asarray(load_image(encode(image)))
    assert (loaded == 255).all()


def test_palette_transparency_on_white():
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 0, 0] * 256)
    loaded = np.asarray(load_image(encode(image, transparency=0)))
    assert (loaded == 255).all()


def test_animated_gif_uses_first_frame():
    frames = [Image.new("RGB", (40, 40), c) for c in ((0, 0, 255), (255, 0, 0))]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = np.asarray(load_image(data.getvalue()))
    assert loaded[..., 2].mean() > 200 and loaded[..., 0].mean() < 50


def test_not_an_image_is_refused_clearly():
    with pytest.raises(ImageInputError, match="not a picture"):
        load_image(b"%PDF-1.4 this is a document")
    with pytest.raises(ImageInputError, match="empty"):
        load_image(b"")


def test_decompression_bomb_refused_before_decoding():
    huge = encode(Image.new("L", (6000, 6000)))  # compresses to a few kB, 36 MP
    with pytest.raises(ImageInputError, match="limit is 10 MP"):
        load_image(huge, max_pixels=10_000_000)


def test_file_size_limit():
    with pytest.raises(ImageInputError, match="limit is 1 MB"):
        load_image(b"\x89PNG" + b"0" * (2 * 2**20), max_bytes=2**20)


def test_tiny_picture_refused():
    with pytest.raises(ImageInputError, match="at least 32 px"):
        load_image(encode(Image.new("RGB", (16, 16))))

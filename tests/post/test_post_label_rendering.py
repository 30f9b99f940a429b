"""Labels drawn crisply over frames, only inside their [start, end) window."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from i2v.post.labels import FONT_PATH, Label, LabelError, label_frames, overlay_labels, unsupported_characters


def frames(count: int = 16, height: int = 128, width: int = 192) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = np.full((count, height, width, 3), (40, 110, 170), np.uint8)
    return np.clip(base + rng.integers(-10, 10, base.shape), 0, 255).astype(np.uint8)


def changed_frames(before: np.ndarray, after: np.ndarray) -> list[int]:
    return [i for i in range(len(before)) if not np.array_equal(before[i], after[i])]


def test_label_drawn_only_in_its_window() -> None:
    video = frames()
    label = Label(text="Anaphase", x=0.5, y=0.2, size=0.15, start_s=0.5, end_s=1.25)
    out = overlay_labels(video, 8, [label])
    assert changed_frames(video, out) == [4, 5, 6, 7, 8, 9]  # t = 0.5 … 1.125 s; 1.25 s excluded
    assert np.array_equal(video, frames())  # input untouched
    diff = np.abs(out[4].astype(int) - video[4].astype(int)).sum(axis=-1)
    ys, xs = np.nonzero(diff)
    assert abs((ys.min() + ys.max()) / 2 - 0.2 * 128) < 6 and abs((xs.min() + xs.max()) / 2 - 96) < 6
    white = (out[4] > 235).all(axis=-1).sum()
    black = (out[4] < 25).all(axis=-1).sum()
    assert white > 50 and black > 50  # white text with a black outline
    partial = ((diff > 30) & (diff < 600)).sum()
    assert partial > 20  # anti-aliased edges, not a hard bitmap


def test_window_edges_survive_float_error() -> None:
    label = Label(text="x", start_s=0.3, end_s=0.7)
    assert list(label_frames(label, 10, 20)) == [3, 4, 5, 6]
    assert list(label_frames(Label(text="x"), 8, 5)) == [0, 1, 2, 3, 4]  # no end: to the last frame
    assert list(label_frames(Label(text="x", start_s=9.0), 8, 16)) == []


def test_chinese_caption_in_a_box() -> None:
    assert FONT_PATH.is_file()
    video = frames(4)
    caption = Label(text="有丝分裂后期：染色体移向两极", y=0.85, size=0.1, box=True, colour="#ffe070")
    out = overlay_labels(video, 4, [caption])
    assert changed_frames(video, out) == [0, 1, 2, 3]
    yellow = ((out[0, :, :, 0] > 200) & (out[0, :, :, 1] > 180) & (out[0, :, :, 2] < 150)).sum()
    assert yellow > 100
    assert unsupported_characters("有丝分裂 H₂O CO₂ 10⁵ °C α→β ①") == []


def test_two_labels_with_different_windows() -> None:
    video = frames(8)
    out = overlay_labels(video, 4, [Label(text="A", start_s=0, end_s=0.5), Label(text="B", start_s=1.5)])
    assert changed_frames(video, out) == [0, 1, 6, 7]


def test_validation() -> None:
    with pytest.raises(ValidationError, match="after start_s"):
        Label(text="x", start_s=2, end_s=1)
    with pytest.raises(ValidationError, match="#RRGGBB"):
        Label(text="x", colour="red")
    with pytest.raises(ValidationError, match="cannot draw"):
        Label(text="snow ☃")
    with pytest.raises(ValidationError):
        Label(text="x", x=1.5)
    with pytest.raises(LabelError, match="uint8"):
        overlay_labels(np.zeros((2, 8, 8, 3), np.float32), 8, [])
    with pytest.raises(LabelError, match="fps"):
        overlay_labels(frames(2), 0, [])


def test_contrast_and_oversized_labels() -> None:
    assert Label(text="x", colour="#FFFFFF").contrast_rgb == (0, 0, 0)
    assert Label(text="x", colour="#102030").contrast_rgb == (255, 255, 255)
    video = frames(2, 64, 64)
    out = overlay_labels(video, 8, [Label(text="a very long caption indeed", size=0.3, x=1.0, y=1.0)])
    assert out.shape == video.shape and changed_frames(video, out) == [0, 1]

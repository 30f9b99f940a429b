"""Spot pictures I2VGen-XL animates badly, explain the risk, and offer a one-click fix with a preview.

The model's authors report weak results on black backgrounds and on line art, and a subject that
fills only a corner of the frame gets few pixels in the latents. Science diagrams are often all
three. Analysis runs on a copy at most 512 px on its long side, so it takes milliseconds; fixes run
on the full picture and return a new image of the same size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import cv2
import numpy as np
from PIL import Image
from pydantic import BaseModel, ConfigDict

from i2v.i18n import t

IssueCode = Literal["dark_background", "line_art", "small_subject"]
FixName = Literal["recolour_background", "thicken_lines", "pad_subject"]

LIGHT_NEUTRAL = (236, 236, 230)
"""The background a dark one is replaced by: light, slightly warm grey (pure white also works less well)."""

ANALYSIS_SIDE = 512
DARK_LUMA = 60  # border pixels darker than this (0–255) count as dark
DARK_SHARE = 0.6  # …and a background is dark when this share of the border is
BG_TOLERANCE = 40  # max channel difference still counted as background colour
LINE_ART_BG_SHARE = 0.7  # line art: at least this much of the picture is plain background…
LINE_ART_SOLIDITY = 0.35  # …and less than this share of the drawing survives a 3×3 erosion
SMALL_SUBJECT_AREA = 0.10  # subject's bounding box below this share of the frame


class ImageIssue(BaseModel):
    """One risk found in a picture, explained in both languages, with the fix to offer (if any)."""

    model_config = ConfigDict(frozen=True)

    code: IssueCode
    message_en: str
    message_zh: str
    fix: FixName | None = None


@dataclass(frozen=True)
class _Analysis:
    background: np.ndarray  # (3,) median border colour
    border_dark_share: float
    border_plain_share: float  # border pixels within BG_TOLERANCE of `background`
    foreground: np.ndarray  # bool mask at analysis size (meaningful when the background is plain)
    solidity: float  # share of foreground surviving a 3×3 erosion (1 = solid shapes, 0 = hairlines)
    subject_area: float  # bounding box of the foreground / frame area

    @property
    def plain_background(self) -> bool:
        return self.border_plain_share >= 0.6


def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _border(rgb: np.ndarray) -> np.ndarray:
    """Pixels of a frame 3% wide (at least 2 px) round the edge, as an (N, 3) array."""
    h, w = rgb.shape[:2]
    k = max(2, round(min(h, w) * 0.03))
    return np.concatenate([rgb[:k].reshape(-1, 3), rgb[-k:].reshape(-1, 3),
                           rgb[k:-k, :k].reshape(-1, 3), rgb[k:-k, -k:].reshape(-1, 3)])


def _distance(rgb: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return np.abs(rgb.astype(np.int16) - colour.astype(np.int16)).max(axis=-1)


def _analyse(image: Image.Image) -> _Analysis:
    small = image.convert("RGB")
    if max(small.size) > ANALYSIS_SIDE:
        small.thumbnail((ANALYSIS_SIDE, ANALYSIS_SIDE), Image.Resampling.BILINEAR)
    rgb = _rgb(small)
    border = _border(rgb)
    background = np.median(border, axis=0)
    foreground = _distance(rgb, background) > BG_TOLERANCE
    mask = foreground.astype(np.uint8)
    count = int(mask.sum())
    eroded = cv2.erode(mask, np.ones((3, 3), np.uint8))
    solidity = float(eroded.sum()) / count if count else 1.0
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))  # drop specks of noise
    ys, xs = np.nonzero(opened if opened.any() else mask)
    if len(xs):
        x0, x1 = np.percentile(xs, [0.5, 99.5])
        y0, y1 = np.percentile(ys, [0.5, 99.5])
        subject_area = float((x1 - x0 + 1) * (y1 - y0 + 1)) / mask.size
    else:
        subject_area = 0.0
    return _Analysis(
        background=background,
        border_dark_share=float((_luma(border) < DARK_LUMA).mean()),
        border_plain_share=float((_distance(border, background) <= BG_TOLERANCE).mean()),
        foreground=foreground,
        solidity=solidity,
        subject_area=subject_area,
    )


def _issue(code: IssueCode, fix: FixName | None, **params: object) -> ImageIssue:
    key = f"image.{code}"
    return ImageIssue(code=code, message_en=t(key, "en", **params), message_zh=t(key, "zh", **params), fix=fix)


def check_image(image: Image.Image) -> list[ImageIssue]:
    """Risks in `image` for I2VGen-XL, most serious first; empty when the picture looks fine.

    Codes: `dark_background` (fix: recolour_background), `line_art` (fix: thicken_lines),
    `small_subject` (fix: pad_subject). Line art and subject size are judged only when the
    background is plain; a busy photograph is neither.
    """
    a = _analyse(image)
    issues = []
    if a.border_dark_share >= DARK_SHARE:
        issues.append(_issue("dark_background", "recolour_background"))
    if a.plain_background:
        background_share = 1.0 - float(a.foreground.mean())
        if background_share >= LINE_ART_BG_SHARE and a.foreground.any() and a.solidity < LINE_ART_SOLIDITY:
            issues.append(_issue("line_art", "thicken_lines"))
        if a.subject_area < SMALL_SUBJECT_AREA:
            issues.append(_issue("small_subject", "pad_subject", percent=round(a.subject_area * 100)))
    return issues


# --------------------------------------------------------------------------- fixes


def recolour_background(image: Image.Image, colour: tuple[int, int, int] = LIGHT_NEUTRAL) -> Image.Image:
    """Replace a dark background by a light neutral, keeping the subject and its soft edges.

    Only background-coloured pixels connected to the border change, so dark details inside the
    subject stay. When the subject itself is mostly very light (white chalk lines on black),
    lightness is inverted instead — hues kept — so it stays visible on the new light background.
    """
    rgb = _rgb(image)
    background = np.median(_border(rgb), axis=0)
    distance = _distance(rgb, background)
    candidate = (distance <= BG_TOLERANCE).astype(np.uint8)
    subject = distance > BG_TOLERANCE
    if subject.any() and float((_luma(rgb[subject]) > 190).mean()) >= 0.5:  # light drawing: would vanish
        return _invert_lightness(rgb)
    _, labels = cv2.connectedComponents(candidate, connectivity=8)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge_labels = edge_labels[edge_labels > 0]
    region = np.isin(labels, edge_labels).astype(np.uint8)
    region = cv2.dilate(region, np.ones((5, 5), np.uint8)).astype(bool)  # take in anti-aliased edges
    subject_weight = np.clip((distance.astype(np.float32) - 12) / (BG_TOLERANCE * 2 - 12), 0, 1)
    shift = (np.array(colour, np.float32) - background.astype(np.float32)) * (1 - subject_weight[..., None])
    out = rgb.astype(np.float32)
    out[region] += shift[region]
    return Image.fromarray(np.clip(out, 0, 255).round().astype(np.uint8))


def _invert_lightness(rgb: np.ndarray) -> Image.Image:
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    ycc[..., 0] = 255 - ycc[..., 0]
    out = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB).astype(np.float32)
    out = 40 + out * (215 / 255)  # keep the new background a touch off-white
    return Image.fromarray(out.round().astype(np.uint8))


def thicken_lines(image: Image.Image) -> Image.Image:
    """Make thin strokes bolder (about 1% of the short side) and tint a white page a soft paper tone.

    Bolder, tinted drawings give the model more to hold on to; colouring shapes in helps more still.
    """
    rgb = _rgb(image)
    background = np.median(_border(rgb), axis=0)
    radius = max(1, round(min(rgb.shape[:2]) / 200))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    lines_darker = float(_luma(background[None, :])[0]) > 127
    grown = cv2.erode(rgb, kernel) if lines_darker else cv2.dilate(rgb, kernel)
    out = grown.astype(np.float32)
    if lines_darker:
        page = _distance(grown, background) <= BG_TOLERANCE
        out[page] = out[page] * 0.85 + np.array((244, 236, 218), np.float32) * 0.15
    return Image.fromarray(np.clip(out, 0, 255).round().astype(np.uint8))


def pad_subject(image: Image.Image, fill: float = 0.6) -> Image.Image:
    """Crop around the subject so it spans about `fill` of the frame, padding with the background
    colour where the crop runs past the edge; the result has the input's size and aspect ratio."""
    if not 0.1 <= fill <= 0.95:
        raise ValueError(f"fill must be between 0.1 and 0.95 (got {fill})")
    rgb = _rgb(image)
    h, w = rgb.shape[:2]
    background = np.median(_border(rgb), axis=0)
    mask = (_distance(rgb, background) > BG_TOLERANCE).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return image.convert("RGB").copy()
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()  # exact: a crop must never cut the subject
    aspect = w / h
    crop_w = max((x1 - x0 + 1) / fill, (y1 - y0 + 1) / fill * aspect, 16.0)
    crop_h = crop_w / aspect
    if crop_w >= w * 0.95:  # the subject already fills the frame about as much as asked
        return image.convert("RGB").copy()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = round(cx - crop_w / 2), round(cy - crop_h / 2)
    canvas = Image.new("RGB", (round(crop_w), round(crop_h)), tuple(int(c) for c in background))
    canvas.paste(image.convert("RGB"), (-left, -top))
    return canvas.resize((w, h), Image.Resampling.BICUBIC)  # Lanczos rings visibly at this much enlargement


FIXES: MappingProxyType[str, Callable[[Image.Image], Image.Image]] = MappingProxyType({
    "recolour_background": recolour_background,
    "thicken_lines": thicken_lines,
    "pad_subject": pad_subject,
})


def apply_fix(image: Image.Image, fix: str) -> Image.Image:
    """Run the named fix on the full picture; ValueError naming the known fixes otherwise."""
    try:
        return FIXES[fix](image)
    except KeyError:
        raise ValueError(f"unknown fix {fix!r}; known fixes: {', '.join(FIXES)}") from None


def preview_fix(image: Image.Image, fix: str, max_side: int = 384) -> tuple[Image.Image, Image.Image]:
    """(before, after) thumbnails at most `max_side` px, for the UI's side-by-side preview."""
    before = image.convert("RGB").copy()
    before.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return before, apply_fix(before, fix)

"""Draw the science presets' template pictures: a build step, not product code.

Run from the repository root after changing a drawing:

    /work/main/.venv/bin/python scripts/draw_templates.py      (or any Python with Pillow)

It writes `src/i2v/teaching/templates/<name>.png` for every entry of `TEMPLATES`. Each template is a
plain, colourful diagram on a light background with filled shapes: I2VGen-XL does poorly on black
backgrounds and on line art, and diffusion garbles lettering (labels are drawn over the finished
video instead, see `i2v/post/labels.py`; the only letters here are the N and S on magnets,
drawn as thick strokes, because a magnet without them teaches nothing). Every picture shows the
state *before* the motion its preset asks for: the switch open, the filings scattered, the seed
whole. Drawing happens at 2× and is scaled down for anti-aliasing; every random detail comes from a
fixed seed, so reruns give byte-identical files. Only Pillow is needed (no i2v import), so the
script never writes into another checkout's package.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 768, 512
_SCALE = 2
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "i2v" / "teaching" / "templates"

RGB = tuple[int, int, int]
Colour = tuple[int, ...]
Point = tuple[float, float]

SKY: RGB = (232, 242, 250)
SPACE_LIGHT: RGB = (236, 236, 248)
GLASS: Colour = (130, 156, 180)
WATER: RGB = (212, 232, 246)
TABLE: RGB = (220, 204, 180)
RED_POLE: RGB = (214, 66, 66)  # N is red and S blue, as in Chinese and most English textbooks
BLUE_POLE: RGB = (66, 104, 204)
COPPER: RGB = (196, 118, 58)


class Sketch:
    """A 768×512 drawing surface in template coordinates, rendered at 2× for smooth edges."""

    def __init__(self, background: RGB) -> None:
        self.image = Image.new("RGB", (WIDTH * _SCALE, HEIGHT * _SCALE), background)
        self.draw = ImageDraw.Draw(self.image, "RGBA")

    @staticmethod
    def _xy(points: Iterable[Point]) -> list[tuple[float, float]]:
        return [(x * _SCALE, y * _SCALE) for x, y in points]

    def circle(self, cx: float, cy: float, r: float, fill: Colour | None = None,
               outline: Colour | None = None, width: float = 0) -> None:
        self.ellipse(cx - r, cy - r, cx + r, cy + r, fill, outline, width)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None = None,
                outline: Colour | None = None, width: float = 0) -> None:
        box = [x0 * _SCALE, y0 * _SCALE, x1 * _SCALE, y1 * _SCALE]
        self.draw.ellipse(box, fill=fill, outline=outline, width=round(width * _SCALE))

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: Colour | None = None,
             outline: Colour | None = None, width: float = 0, radius: float = 0) -> None:
        box = [x0 * _SCALE, y0 * _SCALE, x1 * _SCALE, y1 * _SCALE]
        self.draw.rounded_rectangle(box, radius=radius * _SCALE, fill=fill, outline=outline,
                                    width=round(width * _SCALE))

    def polygon(self, points: Sequence[Point], fill: Colour | None = None,
                outline: Colour | None = None, width: float = 0) -> None:
        self.draw.polygon(self._xy(points), fill=fill)
        if outline is not None and width:
            self.line([*points, points[0]], outline, width)

    def line(self, points: Sequence[Point], fill: Colour, width: float, round_ends: bool = True) -> None:
        """A polyline with rounded joints and (optionally) rounded ends."""
        self.draw.line(self._xy(points), fill=fill, width=round(width * _SCALE), joint="curve")
        if round_ends:
            for x, y in (points[0], points[-1]):
                self.circle(x, y, width / 2, fill=fill)

    def glow(self, cx: float, cy: float, r: float, colour: RGB, strength: int = 150) -> None:
        """A soft halo (blurred disc) around a light source."""
        layer = Image.new("RGBA", self.image.size, (*colour, 0))
        ImageDraw.Draw(layer).ellipse(
            [(cx - r) * _SCALE, (cy - r) * _SCALE, (cx + r) * _SCALE, (cy + r) * _SCALE],
            fill=(*colour, strength))
        layer = layer.filter(ImageFilter.GaussianBlur(r * _SCALE / 3))
        self.image.paste(layer, (0, 0), layer)

    def clipped(self, draw_into: Callable[[Sketch], None], clip: Callable[[ImageDraw.ImageDraw], None]) -> None:
        """Draw on a transparent layer, keep only the part inside `clip`'s white shape, paste it."""
        layer = Sketch.__new__(Sketch)
        layer.image = Image.new("RGBA", self.image.size, (0, 0, 0, 0))
        layer.draw = ImageDraw.Draw(layer.image, "RGBA")
        draw_into(layer)
        mask = Image.new("L", self.image.size, 0)
        clip(ImageDraw.Draw(mask))
        alpha = Image.composite(layer.image.getchannel("A"), mask, mask)
        self.image.paste(layer.image, (0, 0), alpha)

    def finish(self) -> Image.Image:
        return self.image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def _vertical_gradient(sketch: Sketch, top: RGB, bottom: RGB, y0: float = 0, y1: float = HEIGHT) -> None:
    steps = 32
    for i in range(steps):
        ya = y0 + (y1 - y0) * i / steps
        yb = y0 + (y1 - y0) * (i + 1) / steps + 1
        sketch.rect(0, ya, WIDTH, yb, fill=_mix(top, bottom, i / (steps - 1)))


def _rotate(points: Iterable[Point], angle_deg: float, cx: float, cy: float) -> list[Point]:
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    return [(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in points]


def _smooth(points: Sequence[Point], closed: bool = True, per_segment: int = 10) -> list[Point]:
    """A Catmull–Rom curve through `points`: organ outlines and pipes without corners."""
    pts = list(points)
    n = len(pts)
    out: list[Point] = []
    last = n if closed else n - 1
    for i in range(last):
        p0 = pts[(i - 1) % n] if closed or i > 0 else pts[0]
        p1, p2 = pts[i], pts[(i + 1) % n]
        p3 = pts[(i + 2) % n] if closed or i + 2 < n else pts[-1]
        for k in range(per_segment):
            t = k / per_segment
            t2, t3 = t * t, t * t * t
            out.append(tuple(0.5 * ((2 * b) + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2
                                    + (-a + 3 * b - 3 * c + d) * t3)
                             for a, b, c, d in zip(p0, p1, p2, p3, strict=True)))  # type: ignore[misc]
    if not closed:
        out.append(pts[-1])
    return out


def _ellipse_points(cx: float, cy: float, rx: float, ry: float, angle_deg: float = 0, n: int = 72) -> list[Point]:
    """A (rotated) ellipse as a polygon, for shapes `ImageDraw.ellipse` cannot turn."""
    pts = [(rx * math.cos(math.tau * i / n), ry * math.sin(math.tau * i / n)) for i in range(n)]
    return _rotate(pts, angle_deg, cx, cy)


def _blob(rng: random.Random, cx: float, cy: float, r: float, roughness: float = 0.3, n: int = 14) -> list[Point]:
    """A smooth irregular closed shape (continents, clouds of dye)."""
    phases = [rng.uniform(0, math.tau) for _ in range(3)]
    points = []
    for i in range(n * 4):
        a = math.tau * i / (n * 4)
        wobble = sum(math.sin(k * a + p) / k for k, p in zip((2, 3, 5), phases, strict=True))
        points.append((cx + r * (1 + roughness * wobble / 1.8) * math.cos(a),
                       cy + r * (1 + roughness * wobble / 1.8) * math.sin(a)))
    return points


def _disc_mask(cx: float, cy: float, r: float) -> Callable[[ImageDraw.ImageDraw], None]:
    def mask(draw: ImageDraw.ImageDraw) -> None:
        draw.ellipse([(cx - r) * _SCALE, (cy - r) * _SCALE, (cx + r) * _SCALE, (cy + r) * _SCALE], fill=255)
    return mask


def _sun(sketch: Sketch, cx: float, cy: float, r: float, rays: bool = True) -> None:
    sketch.glow(cx, cy, r * 1.8, (255, 214, 110), 160)
    if rays:
        for i in range(12):
            a = math.tau * i / 12
            sketch.line([(cx + math.cos(a) * r * 1.2, cy + math.sin(a) * r * 1.2),
                         (cx + math.cos(a) * r * 1.6, cy + math.sin(a) * r * 1.6)], (246, 178, 60), 6)
    sketch.circle(cx, cy, r, fill=(255, 206, 84), outline=(238, 160, 50), width=4)
    sketch.circle(cx - r * 0.3, cy - r * 0.3, r * 0.35, fill=(255, 232, 150, 170))


def _globe(sketch: Sketch, cx: float, cy: float, r: float, seed: int, tilt_deg: float = 23.5,
           sun_deg: float | None = None) -> None:
    """Earth seen from the side, its axis in the picture plane, tilted `tilt_deg` from the vertical
    (top to the right). Ice caps sit round the ends of that axis; when `sun_deg` is given (screen
    angle of the Sun as seen from Earth, 180 = to the left) the half facing away is in shadow."""
    rng = random.Random(seed)
    sketch.circle(cx, cy, r, fill=(74, 138, 206))
    layout = ((-0.5, -0.3), (0.1, -0.45), (0.55, -0.1), (-0.55, 0.3), (0.05, 0.25), (0.45, 0.5), (-0.15, 0.62))
    continents = [(x + rng.uniform(-0.08, 0.08), y + rng.uniform(-0.08, 0.08), rng.uniform(0.13, 0.22))
                  for x, y in layout]
    a = math.radians(tilt_deg)
    up = (math.sin(a), -math.cos(a))  # unit vector from the centre to the north pole

    def land(layer: Sketch) -> None:
        for dx, dy, size in continents:
            layer.polygon(_blob(rng, cx + dx * r, cy + dy * r, size * r, 0.45), fill=(104, 172, 92))
        for sign in (1, -1):  # polar caps: flat discs round the axis, seen almost edge-on
            px, py = cx + sign * up[0] * r * 0.97, cy + sign * up[1] * r * 0.97
            layer.polygon(_ellipse_points(px, py, r * 0.42, r * 0.17, tilt_deg), fill=(240, 246, 250))

    def night(layer: Sketch) -> None:
        s = math.radians(sun_deg or 0)
        # a big square on the far side of the line through the centre, perpendicular to the Sun
        back = (cx - math.cos(s) * r * 1.3, cy - math.sin(s) * r * 1.3)
        layer.polygon(_rotate([(-r * 1.3, -r * 1.4), (r * 1.3, -r * 1.4), (r * 1.3, r * 1.4), (-r * 1.3, r * 1.4)],
                              sun_deg or 0, *back), fill=(28, 36, 70, 110))

    sketch.clipped(land, _disc_mask(cx, cy, r))
    if sun_deg is not None:  # its own layer: drawing on an RGBA layer replaces pixels instead of blending
        sketch.clipped(night, _disc_mask(cx, cy, r))
    sketch.circle(cx, cy, r, outline=(44, 86, 140), width=max(2, r / 18))
    for sign in (1, -1):  # the axis, sticking out at both poles
        sketch.line([(cx + sign * up[0] * r, cy + sign * up[1] * r),
                     (cx + sign * up[0] * r * 1.35, cy + sign * up[1] * r * 1.35)], (60, 60, 72), max(3, r / 14))


def _table(sketch: Sketch, top: float = 440) -> None:
    sketch.rect(0, top, WIDTH, HEIGHT, fill=TABLE)
    sketch.rect(0, top - 4, WIDTH, top + 4, fill=(200, 182, 156))


def _beaker(sketch: Sketch, water: Colour, x0: float = 244, x1: float = 524, top: float = 80,
            bottom: float = 446, level: float = 140, table: bool = True) -> None:
    """A glass beaker (on a table) with liquid up to `level` (y)."""
    if table:
        _table(sketch)
    sketch.rect(x0, level, x1, bottom, fill=water, radius=26)
    sketch.rect(x0 + 2, level, x1 - 2, level + 8, fill=_mix(water[:3], (255, 255, 255), 0.4))  # type: ignore[arg-type]
    sketch.rect(x0, top, x1, bottom, fill=(255, 255, 255, 40), outline=GLASS, width=6, radius=26)
    sketch.rect(x0 - 16, top - 6, x0 + 18, top + 8, fill=(236, 242, 248), outline=GLASS, width=5, radius=6)
    for i in range(5):  # graduation marks (no numbers)
        y = bottom - 60 - i * 55
        if y > top + 20:
            sketch.line([(x1 - 50, y), (x1 - 18, y)], GLASS, 4)


def _letter(sketch: Sketch, letter: str, x: float, y: float, size: float = 34,
            colour: RGB = (255, 255, 255)) -> None:
    """N or S as thick strokes (no font): the poles of a magnet must be named, and a stroke letter
    on a still magnet survives generation far better than small type."""
    h, w = size / 2, size * 0.36
    if letter == "N":
        sketch.line([(x - w, y + h), (x - w, y - h), (x + w, y + h), (x + w, y - h)], colour, size * 0.2)
    elif letter == "S":
        curve = [(1.0, -0.72), (0.0, -1.0), (-1.0, -0.66), (-0.7, -0.12), (0.0, 0.0), (0.7, 0.12), (1.0, 0.66),
                 (0.0, 1.0), (-1.0, 0.72)]
        sketch.line(_smooth([(x + px * w, y + py * h) for px, py in curve], closed=False, per_segment=6),
                    colour, size * 0.2)
    else:
        raise ValueError(f"no stroke drawing for {letter!r}")


def _bar_magnet(sketch: Sketch, x0: float, y0: float, x1: float, y1: float, north_left: bool = True) -> None:
    """A bar magnet, red N half and blue S half, each with its letter."""
    mid = (x0 + x1) / 2
    left, right = (RED_POLE, BLUE_POLE) if north_left else (BLUE_POLE, RED_POLE)
    sketch.rect(x0, y0, mid, y1, fill=left, outline=_mix(left, (0, 0, 0), 0.3), width=4, radius=4)
    sketch.rect(mid, y0, x1, y1, fill=right, outline=_mix(right, (0, 0, 0), 0.3), width=4, radius=4)
    sketch.rect(x0 + 8, y0 + 6, x1 - 8, y0 + 13, fill=(255, 255, 255, 70), radius=3)
    size = min(34, (y1 - y0) * 0.58)
    cy = (y0 + y1) / 2 + 2
    _letter(sketch, "N" if north_left else "S", (x0 + mid) / 2, cy, size)
    _letter(sketch, "S" if north_left else "N", (mid + x1) / 2, cy, size)


def _flame(sketch: Sketch, x: float, base: float, height: float = 60) -> None:
    """A small burner flame: orange outside, yellow core."""
    half = height * 0.3
    outer = _smooth([(x, base - height), (x + half, base - height * 0.35), (x + half * 0.6, base),
                     (x - half * 0.6, base), (x - half, base - height * 0.35)], per_segment=8)
    sketch.glow(x, base - height * 0.45, height * 0.7, (255, 200, 110), 120)
    sketch.polygon(outer, fill=(246, 140, 50))
    inner = _smooth([(x, base - height * 0.65), (x + half * 0.5, base - height * 0.25), (x, base - 4),
                     (x - half * 0.5, base - height * 0.25)], per_segment=8)
    sketch.polygon(inner, fill=(255, 222, 110))


def _bubbles(sketch: Sketch, rng: random.Random, count: int, box: tuple[float, float, float, float],
             r: tuple[float, float] = (3, 7), outline: RGB = (130, 170, 200)) -> None:
    x0, y0, x1, y1 = box
    for _ in range(count):
        x, y, rad = rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(*r)
        sketch.circle(x, y, rad, fill=(248, 252, 255), outline=outline, width=2)


# --------------------------------------------------------------------------- biology


def draw_cell_mitosis() -> Image.Image:
    """Metaphase of an animal cell with 2n = 4: two homologous pairs (a long and a short one; red from
    one parent, blue from the other), each chromosome two sister chromatids joined at the centromere,
    centromeres lined up on the equatorial plate, spindle fibres from both centrosomes. The clip's
    anaphase starts from here."""
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    cx, cy = 384, 256
    s.ellipse(cx - 318, cy - 214, cx + 318, cy + 214, fill=(250, 222, 210), outline=(206, 128, 110), width=8)
    for _ in range(40):  # organelles
        a, d = rng.uniform(0, math.tau), rng.uniform(0.35, 0.9)
        x, y = cx + math.cos(a) * 290 * d, cy + math.sin(a) * 190 * d
        if abs(x - cx) > 40:
            s.ellipse(x - 9, y - 5, x + 9, y + 5, fill=(236, 186, 170))
    poles = [(118, cy), (650, cy)]
    red, blue = (214, 70, 70), (60, 104, 200)
    chromosomes = [(112, 48, red), (204, 24, blue), (298, 48, blue), (390, 24, red)]  # (centromere y, arm, colour)
    fibre = (150, 176, 96)
    for px, py in poles:
        side = -1 if px < cx else 1
        for ry, _, _ in chromosomes:  # kinetochore fibres to each centromere
            end = (cx + side * 12, ry)
            mid = ((px + end[0]) / 2, (py + ry) / 2 + (ry - py) * 0.12)
            s.line(_smooth([(px, py), mid, end], closed=False), fibre, 4)
        for ry in (150, 340):  # polar fibres reaching past the middle
            mid = ((px + cx) / 2, (py + ry) / 2 + (ry - py) * 0.15)
            s.line(_smooth([(px, py), mid, (cx - side * 40, ry + (ry - py) * 0.1)], closed=False), (190, 206, 150), 3)
        for i in range(16):  # aster
            a = math.tau * i / 16
            s.line([(px + math.cos(a) * 14, py + math.sin(a) * 14), (px + math.cos(a) * 40, py + math.sin(a) * 40)],
                   fibre, 3)
        s.circle(px, py, 13, fill=(108, 140, 60))
    for ry, arm, colour in chromosomes:
        dark = _mix(colour, (0, 0, 0), 0.3)
        for side in (-1, 1):  # two sister chromatids, one facing each pole
            chromatid = [(cx + side * 18, ry - arm), (cx + side * 8, ry - arm * 0.4), (cx + side * 6, ry),
                         (cx + side * 8, ry + arm * 0.4), (cx + side * 18, ry + arm)]
            path = _smooth(chromatid, closed=False, per_segment=6)
            s.line(path, dark, 20)
            s.line(path, colour, 14)
        s.circle(cx, ry, 10, fill=dark)
    return s.finish()


def draw_leaf_photosynthesis() -> Image.Image:
    s = Sketch(SKY)
    rng = random.Random(2)
    _vertical_gradient(s, (206, 234, 240), (170, 214, 222), 150, HEIGHT)
    wave = [(x, 150 + 5 * math.sin(x / 30)) for x in range(0, WIDTH + 10, 10)]
    s.polygon([*wave, (WIDTH, 160), (0, 160)], fill=(206, 234, 240))
    s.line(wave, (150, 200, 214), 4)
    _sun(s, 92, 72, 40)
    for i in range(3):  # sunbeams into the water
        x = 180 + i * 90
        s.polygon([(x, 150), (x + 40, 150), (x + 170, HEIGHT), (x + 100, HEIGHT)], fill=(255, 246, 200, 60))
    s.line([(470, HEIGHT), (440, 420), (400, 350)], (74, 130, 60), 12)  # stem
    half = [(t * 360, -80 * math.sin(math.pi * t) ** 0.8) for t in [i / 30 for i in range(31)]]
    leaf = half + [(x, -y) for x, y in reversed(half)]
    s.polygon(_rotate(leaf, -28, 250, 460), fill=(88, 168, 78), outline=(56, 120, 52), width=5)
    s.line(_rotate([(10, 0), (345, 0)], -28, 250, 460), (200, 232, 160), 5)
    for t in (0.25, 0.42, 0.58, 0.74):
        for side in (-1, 1):
            s.line(_rotate([(t * 360, 0), (t * 360 + 50, side * 42 * math.sin(math.pi * t))], -28, 250, 460),
                   (170, 214, 130), 4)
    for _ in range(22):  # oxygen bubbles
        x, y, r = rng.uniform(300, 620), rng.uniform(175, 360), rng.uniform(5, 13)
        s.circle(x, y, r, fill=(236, 248, 252), outline=(120, 176, 200), width=3)
    return s.finish()



def draw_heart() -> Image.Image:
    """A front view of the heart cut open, relaxed and filled (diastole): right atrium and ventricle on
    the viewer's left with oxygen-poor blood (blue), left atrium and the thick-walled left ventricle
    on the right with oxygen-rich blood (red); venae cavae into the right atrium, pulmonary artery out
    of the right ventricle, aorta out of the left ventricle, pulmonary veins into the left atrium;
    pale flaps mark the valves between atria and ventricles."""
    s = Sketch((248, 240, 238))
    blue, red = (92, 100, 190), (208, 52, 60)
    blue_dark, red_dark = (60, 66, 140), (150, 30, 44)

    def vessel(points: Sequence[Point], colour: RGB, dark: RGB, width: float) -> None:
        path = _smooth(points, closed=False) if len(points) > 2 else list(points)
        s.line(path, dark, width + 10)
        s.line(path, colour, width)

    vessel([(282, 24), (282, 200)], blue, blue_dark, 36)  # superior vena cava
    vessel([(246, 504), (246, 330)], blue, blue_dark, 32)  # inferior vena cava
    for y in (206, 248):  # pulmonary veins
        vessel([(650, y - 14), (540, y)], red, red_dark, 22)
    vessel([(360, 200), (352, 130), (300, 98), (206, 98)], blue, blue_dark, 34)  # pulmonary artery, left branch
    vessel([(354, 128), (420, 146), (500, 140), (566, 146)], blue, blue_dark, 22)  # right branch, under the arch
    vessel([(444, 200), (424, 110), (460, 56), (540, 56), (584, 110), (594, 190)], red, red_dark, 42)  # aorta
    for x in (470, 512, 548):  # arteries from the arch
        vessel([(x, 64), (x + 6, 14)], red, red_dark, 12)
    body = _smooth([(240, 200), (330, 172), (444, 176), (540, 186), (578, 260), (540, 380), (470, 462),
                    (408, 470), (320, 420), (236, 330)], per_segment=12)
    s.polygon(body, fill=(196, 98, 96), outline=(140, 58, 60), width=6)
    for path, colour, width in (([(284, 188), (288, 226)], blue, 30), ([(248, 334), (262, 286)], blue, 24),
                                ([(366, 330), (362, 250), (360, 186)], blue, 26),  # right ventricle → artery
                                ([(440, 330), (436, 250), (444, 186)], red, 26)):  # left ventricle → aorta
        s.line(_smooth(path, closed=False) if len(path) > 2 else path, colour, width)
    s.polygon(_smooth([(252, 214), (320, 204), (338, 240), (326, 290), (262, 296), (246, 256)]), fill=blue)  # RA
    s.polygon(_smooth([(262, 318), (340, 310), (376, 330), (388, 424), (356, 440), (286, 388)]), fill=blue)  # RV, thin-walled
    s.polygon(_smooth([(462, 208), (530, 204), (550, 240), (530, 280), (470, 282), (456, 244)]), fill=red)  # LA
    s.polygon(_smooth([(438, 322), (488, 314), (502, 340), (484, 392), (454, 412), (434, 372)]), fill=red)  # LV: its wall
    # (about 55 px of muscle to the outside) two to three times the right ventricle's (about 22 px)
    for x0, x1, y in ((280, 328, 300), (462, 518, 298)):  # atrioventricular valves, open towards the ventricles
        s.polygon([(x0, y - 6), (x0 + 12, y - 6), ((x0 + x1) / 2 - 4, y + 26)], fill=(250, 236, 226))
        s.polygon([(x1 - 12, y - 6), (x1, y - 6), ((x0 + x1) / 2 + 4, y + 26)], fill=(250, 236, 226))
    return s.finish()


def draw_seed_germination() -> Image.Image:
    """A whole, swollen bean seed lying in moist soil (cut-away view), before the radicle breaks out."""
    s = Sketch(SKY)
    rng = random.Random(4)
    _vertical_gradient(s, (214, 234, 248), (240, 246, 236), 0, 230)
    s.rect(0, 230, WIDTH, HEIGHT, fill=(170, 124, 84))
    s.polygon([(x, 230 + 6 * math.sin(x / 45)) for x in range(0, WIDTH + 16, 16)] + [(WIDTH, 262), (0, 262)],
              fill=(150, 106, 70))
    for _ in range(130):
        x, y = rng.uniform(0, WIDTH), rng.uniform(262, HEIGHT)
        s.ellipse(x - 5, y - 3, x + 5, y + 3, fill=_mix((170, 124, 84), (90, 60, 40), rng.uniform(0.2, 0.6)))
    for _ in range(8):  # pebbles
        x, y = rng.uniform(40, 720), rng.uniform(300, 490)
        if abs(x - 384) > 140:
            s.ellipse(x - 16, y - 10, x + 16, y + 10, fill=(196, 188, 176), outline=(150, 140, 128), width=3)
    s.ellipse(236, 280, 532, 430, fill=(140, 96, 62, 120))  # the damp patch round the seed
    seed = _smooth([(300, 330), (360, 300), (430, 298), (476, 330), (470, 380), (420, 398), (384, 388),
                    (346, 396), (300, 384)], per_segment=10)
    s.polygon(seed, fill=(222, 184, 128), outline=(150, 110, 70), width=5)
    s.ellipse(370, 380, 398, 392, fill=(120, 86, 56))  # hilum
    s.polygon(_smooth([(322, 326), (380, 310), (430, 312), (448, 326), (400, 322), (340, 336)]),
              fill=(244, 214, 168, 200))  # highlight
    return s.finish()


def draw_dna_helix() -> Image.Image:
    """B-DNA side on: a right-handed double helix (strands in front rise from lower left to upper
    right) with a major and a minor groove, base pairs A–T (red–blue) and G–C (green–yellow),
    everything drawn back to front so each crossing shows the nearer strand on top."""
    s = Sketch((240, 244, 250))
    rng = random.Random(5)
    background = (240, 244, 250)
    cx, radius, pitch = 384, 112, 236
    groove = math.radians(150)  # angle between the backbones: minor groove on one side, major on the other
    base_colour = {"A": (230, 96, 90), "T": (70, 130, 210), "G": (90, 180, 110), "C": (244, 190, 60)}
    pair = {"A": "T", "T": "A", "G": "C", "C": "G"}

    def point(y: float, phase: float) -> tuple[float, float, float]:
        """Screen x, y and nearness (−1 back … 1 front) of the backbone at height y.
        Right-handed: with x right, up and *into* the screen as a right-handed frame, the helix is
        (r cos t, r sin t, c t); nearness is therefore −sin t."""
        t = (HEIGHT - y) / pitch * math.tau + phase
        return cx + radius * math.cos(t), y, -math.sin(t)

    items: list[tuple[float, Callable[[], None]]] = []

    def segment(p: tuple[float, float, float], q: tuple[float, float, float], colour: RGB, width: float) -> None:
        depth = (p[2] + q[2]) / 2
        shade = _mix(colour, background, 0.5 * (1 - depth) / 2)
        items.append((depth, lambda: s.line([(p[0], p[1]), (q[0], q[1])], shade, width)))

    for y in range(52, 466, 22):  # base pairs (about 10.5 per turn)
        a, b = point(y, 0), point(y, groove)
        base = rng.choice("ATGC")
        for k in range(8):
            t0, t1 = k / 8, (k + 1) / 8
            p = tuple(u + (v - u) * t0 for u, v in zip(a, b, strict=True))
            q = tuple(u + (v - u) * t1 for u, v in zip(a, b, strict=True))
            segment(p, q, base_colour[base if k < 4 else pair[base]], 9)  # type: ignore[arg-type]
    for phase, colour in ((0.0, (74, 80, 156)), (groove, (126, 100, 176))):
        ys = [26 + i * 3 for i in range(154)]
        for y0, y1 in itertools.pairwise(ys):
            segment(point(y0, phase), point(y1, phase), colour, 17)
    for _, draw in sorted(items, key=lambda item: item[0]):
        draw()
    return s.finish()


def draw_breathing_model() -> Image.Image:
    """The bell-jar model of breathing, as after breathing out: a glass bell jar (the chest) with a
    Y-shaped tube (trachea and bronchi) ending in two small, slack balloons (the lungs) and a rubber
    sheet (the diaphragm) domed up across the open bottom, with a knob to pull it down."""
    s = Sketch((242, 244, 240))
    s.rect(70, 56, 96, 470, fill=(150, 154, 166))  # clamp stand
    s.rect(30, 462, 250, 484, fill=(110, 114, 128), radius=6)
    s.rect(80, 150, 262, 166, fill=(150, 154, 166), radius=4)
    s.rect(80, 390, 262, 406, fill=(150, 154, 166), radius=4)
    jar = _smooth([(262, 420), (262, 200), (300, 130), (384, 108), (468, 130), (506, 200), (506, 420)],
                  closed=False, per_segment=10)
    s.polygon(jar, fill=(226, 238, 246))
    s.line([(384, 30), (384, 210)], (176, 190, 204), 22)  # glass tube: the trachea
    s.line([(384, 30), (384, 210)], (232, 240, 246), 12)
    for side in (-1, 1):  # bronchi and lungs
        arm = [(384, 206), (384 + side * 40, 240), (384 + side * 62, 268)]
        s.line(arm, (176, 190, 204), 18)
        s.line(arm, (232, 240, 246), 9)
        bx, by = 384 + side * 70, 300
        s.polygon(_smooth([(bx - side * 6, by - 40), (bx + 22, by - 16), (bx + 26, by + 24), (bx, by + 40),
                           (bx - 26, by + 24), (bx - 22, by - 16)]), fill=(236, 140, 150), outline=(180, 80, 96),
                  width=3)
        s.ellipse(bx - 14, by - 14, bx - 2, by + 6, fill=(255, 200, 206, 180))
    s.line(jar, GLASS, 7)
    s.rect(352, 92, 416, 126, fill=(170, 120, 80), outline=(120, 84, 50), width=3, radius=6)  # stopper
    s.line(_smooth([(256, 422), (320, 398), (384, 390), (448, 398), (512, 422)], closed=False),
           (222, 130, 70), 12)  # rubber sheet (the diaphragm), domed up into the jar
    s.line([(384, 396), (384, 458)], (110, 90, 80), 5)
    s.circle(384, 466, 14, fill=(200, 160, 60), outline=(140, 110, 40), width=3)
    s.rect(272, 150, 284, 380, fill=(255, 255, 255, 70), radius=6)  # glass highlight
    return s.finish()


def draw_double_circulation() -> Image.Image:
    """Double circulation as a loop diagram: the lungs' capillaries at the top, the body's at the
    bottom, the four-chambered heart between (right side on the viewer's left). Pulmonary artery
    from the right ventricle up to the lungs, pulmonary veins down into the left atrium, aorta from
    the left ventricle down to the body, venae cavae up into the right atrium. Oxygen-poor blood is
    blue, oxygen-rich red; blood cells sit along every vessel."""
    s = Sketch((246, 242, 240))
    blue, red = (84, 100, 196), (212, 56, 64)
    vessels = [
        ([(384, 286), (384, 200), (360, 140), (300, 96)], blue),  # pulmonary artery, up between the atria
        ([(470, 96), (530, 130), (520, 200), (462, 232)], red),  # pulmonary veins into the left atrium
        ([(430, 306), (490, 350), (520, 410), (470, 440)], red),  # aorta down to the body
        ([(300, 440), (236, 400), (232, 300), (304, 236)], blue),  # venae cavae up into the right atrium
    ]
    for (x0, x1), colour in (((230, 376), (236, 184, 186)), ((392, 538), (236, 184, 186))):  # the two lungs
        s.polygon(_smooth([(x0, 110), (x0 + 20, 30), ((x0 + x1) / 2, 14), (x1 - 16, 40), (x1, 110),
                           ((x0 + x1) / 2, 124)]), fill=colour, outline=_mix(colour, (0, 0, 0), 0.25), width=4)
    s.rect(230, 400, 538, 500, fill=(236, 214, 190), outline=(180, 160, 138), width=4, radius=40)  # body tissues
    for y0 in (44, 424):  # capillary beds: blue blood turns red in the lungs, red turns blue in the body
        for k in range(5):
            yy = y0 + k * 14
            pts = [(262 + i * 9, yy + 5 * math.sin(i * 0.9 + k)) for i in range(28)]
            for (xa, ya), (xb, yb) in itertools.pairwise(pts):
                t = (xa - 262) / 243
                s.line([(xa, ya), (xb, yb)], _mix(blue, red, t), 6)
    for path, colour in vessels:
        curve = _smooth(path, closed=False)
        s.line(curve, _mix(colour, (0, 0, 0), 0.25), 34)
        s.line(curve, colour, 26)
    s.polygon(_smooth([(290, 214), (384, 194), (478, 214), (486, 300), (384, 334), (282, 300)]),
              fill=(196, 98, 96), outline=(140, 58, 60), width=5)  # heart
    s.rect(294, 212, 362, 252, fill=blue, radius=14)  # right atrium
    s.rect(294, 258, 362, 312, fill=blue, radius=14)  # right ventricle
    s.rect(406, 212, 474, 252, fill=red, radius=14)  # left atrium
    s.rect(406, 258, 474, 312, fill=red, radius=14)  # left ventricle
    s.line([(356, 290), (384, 276), (384, 190)], blue, 20)  # the pulmonary artery leaving the right ventricle
    for path, colour in vessels:  # blood cells along the vessels
        curve = _smooth(path, closed=False, per_segment=4)
        for x, y in curve[1:-1:2]:
            s.ellipse(x - 8, y - 5, x + 8, y + 5, fill=_mix(colour, (255, 255, 255), 0.35))
    return s.finish()


def draw_plasmolysis() -> Image.Image:
    """Purple onion epidermis cells under the microscope, full of water (turgid): each purple vacuole
    fills its cell, pressed against the cell wall; a small nucleus at one side. Plasmolysis starts
    from here."""
    wall = (176, 146, 112)
    s = Sketch(wall)
    rng = random.Random(22)
    h = 104
    for row in range(-1, 6):
        y0 = row * h + 4
        x = -rng.uniform(20, 200)
        while x < WIDTH + 40:
            w = rng.uniform(230, 300)
            s.rect(x, y0, x + w, y0 + h, fill=(244, 236, 230), outline=wall, width=10, radius=8)
            s.rect(x + 9, y0 + 9, x + w - 9, y0 + h - 9, fill=(160, 80, 166), radius=10)  # vacuole + cytoplasm
            s.rect(x + 18, y0 + 16, x + w - 70, y0 + 28, fill=(196, 130, 200, 150), radius=6)  # sheen
            nx = x + rng.uniform(40, w - 40)
            ny = y0 + (22 if rng.random() < 0.5 else h - 22)
            s.ellipse(nx - 12, ny - 8, nx + 12, ny + 8, fill=(120, 70, 120), outline=(90, 50, 96), width=2)
            x += w
    return s.finish()


# --------------------------------------------------------------------------- physics


def draw_pendulum() -> Image.Image:
    """A bob pulled aside by 9° (small swings: T = 2π√(l/g) holds only for angles up to about 10°) and
    held, about to be released; its arc (dotted) stays well clear of the stand's post."""
    s = Sketch((242, 242, 236))
    s.rect(0, 470, WIDTH, HEIGHT, fill=(214, 204, 186))
    s.rect(60, 452, 240, 478, fill=(96, 100, 112), radius=6)  # stand
    s.rect(140, 52, 158, 460, fill=(130, 136, 150))
    s.rect(140, 48, 470, 66, fill=(130, 136, 150), radius=4)
    px, py, length, amplitude = 440, 66, 330, 9
    for k in range(-amplitude * 2, amplitude * 2 + 1, 2):  # faint dotted path of the swing
        t = math.radians(k / 2)
        s.circle(px + length * math.sin(t), py + length * math.cos(t), 3, fill=(184, 184, 198))
    s.line([(px, py), (px, py + length + 44)], (204, 204, 214), 3)  # vertical: the lowest point
    angle = math.radians(amplitude)
    bx, by = px + length * math.sin(angle), py + length * math.cos(angle)
    s.line([(px, py), (bx, by)], (60, 60, 70), 4)
    s.circle(px, py, 8, fill=(60, 60, 70))
    s.circle(bx, by, 34, fill=(176, 128, 70), outline=(120, 84, 44), width=5)
    s.circle(bx - 11, by - 11, 11, fill=(234, 196, 140, 200))
    return s.finish()


def draw_wave_rope() -> Image.Image:
    """A rope driven up and down at its left end by a vibrator, running on out of the picture to the
    right (no second post, so no standing wave). One and a half wavelengths have left the source; the
    rest of the rope is still flat. A yellow marker is tied on the rope inside the wave."""
    s = Sketch((244, 242, 236))
    s.rect(0, 440, WIDTH, HEIGHT, fill=(218, 210, 192))
    y0, amp, wavelength, front = 256, 62, 200, 420
    for x in range(130, WIDTH, 24):  # dashed rest line
        s.line([(x, y0), (x + 12, y0)], (190, 188, 200), 3, round_ends=False)
    s.rect(60, 296, 100, 440, fill=(130, 136, 150))  # vibrator on its stand
    s.rect(30, 200, 126, 312, fill=(86, 120, 170), outline=(56, 80, 120), width=4, radius=10)
    s.circle(78, 256, 18, fill=(200, 206, 220), outline=(56, 80, 120), width=3)

    def rope_y(x: float) -> float:
        return y0 - amp * math.sin(math.tau * (front - x) / wavelength) if x < front else y0

    pts = [(x, rope_y(x)) for x in range(120, WIDTH + 20, 4)]
    pts = [(96, y0), *pts]
    s.line(pts, (130, 30, 40), 18)
    s.line(pts, (214, 58, 62), 11)
    mx = 270
    s.circle(mx, rope_y(mx), 15, fill=(250, 206, 40), outline=(180, 140, 20), width=4)
    return s.finish()


def draw_slinky() -> Image.Image:
    """A long spring hung level from a bar by threads, its coils evenly spaced (undisturbed), with a
    paddle on the left end to push it and one coil painted yellow as a marker."""
    s = Sketch((244, 242, 236))
    s.rect(0, 452, WIDTH, HEIGHT, fill=(218, 210, 192))
    s.rect(20, 54, 748, 74, fill=(170, 120, 76), outline=(120, 84, 50), width=3, radius=5)
    cy, half = 270, 62
    xs = [104 + i * 24 for i in range(26)]
    marker = 12
    for i, x in enumerate(xs):
        if i % 3 == 1:
            s.line([(x, 74), (x, cy - half)], (160, 160, 170), 2)
    s.rect(20, cy - 8, 84, cy + 8, fill=(150, 110, 70), radius=4)  # handle and paddle on the first coil
    s.rect(78, cy - 70, 96, cy + 70, fill=(180, 130, 80), outline=(120, 84, 50), width=3, radius=6)
    pitch, rx = xs[1] - xs[0], 8
    for near in (False, True):  # one helix: the back half of every turn first, then the front halves
        for i, x in enumerate(xs):
            colour = (236, 190, 40) if i == marker else (150, 156, 172)
            colour = _mix(colour, (0, 0, 0), 0.1) if near else _mix(colour, (244, 242, 236), 0.35)
            start = 0.0 if near else math.pi  # front: top → bottom, bulging right; back: bottom → next top
            if not near and i == len(xs) - 1:
                continue
            turn = [(x + pitch * (start + math.pi * k / 16) / math.tau + rx * math.sin(start + math.pi * k / 16),
                     cy - half * math.cos(start + math.pi * k / 16)) for k in range(17)]
            s.line(turn, colour, 7 if near else 6)
    return s.finish()


def draw_circuit() -> Image.Image:
    """A battery, a bulb and a knife switch in one loop on a board: the switch is open and the bulb
    is dark, so closing the switch is the whole clip."""
    s = Sketch((244, 244, 238))
    s.rect(90, 60, 678, 456, fill=(234, 220, 192), outline=(196, 172, 136), width=6, radius=20)
    wire, w = (66, 70, 84), 9
    s.line([(180, 200), (180, 160), (370, 160)], wire, w)
    s.line([(398, 160), (588, 160), (588, 226)], wire, w)
    s.line([(588, 306), (588, 380), (180, 380), (180, 320)], wire, w)
    s.rect(146, 196, 214, 324, fill=(62, 118, 198), outline=(40, 70, 130), width=4, radius=10)  # battery
    s.rect(146, 196, 214, 236, fill=(200, 200, 210), outline=(40, 70, 130), width=4, radius=10)
    s.rect(168, 184, 192, 198, fill=(150, 150, 160))  # the + terminal
    s.rect(556, 286, 620, 326, fill=(120, 96, 70), radius=6)  # switch base
    s.circle(588, 232, 11, fill=(196, 160, 90), outline=wire, width=3)  # fixed contact
    s.circle(588, 304, 10, fill=wire)  # hinge
    s.line([(588, 304), (650, 252)], (176, 180, 192), 10)  # blade, lifted away from the contact
    s.circle(654, 248, 12, fill=(40, 40, 46))  # insulated handle
    s.rect(366, 140, 402, 168, fill=(160, 160, 170), outline=(100, 100, 110), width=3, radius=4)
    s.circle(384, 104, 44, fill=(232, 234, 238), outline=(150, 150, 160), width=4)  # unlit bulb
    s.circle(370, 90, 12, fill=(255, 255, 255, 200))
    s.line([(372, 140), (372, 110), (378, 98), (384, 110), (390, 98), (396, 110), (396, 140)], (110, 104, 100), 4)
    return s.finish()


def draw_magnet_field() -> Image.Image:
    """A bar magnet (red N, blue S, each lettered) on white paper with iron filings sprinkled evenly
    and pointing every which way, before the paper is tapped."""
    s = Sketch((248, 247, 242))
    rng = random.Random(9)
    cx, cy, half = 384, 256, 130
    for _ in range(430):
        x, y = rng.uniform(8, WIDTH - 8), rng.uniform(8, HEIGHT - 8)
        if abs(x - cx) < half + 14 and abs(y - cy) < 46:
            continue
        a = rng.uniform(0, math.pi)
        d = rng.uniform(4, 7)
        s.line([(x - math.cos(a) * d, y - math.sin(a) * d), (x + math.cos(a) * d, y + math.sin(a) * d)],
               (96, 98, 108), 4)
    _bar_magnet(s, cx - half, cy - 32, cx + half, cy + 32)
    return s.finish()


def draw_prism_light() -> Image.Image:
    """A narrow beam of white light reaching the left face of a glass prism; a white screen stands to
    the right with nothing on it yet."""
    s = Sketch((216, 220, 234))
    s.rect(0, 420, WIDTH, HEIGHT, fill=(200, 202, 218))
    cx, cy, side = 330, 270, 250
    h = side * math.sqrt(3) / 2
    top, left, right = (cx, cy - h * 2 / 3), (cx - side / 2, cy + h / 3), (cx + side / 2, cy + h / 3)
    entry = (cx - side / 4 - 4, cy - h / 6 + 6)
    s.glow(entry[0] - 60, entry[1] + 20, 60, (255, 250, 224), 120)
    s.polygon([(0, 294), (0, 326), (entry[0], entry[1] + 11), (entry[0], entry[1] - 7)], fill=(255, 254, 246),
              outline=(196, 188, 150), width=3)
    s.rect(640, 120, 700, 420, fill=(250, 250, 252), outline=(160, 160, 178), width=4, radius=4)  # screen
    s.rect(662, 420, 678, 444, fill=(150, 150, 164))
    s.rect(630, 440, 710, 452, fill=(130, 130, 146), radius=4)
    s.polygon([top, right, left], fill=(160, 200, 230, 220), outline=(96, 132, 170), width=5)
    s.polygon([top, (cx + 20, cy + h / 3), left], fill=(255, 255, 255, 60))
    return s.finish()


def draw_light_reflection() -> Image.Image:
    """The law-of-reflection set-up: an upright white board, a plane mirror lying at its foot, the
    normal dashed at the point of incidence, and a laser's red beam arriving there (no reflected ray
    yet)."""
    s = Sketch((236, 236, 232))
    _table(s, 452)
    s.rect(96, 40, 672, 452, fill=(252, 252, 250), outline=(190, 190, 196), width=5, radius=6)  # board
    s.rect(190, 420, 578, 440, fill=(200, 214, 228), outline=(110, 130, 150), width=4, radius=3)  # mirror
    s.rect(196, 424, 572, 430, fill=(240, 246, 252))
    hit = (384, 420)
    for y in range(100, 410, 26):  # the normal
        s.line([(384, y), (384, y + 14)], (120, 124, 140), 4)
    start = (170, 150)
    s.line([start, hit], (226, 40, 40), 6)
    s.glow(hit[0], hit[1] - 4, 18, (255, 120, 120), 160)
    a = math.degrees(math.atan2(hit[1] - start[1], hit[0] - start[0]))
    pen = _rotate([(-120, -13), (6, -13), (6, 13), (-120, 13)], a, *start)
    s.polygon(pen, fill=(60, 64, 80))
    s.polygon(_rotate([(-70, -13), (-50, -13), (-50, 13), (-70, 13)], a, *start), fill=(200, 60, 60))
    return s.finish()


def draw_straw_in_water() -> Image.Image:
    """A glass of water on a table seen from slightly above the water surface (the surface and the rim
    are open ellipses) and a striped straw held at a slant just above the water: the straw is straight
    and nothing is under water yet."""
    s = Sketch((240, 242, 246))
    _table(s, 446)
    x0, x1, top, bottom, level = 270, 498, 120, 446, 236
    s.rect(x0, level, x1, bottom, fill=(196, 224, 244), radius=22)
    s.ellipse(x0, bottom - 56, x1, bottom, fill=(196, 224, 244))  # the round bottom, seen from above
    s.ellipse(x0 + 4, level - 30, x1 - 4, level + 30, fill=(214, 236, 250), outline=(150, 190, 220), width=3)
    tip, end = (352, 214), (560, 18)
    d = math.hypot(end[0] - tip[0], end[1] - tip[1])
    ux, uy = (end[0] - tip[0]) / d, (end[1] - tip[1]) / d
    nx, ny = -uy * 9, ux * 9
    s.polygon([(tip[0] + nx, tip[1] + ny), (end[0] + nx, end[1] + ny), (end[0] - nx, end[1] - ny),
               (tip[0] - nx, tip[1] - ny)], fill=(252, 252, 252), outline=(170, 170, 180), width=2)
    for k in range(0, int(d) - 20, 28):  # red stripes
        a, b = k + 4, k + 16
        s.polygon([(tip[0] + ux * a + nx, tip[1] + uy * a + ny), (tip[0] + ux * b + nx, tip[1] + uy * b + ny),
                   (tip[0] + ux * b - nx, tip[1] + uy * b - ny), (tip[0] + ux * a - nx, tip[1] + uy * a - ny)],
                  fill=(222, 60, 64))
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 40), outline=GLASS, width=6, radius=22)
    s.ellipse(x0, top - 32, x1, top + 32, outline=GLASS, width=5)
    s.rect(x0 + 18, top + 30, x0 + 32, bottom - 30, fill=(255, 255, 255, 90), radius=7)
    return s.finish()


def draw_newton_tube() -> Image.Image:
    """The 'guinea and feather' tube: a tall glass tube, emptied of air through the tap at its top,
    held upright in a clamp, with a coin and a feather resting at its top end, just turned over."""
    s = Sketch((242, 242, 238))
    _table(s, 456)
    s.rect(150, 40, 166, 460, fill=(150, 154, 166))  # clamp stand
    s.rect(90, 450, 240, 470, fill=(110, 114, 128), radius=6)
    for y in (150, 360):
        s.rect(158, y - 8, 330, y + 8, fill=(150, 154, 166), radius=4)
        s.rect(316, y - 16, 336, y + 16, fill=(120, 124, 138), radius=4)
    x0, x1, top, bottom = 324, 464, 60, 440
    s.rect(x0, top, x1, bottom, fill=(232, 240, 248), radius=40)
    s.rect(376, 26, 412, 66, fill=(110, 114, 128), radius=6)  # tap at the top
    s.rect(404, 38, 470, 50, fill=(110, 114, 128), radius=5)
    s.rect(360, 58, 428, 80, fill=(80, 84, 96), radius=8)  # stopper
    s.rect(360, 430, 428, 452, fill=(80, 84, 96), radius=8)
    s.ellipse(344, 92, 390, 110, fill=(214, 170, 60), outline=(160, 120, 30), width=3)  # coin, lying flat
    s.ellipse(350, 94, 384, 104, fill=(236, 200, 100))
    feather = _rotate([(0, -44), (12, -30), (16, 0), (12, 30), (0, 44), (-10, 30), (-14, 0), (-10, -30)], 16,
                      424, 112)
    s.polygon(_smooth(feather), fill=(252, 252, 250), outline=(176, 176, 186), width=3)
    s.line(_rotate([(0, -40), (0, 56)], 16, 424, 112), (170, 150, 120), 3)
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 30), outline=GLASS, width=6, radius=40)
    s.rect(x0 + 16, top + 60, x0 + 30, bottom - 60, fill=(255, 255, 255, 110), radius=7)
    return s.finish()


def draw_projectile() -> Image.Image:
    """Two equal balls side by side at the same height on a launcher at the top left: the red one will
    be struck sideways, the blue one released to drop. The space they fall through is empty."""
    s = Sketch((240, 242, 238))
    s.rect(0, 452, WIDTH, HEIGHT, fill=(214, 204, 186))
    s.rect(0, 446, WIDTH, 454, fill=(196, 182, 160))
    s.rect(20, 436, 140, 456, fill=(100, 104, 118), radius=6)
    s.rect(62, 50, 78, 440, fill=(130, 136, 150))  # post
    s.rect(62, 48, 290, 60, fill=(130, 136, 150), radius=3)  # arm
    s.rect(206, 60, 216, 134, fill=(110, 116, 130))  # hanger and ledge under the red ball
    s.rect(206, 124, 280, 134, fill=(110, 116, 130), radius=3)
    s.rect(216, 82, 228, 120, fill=(90, 94, 108), radius=3)  # spring striker touching the red ball
    s.rect(156, 60, 172, 77, fill=(90, 94, 108), radius=2)  # clip holding the blue ball, nothing below it
    s.circle(164, 100, 24, fill=(70, 110, 200), outline=(40, 70, 140), width=4)
    s.circle(252, 100, 24, fill=(214, 60, 60), outline=(150, 34, 40), width=4)
    for ball in ((164, 100), (252, 100)):  # same size, same height
        s.circle(ball[0] - 8, ball[1] - 8, 7, fill=(255, 255, 255, 150))
    return s.finish()


def draw_tuning_fork() -> Image.Image:
    """A tuning fork on its wooden sounding box, a table-tennis ball on a thread hanging against the
    outside of one prong, and the rubber hammer beside it: before the fork is struck."""
    s = Sketch((244, 242, 236))
    _table(s, 446)
    s.rect(220, 372, 540, 446, fill=(190, 140, 90), outline=(130, 90, 56), width=4, radius=8)  # sounding box
    s.ellipse(300, 392, 460, 430, fill=(120, 80, 50))
    fork = (176, 180, 196)
    s.rect(370, 300, 398, 376, fill=fork, outline=(120, 124, 140), width=3)
    s.draw.arc([336 * _SCALE, 236 * _SCALE, 432 * _SCALE, 330 * _SCALE], 0, 180, fill=fork, width=22 * _SCALE)
    for x in (336, 410):  # prongs
        s.rect(x, 90, x + 22, 284, fill=fork, outline=(120, 124, 140), width=3, radius=4)
    s.rect(413, 96, 419, 276, fill=(236, 238, 246))
    s.rect(600, 30, 616, 446, fill=(130, 136, 150))  # stand for the thread
    s.rect(440, 26, 616, 40, fill=(130, 136, 150), radius=4)
    s.line([(456, 36), (456, 170)], (150, 150, 160), 2)
    s.circle(456, 190, 24, fill=(252, 250, 240), outline=(200, 190, 160), width=3)
    s.circle(448, 182, 7, fill=(255, 255, 255))
    s.line([(90, 430), (180, 410)], (170, 120, 76), 10)  # rubber hammer
    s.ellipse(160, 390, 206, 428, fill=(120, 120, 130), outline=(80, 80, 90), width=3)
    return s.finish()


def _coil(sketch: Sketch, x0: float, x1: float, cy: float, r: float) -> None:
    """A coil of copper wire wound on a card tube, side on, its open end on the left."""
    sketch.rect(x0, cy - r, x1, cy + r, fill=(236, 226, 200), outline=(170, 150, 110), width=3, radius=6)
    x = x0 + 24
    while x < x1 - 10:
        sketch.line([(x, cy - r + 2), (x + 6, cy + r - 2)], COPPER, 7)
        x += 11
    sketch.ellipse(x0 - 18, cy - r, x0 + 18, cy + r, fill=(210, 196, 160), outline=(170, 150, 110), width=3)
    sketch.ellipse(x0 - 10, cy - r * 0.6, x0 + 10, cy + r * 0.6, fill=(150, 130, 100))


def _meter(sketch: Sketch, x0: float, y0: float, x1: float, y1: float) -> None:
    """A centre-zero galvanometer: box, dial, needle upright at zero, two terminals on top."""
    sketch.rect(x0, y0, x1, y1, fill=(60, 90, 140), outline=(40, 60, 100), width=4, radius=10)
    cx, cy, r = (x0 + x1) / 2, y1 - 30, (x1 - x0) * 0.4
    sketch.draw.pieslice([(cx - r) * _SCALE, (cy - r) * _SCALE, (cx + r) * _SCALE, (cy + r) * _SCALE], 200, 340,
                         fill=(250, 250, 244))
    for k in range(-4, 5):
        a = math.radians(-90 + k * 15)
        sketch.line([(cx + math.cos(a) * r * 0.8, cy + math.sin(a) * r * 0.8),
                     (cx + math.cos(a) * r * 0.95, cy + math.sin(a) * r * 0.95)], (70, 70, 80), 3 if k else 5)
    sketch.line([(cx, cy), (cx, cy - r * 0.9)], (30, 30, 36), 4)
    sketch.circle(cx, cy, 7, fill=(30, 30, 36))
    for tx in (x0 + 24, x1 - 24):
        sketch.rect(tx - 8, y0 - 12, tx + 8, y0 + 2, fill=(200, 170, 80), outline=(140, 110, 40), width=2, radius=3)


def draw_induction() -> Image.Image:
    """A bar magnet, N end first, lying left of the open end of a coil whose two ends go to a
    centre-zero meter with its needle at zero: before the magnet is pushed in."""
    s = Sketch((244, 244, 238))
    _table(s, 420)
    wire = (66, 70, 84)
    s.line([(400, 240), (400, 284), (314, 284), (314, 312)], wire, 6)
    s.line([(540, 240), (540, 298), (446, 298), (446, 312)], wire, 6)
    _coil(s, 350, 590, 196, 52)
    _meter(s, 290, 320, 470, 456)
    _bar_magnet(s, 40, 168, 290, 224, north_left=False)
    return s.finish()


def draw_electric_motor() -> Image.Image:
    """A simple motor model at rest: a rectangular copper coil on an upright axle between a red N pole
    and a blue S pole, a split-ring commutator with two brushes, wired to a battery."""
    s = Sketch((244, 244, 238))
    s.rect(60, 440, 708, 476, fill=(190, 140, 90), outline=(130, 90, 56), width=4, radius=8)  # base board
    for x0, x1, colour, letter in ((110, 230, RED_POLE, "N"), (538, 658, BLUE_POLE, "S")):
        s.rect(x0, 140, x1, 330, fill=colour, outline=_mix(colour, (0, 0, 0), 0.3), width=4, radius=8)
        s.rect(x0 + 8, 148, x1 - 8, 160, fill=(255, 255, 255, 70), radius=4)
        _letter(s, letter, (x0 + x1) / 2, 235, 44)
    s.rect(130, 330, 638, 352, fill=(150, 150, 160), radius=4)  # yoke of the magnet
    s.rect(378, 96, 390, 404, fill=(150, 154, 166))  # axle
    s.rect(280, 150, 488, 300, outline=_mix(COPPER, (0, 0, 0), 0.25), width=16, radius=6)
    s.rect(280, 150, 488, 300, outline=COPPER, width=10, radius=6)
    for x in (372, 396):  # the coil's two ends run down to the commutator
        s.line([(x, 300), (x, 364)], COPPER, 5)
    s.rect(368, 362, 400, 398, fill=COPPER, radius=4)  # commutator: two half rings with a gap
    s.rect(382, 362, 386, 398, fill=(60, 60, 70))
    for x in (344, 404):  # brushes
        s.rect(x, 372, x + 20, 388, fill=(60, 60, 70), radius=3)
    wire = (66, 70, 84)
    s.line([(344, 380), (300, 380), (300, 416)], wire, 6)
    s.line([(424, 380), (470, 380), (470, 416)], wire, 6)
    s.rect(280, 404, 490, 440, fill=(62, 118, 198), outline=(40, 70, 130), width=4, radius=8)  # battery
    s.rect(280, 404, 330, 440, fill=(200, 200, 210), outline=(40, 70, 130), width=4, radius=8)
    return s.finish()


def draw_egg_in_water() -> Image.Image:
    """An egg lying on the bottom of a beaker of plain water, and a spoonful of salt held over the
    rim, about to be stirred in."""
    s = Sketch((244, 244, 240))
    rng = random.Random(23)
    _beaker(s, WATER, level=150)
    egg = _rotate(_ellipse_points(0, 0, 46, 60), 70, 384, 390)
    s.polygon(egg, fill=(232, 196, 152), outline=(176, 136, 96), width=4)  # a brown hen's egg
    s.ellipse(356, 368, 384, 382, fill=(250, 228, 200, 200))
    s.line([(520, 70), (690, 16)], (170, 174, 186), 12)  # spoon
    s.ellipse(440, 52, 540, 92, fill=(190, 194, 206), outline=(140, 144, 156), width=3)
    for _ in range(40):  # salt heaped in the spoon
        x, y = rng.uniform(458, 522), rng.uniform(56, 72)
        s.rect(x - 4, y - 4, x + 4, y + 4, fill=(252, 252, 252), outline=(200, 200, 210), width=1)
    return s.finish()


def _burner_stand(sketch: Sketch, cx: float, gauze_y: float) -> None:
    """A tripod with a gauze at `gauze_y` and a spirit lamp with its flame under the middle."""
    legs = (90, 94, 106)
    for dx in (-120, 120):
        sketch.line([(cx + dx * 0.8, gauze_y), (cx + dx, 470)], legs, 9)
    sketch.rect(cx - 130, gauze_y - 4, cx + 130, gauze_y + 8, fill=(170, 170, 178), outline=legs, width=3, radius=3)
    sketch.rect(cx - 46, 410, cx + 46, 470, fill=(226, 236, 244), outline=GLASS, width=5, radius=18)  # lamp
    sketch.rect(cx - 42, 436, cx + 42, 466, fill=(236, 226, 200, 200), radius=14)
    sketch.rect(cx - 14, 396, cx + 14, 412, fill=(150, 150, 160), radius=3)
    _flame(sketch, cx, 398, 70)


def draw_boiling() -> Image.Image:
    """A beaker of hot water on a gauze over a spirit lamp, just before boiling: a few small bubbles
    cling to the bottom; nothing rises yet."""
    s = Sketch((242, 242, 238))
    rng = random.Random(24)
    _table(s, 470)
    _burner_stand(s, 384, 318)
    _beaker(s, (206, 228, 244), x0=270, x1=498, top=110, bottom=314, level=160, table=False)
    _bubbles(s, rng, 14, (296, 290, 472, 304), (3, 6))
    return s.finish()


def draw_convection() -> Image.Image:
    """A wide glass tank of still water with a few purple permanganate crystals on the bottom at the
    left, a small flame beneath them, and only a faint purple tint just above the crystals."""
    s = Sketch((242, 242, 238))
    rng = random.Random(25)
    _table(s, 470)
    x0, x1, top, bottom = 150, 618, 110, 380
    for x in (170, 598):
        s.rect(x - 10, bottom, x + 10, 470, fill=(120, 124, 138))
    s.rect(x0, top + 30, x1, bottom, fill=WATER, radius=16)
    s.rect(x0 + 3, top + 30, x1 - 3, top + 38, fill=_mix(WATER, (255, 255, 255), 0.4))
    s.polygon(_blob(rng, 236, 356, 26, 0.3), fill=(150, 60, 160, 70))
    for _ in range(9):
        x, y = rng.uniform(218, 254), rng.uniform(366, 374)
        s.polygon(_rotate([(-5, -3), (5, -3), (5, 3), (-5, 3)], rng.uniform(0, 90), x, y), fill=(88, 30, 100))
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 30), outline=GLASS, width=6, radius=16)
    s.rect(206, 430, 266, 470, fill=(226, 236, 244), outline=GLASS, width=4, radius=12)  # little burner
    s.rect(228, 418, 244, 432, fill=(150, 150, 160), radius=3)
    _flame(s, 236, 420, 40)
    return s.finish()


# --------------------------------------------------------------------------- chemistry


def _water_molecule(s: Sketch, x: float, y: float, angle: float, scale: float = 1.0) -> None:
    """A space-filling H₂O (H–O–H 104.5°): two white hydrogens set into a red oxygen. Thin outlines
    only on the hydrogens, so neighbours stay apart without doubling the PNG's size."""
    bond = 42 * scale
    hs = [(x + math.cos(angle + d) * bond, y + math.sin(angle + d) * bond) for d in (-0.91, 0.91)]
    for hx, hy in hs:
        s.circle(hx, hy, 23 * scale, fill=(252, 252, 254), outline=(150, 160, 182), width=2)
    s.circle(x, y, 36 * scale, fill=(214, 60, 62))
    s.circle(x - 11 * scale, y - 11 * scale, 10 * scale, fill=(255, 170, 170, 200))


def draw_water_molecules() -> Image.Image:
    """Liquid water: molecules packed almost touching in no order, each turned its own way."""
    s = Sketch((206, 224, 242))
    rng = random.Random(11)
    spots = []
    for row in range(5):
        for col in range(7):
            x = 30 + col * 130 + (65 if row % 2 else 0) + rng.uniform(-12, 12)
            y = 40 + row * 112 + rng.uniform(-10, 10)
            spots.append((x, y))
    rng.shuffle(spots)
    for x, y in spots:
        _water_molecule(s, x, y, rng.uniform(0, math.tau), rng.uniform(0.95, 1.0))
    return s.finish()


def draw_dye_diffusion() -> Image.Image:
    """A beaker of still water with a small, dense spot of purple dye (a grain of permanganate) on its
    bottom, a faint halo just starting round it; no dropper, and no colour anywhere near the surface."""
    s = Sketch((244, 244, 240))
    rng = random.Random(12)
    _beaker(s, (208, 230, 244))
    cx, cy = 384, 404
    for r, alpha in ((62, 40), (40, 80), (24, 150), (12, 240)):
        s.polygon(_blob(rng, cx, cy - r * 0.2, r, 0.3), fill=(118, 40, 160, alpha))
    for _ in range(24):
        a, d = rng.uniform(math.pi, math.tau), rng.uniform(30, 70)
        s.circle(cx + math.cos(a) * d, cy + math.sin(a) * d * 0.6, rng.uniform(2, 4), fill=(118, 40, 160, 130))
    s.circle(cx, cy + 6, 8, fill=(80, 20, 110))  # the grain
    return s.finish()



def draw_salt_dissolving() -> Image.Image:
    """A salt crystal (a lattice of touching green chloride and smaller purple sodium ions) on the
    bottom of a beaker of water, with only two ions just leaving its corners."""
    s = Sketch((244, 244, 240))
    _beaker(s, WATER)
    cl, na = ((96, 186, 96), (50, 120, 50)), ((160, 90, 200), (100, 50, 140))

    def ion(x: float, y: float, kind: tuple[RGB, RGB], r: float) -> None:
        s.circle(x, y, r, fill=kind[0], outline=kind[1], width=3)
        s.circle(x - r * 0.3, y - r * 0.3, r * 0.3, fill=(255, 255, 255, 110))

    for row in range(4):
        for col in range(5):
            big = (row + col) % 2 == 0
            ion(384 + (col - 2) * 36, 318 + row * 34, cl if big else na, 17 if big else 11)
    ion(300, 296, cl, 17)
    ion(470, 290, na, 11)
    return s.finish()


def draw_ice_melting() -> Image.Image:
    s = Sketch((240, 242, 246))
    s.rect(0, 330, WIDTH, HEIGHT, fill=(222, 206, 184))
    s.ellipse(140, 320, 628, 452, fill=(232, 234, 238), outline=(180, 184, 194), width=5)
    s.ellipse(190, 342, 578, 430, fill=(246, 247, 250))
    s.ellipse(262, 362, 524, 418, fill=(176, 212, 238, 200))  # a flat puddle, lying on the plate
    top = [(384, 176), (484, 222), (384, 268), (284, 222)]  # the cube stands on the plate (bottom corner at 398)
    left = [(284, 222), (384, 268), (384, 398), (284, 352)]
    right = [(384, 268), (484, 222), (484, 352), (384, 398)]
    for face, colour in ((left, (178, 214, 240)), (right, (150, 196, 230)), (top, (222, 240, 252))):
        s.polygon(face, fill=colour, outline=(110, 160, 204), width=4)
    s.line([(300, 240), (300, 326)], (236, 248, 255), 6)
    s.line([(470, 242), (470, 288)], (206, 230, 248), 6)
    for x, y in ((508, 396), (262, 398), (540, 378)):
        s.ellipse(x - 10, y - 6, x + 10, y + 6, fill=(196, 226, 246), outline=(120, 170, 210), width=2)
    return s.finish()



def draw_metal_acid() -> Image.Image:
    """A test tube of dilute hydrochloric acid (colourless) in a rack, a magnesium ribbon just dropped
    in, the first few bubbles on its surface."""
    s = Sketch((242, 242, 238))
    rng = random.Random(15)
    s.rect(0, 460, WIDTH, HEIGHT, fill=(216, 204, 184))
    s.rect(180, 440, 588, 466, fill=(170, 120, 76), outline=(120, 84, 50), width=3, radius=4)  # rack
    s.rect(196, 220, 214, 446, fill=(170, 120, 76))
    s.rect(554, 220, 572, 446, fill=(170, 120, 76))
    s.rect(344, 270, 424, 430, fill=(222, 234, 244), radius=38)  # the acid: clear, faintly tinted like water
    s.ellipse(344, 262, 424, 280, fill=(240, 246, 252), outline=(150, 180, 206), width=3)  # its surface, below the rack
    s.polygon([(372, 296), (390, 292), (400, 412), (382, 414)], fill=(150, 156, 168), outline=(100, 104, 116), width=3)
    for _ in range(10):
        t = rng.uniform(0.05, 0.95)
        side = rng.choice((-1, 1))
        x, y = 386 + side * 13 + t * 10, 296 + t * 116
        s.circle(x, y, rng.uniform(3, 5), fill=(250, 252, 252), outline=(150, 160, 170), width=2)
    s.rect(340, 60, 428, 434, fill=(255, 255, 255, 40), outline=GLASS, width=6, radius=42)
    s.ellipse(338, 50, 430, 70, fill=(242, 242, 238), outline=GLASS, width=5)  # the open mouth, seen as a ring
    s.rect(180, 214, 588, 244, fill=(186, 136, 88), outline=(120, 84, 50), width=3, radius=4)
    for x in (260, 500):  # empty holes in the rack
        s.ellipse(x - 32, 220, x + 32, 238, fill=(110, 76, 46))
    return s.finish()


def draw_electrolysis() -> Image.Image:
    """A Hofmann voltameter full of water, no gas yet: two side tubes with taps and an electrode at the
    bottom of each, the middle tube with its reservoir, wired to a DC supply (black lead to the left
    electrode, the negative one; red lead to the right, the positive one)."""
    s = Sketch((242, 242, 238))
    _table(s, 462)
    s.rect(90, 40, 106, 470, fill=(150, 154, 166))  # stand
    s.rect(40, 460, 200, 480, fill=(110, 114, 128), radius=6)
    for y in (150, 330):
        s.rect(98, y - 8, 540, y + 8, fill=(150, 154, 166), radius=4)
    tubes = ((230, 290), (478, 538))

    def glass(grow: float, colour: Colour) -> None:  # outline as the union of all parts, then the water
        for x0, x1 in tubes:
            s.rect(x0 - grow, 60 - grow, x1 + grow, 400 + grow, fill=colour, radius=14 + grow)
        s.rect(364 - grow, 176, 404 + grow, 400, fill=colour)
        s.circle(384, 136, 46 + grow, fill=colour)
        s.rect(230 - grow, 372 - grow, 538 + grow, 402 + grow, fill=colour, radius=10 + grow)

    glass(5, GLASS)
    glass(0, WATER)
    for x0, x1 in tubes:
        cx = (x0 + x1) / 2
        s.rect(x0 + 8, 80, x0 + 16, 360, fill=(255, 255, 255, 110), radius=4)
        s.rect(cx - 6, 28, cx + 6, 56, fill=(200, 210, 220), outline=GLASS, width=3)
        s.rect(cx - 20, 38, cx + 20, 50, fill=(120, 124, 138), radius=5)  # tap, closed
        s.rect(cx - 5, 354, cx + 5, 420, fill=(90, 94, 106))  # electrode
    s.rect(322, 420, 446, 470, fill=(70, 90, 120), outline=(50, 64, 90), width=4, radius=8)  # power supply
    s.circle(350, 444, 9, fill=(40, 40, 44))
    s.circle(418, 444, 9, fill=(210, 50, 50))
    s.line([(260, 420), (260, 446), (350, 446)], (40, 40, 44), 6)
    s.line([(508, 420), (508, 446), (418, 446)], (210, 50, 50), 6)
    return s.finish()


def draw_neutralisation() -> Image.Image:
    """A beaker of sodium hydroxide solution turned pink by phenolphthalein, a glass rod in it, and a
    dropper of colourless dilute hydrochloric acid above with a drop at its tip."""
    s = Sketch((244, 244, 240))
    _beaker(s, (232, 112, 168), level=200)
    s.line([(300, 430), (520, 96)], (220, 232, 240), 10)  # stirring rod
    s.line([(300, 430), (520, 96)], (180, 200, 214), 3)
    s.rect(372, -6, 396, 22, fill=(200, 70, 70), radius=10)  # rubber bulb; the dropper upright, its tip above
    s.polygon([(376, 20), (392, 20), (387, 58), (381, 58)], fill=(232, 240, 246), outline=GLASS, width=3)  # the rim
    s.polygon(_smooth([(384, 64), (390, 76), (384, 82), (378, 76)]), fill=(222, 236, 248),
              outline=(150, 180, 210), width=2)
    return s.finish()


# --------------------------------------------------------------------------- earth & space


def draw_earth_orbit() -> Image.Image:
    """Earth's nearly circular orbit seen in perspective (hence the oval), the Sun at its centre, and
    Earth at one point of it: axis tilted 23.5° from the orbit's perpendicular (66.5° to its plane),
    its night half facing away from the Sun."""
    s = Sketch(SPACE_LIGHT)
    cx, cy, rx, ry = 384, 256, 300, 118
    s.ellipse(cx - rx, cy - ry, cx + rx, cy + ry, fill=(224, 226, 244))  # the orbital plane, tinted
    for i in range(0, 72, 2):  # dashed orbit
        a0, a1 = math.tau * i / 72, math.tau * (i + 1) / 72
        s.line([(cx + rx * math.cos(a0), cy + ry * math.sin(a0)), (cx + rx * math.cos(a1), cy + ry * math.sin(a1))],
               (120, 124, 176), 4)
    _sun(s, cx, cy, 60, rays=False)
    a = math.radians(32)
    ex, ey = cx + rx * math.cos(a), cy + ry * math.sin(a)
    _globe(s, ex, ey, 48, seed=16, sun_deg=math.degrees(math.atan2(cy - ey, cx - ex)))
    return s.finish()


def draw_water_cycle() -> Image.Image:
    s = Sketch(SKY)
    _vertical_gradient(s, (200, 226, 246), (236, 244, 250), 0, 380)
    _sun(s, 90, 80, 40)
    s.polygon([(330, 380), (470, 230), (560, 300), (640, 150), (768, 290), (768, 512), (330, 512)],
              fill=(126, 164, 96), outline=(90, 124, 70), width=4)
    s.polygon([(640, 150), (606, 214), (626, 206), (642, 222), (664, 198), (680, 210)], fill=(250, 252, 255))
    s.polygon([(470, 230), (448, 262), (476, 254), (494, 268)], fill=(250, 252, 255))
    s.line([(600, 300), (560, 360), (500, 400), (430, 430)], (90, 150, 210), 10)  # river
    sea = [(x, 380 + 6 * math.sin(x / 28)) for x in range(0, 452, 8)]
    s.polygon([*sea, (452, 512), (0, 512)], fill=(86, 148, 210))
    for y in (410, 444, 478):
        s.line([(x, y + 5 * math.sin(x / 24)) for x in range(20, 400, 8)], (150, 194, 236), 4)
    for x in (110, 200, 290):  # evaporation: wavy upward arrows
        pts = [(x + 10 * math.sin(t / 14), 360 - t) for t in range(0, 150, 6)]
        s.line(pts, (170, 196, 220), 6)
        tip = pts[-1]
        s.polygon([(tip[0] - 12, tip[1] + 6), (tip[0] + 12, tip[1] + 6), (tip[0], tip[1] - 12)], fill=(170, 196, 220))
    for dx, dy, r in ((-70, 10, 40), (-20, -16, 54), (46, -4, 48), (96, 14, 36), (20, 20, 44)):
        s.circle(560 + dx, 96 + dy, r, fill=(252, 253, 255), outline=(172, 190, 212), width=4)
    for dx, dy, r in ((-70, 10, 40), (-20, -16, 54), (46, -4, 48), (96, 14, 36), (20, 20, 44)):
        s.circle(560 + dx, 96 + dy, r - 4, fill=(252, 253, 255))
    for i in range(9):  # rain
        x = 500 + i * 18
        s.line([(x, 150 + (i % 3) * 10), (x - 8, 180 + (i % 3) * 10)], (80, 130, 200), 4)
    return s.finish()



def draw_moon_phases() -> Image.Image:
    """A young waxing crescent Moon in the evening sky over hills, seen from the Northern Hemisphere:
    lit on the right (towards the set Sun), the rest of its disc faintly visible (earthshine)."""
    s = Sketch(SKY)
    _vertical_gradient(s, (190, 212, 236), (250, 226, 204), 0, 440)
    s.glow(700, 400, 180, (255, 206, 150), 150)
    cx, cy, r = 430, 170, 74
    s.circle(cx, cy, r, fill=(176, 186, 206))
    k = 0.45  # the terminator's half-width as a share of r: a crescent about a quarter lit
    limb = [(r * math.cos(t), r * math.sin(t)) for t in [math.pi / 2 - math.pi * i / 40 for i in range(41)]]
    terminator = [(k * r * math.cos(t), r * math.sin(t)) for t in [-math.pi / 2 + math.pi * i / 40 for i in range(41)]]
    s.polygon(_rotate(limb + terminator, 28, cx, cy), fill=(252, 246, 222))
    s.circle(cx, cy, r, outline=(206, 210, 224), width=2)
    hills = [(x, 392 - 40 * math.sin(x / 130) - 18 * math.sin(x / 47 + 1)) for x in range(0, WIDTH + 12, 12)]
    s.polygon([*hills, (WIDTH, HEIGHT), (0, HEIGHT)], fill=(120, 156, 112))
    near = [(x, 448 - 16 * math.sin(x / 90 + 2)) for x in range(0, WIDTH + 12, 12)]
    s.polygon([*near, (WIDTH, HEIGHT), (0, HEIGHT)], fill=(98, 136, 92))
    for x, y, size in ((110, 420, 1.0), (160, 430, 0.8), (620, 420, 1.1)):
        s.rect(x - 4 * size, y - 10, x + 4 * size, y + 26, fill=(96, 76, 60))
        s.circle(x, y - 24 * size, 24 * size, fill=(70, 112, 72))
    return s.finish()


def draw_volcano() -> Image.Image:
    s = Sketch(SKY)
    rng = random.Random(19)
    _vertical_gradient(s, (206, 228, 246), (236, 242, 248), 0, 330)
    strata = [(196, 160, 120), (176, 136, 100), (158, 118, 88), (140, 104, 78)]
    for i, colour in enumerate(strata):
        s.rect(0, 330 + i * 46, WIDTH, 330 + (i + 1) * 46, fill=colour)
    s.ellipse(264, 430, 504, 500, fill=(226, 90, 40), outline=(170, 50, 30), width=4)  # magma chamber
    s.polygon([(120, 332), (338, 118), (430, 118), (648, 332)], fill=(132, 96, 76), outline=(96, 66, 52), width=5)
    s.polygon([(370, 460), (398, 460), (404, 120), (364, 120)], fill=(236, 104, 40))  # conduit
    s.polygon([(364, 122), (404, 122), (440, 200), (470, 300), (444, 300), (410, 200)], fill=(246, 130, 40))
    s.polygon([(364, 122), (340, 190), (300, 280), (322, 282), (356, 196)], fill=(246, 130, 40))
    for _ in range(14):  # ash cloud
        x, y, r = 384 + rng.uniform(-120, 120), rng.uniform(30, 100), rng.uniform(26, 46)
        grey = rng.randint(130, 170)
        s.circle(x, y, r, fill=(grey, grey, grey + 6, 220))
    s.circle(384, 110, 24, fill=(252, 190, 70))
    return s.finish()



def draw_earth_rotation() -> Image.Image:
    """Earth with north up, lit from the left: the left half in day, the right half in night, the
    axis tilted 23.5° (north pole leaning away from the Sun), ice caps round the axis ends."""
    s = Sketch(SPACE_LIGHT)
    for i in range(7):
        y = 40 + i * 72
        s.line([(10, y), (96, y)], (244, 190, 80), 6)
        s.polygon([(96, y - 10), (96, y + 10), (114, y)], fill=(244, 190, 80))
    _globe(s, 400, 256, 196, seed=20, sun_deg=180)
    return s.finish()


def draw_plate_boundary() -> Image.Image:
    """A cross-section of a convergent boundary: an ocean plate (left) meeting a continental plate
    (right) at a trench and bending down under it into the mantle; mountains and a volcano stand on
    the continent's edge."""
    s = Sketch(SKY)
    _vertical_gradient(s, (206, 228, 246), (234, 242, 248), 0, 170)
    _vertical_gradient(s, (240, 190, 130), (226, 150, 100), 170, HEIGHT)  # mantle
    ocean_top, crust = 150, 46
    slab = _smooth([(0, 196), (200, 196), (270, 226), (336, 282), (440, 330), (560, 400), (660, 480), (700, 512)],
                   closed=False, per_segment=8)
    under = [(x + 28, y + crust) if i > 2 else (x, y + crust) for i, (x, y) in enumerate(slab)]
    s.polygon([*slab, (760, 512), *reversed(under)], fill=(120, 130, 128), outline=(86, 94, 92), width=4)
    trench = [(x, y) for x, y in slab if 200 <= x <= 336]
    s.polygon([(0, ocean_top), (396, ocean_top), (336, 282), *reversed(trench), (200, 196), (0, 196)],
              fill=(86, 148, 210))  # the sea, filling the deep V-shaped trench where the plate bends down
    for y in (166, 182):
        s.line([(x, y + 3 * math.sin(x / 20)) for x in range(10, 310, 8)], (150, 194, 236), 3)
    surface = [(396, 150), (420, 120), (446, 70), (470, 110), (520, 96), (560, 60), (604, 100), (660, 120),
               (768, 126)]
    underside = [(x, y) for x, y in slab if 336 <= x <= 520]  # the continent rests on the sinking plate;
    # its slope from (396, 150) down to (336, 282) and the bending ocean plate make the trench a deep V
    s.polygon([*surface, (768, 330), *reversed(underside)], fill=(176, 136, 100), outline=(120, 90, 64), width=4)
    s.line(surface, (110, 160, 90), 12)
    s.polygon([(540, 64), (560, 60), (580, 64), (572, 72), (548, 72)], fill=(236, 104, 40))  # volcano's crater
    s.line(_smooth([(560, 260), (552, 180), (560, 70)], closed=False), (236, 104, 40), 10)  # its conduit
    s.ellipse(530, 250, 600, 290, fill=(236, 104, 40, 200))  # magma rising from above the sinking plate
    return s.finish()


def draw_solar_eclipse() -> Image.Image:
    """The Sun in a clear daytime sky just as a solar eclipse begins: the Moon, dark where it is in
    front of the Sun and barely visible elsewhere, takes a first bite from the Sun's western (right)
    edge, as seen from the Northern Hemisphere."""
    s = Sketch(SKY)
    _vertical_gradient(s, (176, 208, 238), (226, 238, 248), 0, 420)
    sx, sy, sr = 360, 200, 92
    mx, my, mr = sx + 176, sy - 12, 96
    s.glow(sx, sy, sr * 1.9, (255, 230, 150), 170)
    s.circle(sx, sy, sr, fill=(255, 220, 110), outline=(244, 184, 70), width=4)
    s.circle(sx - sr * 0.3, sy - sr * 0.3, sr * 0.35, fill=(255, 240, 180, 170))
    s.circle(mx, my, mr, fill=(150, 170, 200, 50))  # the Moon against the sky: hardly there

    def moon(layer: Sketch) -> None:
        layer.circle(mx, my, mr, fill=(84, 88, 108))

    s.clipped(moon, _disc_mask(sx, sy, sr))
    hills = [(x, 430 - 22 * math.sin(x / 110) - 10 * math.sin(x / 37)) for x in range(0, WIDTH + 12, 12)]
    s.polygon([*hills, (WIDTH, HEIGHT), (0, HEIGHT)], fill=(136, 172, 118))
    return s.finish()


# --------------------------------------------------------------------------- the phases of mitosis (issue 25)
# One start picture per phase: the picture named for a phase is where that phase's clip starts (its
# predecessor's end). The same cell, 2n = 4 (a long and a short pair; red from one parent, blue from
# the other), the same colours as `draw_cell_mitosis`, whose metaphase plate is where anaphase starts.

_M_RED, _M_BLUE = (214, 70, 70), (60, 104, 200)
_M_FIBRE = (150, 176, 96)
_M_CHROMOSOMES = ((48, _M_RED), (24, _M_BLUE), (48, _M_BLUE), (24, _M_RED))  # (arm length, colour), as in metaphase


def _mitosis_cell(s: Sketch, rng: random.Random, rx: float = 318, ry: float = 214, pinch: float = 0.0) -> None:
    """The cell body of `draw_cell_mitosis`, optionally pinched in at the middle (a cleavage furrow)."""
    cx, cy = 384, 256
    outline = [(cx + math.cos(a) * rx, cy + math.sin(a) * ry * (1 - pinch * math.exp(-((math.cos(a)) ** 2) / 0.02)))
               for a in (math.tau * i / 180 for i in range(180))]
    s.polygon(outline, fill=(250, 222, 210))
    s.line([*outline, outline[0]], (206, 128, 110), 8)
    for _ in range(40):  # organelles, kept off the middle
        a, d = rng.uniform(0, math.tau), rng.uniform(0.35, 0.85)
        x, y = cx + math.cos(a) * rx * d, cy + math.sin(a) * ry * d * (1 - pinch)
        if abs(x - cx) > 60:
            s.ellipse(x - 9, y - 5, x + 9, y + 5, fill=(236, 186, 170))


def _centrosome(s: Sketch, x: float, y: float, aster: float = 40) -> None:
    for i in range(16):
        a = math.tau * i / 16
        s.line([(x + math.cos(a) * 14, y + math.sin(a) * 14), (x + math.cos(a) * aster, y + math.sin(a) * aster)], _M_FIBRE, 3)
    s.circle(x, y, 13, fill=(108, 140, 60))


def _chromosome(s: Sketch, x: float, y: float, arm: float, colour: RGB, angle: float = 0.0, width: float = 14,
                sisters: bool = True) -> None:
    """A duplicated chromosome (two sister chromatids joined at the centromere, an X) or, with
    `sisters` False, one daughter chromosome (a single chromatid, a V bent at its centromere)."""
    dark = _mix(colour, (0, 0, 0), 0.3)
    sides = (-1, 1) if sisters else (1,)
    for side in sides:
        raw = [(side * 18, -arm), (side * 8, -arm * 0.4), (side * 6, 0), (side * 8, arm * 0.4), (side * 18, arm)]
        if not sisters:  # a V: both arms trail behind the centromere
            raw = [(18 + arm * 0.7, -arm * 0.8), (8 + arm * 0.25, -arm * 0.35), (6, 0), (8 + arm * 0.25, arm * 0.35), (18 + arm * 0.7, arm * 0.8)]
        path = _smooth(_rotate(raw, angle, x, y), closed=False, per_segment=6)
        s.line(path, dark, width + 6)
        s.line(path, colour, width)
    (kx, ky), = _rotate([(0 if sisters else 6, 0)], angle, x, y)
    s.circle(kx, ky, width * 0.7, fill=dark)


def _nucleus(s: Sketch, rng: random.Random, cx: float, cy: float, r: float, threads: float) -> None:
    """A nucleus with its envelope and nucleolus; chromatin as fine threads (`threads` = stroke width)."""
    s.circle(cx, cy, r, fill=(232, 214, 236), outline=(150, 110, 160), width=6)
    for index, (arm, colour) in enumerate(_M_CHROMOSOMES):
        points = []
        x, y = cx + rng.uniform(-r * 0.45, r * 0.45), cy + rng.uniform(-r * 0.45, r * 0.45)
        for _ in range(7 + int(arm / 8)):
            x = min(max(x + rng.uniform(-34, 34), cx - r * 0.7), cx + r * 0.7)
            y = min(max(y + rng.uniform(-34, 34), cy - r * 0.7), cy + r * 0.7)
            points.append((x, y))
        path = _smooth(points, closed=False, per_segment=8)
        for offset in ((0, 0), (4, 3)) if threads > 3 else ((0, 0),):  # condensing threads show their two copies
            s.line([(px + offset[0], py + offset[1]) for px, py in path], _mix(colour, (255, 255, 255), 0.15 if threads > 3 else 0.35), threads)
    s.circle(cx + r * 0.35, cy - r * 0.3, r * 0.16, fill=(120, 80, 130))  # nucleolus


def draw_mitosis_interphase() -> Image.Image:
    """Interphase, before DNA replication: a round nucleus (envelope, dark nucleolus) holding fine,
    uncoiled chromatin threads (red and blue, one copy each), one centrosome beside it. The clip of
    interphase (replication and growth) starts here."""
    s = Sketch((244, 240, 246))
    rng = random.Random(11)
    _mitosis_cell(s, rng)
    _nucleus(s, rng, 384, 256, 130, threads=2.5)
    _centrosome(s, 560, 150, aster=30)
    return s.finish()


def draw_mitosis_prophase() -> Image.Image:
    """The end of interphase, where prophase starts: the same nucleus, envelope and nucleolus still
    whole, its replicated chromatin beginning to coil into thicker double threads; two centrosomes
    side by side beside it, about to move apart and build the spindle."""
    s = Sketch((244, 240, 246))
    rng = random.Random(11)
    _mitosis_cell(s, rng)
    _nucleus(s, random.Random(12), 384, 256, 130, threads=6)
    _centrosome(s, 540, 130, aster=30)
    _centrosome(s, 585, 160, aster=30)
    return s.finish()


def draw_mitosis_metaphase() -> Image.Image:
    """The end of prophase, where metaphase starts: no nuclear envelope or nucleolus, the spindle
    built between centrosomes at the left and right poles, and the four condensed chromosomes (each
    two sister chromatids) scattered at odd angles, caught by fibres but not yet lined up."""
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    _mitosis_cell(s, rng)
    cx, cy = 384, 256
    poles = [(118, cy), (650, cy)]
    places = [(318, 150, 25), (450, 212, -40), (330, 300, 60), (440, 360, -15)]  # (x, y, angle): off the equator
    for px, py in poles:
        for x, y, _ in places:
            mid = ((px + x) / 2, (py + y) / 2 + (y - py) * 0.12)
            s.line(_smooth([(px, py), mid, (x, y)], closed=False), _M_FIBRE, 4)
        for ry in (150, 340):
            side = -1 if px < cx else 1
            mid = ((px + cx) / 2, (py + ry) / 2 + (ry - py) * 0.15)
            s.line(_smooth([(px, py), mid, (cx - side * 40, ry + (ry - py) * 0.1)], closed=False), (190, 206, 150), 3)
        _centrosome(s, px, py)
    for (x, y, angle), (arm, colour) in zip(places, _M_CHROMOSOMES, strict=True):
        _chromosome(s, x, y, arm, colour, angle)
    return s.finish()


def draw_mitosis_telophase() -> Image.Image:
    """The end of anaphase, where telophase starts: the cell stretched and just starting to pinch in
    at the middle, one full set of four single (daughter) chromosomes gathered at each of the left
    and right poles, bent into Vs that trail behind their centromeres; no nuclei yet."""
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    _mitosis_cell(s, rng, rx=340, ry=200, pinch=0.22)
    cy = 256
    for px, side in ((80, -1), (688, 1)):
        for ry in (170, 210, 250, 300, 340):  # what is left of the spindle
            s.line([(px, cy), (384 - side * 30, ry)], (200, 214, 160), 3)
        _centrosome(s, px, cy, aster=32)
        for (arm, colour), y in zip(_M_CHROMOSOMES, (150, 218, 296, 364), strict=True):
            x = px - side * 62
            _chromosome(s, x, y, arm * 0.6, colour, angle=0 if side < 0 else 180, width=11, sisters=False)
    return s.finish()


# --------------------------------------------------------------------------- ten new topics (issue 25)


def draw_liquid_pressure() -> Image.Image:
    """A tall clear plastic bottle full of water on a block at the edge of a tray, three small holes
    one above another in its side just opened: three short jets just leaving, the lowest the longest
    and fastest (the clip makes them spurt)."""
    s = Sketch(SKY)
    _table(s, 452)
    s.rect(410, 424, 700, 452, fill=(180, 196, 214), outline=GLASS, width=4, radius=6)  # the tray
    s.rect(150, 380, 330, 452, fill=(196, 170, 130), outline=(160, 130, 96), width=3, radius=4)  # a block
    x0, x1, top, bottom = 190, 290, 60, 380
    s.rect(x0, top + 40, x1, bottom, fill=(200, 226, 246), radius=18)
    s.rect(x0, top + 40, x1, top + 50, fill=(226, 240, 250))
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 30), outline=GLASS, width=5, radius=18)
    s.rect(x0 + 30, top - 22, x1 - 30, top + 4, fill=(90, 150, 210), radius=5)  # open cap ring
    for y, reach in ((180, 34), (260, 52), (340, 72)):  # holes: deeper → faster jet
        s.circle(x1, y, 5, fill=(70, 110, 160))
        jet = [(x1 + 2, y), (x1 + reach * 0.5, y + reach * 0.04), (x1 + reach, y + reach * 0.16)]
        s.line(_smooth(jet, closed=False), (120, 180, 236), 7)
    return s.finish()


def draw_convex_lens() -> Image.Image:
    """An optical bench: a burning candle on the left, a convex lens on a holder in the middle and a
    white screen on the right standing too close to the lens, so only a soft blur of light is on it."""
    s = Sketch((226, 230, 240))
    _table(s, 430)
    s.rect(40, 404, 728, 424, fill=(150, 150, 160), outline=(110, 110, 120), width=3, radius=4)  # the bench
    for x in range(60, 720, 40):
        s.line([(x, 406), (x, 414)], (110, 110, 120), 2)
    s.rect(108, 300, 132, 404, fill=(246, 240, 226), outline=(200, 190, 170), width=3, radius=4)  # candle
    s.line([(120, 300), (120, 288)], (60, 60, 60), 3)
    _flame(s, 120, 292, 48)
    s.rect(356, 330, 364, 404, fill=(120, 120, 130))
    s.polygon(_ellipse_points(360, 240, 16, 92), fill=(190, 226, 246, 200), outline=GLASS, width=4)  # lens
    s.rect(556, 150, 566, 404, fill=(120, 120, 130))
    s.rect(540, 140, 650, 330, fill=(252, 252, 250), outline=(170, 170, 176), width=4, radius=4)  # screen
    s.glow(595, 235, 44, (255, 226, 150), 110)
    return s.finish()


def draw_co2_candles() -> Image.Image:
    """A wide glass beaker with a little metal step inside and two lit candles (one on the floor of
    the beaker, one on the step); a gas jar of (invisible) carbon dioxide tilted over the rim."""
    s = Sketch(SKY)
    _table(s)
    x0, x1, top, bottom = 250, 530, 170, 440
    s.rect(360, 340, 470, 440, fill=(170, 176, 186), outline=(130, 136, 146), width=3, radius=3)  # the step
    for cx, base, height in ((300, 440, 80), (415, 340, 70)):
        s.rect(cx - 11, base - height, cx + 11, base, fill=(246, 240, 226), outline=(200, 190, 170), width=3, radius=3)
        s.line([(cx, base - height), (cx, base - height - 10)], (60, 60, 60), 3)
        _flame(s, cx, base - height - 6, 44)
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 30), outline=GLASS, width=6, radius=20)
    jar = _rotate([(-40, -110), (40, -110), (40, 110), (-40, 110)], 62, 620, 96)
    s.polygon(jar, fill=(214, 230, 244, 220), outline=GLASS, width=5)
    mouth = _rotate([(-44, 106), (44, 106)], 62, 620, 96)  # the open mouth, tipped over the beaker's rim
    s.line(mouth, GLASS, 9)
    return s.finish()


def _atom(s: Sketch, x: float, y: float, r: float, colour: RGB) -> None:
    s.circle(x, y, r, fill=colour, outline=_mix(colour, (0, 0, 0), 0.35), width=3)
    s.circle(x - r * 0.3, y - r * 0.3, r * 0.3, fill=(255, 255, 255, 110))


def draw_particle_reaction() -> Image.Image:
    """Two hydrogen molecules (pairs of small white spheres) and one oxygen molecule (a pair of larger
    red spheres) drifting towards each other on a plain background, before they react."""
    s = Sketch((240, 242, 248))
    white, red = (236, 238, 242), (214, 60, 54)
    for cx, cy, angle in ((190, 170, 20), (200, 350, -25)):  # H₂
        for dx in (-21, 21):
            (x, y), = _rotate([(dx, 0)], angle, cx, cy)
            _atom(s, x, y, 30, white)
    for dx in (-33, 33):  # O₂
        _atom(s, 520 + dx, 256, 46, red)
    for y in (170, 350):  # drift arrows (grey, no text)
        s.line([(270, y + (256 - y) * 0.25), (370, y + (256 - y) * 0.6)], (170, 176, 190), 5)
    return s.finish()


def draw_meiosis() -> Image.Image:
    """Metaphase I of meiosis (2n = 4): the two homologous pairs lie side by side across the
    equatorial plate (the red and blue partner of each pair facing opposite poles, each an X of two
    sister chromatids), spindle fibres from the left and right poles. The clip separates the partners."""
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    _mitosis_cell(s, rng)
    cx, cy = 384, 256
    poles = [(118, cy), (650, cy)]
    pairs = [(150, 46), (330, 24)]  # (y, arm): a long pair and a short pair
    for px, py in poles:
        side = -1 if px < cx else 1
        for y, _ in pairs:
            end = (cx + side * 34, y)
            mid = ((px + end[0]) / 2, (py + y) / 2 + (y - py) * 0.12)
            s.line(_smooth([(px, py), mid, end], closed=False), _M_FIBRE, 4)
        _centrosome(s, px, py)
    for y, arm in pairs:
        _chromosome(s, cx - 30, y, arm, _M_RED, width=13)  # the partner from one parent faces the left pole
        _chromosome(s, cx + 30, y, arm, _M_BLUE, width=13)
    return s.finish()


def draw_oersted() -> Image.Image:
    """Oersted's set-up from above: a compass (its needle at rest, pointing north-south, red end up)
    on the bench, a straight copper wire stretched over it along the needle, joined through an open
    switch to a battery."""
    s = Sketch((246, 246, 240))
    cx, cy = 384, 256
    s.circle(cx, cy, 120, fill=(250, 250, 252), outline=(120, 120, 130), width=8)
    for i in range(36):
        a = math.tau * i / 36
        inner = 104 if i % 9 else 92
        s.line([(cx + math.cos(a) * inner, cy + math.sin(a) * inner), (cx + math.cos(a) * 112, cy + math.sin(a) * 112)],
               (150, 150, 160), 3 if i % 9 else 5)
    s.polygon([(cx, cy - 96), (cx + 13, cy), (cx - 13, cy)], fill=RED_POLE)
    s.polygon([(cx, cy + 96), (cx + 13, cy), (cx - 13, cy)], fill=BLUE_POLE)
    s.circle(cx, cy, 8, fill=(90, 90, 100))
    s.line([(cx, 40), (cx, 472)], (*COPPER, 150), 7)  # the wire, over the needle and along it (seen through)
    s.line([(cx, 40), (620, 40), (620, 120)], COPPER, 7)
    s.line([(cx, 472), (620, 472), (620, 400)], COPPER, 7)
    s.rect(590, 200, 650, 320, fill=(60, 60, 70), radius=6)  # the battery
    s.rect(605, 186, 635, 200, fill=(200, 200, 206), radius=3)
    s.line([(620, 120), (620, 186)], COPPER, 7)
    s.line([(620, 320), (620, 360)], COPPER, 7)
    s.circle(620, 360, 8, fill=(120, 120, 130))  # the open switch: its blade lifted away from the contact
    s.line([(620, 360), (668, 384)], (150, 150, 160), 8)
    s.circle(620, 400, 8, fill=(120, 120, 130))
    return s.finish()


def draw_celery_transport() -> Image.Image:
    """A pale green celery stalk with a tuft of leaves standing in a glass of red-coloured water, just
    put in: faint vessel lines along the stalk, no red above the water yet."""
    s = Sketch(SKY)
    _table(s)
    x0, x1, top, bottom = 300, 470, 250, 440
    s.rect(x0, 330, x1, bottom, fill=(214, 60, 70, 210), radius=18)
    stalk = [(376, 416), (372, 330), (366, 220), (360, 130)]
    s.line(_smooth(stalk, closed=False), (176, 214, 140), 34)
    for dx in (-9, 0, 9):
        s.line(_smooth([(x + dx * (1 - i * 0.2), y) for i, (x, y) in enumerate(stalk)], closed=False), (200, 230, 170), 3)
    rng = random.Random(3)
    for dx, dy in ((-60, -20), (-20, -70), (40, -40), (70, 10), (-80, 30), (10, -10)):
        s.polygon(_blob(rng, 360 + dx, 120 + dy, 42, 0.35), fill=(150, 200, 110))
        s.line([(360, 130), (360 + dx * 0.8, 120 + dy * 0.8)], (200, 230, 170), 3)
    s.rect(x0, top, x1, bottom, fill=(255, 255, 255, 30), outline=GLASS, width=6, radius=18)
    return s.finish()


def draw_cold_front() -> Image.Image:
    """A weather cross-section: a wedge of cold air (blue) on the left, its sloping front just
    reaching a small town; warm air (orange) over the ground on the right with a few low clouds; a
    tall cloud starting to build above the front."""
    s = Sketch((236, 242, 250))
    s.rect(0, 430, WIDTH, HEIGHT, fill=(150, 190, 110))
    s.polygon([(0, 430), (0, 150), (150, 210), (300, 330), (390, 430)], fill=(120, 160, 230, 170))  # cold wedge
    s.polygon([(390, 430), (300, 330), (150, 210), (0, 150), (0, 0), (WIDTH, 0), (WIDTH, 430)], fill=(250, 180, 120, 110))
    s.line(_smooth([(0, 150), (150, 210), (300, 330), (390, 430)], closed=False), (70, 100, 180), 6)
    for bx, by in ((120, 199), (232, 284), (330, 360)):  # cold-front triangles on the front, pointing where it goes
        s.polygon([(bx - 2, by - 16), (bx + 2, by + 16), (bx + 26, by - 2)], fill=(70, 100, 180))
    rng = random.Random(5)
    for cx, cy, r in ((350, 230, 60), (400, 180, 70), (380, 120, 56), (450, 240, 50)):
        s.polygon(_blob(rng, cx, cy, r, 0.25), fill=(246, 248, 252))
    for cx, cy in ((600, 300), (690, 260)):
        s.polygon(_blob(rng, cx, cy, 40, 0.3), fill=(252, 252, 254, 220))
    for x in range(420, 560, 36):  # the town
        s.rect(x, 400, x + 26, 430, fill=(200, 150, 120))
        s.polygon([(x - 4, 400), (x + 13, 384), (x + 30, 400)], fill=(170, 90, 80))
    return s.finish()


def draw_brownian_motion() -> Image.Image:
    """The round field of view of a microscope looking into a lit smoke cell: a light grey-blue disc
    with small bright-edged grey specks of smoke scattered evenly, the frame around it plain."""
    s = Sketch((206, 210, 220))
    cx, cy, r = 384, 256, 230
    s.circle(cx, cy, r + 10, fill=(150, 154, 166))
    s.circle(cx, cy, r, fill=(228, 236, 246))
    rng = random.Random(8)
    for _ in range(46):
        a, d = rng.uniform(0, math.tau), r * math.sqrt(rng.uniform(0, 0.9))
        x, y = cx + math.cos(a) * d, cy + math.sin(a) * d
        size = rng.uniform(4, 8)
        s.circle(x, y, size + 3, fill=(255, 255, 255, 160))
        s.circle(x, y, size, fill=(96, 100, 116))
    return s.finish()


def draw_lunar_eclipse() -> Image.Image:
    """A lunar-eclipse diagram on a light background: the Sun at the left edge, the Earth in the
    middle with its dark shadow cone reaching right, and the full Moon just outside the cone's edge,
    about to move in."""
    s = Sketch(SPACE_LIGHT)
    _sun(s, 40, 256, 90, rays=False)
    ex, ey, er = 330, 256, 62
    s.polygon([(ex, ey - er), (760, ey - 26), (760, ey + 26), (ex, ey + er)], fill=(90, 96, 120, 150))  # umbra
    s.polygon([(ex, ey - er), (760, ey - 120), (760, ey - 26)], fill=(140, 146, 170, 70))  # penumbra
    s.polygon([(ex, ey + er), (760, ey + 120), (760, ey + 26)], fill=(140, 146, 170, 70))
    _globe(s, ex, ey, er, seed=4, tilt_deg=23.5, sun_deg=180)
    mx, my = 660, 176  # beside the umbra, in the faint penumbra: about to move in
    s.circle(mx, my, 30, fill=(236, 232, 214), outline=(190, 186, 170), width=3)
    for dx, dy, r in ((-8, -6, 6), (9, 8, 5), (4, -12, 4)):
        s.circle(mx + dx, my + dy, r, fill=(210, 206, 190))
    return s.finish()


TEMPLATES: MappingProxyType[str, Callable[[], Image.Image]] = MappingProxyType({
    "cell_mitosis": draw_cell_mitosis,
    "mitosis_interphase": draw_mitosis_interphase,
    "mitosis_prophase": draw_mitosis_prophase,
    "mitosis_metaphase": draw_mitosis_metaphase,
    "mitosis_telophase": draw_mitosis_telophase,
    "liquid_pressure": draw_liquid_pressure,
    "convex_lens": draw_convex_lens,
    "co2_candles": draw_co2_candles,
    "particle_reaction": draw_particle_reaction,
    "meiosis": draw_meiosis,
    "oersted": draw_oersted,
    "celery_transport": draw_celery_transport,
    "cold_front": draw_cold_front,
    "brownian_motion": draw_brownian_motion,
    "lunar_eclipse": draw_lunar_eclipse,
    "leaf_photosynthesis": draw_leaf_photosynthesis,
    "heart": draw_heart,
    "seed_germination": draw_seed_germination,
    "dna_helix": draw_dna_helix,
    "breathing_model": draw_breathing_model,
    "double_circulation": draw_double_circulation,
    "plasmolysis": draw_plasmolysis,
    "pendulum": draw_pendulum,
    "wave_rope": draw_wave_rope,
    "slinky": draw_slinky,
    "circuit": draw_circuit,
    "magnet_field": draw_magnet_field,
    "prism_light": draw_prism_light,
    "light_reflection": draw_light_reflection,
    "straw_in_water": draw_straw_in_water,
    "newton_tube": draw_newton_tube,
    "projectile": draw_projectile,
    "tuning_fork": draw_tuning_fork,
    "induction": draw_induction,
    "electric_motor": draw_electric_motor,
    "egg_in_water": draw_egg_in_water,
    "boiling": draw_boiling,
    "convection": draw_convection,
    "water_molecules": draw_water_molecules,
    "dye_diffusion": draw_dye_diffusion,
    "salt_dissolving": draw_salt_dissolving,
    "ice_melting": draw_ice_melting,
    "metal_acid": draw_metal_acid,
    "electrolysis": draw_electrolysis,
    "neutralisation": draw_neutralisation,
    "earth_orbit": draw_earth_orbit,
    "water_cycle": draw_water_cycle,
    "moon_phases": draw_moon_phases,
    "volcano": draw_volcano,
    "earth_rotation": draw_earth_rotation,
    "plate_boundary": draw_plate_boundary,
    "solar_eclipse": draw_solar_eclipse,
})
"""Template file stem → drawing function (each returns a 768×512 RGB image)."""


def draw_all(out_dir: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Draw the named templates (all by default) into `out_dir` as `<name>.png`; returns the paths.

    Raises KeyError naming the known templates for an unknown name.
    """
    chosen = list(TEMPLATES) if names is None else list(names)
    unknown = [name for name in chosen if name not in TEMPLATES]
    if unknown:
        raise KeyError(f"unknown templates {unknown}; known: {', '.join(TEMPLATES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chosen:
        path = out_dir / f"{name}.png"
        TEMPLATES[name]().save(path, optimize=True)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Redraw the science presets' template pictures.")
    parser.add_argument("names", nargs="*", help="templates to draw (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder to write into (default: {DEFAULT_OUT})")
    args = parser.parse_args()
    paths = draw_all(args.out, args.names or None)
    for path in paths:
        print(f"{path.stat().st_size / 1024:7.1f} KB  {path}")
    total = sum(p.stat().st_size for p in args.out.glob("*.png"))
    print(f"{len(paths)} drawn; the folder holds {total / 1024:.0f} KB of PNGs")
    stale = sorted(p.name for p in args.out.glob("*.png") if p.stem not in TEMPLATES)
    if stale:
        print(f"not drawn by this script (delete them if no preset uses them): {', '.join(stale)}")



# --------------------------------------------------------------------------- end pictures
# The state *after* the change a preset shows, for the families that take an end picture (Wan 2.2
# I2V-A14B, LTX-Video 0.9.5+): the same scene, the same drawing rules (light background, filled
# shapes), so the model is asked to interpolate only the change itself. Named `<start>_end`.


def draw_cell_mitosis_end() -> Image.Image:
    """Late anaphase of the same cell: each chromosome's two chromatids have parted, and one full,
    identical set (a long and a short red, a long and a short blue) has reached each pole."""
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    cx, cy = 384, 256
    s.ellipse(cx - 330, cy - 200, cx + 330, cy + 200, fill=(250, 222, 210), outline=(206, 128, 110), width=8)
    for _ in range(40):
        a, d = rng.uniform(0, math.tau), rng.uniform(0.35, 0.9)
        x, y = cx + math.cos(a) * 300 * d, cy + math.sin(a) * 180 * d
        if abs(x - cx) < 120:
            s.ellipse(x - 9, y - 5, x + 9, y + 5, fill=(236, 186, 170))
    fibre = (150, 176, 96)
    red, blue = (214, 70, 70), (60, 104, 200)
    for px, side in ((100, -1), (668, 1)):
        for i in range(16):
            a = math.tau * i / 16
            s.line([(px + math.cos(a) * 14, cy + math.sin(a) * 14), (px + math.cos(a) * 40, cy + math.sin(a) * 40)],
                   fibre, 3)
        s.circle(px, cy, 13, fill=(108, 140, 60))
        for dy, arm, colour in ((-90, 48, red), (-30, 24, blue), (30, 48, blue), (90, 24, red)):
            tip = (px - side * 110, cy + dy * 0.8)  # the centromere, pulled towards the pole, arms trailing
            s.line([(px, cy), tip], fibre, 4)
            chromatid = [(tip[0] - side * arm, tip[1] - arm * 0.5), tip, (tip[0] - side * arm, tip[1] + arm * 0.5)]
            s.line(_smooth(chromatid, closed=False, per_segment=6), colour, 14)
    for ry in (196, 316):  # polar fibres overlapping in the middle, pushing the poles apart
        s.line([(160, ry), (608, ry)], (190, 206, 150), 3)
    return s.finish()


def draw_seed_germination_end() -> Image.Image:
    """The same bean a few days later: the seed coat split, a white radicle grown down into the soil
    with side roots, and a hooked green shoot breaking the surface."""
    s = Sketch(SKY)
    rng = random.Random(4)
    _vertical_gradient(s, (214, 234, 248), (240, 246, 236), 0, 230)
    s.rect(0, 230, WIDTH, HEIGHT, fill=(170, 124, 84))
    s.polygon([(x, 230 + 6 * math.sin(x / 45)) for x in range(0, WIDTH + 16, 16)] + [(WIDTH, 262), (0, 262)],
              fill=(150, 106, 70))
    for _ in range(130):
        x, y = rng.uniform(0, WIDTH), rng.uniform(262, HEIGHT)
        s.ellipse(x - 5, y - 3, x + 5, y + 3, fill=_mix((170, 124, 84), (90, 60, 40), rng.uniform(0.2, 0.6)))
    s.ellipse(236, 280, 532, 430, fill=(140, 96, 62, 120))
    root = _smooth([(384, 392), (380, 430), (392, 468), (384, 506)], closed=False)
    s.line(root, (246, 240, 226), 12)
    for y, side in ((430, -1), (452, 1), (474, -1)):
        s.line([(384, y), (384 + side * 40, y + 22)], (240, 232, 214), 5)
    shoot = _smooth([(400, 310), (404, 262), (396, 220), (376, 200)], closed=False)
    s.line(shoot, (96, 160, 72), 12)
    s.polygon(_smooth([(376, 200), (350, 186), (336, 200), (356, 214)]), fill=(120, 184, 86), outline=(80, 130, 60), width=3)
    seed = _smooth([(300, 330), (360, 300), (430, 298), (476, 330), (470, 380), (420, 398), (384, 388),
                    (346, 396), (300, 384)], per_segment=10)
    s.polygon(seed, fill=(222, 184, 128), outline=(150, 110, 70), width=5)
    s.line([(330, 334), (384, 318), (440, 330)], (150, 110, 70), 5)  # the split seed coat
    return s.finish()


def draw_plasmolysis_end() -> Image.Image:
    """The same onion cells after a strong salt solution: each purple protoplast has lost water and
    shrunk away from the rigid cell wall, a clear gap (the salt solution) between them."""
    wall = (176, 146, 112)
    s = Sketch(wall)
    rng = random.Random(22)
    h = 104
    for row in range(-1, 6):
        y0 = row * h + 4
        x = -rng.uniform(20, 200)
        while x < WIDTH + 40:
            w = rng.uniform(230, 300)
            s.rect(x, y0, x + w, y0 + h, fill=(244, 236, 230), outline=wall, width=10, radius=8)
            s.polygon(_blob(rng, x + w / 2, y0 + h / 2, min(w, h) * 0.32, 0.12, n=12),
                      fill=(128, 56, 140), outline=(100, 40, 110), width=3)  # shrunken, darker protoplast
            s.ellipse(x + w / 2 - 10, y0 + h / 2 - 7, x + w / 2 + 10, y0 + h / 2 + 7, fill=(90, 40, 90))
            x += w
    return s.finish()


def draw_prism_light_end() -> Image.Image:
    """The same prism once the light passes: the beam bends at both faces and fans out into the
    spectrum, red bent least (top) to violet bent most (bottom), a rainbow band on the screen."""
    s = Sketch((216, 220, 234))
    s.rect(0, 420, WIDTH, HEIGHT, fill=(200, 202, 218))
    cx, cy, side = 330, 270, 250
    h = side * math.sqrt(3) / 2
    top, left, right = (cx, cy - h * 2 / 3), (cx - side / 2, cy + h / 3), (cx + side / 2, cy + h / 3)
    entry = (cx - side / 4 - 4, cy - h / 6 + 6)
    exit_ = (cx + side / 4 - 6, cy - h / 6 + 20)
    s.polygon([(0, 294), (0, 326), (entry[0], entry[1] + 11), (entry[0], entry[1] - 7)], fill=(255, 254, 246),
              outline=(196, 188, 150), width=3)
    s.rect(640, 120, 700, 420, fill=(250, 250, 252), outline=(160, 160, 178), width=4, radius=4)
    s.rect(662, 420, 678, 444, fill=(150, 150, 164))
    s.rect(630, 440, 710, 452, fill=(130, 130, 146), radius=4)
    s.polygon([entry, (entry[0], entry[1] + 8), (exit_[0], exit_[1] + 14), (exit_[0], exit_[1])], fill=(255, 252, 240, 200))
    spectrum = [(230, 60, 60), (244, 140, 50), (244, 220, 60), (90, 190, 90), (70, 130, 220), (90, 70, 190), (140, 70, 190)]
    for i, colour in enumerate(spectrum):
        y0, y1 = 196 + i * 26, 222 + i * 26
        s.polygon([(exit_[0], exit_[1] + i * 2), (exit_[0], exit_[1] + i * 2 + 2), (640, y1), (640, y0)], fill=colour + (230,))
        s.rect(644, y0, 696, y1, fill=colour)
    s.polygon([top, right, left], fill=(160, 200, 230, 200), outline=(96, 132, 170), width=5)
    return s.finish()


def draw_salt_dissolving_end() -> Image.Image:
    """The same beaker once the crystal has dissolved: no crystal left, sodium and chloride ions spread
    evenly through the water, each on its own."""
    s = Sketch((244, 244, 240))
    _beaker(s, WATER)
    rng = random.Random(23)
    cl, na = ((96, 186, 96), (50, 120, 50)), ((160, 90, 200), (100, 50, 140))
    for i in range(20):
        kind, r = (cl, 14) if i % 2 == 0 else (na, 9)
        x, y = rng.uniform(280, 488), rng.uniform(150, 400)
        s.circle(x, y, r, fill=kind[0], outline=kind[1], width=3)
    return s.finish()


def draw_ice_melting_end() -> Image.Image:
    """The same plate once the ice cube has melted: a wide, shallow puddle of water and a few drops,
    no ice left."""
    s = Sketch((240, 242, 246))
    s.rect(0, 330, WIDTH, HEIGHT, fill=(222, 206, 184))
    s.ellipse(140, 320, 628, 452, fill=(232, 234, 238), outline=(180, 184, 194), width=5)
    s.ellipse(190, 342, 578, 430, fill=(246, 247, 250))
    puddle = [(x, 388 + (y - 388) * 0.28) for x, y in _blob(random.Random(14), 384, 388, 190, 0.18)]  # flat: water spreads
    s.polygon(puddle, fill=(160, 204, 236, 220), outline=(120, 170, 210), width=3)
    s.ellipse(300, 376, 470, 398, fill=(196, 226, 246, 200))
    for x, y in ((540, 378), (226, 400)):
        s.ellipse(x - 12, y - 7, x + 12, y + 7, fill=(196, 226, 246), outline=(120, 170, 210), width=2)
    return s.finish()


def draw_neutralisation_end() -> Image.Image:
    """The same beaker after enough acid: the solution neutral and colourless (phenolphthalein is
    colourless below pH ≈ 8.2), the rod still in it, the dropper empty."""
    s = Sketch((244, 244, 240))
    _beaker(s, (226, 236, 244), level=200)
    s.line([(300, 430), (520, 96)], (220, 232, 240), 10)
    s.line([(300, 430), (520, 96)], (180, 200, 214), 3)
    s.rect(372, 0, 396, 40, fill=(200, 70, 70), radius=10)
    s.polygon([(376, 38), (392, 38), (387, 120), (381, 120)], fill=(232, 240, 246), outline=GLASS, width=3)
    return s.finish()


def draw_moon_phases_end() -> Image.Image:
    """The same evening sky about four days later: the first-quarter Moon, its right half lit (a
    straight terminator), higher in the sky."""
    s = Sketch(SKY)
    _vertical_gradient(s, (190, 212, 236), (250, 226, 204), 0, 440)
    s.glow(700, 400, 180, (255, 206, 150), 120)
    cx, cy, r = 400, 140, 74
    s.circle(cx, cy, r, fill=(176, 186, 206))
    limb = [(r * math.cos(t), r * math.sin(t)) for t in [math.pi / 2 - math.pi * i / 40 for i in range(41)]]
    s.polygon(_rotate(limb + [(0, -r), (0, r)], 20, cx, cy), fill=(252, 246, 222))
    s.circle(cx, cy, r, outline=(206, 210, 224), width=2)
    hills = [(x, 392 - 40 * math.sin(x / 130) - 18 * math.sin(x / 47 + 1)) for x in range(0, WIDTH + 12, 12)]
    s.polygon([*hills, (WIDTH, HEIGHT), (0, HEIGHT)], fill=(120, 156, 112))
    near = [(x, 448 - 16 * math.sin(x / 90 + 2)) for x in range(0, WIDTH + 12, 12)]
    s.polygon([*near, (WIDTH, HEIGHT), (0, HEIGHT)], fill=(98, 136, 92))
    for x, y, size in ((110, 420, 1.0), (160, 430, 0.8), (620, 420, 1.1)):
        s.rect(x - 4 * size, y - 10, x + 4 * size, y + 26, fill=(96, 76, 60))
        s.circle(x, y - 24 * size, 24 * size, fill=(70, 112, 72))
    return s.finish()


END_TEMPLATES: MappingProxyType[str, Callable[[], Image.Image]] = MappingProxyType({
    "cell_mitosis_end": draw_cell_mitosis_end,
    "seed_germination_end": draw_seed_germination_end,
    "plasmolysis_end": draw_plasmolysis_end,
    "prism_light_end": draw_prism_light_end,
    "salt_dissolving_end": draw_salt_dissolving_end,
    "ice_melting_end": draw_ice_melting_end,
    "neutralisation_end": draw_neutralisation_end,
    "moon_phases_end": draw_moon_phases_end,
})
TEMPLATES = MappingProxyType({**TEMPLATES, **END_TEMPLATES})  # drawn, checked and listed like the start pictures


if __name__ == "__main__":
    main()

"""Draw the presets' template pictures with Pillow, so every image i2v ships is its own work.

Each template is a plain, colourful diagram on a light background with filled shapes and no text:
I2VGen-XL does poorly on black backgrounds and on line art, and diffusion garbles lettering (labels
are drawn over the finished video instead, see `labels.py`). Drawing happens at 2× and is scaled
down for anti-aliasing; every random detail comes from a fixed seed, so reruns give the same files.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import MappingProxyType

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 768, 512
_SCALE = 2

RGB = tuple[int, int, int]
Colour = tuple[int, ...]
Point = tuple[float, float]

PAPER: RGB = (246, 243, 236)
SKY: RGB = (232, 242, 250)
SPACE_LIGHT: RGB = (236, 236, 248)
INK: RGB = (70, 72, 86)


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
           night_side: str | None = None) -> None:
    """Earth: ocean, continent blobs clipped to the disc, an optional shaded night half, tilted axis."""
    rng = random.Random(seed)
    sketch.circle(cx, cy, r, fill=(74, 138, 206))
    layout = ((-0.5, -0.35), (0.1, -0.55), (0.55, -0.15), (-0.55, 0.3), (0.05, 0.25), (0.45, 0.55), (-0.15, 0.7))
    continents = [(x + rng.uniform(-0.08, 0.08), y + rng.uniform(-0.08, 0.08), rng.uniform(0.13, 0.22))
                  for x, y in layout]

    def land(layer: Sketch) -> None:
        for dx, dy, size in continents:
            layer.polygon(_blob(rng, cx + dx * r, cy + dy * r, size * r, 0.45), fill=(104, 172, 92))
        layer.ellipse(cx - r, cy - r * 1.05, cx + r, cy - r * 0.78, fill=(240, 246, 250))  # polar cap

    def night(layer: Sketch) -> None:
        x0, x1 = (cx, cx + r * 1.2) if night_side == "right" else (cx - r * 1.2, cx)
        layer.rect(x0, cy - r * 1.2, x1, cy + r * 1.2, fill=(28, 36, 70, 110))

    def disc(mask: ImageDraw.ImageDraw) -> None:
        mask.ellipse([(cx - r) * _SCALE, (cy - r) * _SCALE, (cx + r) * _SCALE, (cy + r) * _SCALE], fill=255)

    sketch.clipped(land, disc)
    if night_side:  # its own layer: drawing on an RGBA layer replaces pixels instead of blending
        sketch.clipped(night, disc)
    sketch.circle(cx, cy, r, outline=(44, 86, 140), width=max(2, r / 18))
    a = math.radians(tilt_deg)
    ext = r * 1.35
    sketch.line([(cx - math.sin(a) * ext, cy + math.cos(a) * ext), (cx + math.sin(a) * ext, cy - math.cos(a) * ext)],
                (60, 60, 72), max(3, r / 14))


def _beaker(sketch: Sketch, water: RGB, x0: float = 244, x1: float = 524, top: float = 80,
            bottom: float = 446, level: float = 140) -> None:
    """A glass beaker on a table with water up to `level` (y)."""
    sketch.rect(0, 440, WIDTH, HEIGHT, fill=(220, 204, 180))
    sketch.rect(0, 436, WIDTH, 444, fill=(200, 182, 156))
    sketch.rect(x0, level, x1, bottom, fill=water, radius=26)
    sketch.rect(x0 + 2, level, x1 - 2, level + 8, fill=_mix(water, (255, 255, 255), 0.4))
    sketch.rect(x0, top, x1, bottom, fill=(255, 255, 255, 40), outline=(130, 156, 180), width=6, radius=26)
    sketch.rect(x0 - 16, top - 6, x0 + 18, top + 8, fill=(236, 242, 248), outline=(130, 156, 180), width=5, radius=6)
    for i in range(5):  # graduation marks (no numbers)
        y = bottom - 60 - i * 55
        sketch.line([(x1 - 50, y), (x1 - 18, y)], (130, 156, 180), 4)


# --------------------------------------------------------------------------- biology


def draw_cell_mitosis() -> Image.Image:
    s = Sketch((244, 240, 246))
    rng = random.Random(1)
    cx, cy = 384, 256
    s.ellipse(cx - 318, cy - 214, cx + 318, cy + 214, fill=(250, 222, 210), outline=(206, 128, 110), width=8)
    for _ in range(40):  # organelles
        a, d = rng.uniform(0, math.tau), rng.uniform(0.35, 0.9)
        x, y = cx + math.cos(a) * 290 * d, cy + math.sin(a) * 190 * d
        s.ellipse(x - 9, y - 5, x + 9, y + 5, fill=(236, 186, 170))
    poles = [(118, cy), (650, cy)]
    rows = [138, 204, 270, 336, 384]
    for px, py in poles:
        for ry in rows:  # spindle fibres, drawn as gentle curves
            pts = [(px + (cx - px) * t, py + (ry - py) * t + math.sin(math.pi * t) * (ry - py) * 0.25)
                   for t in [i / 12 for i in range(13)]]
            s.line(pts, (150, 176, 96), 4)
        for i in range(16):  # aster
            a = math.tau * i / 16
            s.line([(px + math.cos(a) * 14, py + math.sin(a) * 14), (px + math.cos(a) * 40, py + math.sin(a) * 40)],
                   (150, 176, 96), 3)
        s.circle(px, py, 13, fill=(108, 140, 60))
    colours = [(70, 104, 196), (160, 70, 170), (232, 124, 40), (30, 150, 140), (200, 60, 90)]
    for ry, colour in zip(rows, colours, strict=True):
        dark = _mix(colour, (0, 0, 0), 0.3)
        for side in (-1, 1):  # two sister chromatids, bowed away from each other
            arm = [(cx + side * 22, ry - 30), (cx + side * 8, ry), (cx + side * 22, ry + 30)]
            s.line(arm, dark, 20)
            s.line(arm, colour, 14)
        s.circle(cx, ry, 9, fill=dark)
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
    s = Sketch((248, 240, 238))
    cx, cy, k = 384, 300, 11.5
    pts = [(cx + k * 16 * math.sin(t) ** 3,
            cy - k * (13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)))
           for t in [math.tau * i / 120 for i in range(120)]]
    s.line([(300, 170), (290, 70), (250, 40)], (70, 100, 180), 40)  # vena cava (blue)
    s.line([(420, 160), (420, 80), (500, 60), (560, 110), (560, 200)], (200, 40, 54), 44)  # aorta arch
    for x in (470, 512):
        s.line([(x, 70), (x + 10, 20)], (200, 40, 54), 18)
    s.line([(360, 170), (340, 110), (230, 120)], (110, 90, 190), 34)  # pulmonary artery
    s.polygon(pts, fill=(212, 58, 70), outline=(150, 30, 44), width=6)
    s.ellipse(290, 190, 360, 290, fill=(240, 130, 130, 140))
    s.line([(384, 205), (400, 300), (384, 400)], (168, 36, 52), 6)
    for x, y, d in ((240, 300, -1), (528, 300, 1)):  # small arteries on the surface
        s.line([(x, y), (x + d * 20, y + 40), (x + d * 10, y + 90)], (168, 36, 52), 5)
    return s.finish()


def draw_seed_germination() -> Image.Image:
    s = Sketch(SKY)
    rng = random.Random(4)
    _vertical_gradient(s, (214, 234, 248), (240, 246, 236), 0, 270)
    s.rect(0, 270, WIDTH, HEIGHT, fill=(170, 124, 84))
    s.polygon([(x, 270 + 6 * math.sin(x / 45)) for x in range(0, WIDTH + 16, 16)] + [(WIDTH, 300), (0, 300)],
              fill=(150, 106, 70))
    for _ in range(120):
        x, y = rng.uniform(0, WIDTH), rng.uniform(300, HEIGHT)
        s.ellipse(x - 5, y - 3, x + 5, y + 3, fill=_mix((170, 124, 84), (90, 60, 40), rng.uniform(0.2, 0.6)))
    for _ in range(8):  # pebbles
        x, y = rng.uniform(40, 720), rng.uniform(320, 490)
        s.ellipse(x - 16, y - 10, x + 16, y + 10, fill=(196, 188, 176), outline=(150, 140, 128), width=3)
    s.line([(380, 380), (372, 420), (390, 460), (376, 500)], (240, 232, 210), 9)  # root
    for x, y, d in ((374, 425, -1), (388, 458, 1)):
        s.line([(x, y), (x + d * 30, y + 18)], (240, 232, 210), 5)
    s.line([(392, 330), (400, 290), (394, 255), (404, 236)], (96, 170, 70), 10)  # shoot
    s.polygon([(404, 236), (440, 214), (452, 228), (410, 246)], fill=(110, 186, 80), outline=(70, 130, 50), width=3)
    s.polygon([(400, 238), (366, 216), (356, 232), (396, 248)], fill=(110, 186, 80), outline=(70, 130, 50), width=3)
    s.ellipse(330, 318, 450, 392, fill=(214, 176, 120), outline=(150, 110, 70), width=5)
    s.line([(352, 340), (390, 356), (428, 344)], (170, 130, 84), 4)
    return s.finish()


def draw_dna_helix() -> Image.Image:
    s = Sketch((240, 244, 250))
    cx, amp, period = 384, 110, 230
    pair_colours = [((230, 96, 90), (70, 130, 210)), ((90, 180, 110), (244, 190, 60))]

    def strand_x(y: float, phase: float) -> float:
        return cx + amp * math.sin(math.tau * y / period + phase)

    ys = [30 + i * 4 for i in range(114)]
    for i, y in enumerate(range(44, 470, 22)):  # base pairs
        xa, xb = strand_x(y, 0), strand_x(y, math.pi * 0.8)
        left, right = pair_colours[i % 2] if i % 3 else pair_colours[i % 2][::-1]
        mid = (xa + xb) / 2
        s.line([(xa, y), (mid, y)], left, 10)
        s.line([(mid, y), (xb, y)], right, 10)
    for phase, colour in ((math.pi * 0.8, (120, 100, 170)), (0, (70, 76, 150))):
        for j in range(len(ys) - 1):
            depth = math.cos(math.tau * ys[j] / period + phase)
            shade = _mix(colour, (236, 236, 246), 0.45 * (1 - depth) / 2)
            s.line([(strand_x(ys[j], phase), ys[j]), (strand_x(ys[j + 1], phase), ys[j + 1])], shade, 16)
    return s.finish()


# --------------------------------------------------------------------------- physics


def draw_pendulum() -> Image.Image:
    s = Sketch((242, 242, 236))
    s.rect(0, 470, WIDTH, HEIGHT, fill=(214, 204, 186))
    s.rect(150, 452, 330, 478, fill=(96, 100, 112), radius=6)  # stand
    s.rect(228, 52, 246, 460, fill=(130, 136, 150))
    s.rect(228, 48, 540, 66, fill=(130, 136, 150), radius=4)
    px, py, length = 400, 66, 320
    for a in range(-30, 31, 3):  # faint dotted path of the swing
        t = math.radians(a)
        s.circle(px + length * math.sin(t), py + length * math.cos(t), 3, fill=(180, 180, 196))
    s.line([(px, py), (px, py + length + 40)], (200, 200, 210), 3)  # vertical reference
    angle = math.radians(24)
    bx, by = px + length * math.sin(angle), py + length * math.cos(angle)
    s.line([(px, py), (bx, by)], (60, 60, 70), 4)
    s.circle(px, py, 8, fill=(60, 60, 70))
    s.circle(bx, by, 38, fill=(176, 128, 70), outline=(120, 84, 44), width=5)
    s.circle(bx - 12, by - 12, 12, fill=(234, 196, 140, 200))
    return s.finish()


def draw_wave_rope() -> Image.Image:
    s = Sketch((244, 242, 236))
    s.rect(0, 440, WIDTH, HEIGHT, fill=(218, 210, 192))
    s.line([(70, 256), (712, 256)], (200, 198, 206), 3)
    for x in range(70, 712, 24):  # dashed equilibrium line
        s.line([(x, 256), (x + 12, 256)], (176, 174, 186), 3, round_ends=False)
    s.rect(40, 150, 76, 440, fill=(160, 116, 72), outline=(120, 84, 50), width=4, radius=6)
    s.rect(704, 150, 740, 440, fill=(160, 116, 72), outline=(120, 84, 50), width=4, radius=6)
    pts = [(x, 256 - 80 * math.sin(math.tau * (x - 76) / 300) * (1 - (x - 76) / 1100)) for x in range(76, 706, 4)]
    s.line(pts, (130, 30, 40), 20)
    s.line(pts, (214, 58, 62), 13)
    return s.finish()


def draw_circuit() -> Image.Image:
    s = Sketch((244, 244, 238))
    s.rect(90, 60, 678, 456, fill=(234, 220, 192), outline=(196, 172, 136), width=6, radius=20)
    wire, w = (66, 70, 84), 9
    s.line([(180, 200), (180, 160), (370, 160)], wire, w)
    s.line([(398, 160), (588, 160), (588, 230)], wire, w)
    s.line([(588, 300), (588, 380), (180, 380), (180, 320)], wire, w)
    s.rect(146, 196, 214, 324, fill=(62, 118, 198), outline=(40, 70, 130), width=4, radius=10)  # battery
    s.rect(146, 196, 214, 236, fill=(200, 200, 210), outline=(40, 70, 130), width=4, radius=10)
    s.rect(168, 184, 192, 198, fill=(150, 150, 160))
    s.circle(588, 232, 9, fill=wire)  # closed switch
    s.circle(588, 300, 9, fill=wire)
    s.line([(588, 300), (596, 232)], (120, 120, 134), 8)
    s.glow(384, 112, 80, (255, 226, 120), 130)
    s.rect(366, 140, 402, 168, fill=(160, 160, 170), outline=(100, 100, 110), width=3, radius=4)
    s.circle(384, 104, 44, fill=(255, 244, 196), outline=(150, 150, 160), width=4)
    s.line([(372, 140), (372, 110), (378, 98), (384, 110), (390, 98), (396, 110), (396, 140)], (200, 120, 40), 4)
    return s.finish()


def _field_line(start: Point, north: Point, south: Point, step: float = 3.0) -> list[Point]:
    """Trace a field line of two opposite poles from `start` until it reaches the south pole or the edge."""
    x, y = start
    points = [(x, y)]
    for _ in range(2000):
        bx = by = 0.0
        for (px, py), charge in ((north, 1.0), (south, -1.0)):
            dx, dy = x - px, y - py
            d3 = max(math.hypot(dx, dy), 1.0) ** 3
            bx, by = bx + charge * dx / d3, by + charge * dy / d3
        norm = math.hypot(bx, by) or 1.0
        x, y = x + step * bx / norm, y + step * by / norm
        points.append((x, y))
        if math.hypot(x - south[0], y - south[1]) < 12 or not (-40 < x < WIDTH + 40 and -40 < y < HEIGHT + 40):
            break
    return points


def draw_magnet_field() -> Image.Image:
    s = Sketch((248, 247, 242))
    rng = random.Random(9)
    cx, cy, half = 384, 256, 130
    north, south = (cx - half + 18, cy), (cx + half - 18, cy)
    for k in range(18):  # lines leave the north pole all round and end at the south pole
        a = math.radians(24 + k * (312 / 17))
        line = _field_line((north[0] + 20 * math.cos(a + math.pi), north[1] + 20 * math.sin(a + math.pi)), north, south)
        escaped = math.hypot(line[-1][0] - south[0], line[-1][1] - south[1]) >= 12
        # the picture is mirror-symmetric: a line escaping from N has a twin arriving at S
        for path in (line, [(2 * cx - x, y) for x, y in line]) if escaped else (line,):
            travelled = 0.0
            for (x0, y0), (x1, y1) in itertools.pairwise(path):  # iron filings: short dashes every ~17 px
                travelled += math.hypot(x1 - x0, y1 - y0)
                if travelled < 17 or (abs(x1 - cx) < half + 10 and abs(y1 - cy) < 42):
                    continue
                travelled = 0.0
                tx, ty = x1 - x0, y1 - y0
                norm = math.hypot(tx, ty) or 1
                jitter = rng.uniform(-0.2, 0.2)
                tx, ty = (tx - ty * jitter) / norm, (ty + tx * jitter) / norm
                s.line([(x1 - tx * 6, y1 - ty * 6), (x1 + tx * 6, y1 + ty * 6)], (96, 98, 108), 5)
    s.rect(cx - half, cy - 32, cx, cy + 32, fill=(214, 66, 66), outline=(150, 40, 40), width=4, radius=4)
    s.rect(cx, cy - 32, cx + half, cy + 32, fill=(66, 104, 204), outline=(40, 64, 140), width=4, radius=4)
    s.rect(cx - half + 8, cy - 26, cx + half - 8, cy - 18, fill=(255, 255, 255, 70), radius=3)
    return s.finish()


def draw_prism_light() -> Image.Image:
    s = Sketch((238, 238, 244))
    s.rect(0, 420, WIDTH, HEIGHT, fill=(222, 222, 232))
    cx, cy, side = 370, 270, 250
    h = side * math.sqrt(3) / 2
    top, left, right = (cx, cy - h * 2 / 3), (cx - side / 2, cy + h / 3), (cx + side / 2, cy + h / 3)
    entry, exit_ = (cx - side / 4 - 4, cy - h / 6 + 6), (cx + side / 4 + 2, cy - h / 6 + 16)
    s.polygon([(0, 300), (0, 328), (entry[0], entry[1] + 12), (entry[0], entry[1] - 8)], fill=(255, 246, 200),
              outline=(214, 196, 130), width=3)
    colours = [(228, 48, 48), (244, 140, 40), (240, 214, 40), (70, 176, 70), (50, 130, 220), (80, 70, 190),
               (140, 70, 190)]
    for i, colour in enumerate(colours):
        y0, y1 = 250 + i * 34, 250 + (i + 1) * 34
        s.polygon([(exit_[0], exit_[1] - 6 + i * 4), (exit_[0], exit_[1] - 2 + i * 4), (WIDTH, y1), (WIDTH, y0)],
                  fill=colour)
    s.polygon([entry, (entry[0], entry[1] + 4), exit_, (exit_[0], exit_[1] + 20)], fill=(255, 250, 220, 200))
    s.polygon([top, right, left], fill=(190, 218, 238, 150), outline=(110, 144, 176), width=5)
    s.polygon([top, (cx + 20, cy + h / 3), left], fill=(255, 255, 255, 50))
    return s.finish()


# --------------------------------------------------------------------------- chemistry


def _water_molecule(s: Sketch, x: float, y: float, angle: float, scale: float = 1.0) -> None:
    bond = 52 * scale
    hs = [(x + math.cos(angle + d) * bond, y + math.sin(angle + d) * bond) for d in (-0.91, 0.91)]
    for hx, hy in hs:
        s.line([(x, y), (hx, hy)], (170, 170, 184), 12 * scale)
    for hx, hy in hs:
        s.circle(hx, hy, 23 * scale, fill=(250, 250, 252), outline=(150, 150, 166), width=4)
    s.circle(x, y, 36 * scale, fill=(218, 62, 62), outline=(150, 34, 40), width=4)
    s.circle(x - 11 * scale, y - 11 * scale, 10 * scale, fill=(255, 170, 170, 200))


def draw_water_molecules() -> Image.Image:
    s = Sketch((234, 242, 250))
    rng = random.Random(11)
    for row in range(3):
        for col in range(4):
            x = 120 + col * 176 + rng.uniform(-24, 24) + (40 if row % 2 else 0)
            y = 100 + row * 156 + rng.uniform(-18, 18)
            _water_molecule(s, x, y, rng.uniform(0, math.tau), rng.uniform(0.85, 1.05))
    return s.finish()


def draw_dye_diffusion() -> Image.Image:
    s = Sketch((244, 244, 240))
    rng = random.Random(12)
    _beaker(s, (208, 230, 244))
    cx, cy = 384, 190
    for r, alpha in ((70, 50), (48, 90), (30, 150), (16, 230)):
        s.polygon(_blob(rng, cx, cy, r, 0.35), fill=(118, 40, 160, alpha))
    for _ in range(50):
        a, d = rng.uniform(0, math.tau), rng.uniform(40, 110)
        s.circle(cx + math.cos(a) * d, cy + math.sin(a) * d * 0.8 + 20, rng.uniform(2, 5), fill=(118, 40, 160, 150))
    s.line([(384, 20), (384, 92)], (120, 120, 130), 10)  # dropper tip above the beaker
    s.rect(368, 0, 400, 40, fill=(150, 150, 164), radius=8)
    s.circle(384, 110, 9, fill=(118, 40, 160))
    return s.finish()


def draw_salt_dissolving() -> Image.Image:
    s = Sketch((244, 244, 240))
    rng = random.Random(13)
    _beaker(s, (212, 232, 246))
    cl, na = ((96, 186, 96), (50, 120, 50)), ((160, 90, 200), (100, 50, 140))

    def ion(x: float, y: float, kind: tuple[RGB, RGB], r: float) -> None:
        s.circle(x, y, r, fill=kind[0], outline=kind[1], width=3)
        s.circle(x - r * 0.3, y - r * 0.3, r * 0.3, fill=(255, 255, 255, 110))

    for row in range(4):  # the crystal: a square lattice of alternating ions, touching
        for col in range(5):
            big = (row + col) % 2 == 0
            ion(384 + (col - 2) * 36, 318 + row * 34, cl if big else na, 17 if big else 11)
    for _ in range(9):
        big = rng.random() < 0.5
        ion(rng.uniform(290, 480), rng.uniform(170, 280), cl if big else na, 15 if big else 10)
    return s.finish()


def draw_ice_melting() -> Image.Image:
    s = Sketch((240, 242, 246))
    s.rect(0, 330, WIDTH, HEIGHT, fill=(222, 206, 184))
    s.ellipse(140, 320, 628, 452, fill=(232, 234, 238), outline=(180, 184, 194), width=5)
    s.ellipse(190, 342, 578, 430, fill=(246, 247, 250))
    s.polygon(_blob(random.Random(14), 394, 392, 120, 0.25), fill=(176, 212, 238, 200))
    s.ellipse(300, 372, 500, 414, fill=(150, 196, 230, 160))
    top = [(384, 150), (484, 196), (384, 242), (284, 196)]
    left = [(284, 196), (384, 242), (384, 372), (284, 326)]
    right = [(384, 242), (484, 196), (484, 326), (384, 372)]
    for face, colour in ((left, (178, 214, 240)), (right, (150, 196, 230)), (top, (222, 240, 252))):
        s.polygon(face, fill=colour, outline=(110, 160, 204), width=4)
    s.line([(300, 214), (300, 300)], (236, 248, 255), 6)
    s.line([(470, 216), (470, 262)], (206, 230, 248), 6)
    for x, y in ((520, 380), (250, 396), (556, 360)):
        s.ellipse(x - 10, y - 6, x + 10, y + 6, fill=(196, 226, 246), outline=(120, 170, 210), width=2)
    return s.finish()


def draw_metal_acid() -> Image.Image:
    s = Sketch((242, 242, 238))
    rng = random.Random(15)
    s.rect(0, 460, WIDTH, HEIGHT, fill=(216, 204, 184))
    s.rect(180, 440, 588, 466, fill=(170, 120, 76), outline=(120, 84, 50), width=3, radius=4)  # rack
    s.rect(196, 220, 214, 446, fill=(170, 120, 76))
    s.rect(554, 220, 572, 446, fill=(170, 120, 76))
    s.rect(344, 230, 424, 430, fill=(222, 240, 196), radius=38)  # acid
    s.rect(346, 230, 422, 240, fill=(236, 248, 216))
    s.polygon([(372, 262), (390, 258), (400, 412), (382, 414)], fill=(150, 156, 168), outline=(100, 104, 116), width=3)
    for _ in range(34):
        x, y = rng.uniform(356, 412), rng.uniform(240, 410)
        s.circle(x, y, rng.uniform(3, 8), fill=(250, 252, 246), outline=(150, 170, 140), width=2)
    s.rect(340, 60, 428, 434, fill=(255, 255, 255, 40), outline=(130, 150, 170), width=6, radius=42)
    s.rect(330, 54, 438, 68, fill=(236, 242, 248), outline=(130, 150, 170), width=4, radius=6)
    s.rect(180, 214, 588, 244, fill=(186, 136, 88), outline=(120, 84, 50), width=3, radius=4)
    for x in (260, 500):  # empty holes in the rack
        s.ellipse(x - 32, 220, x + 32, 238, fill=(110, 76, 46))
    return s.finish()


# --------------------------------------------------------------------------- earth & space


def draw_earth_orbit() -> Image.Image:
    s = Sketch(SPACE_LIGHT)
    cx, cy, rx, ry = 384, 256, 310, 150
    s.ellipse(cx - rx, cy - ry, cx + rx, cy + ry, outline=(168, 170, 204), width=4)
    for i in range(0, 72, 2):  # dashes over the orbit for direction of travel
        a0, a1 = math.tau * i / 72, math.tau * (i + 1) / 72
        s.line([(cx + rx * math.cos(a0), cy + ry * math.sin(a0)), (cx + rx * math.cos(a1), cy + ry * math.sin(a1))],
               (120, 124, 176), 4)
    _sun(s, cx, cy, 64, rays=False)
    a = math.radians(28)
    _globe(s, cx + rx * math.cos(a), cy + ry * math.sin(a), 34, seed=16, night_side="right")
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
    s = Sketch(SPACE_LIGHT)
    for i in range(6):  # sunlight arriving from the left
        y = 60 + i * 80
        s.line([(10, y), (110, y)], (244, 190, 80), 6)
        s.polygon([(110, y - 10), (110, y + 10), (128, y)], fill=(244, 190, 80))
    cx, cy, r = 420, 256, 190
    for i in range(0, 96, 2):
        a0, a1 = math.tau * i / 96, math.tau * (i + 1) / 96
        s.line([(cx + r * math.cos(a0), cy + r * math.sin(a0)), (cx + r * math.cos(a1), cy + r * math.sin(a1))],
               (150, 152, 196), 4)
    _globe(s, cx, cy, 64, seed=18, night_side="right")
    mx, my = cx + r * math.cos(math.radians(-45)), cy + r * math.sin(math.radians(-45))
    s.circle(mx, my, 30, fill=(112, 112, 128))
    s.draw.pieslice([(mx - 30) * _SCALE, (my - 30) * _SCALE, (mx + 30) * _SCALE, (my + 30) * _SCALE], 90, 270,
                    fill=(238, 236, 220))
    s.circle(mx, my, 30, outline=(90, 90, 104), width=3)
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
    s = Sketch(SPACE_LIGHT)
    for i in range(7):
        y = 40 + i * 72
        s.line([(10, y), (96, y)], (244, 190, 80), 6)
        s.polygon([(96, y - 10), (96, y + 10), (114, y)], fill=(244, 190, 80))
    _globe(s, 400, 256, 196, seed=20, night_side="right")
    return s.finish()


TEMPLATES: MappingProxyType[str, Callable[[], Image.Image]] = MappingProxyType({
    "cell_mitosis": draw_cell_mitosis,
    "leaf_photosynthesis": draw_leaf_photosynthesis,
    "heart": draw_heart,
    "seed_germination": draw_seed_germination,
    "dna_helix": draw_dna_helix,
    "pendulum": draw_pendulum,
    "wave_rope": draw_wave_rope,
    "circuit": draw_circuit,
    "magnet_field": draw_magnet_field,
    "prism_light": draw_prism_light,
    "water_molecules": draw_water_molecules,
    "dye_diffusion": draw_dye_diffusion,
    "salt_dissolving": draw_salt_dissolving,
    "ice_melting": draw_ice_melting,
    "metal_acid": draw_metal_acid,
    "earth_orbit": draw_earth_orbit,
    "water_cycle": draw_water_cycle,
    "moon_phases": draw_moon_phases,
    "volcano": draw_volcano,
    "earth_rotation": draw_earth_rotation,
})
"""Template file stem → drawing function (each returns a 768×512 RGB image)."""


def draw_all(out_dir: Path) -> list[Path]:
    """Draw every template into `out_dir` as `<name>.png` (optimised, deterministic); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in TEMPLATES.items():
        path = out_dir / f"{name}.png"
        draw().save(path, optimize=True)
        written.append(path)
    return written

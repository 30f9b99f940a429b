"""Draw the pictures of the "seasons" example lesson into src/i2v/lessons/examples/seasons/ (and the
same pictures into seasons.zh/, the Chinese version of the lesson).

A build step (run after changing the drawing): python scripts/draw_lesson_examples.py
Plain diagrams on a light background, no text (labels are drawn over the finished video). Every
picture is the same view of the Earth's orbit, seen from slightly above: the Sun in the middle, the
Earth at its June, September, December and March places, its axis tilted 23.5° and pointing the
same way in space (top leaning right) at every place, the night half shaded. The orbit scene shows
all four; each season's scene shows its Earth bright and the others faint, with parallel rays of
sunlight (the Sun is far away) reaching it. The axis never swings from one picture to the next:
that swing is the very misconception the lesson's handout corrects. Deterministic: reruns give
identical PNGs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT, SCALE = 768, 512, 2
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "i2v" / "lessons" / "examples"
OUT = EXAMPLES / "seasons"
OUT_ZH = EXAMPLES / "seasons.zh"
SPACE = (236, 238, 250)
SUN = (250, 196, 40)
SUN_GLOW = (253, 226, 140)
ORBIT = (150, 156, 190)
OCEAN = (66, 135, 222)
LAND = (92, 170, 88)
AXIS = (60, 62, 80)
RAY = (240, 170, 30)
TILT = 23.5  # degrees from the orbit's perpendicular; the top of the axis leans right in every picture
SUN_XY = (384, 250)
ORBIT_R = (290, 118)
# Where the Earth is (angle on the orbit, counter-clockwise seen from above; 180° = left of the Sun).
# With the axis leaning right, the north half leans towards the Sun when the Earth is left of it.
PLACES = {"june": 180.0, "september": 270.0, "december": 0.0, "march": 90.0}


def _place(angle: float) -> tuple[float, float, float]:
    """Screen centre and radius of the Earth at `angle` (nearer the viewer = lower and larger)."""
    a = math.radians(angle)
    x = SUN_XY[0] + ORBIT_R[0] * math.cos(a)
    y = SUN_XY[1] - ORBIT_R[1] * math.sin(a)  # 90° is the far side (up on the screen)
    r = 46 + 10 * (-math.sin(a))  # the near side looks a little bigger
    return x, y, r


def _earth(d: ImageDraw.ImageDraw, x: float, y: float, r: float, alpha: int) -> None:
    """An Earth with continents, the night half (away from the Sun) shaded, the tilted axis and equator."""
    s = SCALE
    box = [(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s]
    d.ellipse(box, fill=(*OCEAN, alpha))
    for dx, dy, w, h in ((-0.4, -0.55, 0.65, 0.42), (0.05, 0.0, 0.55, 0.62), (-0.75, 0.15, 0.38, 0.34)):
        d.ellipse([(x + dx * r) * s, (y + dy * r) * s, (x + (dx + w) * r) * s, (y + (dy + h) * r) * s], fill=(*LAND, alpha))
    sun_angle = math.degrees(math.atan2(SUN_XY[1] - y, SUN_XY[0] - x))  # screen direction to the Sun
    d.pieslice(box, sun_angle + 90, sun_angle + 270, fill=(20, 30, 70, int(alpha * 0.45)))  # the night half
    lean = math.radians(TILT)
    ax, ay = math.sin(lean) * r * 1.45, -math.cos(lean) * r * 1.45
    d.line([((x - ax) * s, (y - ay) * s), ((x + ax) * s, (y + ay) * s)], fill=(*AXIS, alpha), width=5 * s)
    d.ellipse([(x + ax - 5) * s, (y + ay - 5) * s, (x + ax + 5) * s, (y + ay + 5) * s], fill=(*AXIS, alpha))  # north end
    ux, uy = math.cos(lean) * r, math.sin(lean) * r
    d.line([((x - ux) * s, (y - uy) * s), ((x + ux) * s, (y + uy) * s)], fill=(255, 255, 255, int(alpha * 0.7)), width=3 * s)


def _rays(d: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
    """Parallel rays from the Sun's direction onto the Earth at (x, y)."""
    s = SCALE
    dx, dy = x - SUN_XY[0], y - SUN_XY[1]
    length = math.hypot(dx, dy)
    ux, uy = dx / length, dy / length  # towards the Earth
    nx, ny = -uy, ux
    for offset in (-0.7, -0.35, 0.0, 0.35, 0.7):
        ex, ey = x - ux * (r + 6) + nx * offset * r, y - uy * (r + 6) + ny * offset * r
        sx, sy = ex - ux * (length - 70), ey - uy * (length - 70)
        d.line([(sx * s, sy * s), (ex * s, ey * s)], fill=(*RAY, 230), width=4 * s)
        hx, hy = ex - ux * 14, ey - uy * 14
        d.polygon([((hx + nx * 7) * s, (hy + ny * 7) * s), (ex * s, ey * s), ((hx - nx * 7) * s, (hy - ny * 7) * s)], fill=(*RAY, 240))


def draw(bright: tuple[str, ...], path: Path) -> Path:
    """The orbit view with the Earths at `bright` places drawn fully (and lit by parallel rays when
    they are not all four), the others faint."""
    s = SCALE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), SPACE)
    glow = Image.new("RGBA", image.size, (*SUN_GLOW, 0))
    gx, gy = SUN_XY
    ImageDraw.Draw(glow).ellipse([(gx - 75) * s, (gy - 75) * s, (gx + 75) * s, (gy + 75) * s], fill=(*SUN_GLOW, 200))
    glow = glow.filter(ImageFilter.GaussianBlur(20 * s))
    image.paste(glow, (0, 0), glow)
    d = ImageDraw.Draw(image, "RGBA")
    ox, oy = ORBIT_R
    d.ellipse([(gx - ox) * s, (gy - oy) * s, (gx + ox) * s, (gy + oy) * s], outline=(*ORBIT, 255), width=3 * s)
    for angle in (225.0, 315.0, 45.0, 135.0):  # arrows on the orbit: counter-clockwise seen from the north
        a = math.radians(angle)
        x, y = gx + ox * math.cos(a), gy - oy * math.sin(a)
        tx, ty = -ox * math.sin(a), -oy * math.cos(a)
        n = math.hypot(tx, ty)
        tx, ty = tx / n, ty / n
        d.polygon([((x + tx * 12) * s, (y + ty * 12) * s), ((x - tx * 8 - ty * 8) * s, (y - ty * 8 + tx * 8) * s),
                   ((x - tx * 8 + ty * 8) * s, (y - ty * 8 - tx * 8) * s)], fill=(*ORBIT, 255))
    order = sorted(PLACES.items(), key=lambda item: _place(item[1])[1])  # far (higher) ones first
    sun_drawn = False
    for name, angle in order:
        x, y, r = _place(angle)
        if not sun_drawn and y > gy:  # the Sun hides the far side, the near side hides the Sun
            d.ellipse([(gx - 46) * s, (gy - 46) * s, (gx + 46) * s, (gy + 46) * s], fill=SUN)
            sun_drawn = True
        if name in bright and len(bright) < len(PLACES):
            _rays(d, x, y, r)
        _earth(d, x, y, r, 255 if name in bright else 70)
    if not sun_drawn:
        d.ellipse([(gx - 46) * s, (gy - 46) * s, (gx + 46) * s, (gy + 46) * s], fill=SUN)
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    image.save(path, format="PNG", optimize=True)
    return path


SCENES = (("00-orbit.png", tuple(PLACES)), ("01-june.png", ("june",)), ("02-equinox.png", ("september", "march")),
          ("03-december.png", ("december",)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, nargs="*", default=[OUT, OUT_ZH])
    args = parser.parse_args()
    for folder in args.out:
        folder.mkdir(parents=True, exist_ok=True)
        for name, bright in SCENES:
            path = draw(bright, folder / name)
            print(f"{path.stat().st_size / 1024:6.1f} KB  {path}")


if __name__ == "__main__":
    main()

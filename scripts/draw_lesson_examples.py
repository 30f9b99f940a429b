"""Draw the pictures of the "seasons" example lesson into src/i2v/lessons/examples/seasons/.

A build step (run after changing the drawing): python scripts/draw_lesson_examples.py
Plain diagrams on a light background, no text (labels are drawn over the finished video):
the Sun on the left, the Earth on the right with its axis tilted towards the Sun (June), sideways
(March and September) or away (December). Deterministic: reruns give identical PNGs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT, SCALE = 768, 512, 2
OUT = Path(__file__).resolve().parents[1] / "src" / "i2v" / "lessons" / "examples" / "seasons"
SPACE = (236, 238, 250)
SUN = (250, 196, 40)
SUN_GLOW = (253, 230, 150)
OCEAN = (66, 135, 222)
LAND = (92, 170, 88)
AXIS = (60, 62, 80)
RAY = (245, 180, 40)
NIGHT = (20, 30, 70, 110)


def draw(tilt_deg: float, path: Path) -> Path:
    """The Earth with its axis leaning `tilt_deg` towards the Sun (negative: away; 0: sideways)."""
    s = SCALE
    image = Image.new("RGB", (WIDTH * s, HEIGHT * s), SPACE)
    d = ImageDraw.Draw(image, "RGBA")
    cx, cy, r = 150 * s, 256 * s, 95 * s
    d.ellipse([cx - r * 1.35, cy - r * 1.35, cx + r * 1.35, cy + r * 1.35], fill=SUN_GLOW)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=SUN)
    ex, ey, er = 560 * s, 256 * s, 110 * s
    for offset in (-70, -35, 0, 35, 70):  # rays towards the Earth
        y = ey + offset * s
        d.line([(cx + r + 20 * s, cy + offset * 0.6 * s), (ex - er - 25 * s, y)], fill=RAY, width=5 * s)
        d.polygon([(ex - er - 25 * s, y - 9 * s), (ex - er - 5 * s, y), (ex - er - 25 * s, y + 9 * s)], fill=RAY)
    d.ellipse([ex - er, ey - er, ex + er, ey + er], fill=OCEAN)
    for dx, dy, w, h in ((-40, -55, 70, 45), (10, 5, 60, 70), (-75, 20, 40, 35)):  # continents
        d.ellipse([ex + dx * s, ey + dy * s, ex + (dx + w) * s, ey + (dy + h) * s], fill=LAND)
    d.pieslice([ex - er, ey - er, ex + er, ey + er], -90, 90, fill=NIGHT)  # the side away from the Sun
    lean = math.radians(-tilt_deg)  # towards the Sun = top of the axis leans left
    if tilt_deg == 0:
        lean = 0.0
    dx, dy = math.sin(lean) * er * 1.35, -math.cos(lean) * er * 1.35
    d.line([(ex - dx, ey - dy), (ex + dx, ey + dy)], fill=AXIS, width=6 * s)
    ux, uy = math.cos(lean), math.sin(lean)  # the equator, perpendicular to the axis
    d.line([(ex - ux * er, ey - uy * er), (ex + ux * er, ey + uy * er)], fill=(255, 255, 255, 170), width=3 * s)
    image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    image.save(path, format="PNG", optimize=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, tilt in (("01-june.png", 23.5), ("02-equinox.png", 0.0), ("03-december.png", -23.5)):
        path = draw(tilt, args.out / name)
        print(f"{path.stat().st_size / 1024:6.1f} KB  {path}")


if __name__ == "__main__":
    main()

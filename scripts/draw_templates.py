"""Redraw the science presets' template pictures into src/i2v/teaching/templates/.

Run after changing `i2v/teaching/templates_draw.py`:  python scripts/draw_templates.py
The output is deterministic, so an unchanged drawing gives byte-identical PNGs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from i2v.teaching.presets import TEMPLATES_DIR
from i2v.teaching.templates_draw import draw_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR, help="folder to write the PNGs into")
    args = parser.parse_args()
    paths = draw_all(args.out)
    total = sum(p.stat().st_size for p in paths)
    for path in paths:
        print(f"{path.stat().st_size / 1024:7.1f} KB  {path}")
    print(f"{len(paths)} templates, {total / 1024:.0f} KB in all")


if __name__ == "__main__":
    main()

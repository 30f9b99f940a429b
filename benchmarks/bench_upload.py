"""What storing one big camera photo costs: the upload path now against decoding every pixel.

    .venv/bin/python benchmarks/bench_upload.py            # ≈1 min on the 2-core CPU; last line JSON

The picture is a 6000×6000 JPEG drawn in code (`i2v.samples.big_photo_jpeg`, 36 MP). "Now" is what
a submission does (`i2v.image_input.load_image`: JPEG draft decoding, pixels only, reduced to
2048 px on the short side; then PNG at the job service's `UPLOAD_PNG_LEVEL`); "every pixel" is what
the studio did before issue 15 (full decode, PNG at zlib's default level). CPU seconds are the
process's, best of three.
"""

from __future__ import annotations

import io
import json
import time

from PIL import Image

from i2v.image_input import load_image
from i2v.jobs.service import UPLOAD_PNG_LEVEL
from i2v.samples import big_photo_jpeg


def every_pixel(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.convert("RGB")


def cost(data: bytes, load, level: int | None, repeats: int = 3) -> dict:
    best, stored, size = float("inf"), 0, (0, 0)
    for _ in range(repeats):
        started = time.process_time()
        picture = load(data)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", **({} if level is None else {"compress_level": level}))
        best = min(best, time.process_time() - started)
        stored, size = len(buffer.getvalue()), picture.size
    return {"cpu_s": round(best, 2), "stored_mb": round(stored / 2**20, 1), "stored_size": size,
            "stored_vs_upload": round(stored / len(data), 2)}


def main() -> None:
    data = big_photo_jpeg()
    result = {"upload_mb": round(len(data) / 2**20, 1), "now": cost(data, load_image, UPLOAD_PNG_LEVEL),
              "every_pixel": cost(data, every_pixel, None)}
    for name in ("now", "every_pixel"):
        row = result[name]
        print(f"{name:12s} {row['stored_size'][0]}×{row['stored_size'][1]} PNG {row['stored_mb']} MB "
              f"({row['stored_vs_upload']}× the {result['upload_mb']} MB upload), {row['cpu_s']} s CPU")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

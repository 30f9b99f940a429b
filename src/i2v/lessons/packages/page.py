"""The offline lesson page: a zip of `lesson.html` with `lesson.mp4` and `lesson.vtt` beside it.
Unzipped onto a USB stick it plays from file:// with no server, pauses at each check and shows
the feedback. Chinese: the system's fonts, else a subset of the bundled font embedded in the page."""

from __future__ import annotations

import io
import zipfile

from i2v.lessons.packages.material import Material
from i2v.lessons.packages.player import render_page


def build_page(material: Material) -> bytes:
    """The zip's bytes. The MP4 is stored, not deflated (it is compressed already)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("lesson.html", render_page(material), compress_type=zipfile.ZIP_DEFLATED)
        archive.write(material.video, "lesson.mp4", compress_type=zipfile.ZIP_STORED)
        archive.writestr("lesson.vtt", material.vtt_text, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()

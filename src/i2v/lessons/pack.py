"""The lesson pack: one zip a teacher can carry to another computer or a learning platform.

    lesson.mp4, captions.vtt, handout.pdf   the assembled lesson
    scenes/01-<point>.mp4 (+ .json recipe)   each scene's generated clip, in lesson order
    alt-text.txt                             one description per scene, for slides and web pages
    lesson.json, pictures/                   the lesson file and the teacher's pictures (reopen, remake)
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from i2v.archive import slugify


def render_pack(*, video: Path, captions: Path, handout: Path, lesson_file: Path, clips: Sequence[tuple[str, Path]],
                alt_texts: Sequence[str], pictures: Sequence[Path], handout_bw: Path | None = None) -> bytes:
    """The pack's bytes. `clips` are (point, clip path) in lesson order; a clip's recipe beside it
    goes in too."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(video, "lesson.mp4", compress_type=zipfile.ZIP_STORED)
        archive.write(captions, "captions.vtt")
        if captions.with_suffix(".srt").is_file():
            archive.write(captions.with_suffix(".srt"), "captions.srt")
        archive.write(handout, "handout.pdf")
        if handout_bw is not None:
            archive.write(handout_bw, "handout-bw.pdf")
        archive.write(lesson_file, "lesson.json")
        for number, (point, clip) in enumerate(clips, start=1):
            name = f"scenes/{number:02d}-{slugify(point, 30) if slugify(point, 30) != 'video' else 'scene'}"
            archive.write(clip, f"{name}.mp4", compress_type=zipfile.ZIP_STORED)
            recipe = clip.with_suffix(".json")
            if recipe.is_file():
                archive.write(recipe, f"{name}.json")
        archive.writestr("alt-text.txt", "\n\n".join(alt_texts) + "\n")
        for picture in pictures:
            archive.write(picture, f"pictures/{picture.name}", compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()

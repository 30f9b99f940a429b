"""A lesson's folder in the archive, `lessons/<id>/`:

    lesson.json                      the lesson file (storyboard), rewritten atomically on each edit
    pictures/<sha>.png               the teacher's pictures, checked and re-encoded, named by content
    scenes/<scene>-<fingerprint>.mp4 each scene's generated clip (+ its recipe .json), copied from the job
    lesson.mp4, lesson.vtt, handout.pdf, lesson-pack.zip, timeline.json   the assembled outputs

A new lesson is written into a hidden `.<id>.part` folder and renamed into place, so a lesson
folder is always complete; every other file is written to a temporary name and renamed. Files go
out only through `Archive.resolve`, and the names here are made by i2v, never taken from a request.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from i2v.archive import Archive, slugify
from i2v.files import write_bytes_atomic
from i2v.lessons.storyboard import Lesson

LESSON_FILE = "lesson.json"
OUTPUTS = {"video": "lesson.mp4", "captions": "lesson.vtt", "captions-srt": "lesson.srt", "handout": "handout.pdf", "handout-bw": "handout-bw.pdf",
           "pack": "lesson-pack.zip",
           "timeline": "timeline.json", "lesson": LESSON_FILE}
_ID = re.compile(r"^[0-9a-f]{16}$")


DOWNLOAD_SUFFIXES = {"video": ".mp4", "captions": ".vtt", "captions-srt": ".srt", "handout": ".pdf", "handout-bw": "-bw.pdf", "pack": "-pack.zip", "lesson": ".lesson.json"}


def download_name(title: str, kind: str) -> str:
    """The file name a lesson's download gets, from its title (`the-water-cycle.mp4`), the same in
    the API and the studio."""
    stem = slugify(title)
    return (stem if stem != "video" else "lesson") + DOWNLOAD_SUFFIXES[kind]


def titled_copy(path: Path, title: str, kind: str) -> Path:
    """`path` under its download name, in a `downloads/` folder beside it (a hard link where the
    file system allows, else a copy), for the studio's download buttons, which name the file by
    its path. Made again when the output is newer."""
    target = path.parent / "downloads" / download_name(title, kind)
    if target.exists() and target.stat().st_mtime >= path.stat().st_mtime and target.stat().st_size == path.stat().st_size:
        return target
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(path, target)
    except OSError:
        shutil.copy2(path, target)
    return target


@dataclass(frozen=True)
class LessonHeading:
    """What a list of lessons shows of each lesson file: its title and how many scenes it has."""

    title: str
    scenes: int


class LessonFiles:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.root = archive.root / "lessons"
        self.root.mkdir(parents=True, exist_ok=True)
        # lesson id → (the file's identity when read, its heading): see `heading`
        self._headings: dict[str, tuple[tuple[int, int, int], LessonHeading]] = {}

    def folder(self, lesson_id: str) -> Path:
        if not _ID.match(lesson_id):
            raise ValueError(f"not a lesson id: {lesson_id[:40]!r}")
        return self.root / lesson_id

    def exists(self, lesson_id: str) -> bool:
        return _ID.match(lesson_id) is not None and (self.folder(lesson_id) / LESSON_FILE).is_file()

    # ---- the lesson file and pictures ----------------------------------------------------------

    def create(self, lesson: Lesson, pictures: dict[str, bytes]) -> None:
        """Write the new lesson's folder (lesson file + pictures) and move it into place at once."""
        final = self.folder(lesson.id)
        staging = self.root / f".{lesson.id}.part"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            (staging / "pictures").mkdir(parents=True)
            for name, data in pictures.items():
                (staging / "pictures" / name).write_bytes(data)
            (staging / LESSON_FILE).write_bytes(_lesson_bytes(lesson))
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def load(self, lesson_id: str) -> Lesson:
        return Lesson.model_validate_json((self.folder(lesson_id) / LESSON_FILE).read_bytes())

    def heading(self, lesson_id: str) -> LessonHeading:
        """The lesson's title and scene count, read again only when its file changed.

        The Library asks for every lesson's heading on each refresh (a teacher's page polls it), and
        parsing and validating each lesson file every time grows with the number of lessons. Every
        save replaces the file (a new inode), so inode, mtime and size tell a changed file. Raises
        `OSError`/`ValueError` as `load` does."""
        stat = (self.folder(lesson_id) / LESSON_FILE).stat()
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        cached = self._headings.get(lesson_id)
        if cached is not None and cached[0] == identity:
            return cached[1]
        lesson = self.load(lesson_id)
        heading = LessonHeading(lesson.title, len(lesson.scenes))
        self._headings[lesson_id] = (identity, heading)
        return heading

    def save(self, lesson: Lesson) -> None:
        write_bytes_atomic(self.folder(lesson.id) / LESSON_FILE, _lesson_bytes(lesson))

    def add_picture(self, lesson_id: str, png: bytes) -> str:
        """Store a checked PNG; returns its name (the same picture twice is stored once)."""
        name = picture_name(png)
        path = self.folder(lesson_id) / "pictures" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, png)
        return name

    def add_recording(self, lesson_id: str, wav: bytes, name: str) -> str:
        """Store a checked recording (a WAV named by its content); the same recording twice is stored once."""
        path = self.folder(lesson_id) / "recordings" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(path, wav)
        return name

    def recordings(self, lesson_id: str) -> set[str]:
        folder = self.folder(lesson_id) / "recordings"
        return {p.name for p in folder.glob("*.wav")} if folder.is_dir() else set()

    def recording(self, lesson_id: str, name: str) -> Path:
        return self.archive.resolve(f"lessons/{lesson_id}/recordings/{name}")

    def pictures(self, lesson_id: str) -> set[str]:
        folder = self.folder(lesson_id) / "pictures"
        return {p.name for p in folder.glob("*.png")} if folder.is_dir() else set()

    def picture(self, lesson_id: str, name: str) -> Path:
        return self.archive.resolve(f"lessons/{lesson_id}/pictures/{name}")

    # ---- scene clips -----------------------------------------------------------------------------

    def clip(self, lesson_id: str, scene_id: str, fingerprint: str) -> Path:
        return self.folder(lesson_id) / "scenes" / f"{scene_id}-{fingerprint}.mp4"

    def has_clip(self, lesson_id: str, scene_id: str, fingerprint: str) -> bool:
        return self.clip(lesson_id, scene_id, fingerprint).is_file()

    def adopt_clip(self, lesson_id: str, scene_id: str, fingerprint: str, video: Path) -> Path:
        """Copy a finished job's video (and its recipe) into the lesson, so the lesson keeps its
        clips even when the job is deleted or retention clears the archive's day folders."""
        target = self.clip(lesson_id, scene_id, fingerprint)
        target.parent.mkdir(parents=True, exist_ok=True)
        recipe = Path(video).with_suffix(".json")
        if recipe.is_file():
            write_bytes_atomic(target.with_suffix(".json"), recipe.read_bytes())
        write_bytes_atomic(target, Path(video).read_bytes())
        return target

    def prune_clips(self, lesson_id: str, keep: set[Path]) -> None:
        """Remove clips of scenes that were deleted or changed since."""
        folder = self.folder(lesson_id) / "scenes"
        if folder.is_dir():
            kept = {p.with_suffix("") for p in keep}
            for path in folder.iterdir():
                if path.is_file() and path.with_suffix("") not in kept:
                    path.unlink(missing_ok=True)

    # ---- outputs -----------------------------------------------------------------------------------

    def output(self, lesson_id: str, kind: str) -> Path:
        """Where the assembled output `kind` (video, captions, handout, pack, timeline, lesson) lives."""
        return self.folder(lesson_id) / OUTPUTS[kind]

    def resolve_output(self, lesson_id: str, kind: str) -> Path:
        """The output as a file in the archive (`Archive.resolve`); ArchivePathError when not made yet."""
        if kind not in OUTPUTS:
            raise KeyError(kind)
        return self.archive.resolve(f"lessons/{self.folder(lesson_id).name}/{OUTPUTS[kind]}")

    def timeline(self, lesson_id: str) -> list[dict] | None:
        path = self.output(lesson_id, "timeline")
        return json.loads(path.read_text("utf-8")) if path.is_file() else None

    def delete(self, lesson_id: str) -> None:
        shutil.rmtree(self.folder(lesson_id), ignore_errors=True)

    def sweep(self, known: set[str]) -> list[Path]:
        """At start-up: remove half-made folders and files (`.part`), and lesson folders that no
        lesson row knows (a create interrupted between its two steps). Returns what it removed."""
        removed = []
        for path in self.root.iterdir():
            if path.name.startswith(".") and path.name.endswith(".part"):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
                removed.append(path)
            elif path.is_dir() and not path.is_symlink() and _ID.match(path.name):
                if path.name not in known:
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
                    continue
                for part in path.rglob(".*.part"):
                    part.unlink(missing_ok=True)
                    removed.append(part)
        return removed


def picture_name(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()[:16] + ".png"


def png_bytes(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _lesson_bytes(lesson: Lesson) -> bytes:
    return (json.dumps(lesson.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n").encode("utf-8")

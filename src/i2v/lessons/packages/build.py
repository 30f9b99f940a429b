"""A lesson package built from a lesson's assembled outputs (video, captions, timeline) and its
current storyboard's checks: what the API, the CLI and the studio call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from i2v.archive import ArchivePathError
from i2v.errors import Conflict, NotFound
from i2v.files import write_bytes_atomic
from i2v.lessons.files import slugify
from i2v.lessons.packages.material import lesson_material
from i2v.lessons.packages.registry import PACKAGES


class UnknownPackage(NotFound):
    """A package name that is not h5p, scorm or page."""


class NotAssembled(Conflict):
    """The lesson's video is not made yet, so there is nothing to package."""


@dataclass(frozen=True)
class Built:
    data: bytes
    filename: str
    media_type: str


def build_lesson_package(lessons, lesson_id: str, name: str) -> Built:
    """Package `name` (h5p, scorm, page) of lesson `lesson_id` from `lessons` (a LessonService).
    Raises UnknownPackage, the service's LessonNotFound, or NotAssembled."""
    package = PACKAGES.get(name)
    if package is None:
        raise UnknownPackage(f"There is no {name[:20]!r} package; ask for {', '.join(PACKAGES)}.")
    lesson = lessons.get(lesson_id)
    try:
        video, captions, timeline = (lessons.output(lesson_id, kind) for kind in ("video", "captions", "timeline"))
        if not (video.is_file() and captions.is_file() and timeline.is_file()):
            raise ArchivePathError("not made")
    except ArchivePathError:
        raise NotAssembled("The lesson's video is not made yet; generate the lesson first, then download the "
                           f"{name} package.") from None
    stem = slugify(lesson.title)
    data = package.build(lesson_material(lesson, video, captions, timeline))
    return Built(data, (stem if stem not in ("", "video") else "lesson") + package.suffix, package.media_type)


def package_names(text: str) -> list[str]:
    """ "h5p,scorm" → ["h5p", "scorm"]; ValueError naming the packages there are."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PACKAGES]
    if unknown:
        raise ValueError(f"--export: no package {', '.join(map(repr, unknown))}; choose from {', '.join(PACKAGES)}")
    return list(dict.fromkeys(names))


def export_packages(lessons, lesson_id: str, names: list[str]) -> dict[str, Path]:
    """Write each package into the lesson's folder (under its download name); name → path."""
    written = {}
    for name in names:
        built = build_lesson_package(lessons, lesson_id, name)
        target = lessons.files.folder(lesson_id) / built.filename
        write_bytes_atomic(target, built.data)
        written[name] = target
    return written

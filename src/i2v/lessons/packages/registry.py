"""The lesson packages a teacher can download: one row per package (name, file suffix, media type,
builder, the i18n key of its one line on where to upload it). Front ends read this table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from i2v.lessons.packages.h5p import build_h5p
from i2v.lessons.packages.material import Material
from i2v.lessons.packages.page import build_page
from i2v.lessons.packages.scorm import build_scorm


@dataclass(frozen=True)
class Package:
    name: str
    suffix: str
    media_type: str
    build: Callable[[Material], bytes]
    label_key: str  # "lesson.package.<name>": what it is and where to upload it (strings.json)


PACKAGES: dict[str, Package] = {
    "h5p": Package("h5p", ".h5p", "application/zip", build_h5p, "lesson.package.h5p"),
    "scorm": Package("scorm", "-scorm.zip", "application/zip", build_scorm, "lesson.package.scorm"),
    "page": Package("page", "-page.zip", "application/zip", build_page, "lesson.package.page"),
}

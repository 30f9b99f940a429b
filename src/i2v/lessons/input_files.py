"""The files that come with a lesson: a zip upload or (CLI) a folder, by name.

A zip is never extracted to disk, and a member is inflated only when parsing asks for it (the
outline, a caption, a picture a point names), so a zip of many members costs the memory of the few
a lesson uses. Every member is checked from the zip's directory before anything is inflated:
absolute paths, drive letters, backslashes, `..` and symbolic links are refused (a path outside
the zip), and the sizes the zip declares are capped in count, in total and per member ratio (a
zip bomb), then enforced while reading, since a header can lie.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

from i2v.lessons.outline import LessonInputError

MAX_FILES = 500
MAX_RATIO = 200  # uncompressed : compressed (text compresses ~10:1, PNG ~1:1) …
RATIO_FLOOR = 64 * 1024  # … for members larger than this (a tiny caption may compress far better)
_CHUNK = 1 << 20
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class InputFiles:
    """Files by relative POSIX name ("cells/cell1.png"), and what the bundle was called."""

    name: str
    files: Mapping[str, bytes] = field(repr=False)

    def get(self, name: str) -> bytes | None:
        return self.files.get(normalise_name(name))

    def has(self, name: str) -> bool:
        return normalise_name(name) in self.files

    def loader(self, name: str) -> Callable[[], bytes]:
        """Reads the file when called (a zip member is inflated then, not before)."""
        key = normalise_name(name)
        return lambda: self.files[key]


class _ZipMembers(Mapping[str, bytes]):
    """A checked zip's members by name, each inflated when first read and kept while the bundle
    lives; every read is held to the size the zip declares and to the bundle's budget."""

    def __init__(self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], zip_name: str, budget: int) -> None:
        self._archive, self._members, self._zip_name, self._budget = archive, members, zip_name, budget
        self._read: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        if name in self._read:
            return self._read[name]
        member = self._members[name]
        chunks, size = [], 0
        limit = min(member.file_size, self._budget)
        try:
            with self._archive.open(member) as handle:
                while chunk := handle.read(min(_CHUNK, limit + 1 - size)):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        break
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
            raise LessonInputError(f"{self._zip_name}: {member.filename[:80]} cannot be read ({exc}).") from None
        if size > member.file_size:
            raise LessonInputError(f"{self._zip_name}: {member.filename[:80]} is larger than the zip says; refusing a "
                                   "damaged or forged zip.")
        if size > limit:
            raise LessonInputError(f"{self._zip_name} unpacks to more than the zip declares; refusing a damaged or forged zip.")
        self._budget -= size
        self._read[name] = content = b"".join(chunks)
        return content

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, name: object) -> bool:
        return name in self._members


def normalise_name(name: str) -> str:
    """A picture reference as written in an outline ("./img/a.png") → the bundle name ("img/a.png").

    Raises LessonInputError for links and for names that leave the outline's folder."""
    raw = name.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*:", raw, re.IGNORECASE) and not _DRIVE.match(raw):
        raise LessonInputError(
            f"The picture {raw[:80]!r} is a link. Pictures must be files uploaded with the outline "
            "(put the outline and its pictures in one zip)."
        )
    if raw.startswith(("/", "\\")) or _DRIVE.match(raw) or "\\" in raw or ".." in PurePosixPath(raw).parts:
        raise LessonInputError(
            f"The picture {raw[:80]!r} lies outside the outline's folder; name it relative to the outline, "
            "e.g. pictures/cell1.png."
        )
    parts = [p for p in PurePosixPath(raw).parts if p not in ("", ".")]
    return "/".join(parts)


def _skipped(name: str) -> bool:
    """Operating-system clutter: macOS resource forks, .DS_Store, Thumbs.db, hidden files."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts) or parts[-1].lower() == "thumbs.db"


def read_zip(data: bytes, *, max_unpacked_bytes: int, name: str = "upload.zip") -> InputFiles:
    """The zip's files, checked from its directory and inflated only when read (see the module
    doc). Raises LessonInputError for a file that is not a zip, an encrypted one, a member path
    outside the zip, a symbolic link, too many files, or a zip that would unpack to more than
    `max_unpacked_bytes` (or compresses suspiciously well)."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise LessonInputError(f"{name} is not a zip file (or it is damaged).") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_FILES:
        raise LessonInputError(f"{name} holds {len(members)} files; a lesson zip may hold at most {MAX_FILES}.")
    for member in members:
        _check_member(member, name)
    members = [m for m in members if not _skipped(m.filename)]
    declared = sum(m.file_size for m in members)
    if declared > max_unpacked_bytes:
        raise LessonInputError(
            f"{name} would unpack to {declared / 2**20:.0f} MB; the most a lesson zip may unpack to is "
            f"{max_unpacked_bytes / 2**20:.0f} MB (I2V_LESSON_MAX_UNPACKED_MB). It looks like a zip bomb, "
            "or it holds more than pictures and captions."
        )
    by_name = _strip_common_folder({m.filename: m for m in members})
    return InputFiles(_stem(name), _ZipMembers(archive, by_name, name, max_unpacked_bytes))


def _check_member(member: zipfile.ZipInfo, zip_name: str) -> None:
    name = member.filename
    shown = name[:80]
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or "\\" in name or ".." in name.split("/") or "\x00" in name:
        raise LessonInputError(f"{zip_name} holds the path {shown!r}, which points outside the zip. "
                               "Make the zip again from the lesson's folder.")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise LessonInputError(f"{zip_name} holds a symbolic link ({shown}); put the real files in the zip instead.")
    if member.flag_bits & 0x1:
        raise LessonInputError(f"{zip_name} is password-protected ({shown}); make it without a password.")
    if member.file_size > RATIO_FLOOR and member.file_size > MAX_RATIO * max(member.compress_size, 1):
        raise LessonInputError(
            f"{zip_name}: {shown} compresses {member.file_size // max(member.compress_size, 1)}:1, which pictures and "
            "captions never do. It looks like a zip bomb; refusing it."
        )


def _strip_common_folder(files: dict[str, Any]) -> dict[str, Any]:
    """Zipping a folder wraps everything in it ("mitosis/…"): drop that one shared top folder."""
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        return {name.split("/", 1)[1]: data for name, data in files.items()}
    return files


def read_folder(folder: Path, *, max_unpacked_bytes: int) -> InputFiles:
    """A folder's files (recursively, symlinks and hidden files skipped), for the CLI."""
    folder = Path(folder)
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or not path.is_file() or _skipped(relative):
            continue
        if len(files) >= MAX_FILES:
            raise LessonInputError(f"{folder} holds more than {MAX_FILES} files; a lesson folder may hold at most {MAX_FILES}.")
        total += path.stat().st_size
        if total > max_unpacked_bytes:
            raise LessonInputError(f"{folder} holds more than {max_unpacked_bytes / 2**20:.0f} MB "
                                   "(I2V_LESSON_MAX_UNPACKED_MB); keep only the pictures and captions.")
        files[relative] = path.read_bytes()
    return InputFiles(folder.name, files)


def _stem(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).stem or "lesson"


def decode_text(data: bytes, name: str) -> str:
    """Text of an uploaded outline or caption: UTF-8 (with or without a byte-order mark) or UTF-16
    with a byte-order mark. Anything else is refused with how to fix it, rather than guessed: a
    wrong guess would put garbled words on a class's screen."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LessonInputError(f"{name} starts like UTF-16 text but is damaged; save it again as UTF-8.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        hint = ""
        try:
            data.decode("gb18030")
            hint = " It looks like GBK/GB18030 (common for Chinese text on Windows)."
        except UnicodeDecodeError:
            pass
        raise LessonInputError(
            f"{name} is not UTF-8 text.{hint} Save it as UTF-8 (in Notepad: Save as → Encoding: UTF-8) and upload it again."
        ) from None
    if "\x00" in text:
        raise LessonInputError(f"{name} is not a text file (it holds binary data).")
    return text


def is_picture_name(name: str) -> bool:
    return name.lower().endswith(PICTURE_SUFFIXES)

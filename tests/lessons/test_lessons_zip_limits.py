"""A lesson zip is checked from its directory and its members inflated only when used (issue 28,
item 4). Proved with members whose data is damaged: reading one would fail with "cannot be read",
so a refusal that names the scene limit shows that nothing was inflated before it."""

from __future__ import annotations

import io
import zipfile

import pytest

from i2v.lessons.input_files import read_zip
from i2v.lessons.outline import LessonInputError
from i2v.lessons.parse import Limits, parse_upload
from tests.lessons.test_lessons_parse import png

LIMITS = Limits(max_scenes=24, max_upload_bytes=40 * 2**20, max_unpacked_bytes=200 * 2**20)


def damaged_zip(files: dict[str, bytes], damaged: set[str]) -> bytes:
    """A stored zip whose `damaged` members have their data flipped (their CRC no longer matches)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    raw = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        for info in archive.infolist():
            if info.filename in damaged:
                start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
                raw[start] ^= 0xFF
    return bytes(raw)


def test_damaged_members_are_found_when_read():
    data = damaged_zip({"cell1.png": png(1), "cell1.txt": b"Prophase"}, {"cell1.png"})
    with pytest.raises(LessonInputError, match="cannot be read"):
        parse_upload("cells.zip", data, LIMITS).points[0].picture.data


def test_too_many_captioned_pictures_are_refused_before_any_is_read():
    files = {f"cell{n:02}.{kind}": (png(n) if kind == "png" else f"Point {n}".encode())
             for n in range(30) for kind in ("png", "txt")}
    data = damaged_zip(files, set(files))
    with pytest.raises(LessonInputError, match="30 pictures.*at most 24 scenes"):
        parse_upload("cells.zip", data, LIMITS)


def test_an_outline_naming_too_many_pictures_is_refused_before_any_is_read():
    outline = "# Cells\n" + "".join(f"- Point {n} ![](p{n}.png)\n" for n in range(30))
    pictures = {f"p{n}.png": png(n) for n in range(30)}
    data = damaged_zip({"lesson.md": outline.encode(), **pictures}, set(pictures))
    with pytest.raises(LessonInputError, match="30 knowledge points"):
        parse_upload("cells.zip", data, LIMITS)


def test_unused_members_are_never_inflated():
    outline = "# Cells\n- Prophase: chromosomes condense ![](used.png)\n"
    data = damaged_zip({"lesson.md": outline.encode(), "used.png": png(1), "unused.png": png(2), "notes.txt": b"x"},
                       {"unused.png", "notes.txt"})
    got = parse_upload("cells.zip", data, LIMITS)
    assert got.points[0].picture.data == png(1)


def test_many_small_members_that_compress_like_a_bomb_are_refused_from_the_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(199):
            archive.writestr(f"cell{n:03}.png", bytes(1_000_000))
    with pytest.raises(LessonInputError, match="zip bomb"):
        read_zip(buffer.getvalue(), max_unpacked_bytes=200 * 2**20, name="cells.zip")

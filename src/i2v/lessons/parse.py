"""Any lesson input → `Outline`: typed text, a Markdown or JSON upload, a zip, or a folder (CLI).

The text formats a lesson may be written in are one table, `TEXT_INPUTS`: each names its file
suffixes, how its content is recognised and its parser, and the studio's file picker, the outline
found inside a zip or folder and the dispatch below are all read from it. Which parser runs is
decided by what the input is (a JSON object, Markdown syntax; a zip by its signature), and the
file's name only breaks ties, so a mislabelled file still reads right. A new input format is its
parser module plus one line in the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from i2v.lessons.input_files import (
    InputFiles,
    decode_text,
    is_picture_name,
    read_folder,
    read_zip,
)
from i2v.lessons.outline import (
    LessonInputError,
    Outline,
    Picture,
    Point,
    check_points,
    join_sentences,
    prompt_line,
    split_point,
)
from i2v.lessons.parse_graph import parse_graph
from i2v.lessons.parse_text import (
    check_lines,
    looks_like_markdown,
    parse_markdown,
    parse_plain,
)
from i2v.strict_json import JsonBodyError, loads

TITLE_FILE = "title.txt"  # optional in a folder of captioned pictures: the lesson's title
_NUMBER = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Limits:
    """The lesson limits of `Settings` that parsing enforces."""

    max_scenes: int
    max_upload_bytes: int
    max_unpacked_bytes: int

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(settings.lesson_max_scenes, settings.lesson_max_upload_mb * 2**20, settings.lesson_max_unpacked_mb * 2**20)


# A text parser: (text, limits, title, the pictures it may name) → Outline.
TextParser = Callable[[str, Limits, str, "InputFiles | None"], Outline]


@dataclass(frozen=True)
class TextInput:
    """One text format a lesson may be written in."""

    kind: str  # as `Outline.source` and messages name it
    suffixes: tuple[str, ...]  # file names it is uploaded under (the studio's file picker offers them)
    recognise: Callable[[str], bool]  # does this text look like this format
    parse: TextParser
    outline: bool  # may be the one outline of a zip or folder (its pictures beside it)


def _is_graph(text: str) -> bool:
    return text.lstrip().startswith("{")


def _is_markdown(text: str) -> bool:
    check_lines(text)  # refuses a line too long before any pattern runs over it
    return looks_like_markdown(text)


def _graph(text: str, limits: Limits, title: str, pictures: InputFiles | None) -> Outline:
    try:
        data = loads(text.lstrip())
    except JsonBodyError as exc:
        raise LessonInputError(f"The knowledge graph is not JSON i2v can read: {exc}") from None
    return parse_graph(data, max_scenes=limits.max_scenes, pictures=pictures, title=title)


def _markdown(text: str, limits: Limits, title: str, pictures: InputFiles | None) -> Outline:
    check_lines(text)  # before the parser looks at a line
    return parse_markdown(text, max_scenes=limits.max_scenes, pictures=pictures, title=title)


def _plain(text: str, limits: Limits, title: str, _pictures: InputFiles | None) -> Outline:
    check_lines(text)
    return parse_plain(text, max_scenes=limits.max_scenes, title=title)


# In the order they are tried: the first whose `recognise` says yes parses the text; the last takes anything.
TEXT_INPUTS = (
    TextInput("graph", (".json",), _is_graph, _graph, outline=True),
    TextInput("markdown", (".md", ".markdown"), _is_markdown, _markdown, outline=True),
    TextInput("text", (".txt",), lambda _text: True, _plain, outline=False),
)
ZIP_SUFFIXES = (".zip",)
OUTLINE_SUFFIXES = tuple(suffix for entry in TEXT_INPUTS if entry.outline for suffix in entry.suffixes)
UPLOAD_SUFFIXES = (*(suffix for entry in TEXT_INPUTS for suffix in entry.suffixes), *ZIP_SUFFIXES)


def parse_text(text: str, limits: Limits, *, title: str = "", pictures: InputFiles | None = None) -> Outline:
    """Typed text: a JSON graph, a Markdown outline, or one knowledge point per line."""
    if len(text.encode("utf-8")) > limits.max_upload_bytes:
        raise LessonInputError(f"The outline is larger than {limits.max_upload_bytes // 2**20} MB (I2V_LESSON_MAX_UPLOAD_MB).")
    if not text.strip():
        raise LessonInputError("The outline is empty. Type a topic, or one knowledge point per line.")
    entry = next(entry for entry in TEXT_INPUTS if entry.recognise(text))
    return entry.parse(text, limits, title, pictures)


def parse_upload(name: str, data: bytes, limits: Limits, *, title: str = "") -> Outline:
    """An uploaded file: a zip (outline + pictures, or captioned pictures), or one outline file."""
    if len(data) > limits.max_upload_bytes:
        raise LessonInputError(f"{name} is larger than {limits.max_upload_bytes // 2**20} MB (I2V_LESSON_MAX_UPLOAD_MB).")
    if not data.strip():
        raise LessonInputError(f"{name} is empty.")
    if data.startswith(b"PK\x03\x04") or name.lower().endswith(ZIP_SUFFIXES):
        return parse_files(read_zip(data, max_unpacked_bytes=limits.max_unpacked_bytes, name=name), limits, title=title)
    if is_picture_name(name):
        raise LessonInputError(f"{name} is a picture. Upload a zip of pictures, each with a caption file (cell1.png + cell1.txt).")
    return parse_text(decode_text(data, name), limits, title=title)


def parse_path(path: Path, limits: Limits, *, title: str = "") -> Outline:
    """The CLI's input: an outline file (its pictures beside it), a folder, or a zip."""
    path = Path(path)
    if path.is_dir():
        return parse_files(read_folder(path, max_unpacked_bytes=limits.max_unpacked_bytes), limits, title=title)
    if not path.is_file():
        raise LessonInputError(f"There is no file or folder {path}.")
    if path.suffix.lower() in ZIP_SUFFIXES:
        return parse_upload(path.name, path.read_bytes(), limits, title=title)
    data = path.read_bytes()
    if len(data) > limits.max_upload_bytes:
        raise LessonInputError(f"{path.name} is larger than {limits.max_upload_bytes // 2**20} MB (I2V_LESSON_MAX_UPLOAD_MB).")
    text = decode_text(data, path.name)
    pictures = _pictures_beside(path, text, limits)
    return parse_text(text, limits, title=title, pictures=pictures)


def _pictures_beside(outline: Path, text: str, limits: Limits) -> InputFiles | None:
    """The pictures in the outline's folder, read only when the outline names pictures."""
    if "![" not in text and '"image"' not in text:
        return None
    files = {}
    total = 0
    for path in sorted(outline.parent.rglob("*")):
        if path.is_file() and not path.is_symlink() and is_picture_name(path.name):
            total += path.stat().st_size
            if total > limits.max_unpacked_bytes:
                break
            files[path.relative_to(outline.parent).as_posix()] = path.read_bytes()
    return InputFiles(outline.parent.name, files)


def parse_files(bundle: InputFiles, limits: Limits, *, title: str = "") -> Outline:
    """A zip or folder: its one outline (.md or .json, pictures beside it), or else every picture
    with its caption file (`cell1.png` + `cell1.txt`), in natural name order; a subfolder is a
    section, and an optional `title.txt` names the lesson."""
    outlines = sorted(n for n in bundle.files if n.lower().endswith(OUTLINE_SUFFIXES) and "/" not in n)
    if len(outlines) > 1:
        raise LessonInputError(f"{bundle.name} holds several outlines ({', '.join(outlines[:5])}); keep one.")
    if outlines:
        name = outlines[0]
        return parse_text(decode_text(bundle.files[name], name), limits, title=title, pictures=bundle)
    ends = {n for n in bundle.files if is_end_picture_name(n)}  # NAME.end.png: where NAME's clip ends
    pictures = sorted((n for n in bundle.files if is_picture_name(n) and n not in ends), key=_natural)
    if len(pictures) > limits.max_scenes:  # counted from the names, before any caption or picture is read
        raise LessonInputError(
            f"{bundle.name} holds {len(pictures)} pictures, but a lesson holds at most {limits.max_scenes} scenes "
            "(I2V_LESSON_MAX_SCENES). Split it into several lessons."
        )
    if not pictures:
        raise LessonInputError(
            f"{bundle.name} holds no outline and no pictures. Put in an outline (.md or .json) or pictures, each "
            "with a caption file of the same name (cell1.png + cell1.txt)."
        )
    missing = [n for n in pictures if _caption_name(n) not in bundle.files]
    if missing:
        raise LessonInputError(
            f"Each picture needs a caption file of the same name: {', '.join(_caption_name(n) for n in missing[:5])}"
            f"{' …' if len(missing) > 5 else ''} {'is' if len(missing) == 1 else 'are'} missing."
        )
    points = []
    for name in pictures:
        caption_file = _caption_name(name)
        caption_text = decode_text(bundle.files[caption_file], caption_file)
        paragraphs = [p for p in re.split(r"\n\s*\n", caption_text.strip()) if p.strip()]
        narration = " ".join(paragraphs[1].split()) if len(paragraphs) > 1 else ""  # the second paragraph is said
        first = paragraphs[0] if len(paragraphs) > 1 else caption_text
        lines = [line.strip() for line in first.splitlines() if line.strip()]
        if len(paragraphs) > 2:  # later paragraphs still describe the picture
            lines += [line.strip() for p in paragraphs[2:] for line in p.splitlines() if line.strip()]
        if not lines:
            raise LessonInputError(f"{caption_file} is empty; write the knowledge point the picture shows.")
        point, description = split_point(lines[0])
        prompt = next((found for line in lines[1:] if (found := prompt_line(line)) is not None), "")
        description = join_sentences([description, *(line for line in lines[1:] if prompt_line(line) is None)])
        folder = PurePosixPath(name).parent
        section = _humane(folder.name) if str(folder) != "." else ""
        end_name = _end_name(name)
        end = None
        if end_name in ends:
            ends.discard(end_name)
            end = Picture(end_name, bundle.loader(end_name))
        points.append(Point(point, description, section, Picture(name, bundle.loader(name)), prompt=prompt, end_picture=end,
                            narration=narration))
    if ends:
        raise LessonInputError(f"{', '.join(sorted(ends)[:5])}: an end picture needs its start picture of the same name "
                               "(cell1.png + cell1.end.png + cell1.txt).")
    points_t = check_points(points, limits.max_scenes, "folder")
    title_file = bundle.files.get(TITLE_FILE)
    if not title and title_file is not None:
        title = next((line.strip() for line in decode_text(title_file, TITLE_FILE).splitlines() if line.strip()), "")
    return Outline(title or _humane(bundle.name), points_t, "folder")


def is_end_picture_name(name: str) -> bool:
    """`cell1.end.png`: the end picture of `cell1.png` in a folder of captioned pictures."""
    return is_picture_name(name) and PurePosixPath(name).stem.lower().endswith(".end")


def _end_name(picture: str) -> str:
    path = PurePosixPath(picture)
    return str(path.with_name(f"{path.stem}.end{path.suffix}"))


def _caption_name(picture: str) -> str:
    return str(PurePosixPath(picture).with_suffix(".txt"))


def _natural(name: str) -> list[Any]:
    """cell2 before cell10."""
    return [int(part) if part.isdigit() else part.lower() for part in _NUMBER.split(name)]


def _humane(name: str) -> str:
    """'02_water-cycle' → 'water cycle'."""
    text = re.sub(r"^\d+[\s._-]*", "", name)
    return " ".join(re.sub(r"[_-]+", " ", text).split()) or name

"""A typed list of knowledge points or a Markdown outline → `Outline`.

Plain text: one knowledge point per line ("Prophase: chromosomes condensing" splits into the point
and its description); a first line ending in a colon is the title. Markdown: a lone level-1 heading
is the title, the other headings are sections, bullets are points (indented lines and sub-bullets
add to the point's description), and `![](picture.png)` on a bullet gives it the teacher's picture.
A section with no bullets becomes one point from its heading and paragraph; without any section
headings, unbulleted lines are points too (a typed list where only some lines have bullets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from i2v.lessons import markup
from i2v.lessons.input_files import InputFiles, normalise_name
from i2v.lessons.checks import Check, CheckError, parse_check_line
from i2v.lessons.outline import (
    LessonInputError,
    Outline,
    Picture,
    Point,
    check_points,
    prompt_line,
    split_point,
)

# Anchored, one unbounded group at the end: linear in the line (headings, images, links and
# emphasis are read by `markup`, whose scanners are too; see its module doc).
_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)、]|[①-⑳])\s+(.*)$")
_PLAIN_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)、]|[①-⑳])\s*")
MAX_LINE = 2000
_QUOTE = re.compile(r"^\s*>\s?(.*)$")  # a Markdown quote line: under a bullet, the point's narration


def check_lines(text: str) -> None:
    """Refuse a line longer than MAX_LINE before any parsing looks at it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise LessonInputError(f"Line {number} is {len(line)} characters long; keep a line under {MAX_LINE}.")


def looks_like_markdown(text: str) -> bool:
    """Headings, bullets or image links make a text Markdown; plain lines are a list of points."""
    return any(markup.heading(line) or _BULLET.match(line) or markup.images(line)[0] for line in text.splitlines())


_clean = markup.plain


def parse_plain(text: str, *, max_scenes: int, title: str = "") -> Outline:
    """One point per non-empty line; a first line ending in ':' (or '：') is the title."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise LessonInputError(f"Line {number} is {len(line)} characters long; keep a knowledge point under {MAX_LINE}.")
    if len(lines) > 1 and lines[0].endswith((":", "：")):
        title = title or lines[0].rstrip(":：").strip()
        lines = lines[1:]
    points = []
    for line in lines:
        point, description = split_point(_PLAIN_BULLET.sub("", line, count=1))
        if point:
            points.append(Point(point, description))
    points_t = check_points(points, max_scenes, "outline")
    return Outline(title or points_t[0].text, points_t, "text")


@dataclass
class _Draft:
    text: str
    section: str
    line: int
    extra: list[str] = field(default_factory=list)
    picture: Picture | None = None
    end_picture: Picture | None = None  # a second picture on the point: where the clip ends
    prompt: str = ""
    narration: list[str] = field(default_factory=list)  # `> …` lines under the bullet: what the teacher says
    check: Check | None = None  # a `?` line under the bullet

    def add(self, line: str) -> None:
        """A detail line: "prompt: …" sets the English prompt, anything else adds to the description."""
        prompt = prompt_line(line)
        if prompt is not None:
            self.prompt = prompt
        elif line:
            self.extra.append(line)


def parse_markdown(text: str, *, max_scenes: int, pictures: InputFiles | None = None, title: str = "") -> Outline:
    """Markdown outline → Outline. Pictures named with `![](…)` are looked up in `pictures` (the
    files uploaded with the outline); a name not among them is an error naming the line."""
    check_lines(text)
    text = markup.strip_comments(text)
    lines = text.splitlines()
    headings = [(i, found[0], _clean(found[1])) for i, line in enumerate(lines) if (found := markup.heading(line))]
    level_one = [h for h in headings if h[1] == 1]
    title_line = level_one[0][0] if len(level_one) == 1 and headings and headings[0][1] == 1 else None
    if title_line is not None:
        title = title or level_one[0][2]

    sectioned = any(i != title_line for i, _, _ in headings)
    drafts: list[_Draft] = []
    section = ""
    section_text: list[str] = []
    section_line = 0
    section_has_points = False
    current: _Draft | None = None
    base_indent: int | None = None

    def close_section() -> None:
        if section and not section_has_points and section_text:
            drafts.append(_Draft(section, section, section_line, [" ".join(section_text)]))

    def attach(draft: _Draft | None, picture_ref: str, number: int) -> None:
        if draft is None:
            raise LessonInputError(
                f"Line {number}: the picture {picture_ref[:80]!r} is not under a bullet. Put ![](…) on the line of "
                "the knowledge point it belongs to."
            )
        if draft.end_picture is not None:
            raise LessonInputError(f"Line {number}: the point {draft.text[:40]!r} already has a start and an end "
                                   "picture; at most two per point.")
        if draft.picture is not None:
            draft.end_picture = _lookup(picture_ref, pictures, number)  # the second picture: the state after
            return
        draft.picture = _lookup(picture_ref, pictures, number)

    for index, raw in enumerate(lines):
        number = index + 1
        if len(raw) > MAX_LINE:
            raise LessonInputError(f"Line {number} is {len(raw)} characters long; keep a line under {MAX_LINE}.")
        if not raw.strip():
            continue
        quoted = _QUOTE.match(raw)
        if quoted and current is not None:  # `> …` under a bullet: that point's narration
            current.narration.append(_clean(quoted.group(1)))
            continue
        heading = markup.heading(raw)
        if heading:
            close_section()
            current, base_indent = None, None
            if index != title_line:
                section, section_text, section_line, section_has_points = _clean(heading[1]), [], number, False
            continue
        images, body = markup.images(raw)
        asked = _question(body)
        if asked is not None:
            _ask(current, asked, number)
            continue
        bullet = _BULLET.match(body) if body.strip() else None
        if bullet is None and images and not body.strip() and _BULLET.match(raw):
            bullet = _BULLET.match(raw)  # a bullet that is only a picture
        if bullet:
            indent = len(bullet.group(1).expandtabs(4))
            if current is not None and base_indent is not None and indent > base_indent:
                if (asked := _question(bullet.group(2))) is not None:  # "  - ? …": a check as a sub-bullet
                    _ask(current, asked, number)
                    continue
                current.add(_clean(markup.images(bullet.group(2))[1]))  # a sub-bullet: details
                for _, ref in images:
                    attach(current, ref, number)
                continue
            base_indent = indent
            point_text = _clean(markup.images(bullet.group(2))[1])
            alt = next((alt for alt, _ in images if alt.strip()), "")
            current = _Draft(point_text or _clean(alt), section, number)
            if not current.text:
                raise LessonInputError(f"Line {number}: a bullet with a picture needs the knowledge point's words too.")
            drafts.append(current)
            section_has_points = True
            for _, ref in images:
                attach(current, ref, number)
            continue
        continued = current is not None and (raw[:1].isspace() or images)
        if continued:
            if body.strip():
                current.add(_clean(body))
            for _, ref in images:
                attach(current, ref, number)
            continue
        if images:
            attach(None, images[0][1], number)
        current, base_indent = None, None
        if section:
            section_text.append(_clean(body))
        elif not sectioned:  # a typed list where only some lines have bullets: every line is a point
            line = _clean(body)
            if not drafts and not title and line.endswith((":", "：")):
                title = line.rstrip(":：").strip()
            else:
                current = _Draft(line, "", number)
                drafts.append(current)
                base_indent = len(body) - len(body.lstrip())
    close_section()

    points = []
    for draft in drafts:
        point, description = split_point(draft.text)
        description = " ".join(part for part in (description, *draft.extra) if part)
        points.append(Point(point, description, draft.section, draft.picture, prompt=draft.prompt,
                            end_picture=draft.end_picture, narration=" ".join(draft.narration),
                            check=draft.check))
    points_t = check_points(points, max_scenes, "outline")
    return Outline(title or points_t[0].section or points_t[0].text, points_t, "markdown")


def _question(body: str) -> str | None:
    """The text of a `?` line (a check for the point above), else None."""
    text = body.strip()
    return text if text.startswith(("? ", "？")) or text == "?" else None


def _ask(draft: _Draft | None, line: str, number: int) -> None:
    """Attach a `?` line's check to the point above it; LessonInputError naming the line otherwise."""
    if draft is None:
        raise LessonInputError(f"Line {number}: the check {line[:60]!r} is not under a bullet. Put the `?` line "
                               "right under the knowledge point it asks about.")
    if draft.check is not None:
        raise LessonInputError(f"Line {number}: the point {draft.text[:40]!r} already has a check; one per point.")
    try:
        draft.check = parse_check_line(line, "zh" if _HAN_TEXT.search(draft.text) else "en")
    except CheckError as exc:
        raise LessonInputError(f"Line {number}: {exc}") from None


_HAN_TEXT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _lookup(reference: str, pictures: InputFiles | None, number: int) -> Picture:
    name = normalise_name(reference)
    if pictures is None or not pictures.has(name):
        where = "was not uploaded with the outline" if pictures is None else f"is not in {pictures.name}"
        raise LessonInputError(
            f"Line {number} names the picture {reference[:80]!r}, which {where}. Upload a zip holding the outline "
            "and its pictures (names relative to the outline)."
        )
    return Picture(name, pictures.loader(name))  # read once the outline has passed its checks


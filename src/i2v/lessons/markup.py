"""The Markdown an outline uses, read in time linear in the line's length: headings, image links
`![alt](picture.png "title")`, links, emphasis and `<!-- comments -->`.

Regular expressions with a lazy or unbounded group before a fixed ending (`^#+\\s+(.*?)\\s*#*\\s*$`,
`!\\[[^\\]]*\\]…`, `<!--.*?-->`) retry from every start position and backtrack inside each: one
heading of 2,000 characters took 16 s and held the interpreter lock while it did, so every other
request waited. Here each scan moves forward with `str.find` (C speed), and a failed candidate
never makes the scanner look at the same characters again.
"""

from __future__ import annotations

import re
from bisect import bisect_left

# What may follow an image's picture name: an optional `>`, an optional quoted title, then `)`.
# Anchored at one position and free of nested quantifiers: linear in what it reads.
_IMAGE_END = re.compile(r">?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_REF_STOP = re.compile(r"[)>\s]")  # a picture name ends at one of these
_EMPHASIS = ("**", "__", "`", "*", "_")


def heading(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading line ("## Mitosis ##" → (2, "Mitosis")), else None."""
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or len(line) == level or not line[level].isspace():
        return None
    return level, line[level:].strip().rstrip("#").rstrip()


def strip_comments(text: str) -> str:
    """`text` without its HTML comments; an unclosed `<!--` is left as typed."""
    parts, position = [], 0
    while (start := text.find("<!--", position)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[position:start])
        position = end + 3
    parts.append(text[position:])
    return "".join(parts)


def images(line: str) -> tuple[list[tuple[str, str]], str]:
    """The line's images as (alt text, picture name), and the line with them removed."""
    found: list[tuple[str, str]] = []
    kept: list[str] = []
    stops: list[int] | None = None
    ends: dict[int, int] = {}  # where the image closes, by where its picture name ends (-1: it does not)
    position = search = 0
    while (start := line.find("![", search)) >= 0:
        close = line.find("]", start + 2)
        if close < 0:
            break
        # Every candidate between `start` and `close` shares this `]` and what follows it, so a
        # failure here is a failure for them all: the next search starts after `close`.
        search = close + 1
        if line[close + 1:close + 2] != "(":
            continue
        name_start = close + 2
        while name_start < len(line) and line[name_start].isspace():
            name_start += 1
        if line[name_start:name_start + 1] == "<":
            name_start += 1
        if stops is None:
            stops = [m.start() for m in _REF_STOP.finditer(line)]
        index = bisect_left(stops, name_start)
        name_end = stops[index] if index < len(stops) else len(line)
        if name_end == name_start and line[name_start - 1:name_start] == "<":
            name_start -= 1  # "(<)": the "<" is the name itself, as the Markdown regex would read it
            name_end = name_start + 1
        if name_end == name_start:
            continue
        if name_end not in ends:
            match = _IMAGE_END.match(line, name_end)
            ends[name_end] = match.end() if match else -1
        if ends[name_end] < 0:
            continue
        found.append((line[start + 2:close], line[name_start:name_end]))
        kept.append(line[position:start])
        position = search = ends[name_end]
    kept.append(line[position:])
    return found, "".join(kept)


def unlink(text: str) -> str:
    """`[words](address)` → words."""
    parts, position, search = [], 0, 0
    while (start := text.find("[", search)) >= 0:
        close = text.find("]", start + 1)
        if close < 0:
            break
        search = close + 1  # candidates before `close` share it: see `images`
        if close == start + 1 or text[close + 1:close + 2] != "(":
            continue
        end = text.find(")", close + 2)
        if end < 0:
            break  # no later link can close either
        parts.append(text[position:start] + text[start + 1:close])
        position = search = end + 1
    parts.append(text[position:])
    return "".join(parts)


def unemphasise(text: str) -> str:
    """`**bold**`, `_italic_`, `` `code` `` → their words (pairs of the same marker, left to right)."""
    for marker in _EMPHASIS:
        if marker not in text:
            continue
        parts, position = [], 0
        while (start := text.find(marker, position)) >= 0:
            end = text.find(marker, start + len(marker) + 1)
            if end < 0:
                break  # no later marker closes either
            parts.append(text[position:start] + text[start + len(marker):end])
            position = end + len(marker)
        parts.append(text[position:])
        text = "".join(parts)
    return text


def plain(text: str) -> str:
    """Markdown inline markup → plain words on one line."""
    return " ".join(unemphasise(unlink(text)).split())

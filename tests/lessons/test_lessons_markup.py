"""Outline Markdown read in linear time (issue 28, item 1): the worst lines an outline may hold
(2,000 characters, the line limit) parse in milliseconds, and the linear scanners read ordinary
Markdown exactly as the regular expressions they replace did.

Before: `"# a" + 1990 spaces + "b"` took 16 s in the heading regex (cubic), a line of `![` or
`![](a` 0.2 s in the image regex (quadratic), and `<!--` many times over a whole outline scanned the
rest of the text from each one."""

from __future__ import annotations

import random
import re
import time

import pytest

from i2v.lessons import markup
from i2v.lessons.outline import LessonInputError
from i2v.lessons.parse import Limits, parse_text

LIMITS = Limits(max_scenes=24, max_upload_bytes=2 * 2**20, max_unpacked_bytes=50 * 2**20)
# The worst lines found for each construct, each just under the 2,000-character line limit.
WORST_LINES = {
    "heading padded with spaces": "# a" + " " * 1990 + "b",
    "heading of hashes and spaces": "# " + "# " * 995,
    "image openers": "- p " + "![" * 995,
    "images without a closing bracket": "- x ![" * 330,
    "image names running on": "![](a" * 390,
    "image names after spaces": "![]( " * 390,
    "image titles never closed": '![a](b "' * 240,
    "comment openers": "<!--" * 499,
    "link openers": "- p " + "[" * 1995,
    "links never closed": "[a](" * 499,
    "emphasis markers": "- " + "*a" * 998,
    "underscores": "- " + "_" * 1997,
    "bullet padded with spaces": "-" + " " * 1990 + "x",
    "numbered bullet of digits": " " * 1000 + "1" * 990,
    "point and separator far apart": "- " + "a" * 50 + " " * 1900 + ":",
}

# The regular expressions the scanners replace: the reference for what ordinary Markdown means.
REFERENCE_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
REFERENCE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)>\s]+)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
REFERENCE_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _parse_seconds(text: str) -> float:
    started = time.perf_counter()
    try:
        parse_text(text, LIMITS)
    except LessonInputError:
        pass  # too many points is a fine answer: the time is what counts
    return time.perf_counter() - started


@pytest.mark.parametrize("name", list(WORST_LINES))
def test_one_worst_line_parses_in_milliseconds(name):
    line = WORST_LINES[name]
    assert len(line) <= 2000
    text = f"# Lesson\n{line}\n- a point"
    seconds = min(_parse_seconds(text) for _ in range(3))  # the least disturbed of three runs on a shared CPU
    assert seconds < 0.05, f"{name}: {seconds:.3f} s for one line of {len(line)} characters"


def test_a_whole_upload_of_worst_lines_parses_in_seconds():
    """About 2 MB (the tests' upload limit) of every worst line, repeated: linear time keeps it to
    seconds (≈2 s measured here under load); the old regexes needed hours for the headings alone."""
    lines = list(WORST_LINES.values())
    text = "# Lesson\n" + "\n".join(lines[i % len(lines)] for i in range(1000))
    assert 1.9e6 < len(text.encode()) < 2 * 2**20
    seconds = _parse_seconds(text)
    assert seconds < 20, f"{seconds:.1f} s for {len(text)} characters"


def test_scanners_read_markdown_as_the_regular_expressions_did():
    """200,000 random short lines from Markdown's special characters: the same headings, images,
    links and comments as the reference regexes (which are fast on short lines)."""
    rng = random.Random(28)
    alphabet = list("![]()<>\"' a.#*_`\t") + ["![", "](", "<!--", "-->", "[a](b)"]
    for _ in range(200_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        found = REFERENCE_HEADING.match(line)
        assert markup.heading(line) == ((len(found.group(1)), found.group(2)) if found else None), line
        assert markup.images(line) == (REFERENCE_IMAGE.findall(line), REFERENCE_IMAGE.sub("", line)), line
        assert markup.unlink(line) == REFERENCE_LINK.sub(r"\1", line), line
        assert markup.strip_comments(line) == REFERENCE_COMMENT.sub("", line), line


def test_emphasis_and_links_become_plain_words():
    assert markup.plain("**Prophase**: the *chromosomes* `condense` in [cells](https://x.org/a_b)") == \
        "Prophase: the chromosomes condense in cells"
    assert markup.plain("***both*** and __strong__ and _soft_") == "both and strong and soft"


def test_a_line_over_the_limit_is_refused_before_parsing():
    with pytest.raises(LessonInputError, match="Line 2 is 2001 characters"):
        parse_text("# Lesson\n" + "#" * 2001 + "\n- a point", LIMITS)

"""The example lessons that ship with i2v, one per input format, to try in one click: mitosis
(a Markdown outline, also in Chinese), the water cycle (a JSON knowledge graph) and the seasons
(a folder of pictures with a caption file each). A one-line topic that names one of them
("有丝分裂的四个时期", "why do we have seasons") opens it too.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from i2v.lessons.outline import LessonInputError, Outline, detect_lang
from i2v.lessons.parse import Limits, parse_path
from i2v.teaching.search import chinese_grams, english_terms

EXAMPLES_DIR = Path(str(resources.files("i2v.lessons").joinpath("examples")))


@dataclass(frozen=True)
class Example:
    id: str
    format: str
    files: dict[str, str]  # language → file or folder under examples/
    title: dict[str, str]
    keywords: dict[str, list[str]]

    def path(self, lang: str) -> Path:
        return EXAMPLES_DIR / self.files.get(lang, next(iter(self.files.values())))


@functools.lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    raw = json.loads((EXAMPLES_DIR / "index.json").read_text("utf-8"))
    return tuple(Example(**item) for item in raw["examples"])


def get_example(example_id: str) -> Example:
    for example in examples():
        if example.id == example_id:
            return example
    raise LessonInputError(f"There is no example lesson {example_id[:40]!r}; try one of "
                           f"{', '.join(e.id for e in examples())}.")


def example_outline(example_id: str, lang: str, limits: Limits) -> Outline:
    """The example in `lang` when it has that language, else its first one."""
    return parse_path(get_example(example_id).path(lang), limits)


def match_topic(topic: str) -> tuple[Example, str] | None:
    """The example a one-line topic names, and the language to open it in, or None. A topic names
    an example when it holds one of its keywords whole (all of an English keyword's words)."""
    lang = detect_lang(topic)
    terms, grams = set(english_terms(topic)), set(chinese_grams(topic))
    for example in examples():
        for keyword in example.keywords.get("en", []):
            words = set(english_terms(keyword))
            if words and words <= terms:
                return example, lang if lang in example.files else next(iter(example.files))
        for keyword in example.keywords.get("zh", []):
            if keyword in topic or (len(keyword) > 1 and set(chinese_grams(keyword)) <= grams):
                return example, lang if lang in example.files else next(iter(example.files))
    return None

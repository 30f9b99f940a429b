"""English and Simplified Chinese for everything i2v says to people, from catalogues kept by their
owners: the teaching aids' messages (`teaching/strings.json`), the studio's texts (`web/strings.json`)
and the lessons' words (`lessons/strings.json`).

Every user-facing sentence goes through `t`, so a missing translation is a catalogue entry to add,
not a string hunted through code.
"""

from __future__ import annotations

import functools
import json
import re
import string
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Literal

Lang = Literal["en", "zh"]
LANGUAGES: tuple[Lang, ...] = ("en", "zh")
DEFAULT_LANG: Lang = "en"
CATALOGUES = ("i2v.teaching", "i2v.web", "i2v.lessons")  # each holds a strings.json of its own texts


@functools.lru_cache(maxsize=1)
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """All messages as {key: {"en": ..., "zh": ...}}, read once and frozen.

    Raises ValueError when an entry lacks a language or its languages use different `{params}`,
    so a broken catalogue fails at start-up rather than in front of a teacher.
    """
    raw: dict[str, dict] = {}
    for package in CATALOGUES:
        part = json.loads(resources.files(package).joinpath("strings.json").read_text("utf-8"))
        clash = sorted(key for key in part if key in raw and not key.startswith("_"))
        if clash:
            raise ValueError(f"{package}/strings.json: {', '.join(clash)} also in another catalogue")
        raw.update(part)
    frozen: dict[str, Mapping[str, str]] = {}
    for key, entry in raw.items():
        if key.startswith("_"):
            continue  # comments
        missing = [lang for lang in LANGUAGES if not str(entry.get(lang, "")).strip()]
        if missing:
            raise ValueError(f"strings.json: {key!r} has no text for {', '.join(missing)}")
        fields = {lang: _fields(entry[lang]) for lang in LANGUAGES}
        if fields["en"] != fields["zh"]:
            raise ValueError(f"strings.json: {key!r} uses different {{params}} in en and zh")
        frozen[key] = MappingProxyType({lang: entry[lang] for lang in LANGUAGES})
    return MappingProxyType(frozen)


def _fields(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def normalize_lang(lang: str | None) -> Lang:
    """'zh', 'zh-CN', 'zh_Hans'… → 'zh'; anything else (or None) → 'en'."""
    return "zh" if lang and lang.strip().lower().replace("_", "-").split("-")[0] == "zh" else "en"


def t(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    """The message `key` in `lang` ('en' or 'zh'; other values fall back to English), formatted.

    Raises KeyError naming the key when it is not in the catalogue.
    """
    try:
        entry = catalogue()[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in strings.json") from None
    return entry[normalize_lang(lang)].format(**params)


_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def pick_language(accept_language: str | None) -> Lang:
    """The UI language for a browser's `Accept-Language` header: the best-weighted of en/zh.

    Any Chinese variant (zh-CN, zh-TW, zh-Hans…) picks Simplified Chinese; a missing or
    unparseable header, or one naming neither language, picks English.
    """
    best: tuple[float, int, Lang] | None = None
    for position, item in enumerate((accept_language or "").split(",")):
        match = _ACCEPT_ITEM.match(item)
        if not match or match.group(1) == "*":
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        primary = match.group(1).lower().replace("_", "-").split("-")[0]
        if primary not in LANGUAGES or weight <= 0:
            continue
        candidate = (weight, -position, primary)  # ties go to the earlier entry
        if best is None or candidate > best:
            best = candidate  # type: ignore[assignment]
    return best[2] if best else DEFAULT_LANG

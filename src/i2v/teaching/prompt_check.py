"""The prompt helper: a four-field builder with example chips, and a checker run as the teacher types.

The checker counts tokens with the chosen model family's tokenizer and limit, taken from its spec
(I2VGen-XL: CLIP, `<|startoftext|>` + 75 prompt tokens + `<|endoftext|>`; Wan: UMT5, 512; LTX: T5,
128): whatever lies beyond is silently dropped, and a teacher should see exactly which words. It
also flags what makes a model ignore a prompt: vague phrases, no verb of motion, and text in a
language the family's text encoder does not read (CLIP and T5 read English; UMT5 also Chinese).
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict

from i2v.engine.registry import DEFAULT_SPEC
from i2v.engine.spec import ModelSpec
from i2v.i18n import t
from i2v.teaching.presets import build_prompt
from i2v.teaching.search import search_presets, stem

__all__ = ["CHIPS", "PromptCheck", "PromptWarning", "build_prompt", "check_prompt", "chips"]

WarningCode = Literal["empty", "non_english", "too_long", "vague", "no_action"]

CHIPS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "subject": ("water molecules", "chromosomes", "the Earth", "a pendulum", "oxygen bubbles", "red blood cells",
                "a drop of ink", "clouds", "a beam of light", "sodium and chloride ions"),
    "action": ("vibrating", "rotating", "orbiting", "swinging", "splitting apart", "flowing", "rising", "spreading",
               "melting", "growing", "beating", "bouncing"),
    "direction": ("rotating clockwise", "counterclockwise", "from left to right", "upward", "downward",
                  "outward from the centre", "toward each other", "back and forth", "around the Sun",
                  "to opposite poles"),
    "environment": ("in slow motion", "time-lapse", "on a light background", "in clear water", "in a glass beaker",
                    "under bright sunlight", "in a school laboratory", "top view", "smooth motion", "steady rhythm"),
})
"""Example chips for each builder field (English: prompts stay English)."""

# Phrases that say "move" without saying how; longest first so "nice movement" wins over "nice".
VAGUE_PHRASES: tuple[str, ...] = tuple(sorted((
    "nice movement", "nice motion", "something happens", "something happening", "some movement", "some motion",
    "make it move", "make it alive", "bring it to life", "animate this", "animate it", "moves a bit", "move a bit",
    "moving a bit", "do something", "doing something", "something", "stuff", "things", "interesting", "cool",
    "awesome", "amazing", "beautiful", "nice", "good", "whatever", "etc",
), key=len, reverse=True))

# Motion verbs in base form (stemmed at check time), beyond any "-ing" word.
ACTION_VERBS: frozenset[str] = frozenset(stem(v) for v in (
    "move", "rotate", "spin", "turn", "orbit", "revolve", "swing", "oscillate", "vibrate", "shake", "jiggle",
    "flow", "pour", "drip", "fall", "rise", "lift", "float", "sink", "drift", "sway", "ripple", "grow", "shrink",
    "expand", "contract", "pump", "beat", "split", "divide", "separate", "merge", "join", "collide", "bounce",
    "roll", "slide", "travel", "pass", "bend", "refract", "reflect", "spread", "diffuse", "dissolve", "melt",
    "freeze", "boil", "evaporate", "condense", "burn", "glow", "flicker", "erupt", "explode", "fizz", "swirl",
    "twist", "bloom", "sprout", "crawl", "swim", "walk", "jump", "zoom", "break", "blow", "sweep", "carry",
))
# Not listed on purpose: words that are mostly nouns in science prompts ("wave", "drop", "bubble",
# "light", "pulse", "form"), so "a transverse wave on a rope" is still flagged as having no action.
# Common "-ing" words that are not actions.
NOT_ACTIONS: frozenset[str] = frozenset((
    "something", "nothing", "anything", "everything", "thing", "things", "ring", "rings", "king", "wing", "wings",
    "spring", "string", "strings", "ceiling", "morning", "evening", "building", "buildings", "painting", "drawing",
    "during", "lighting", "setting", "background", "ending", "beginning", "lightning", "clothing", "interesting",
    "amazing", "boring", "stunning", "bring",
))

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]")
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[^\W\d_]")
_ACCENTED = re.compile(r"[À-ÖØ-öø-ɏ]")


class PromptWarning(BaseModel):
    """One problem with a prompt; `suggestion` holds a ready English prompt when one fits."""

    model_config = ConfigDict(frozen=True)

    code: WarningCode
    message: str
    suggestion: str | None = None


class PromptCheck(BaseModel):
    """What the text encoder will make of a prompt.

    `tokens`: prompt tokens by the family's tokenizer, start/end markers excluded.
    `limit`: how many prompt tokens the family's text encoder reads (CLIP 75, UMT5 511, T5 127).
    `truncated_text`: the tokens beyond `limit`, decoded ("" when nothing is cut).
    `cut_at`: where the cut starts in the original text (for highlighting), None when nothing is cut.
    """

    model_config = ConfigDict(frozen=True)

    tokens: int
    limit: int
    truncated_text: str
    cut_at: int | None = None
    warnings: list[PromptWarning]


def chips() -> dict[str, list[str]]:
    """A fresh, JSON-ready copy of `CHIPS`."""
    return {field: list(values) for field, values in CHIPS.items()}


def _vague_phrases(lower: str) -> list[str]:
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for phrase in VAGUE_PHRASES:
        for match in re.finditer(rf"\b{re.escape(phrase)}\b", lower):
            span = match.span()
            if not any(a < span[1] and span[0] < b for a, b in taken):
                taken.append(span)
                if phrase not in found:
                    found.append(phrase)
    return sorted(found, key=lower.find)


def _has_action(lower: str) -> bool:
    for word in re.findall(r"[a-z]+", lower):
        if word in NOT_ACTIONS:
            continue
        if (word.endswith("ing") and len(word) >= 5) or stem(word) in ACTION_VERBS:
            return True
    return False


def _looks_non_english(text: str) -> bool:
    if _CJK.search(text):
        return True
    letters = _LETTER.findall(text)
    if not letters:
        return False
    non_latin = sum(1 for ch in letters if not ("a" <= ch.lower() <= "z") and not _ACCENTED.match(ch))
    if non_latin / len(letters) > 0.3:
        return True
    words = re.findall(r"[^\W\d_]+", text)
    return sum(1 for w in words if _ACCENTED.search(w)) / len(words) > 0.2


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def check_prompt(text: str, lang: str = "en", spec: ModelSpec = DEFAULT_SPEC) -> PromptCheck:
    """Check a prompt as typed for the model family `spec`; messages in `lang` ('en' or 'zh').
    Fast enough for every keystroke (each family's tokenizer is built once and cached)."""
    budget = spec.text.budget
    if not text.strip():
        return PromptCheck(tokens=0, limit=budget, truncated_text="",
                           warnings=[PromptWarning(code="empty", message=t("prompt.empty", lang))])
    tokenizer = spec.text.load_tokenizer()
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    ids, offsets = encoded["input_ids"], encoded["offset_mapping"]
    warnings: list[PromptWarning] = []
    non_english = _looks_non_english(text)
    readable = not non_english or (_CHINESE.search(text) is not None and "zh" in spec.text.languages)
    if not readable:
        warnings.append(_non_english_warning(text, lang))
    truncated_text, cut_at = "", None
    if len(ids) > budget:
        truncated_text = tokenizer.decode(ids[budget:])
        cut_at = offsets[budget][0]
        warnings.append(PromptWarning(code="too_long", message=t(
            "prompt.too_long", lang, tokens=len(ids), limit=budget, cut=_shorten(text[cut_at:]))))
    if not non_english:  # vague/no-verb checks only make sense on English words
        lower = text.lower()
        vague = _vague_phrases(lower)
        if vague:
            warnings.append(PromptWarning(code="vague", message=t(
                "prompt.vague", lang, phrases=", ".join(f"“{p}”" for p in vague))))
        if not _has_action(lower):
            warnings.append(PromptWarning(code="no_action", message=t("prompt.no_action", lang)))
    return PromptCheck(tokens=len(ids), limit=budget, truncated_text=truncated_text, cut_at=cut_at, warnings=warnings)


def _non_english_warning(text: str, lang: str) -> PromptWarning:
    """Non-English warning; for Chinese text, offer the best-matching preset's English prompt."""
    if _CHINESE.search(text):
        hits = search_presets(text, limit=1)
        if hits:
            preset = hits[0][0]
            return PromptWarning(code="non_english", suggestion=preset.prompt, message=t(
                "prompt.non_english_suggest", lang, title=preset.title.get(lang), prompt=preset.prompt))
    return PromptWarning(code="non_english", message=t("prompt.non_english", lang))

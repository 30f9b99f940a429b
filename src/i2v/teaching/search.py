"""Find presets from a knowledge point typed in English or Chinese, offline and in well under 10 ms.

No model: English words are lower-cased and lightly stemmed, Chinese text is cut into character
bigrams, and both are matched against each preset's title, keywords and knowledge point, weighted
by how rare a term is across presets (idf). Synonyms and pupils' questions ("why do we have
seasons", "细胞分裂") live in the presets' `keywords`, so improving search means editing data.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from i2v.teaching.presets import Preset, load_presets

_WORD = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOPWORDS = frozenset(
    "a an the of and or to in on at for with by from into about as is are was were be been being do does did "
    "we you i they he she it its our your their my what why how when where which who whom have has had there "
    "this that these those can could should would will shall may might show shows explain explains explaining "
    "video videos animation animations clip lesson teach teaching students pupils class please want".split()
)
_ZH_STOPWORDS = (
    "为什么", "为何", "什么", "怎么", "怎样", "如何", "我们", "你们", "哪些", "是否", "的", "吗", "呢", "了",
)
_SPELLING = MappingProxyType({
    "colour": "color", "colours": "colors", "vapour": "vapor", "fibre": "fiber", "fibres": "fibers",
    "centre": "center", "sulphur": "sulfur", "aluminium": "aluminum", "travelling": "traveling",
})
_EN_FIELDS = (("title", 3.0), ("keywords", 3.0), ("knowledge_point", 1.0), ("prompt", 1.0), ("subject_area", 1.0))
_ZH_FIELDS = (("title", 3.0), ("keywords", 3.0), ("knowledge_point", 1.0))
_PHRASE_BONUS = 0.25
_MAX_WEIGHT = 3.0
_CHAR_FACTOR = 0.3  # single Chinese characters count, but far less than bigrams
_RELATIVE_CUTOFF = 0.15


def stem(word: str) -> str:
    """A light suffix stripper, applied alike to queries and presets, so 'rotating', 'rotation' and
    'rotate' all meet at 'rotat'. Not linguistics: just enough for curriculum words."""
    word = _SPELLING.get(word, word)
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ion", ""), ("ed", ""), ("ly", "")):
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def english_terms(text: str) -> list[str]:
    """Stemmed content words of `text`, in order, stopwords dropped."""
    return [stem(w) for w in _WORD.findall(text.lower().replace("_", " ")) if w not in _STOPWORDS]


def chinese_grams(text: str) -> list[str]:
    """Character bigrams of each run of Chinese characters (a lone character stands for itself)."""
    grams = []
    for run in _CJK_RUN.findall(_drop_zh_stopwords(text)):
        grams.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return grams


def _drop_zh_stopwords(text: str) -> str:
    for word in _ZH_STOPWORDS:
        text = text.replace(word, " ")
    return text


def _chinese_chars(text: str) -> set[str]:
    return {char for run in _CJK_RUN.findall(_drop_zh_stopwords(text)) for char in run}


@dataclass(frozen=True)
class _Doc:
    preset: Preset
    en: tuple[tuple[float, frozenset[str]], ...]
    zh: tuple[tuple[float, frozenset[str]], ...]
    en_phrases: tuple[frozenset[str], ...]  # keyword phrases of 2+ words, as stems
    zh_phrases: tuple[str, ...]


def _field_texts(preset: Preset, field: str, lang: str) -> list[str]:
    if field == "keywords":
        return list(getattr(preset.keywords, lang))
    if field == "prompt":
        return [preset.prompt]
    if field == "subject_area":
        return [preset.subject_area]
    return [getattr(getattr(preset, field), lang)]


def _grams_of(texts: Iterable[str]) -> frozenset[str]:
    """Bigrams and single characters: a query's bigrams must meet bigrams, its characters characters."""
    grams: set[str] = set()
    for text in texts:
        grams.update(chinese_grams(text))
        grams.update(_chinese_chars(text))
    return frozenset(grams)


@dataclass(frozen=True)
class _Index:
    docs: tuple[_Doc, ...]
    idf: Mapping[str, float]
    unseen_idf: float


@functools.lru_cache(maxsize=1)
def _index() -> _Index:
    docs = []
    for preset in load_presets():
        en = tuple((w, frozenset(t for text in _field_texts(preset, f, "en") for t in english_terms(text)))
                   for f, w in _EN_FIELDS)
        zh = tuple((w, _grams_of(_field_texts(preset, f, "zh"))) for f, w in _ZH_FIELDS)
        en_phrases = tuple(frozenset(terms) for k in preset.keywords.en if len(terms := english_terms(k)) > 1)
        docs.append(_Doc(preset, en, zh, en_phrases, preset.keywords.zh))
    counts: dict[str, int] = {}
    for doc in docs:
        for term in set().union(*(terms for _, terms in doc.en + doc.zh)):
            counts[term] = counts.get(term, 0) + 1
    n = len(docs)
    idf = MappingProxyType({term: math.log(1 + n / df) for term, df in counts.items()})
    return _Index(tuple(docs), idf, math.log(1 + n))


def _score(doc: _Doc, terms: set[str], grams: set[str], chars: set[str], query: str, index: _Index) -> float:
    matched = possible = 0.0
    for units, fields, factor in ((terms, doc.en, 1.0), (grams, doc.zh, 1.0), (chars, doc.zh, _CHAR_FACTOR)):
        for unit in units:
            weight = index.idf.get(unit, index.unseen_idf) * factor
            possible += weight * _MAX_WEIGHT
            matched += weight * max((w for w, field in fields if unit in field), default=0.0)
    if not matched:
        return 0.0
    score = matched / possible
    if any(phrase <= terms for phrase in doc.en_phrases) or any(p in query for p in doc.zh_phrases if len(p) > 1):
        score += _PHRASE_BONUS
    return min(1.0, score)


def search_presets(query: str, limit: int = 5) -> list[tuple[Preset, float]]:
    """The presets best matching `query` (English, Chinese or both), best first, with scores in (0, 1].

    Only presets sharing a term with the query and scoring at least 15% of the best are returned,
    at most `limit` of them; ties keep file order. A blank query returns every preset in file order, score 0.0, ignoring
    `limit` (the UI's full list).
    """
    index = _index()
    if not query.strip():
        return [(doc.preset, 0.0) for doc in index.docs]
    terms, grams = set(english_terms(query)), set(chinese_grams(query))
    chars = _chinese_chars(query) - grams  # a lone character is already a "gram"
    scored = [(doc.preset, _score(doc, terms, grams, chars, query, index)) for doc in index.docs]
    ranked = sorted((item for item in scored if item[1] > 0), key=lambda item: -item[1])
    if ranked:  # drop stray one-character matches far below the best hit
        ranked = [item for item in ranked if item[1] >= ranked[0][1] * _RELATIVE_CUTOFF]
    return ranked[: max(0, limit)]


_SEAM_FACTOR = 0.4
RIVAL_FACTOR = 0.7
ANCHORLESS_FACTOR = 0.5
"""A preset none of whose keywords the query holds whole gets half the confidence: 'sodium' in
'sodium hydroxide' is not a point about sodium metal, 'iron' in 'iron filings' not one about rust."""


def _anchored(doc: _Doc, terms: set[str], query: str) -> bool:
    """Does the query hold one of the preset's keywords whole (every word of an English keyword, a
    Chinese keyword as written)?"""
    for keyword in doc.preset.keywords.en:
        stems = set(english_terms(keyword))
        if stems and stems <= terms:
            return True
    return any(keyword in query for keyword in doc.preset.keywords.zh)


def match_confidence(preset_id: str, query: str) -> float:
    """How sure it is that `preset_id` shows what `query` (a knowledge point) is about, in [0, 1].

    Unlike `search_presets`' ranking score, only the preset's title and keywords count (its
    knowledge point and prompt mention many neighbouring ideas: the water cycle's mentions that
    evaporation takes in heat, which is no reason to show it for evaporative cooling), and a query
    holding none of its keywords whole gets `ANCHORLESS_FACTOR` of it. 0.0 for an unknown preset or
    a blank query.
    """
    index = _index()
    doc = next((d for d in index.docs if d.preset.id == preset_id), None)
    if doc is None or not query.strip():
        return 0.0
    terms, grams = set(english_terms(query)), set(chinese_grams(query))
    chars = _chinese_chars(query) - grams
    strong = _Doc(doc.preset, tuple(f for f in doc.en if f[0] >= _MAX_WEIGHT), tuple(f for f in doc.zh if f[0] >= _MAX_WEIGHT),
                  doc.en_phrases, doc.zh_phrases)
    matched = possible = 0.0
    explained: set[str] = set()
    for units, fields, factor in ((terms, strong.en, 1.0), (grams, strong.zh, 1.0), (chars, strong.zh, _CHAR_FACTOR)):
        for unit in units:
            if any(unit in field for _, field in fields):
                explained.add(unit)
            unseen = unit not in index.idf
            # A Chinese bigram no preset holds is mostly the seam between two words ("月冬" in
            # "十二月冬至"): it counts less; its characters still count in full.
            weight = index.idf.get(unit, index.unseen_idf) * factor * (_SEAM_FACTOR if unseen and units is grams else 1.0)
            possible += weight
            matched += weight * any(unit in field for _, field in fields)
    if not matched:
        return 0.0
    score = matched / possible
    if not _anchored(doc, terms, query):
        score *= ANCHORLESS_FACTOR
    if _rival(doc, index, terms, query, explained):
        score *= RIVAL_FACTOR
    return round(score, 3)


def _rival(doc: _Doc, index: _Index, terms: set[str], query: str, explained: set[str]) -> bool:
    """Does another preset's keyword stand whole in the query, none of whose words this preset
    explains? Then the query is (also) about that other thing: "蒸发吸热" holds the water cycle's
    蒸发 but also the ice's 吸热, so it is neither's topic alone."""
    family = doc.preset.id.split("-")[0]
    for other in index.docs:
        if other is doc or other.preset.id.split("-")[0] == family:  # the stages of one topic are no rivals
            continue
        for keyword in other.preset.keywords.en:
            stems = set(english_terms(keyword))
            if stems and stems <= terms and not stems & explained:
                return True
        for keyword in other.preset.keywords.zh:
            if len(keyword) > 1 and keyword in query and not (set(chinese_grams(keyword)) | _chinese_chars(keyword)) & explained:
                return True
    return False

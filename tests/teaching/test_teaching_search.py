"""Finding presets from English and Chinese knowledge points."""

from __future__ import annotations

import time

import pytest

from i2v.teaching.presets import load_presets
from i2v.teaching.search import search_presets, stem

QUERIES = [
    ("why do we have seasons", "earth-orbit"),
    ("photosynthesis", "photosynthesis"),
    ("cell division", "mitosis"),
    ("How do plants make food?", "photosynthesis"),
    ("pendulum swing period", "pendulum"),
    ("melting ice", "ice-melting"),
    ("evaporation and rain", "water-cycle"),
    ("day and night", "earth-rotation"),
    ("phases of the Moon", "moon-phases"),
    ("electric current", "electric-circuit"),
    ("rainbow refraction", "prism-dispersion"),
    ("magnetic field lines", "magnetic-field"),
    ("DNA", "dna-helix"),
    ("volcanic eruption", "volcano"),
    ("salt dissolving in water", "dissolving-salt"),
    ("diffusion of ink", "diffusion"),
    ("有丝分裂", "mitosis"),
    ("细胞分裂", "mitosis"),
    ("光合作用", "photosynthesis"),
    ("为什么有四季", "earth-orbit"),
    ("水循环", "water-cycle"),
    ("月相变化", "moon-phases"),
    ("单摆", "pendulum"),
    ("电路", "electric-circuit"),
    ("昼夜交替", "earth-rotation"),
    ("火山喷发", "volcano"),
    ("冰融化", "ice-melting"),
    ("心脏跳动", "heartbeat"),
    ("种子发芽", "seed-germination"),
    ("三棱镜 色散", "prism-dispersion"),
    ("DNA 双螺旋", "dna-helix"),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_best_hit(query: str, expected: str) -> None:
    hits = search_presets(query)
    assert hits, query
    assert hits[0][0].id == expected, [(p.id, round(s, 2)) for p, s in hits]
    assert 0 < hits[0][1] <= 1


def test_scores_are_sorted_and_limited() -> None:
    hits = search_presets("water", limit=3)
    assert 1 <= len(hits) <= 3
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)


def test_empty_query_lists_every_preset_in_file_order() -> None:
    assert [p.id for p, _ in search_presets("   ")] == [p.id for p in load_presets()]


def test_unrelated_query_finds_nothing() -> None:
    assert search_presets("xyzzy quux") == []
    assert search_presets("什么") == []


def test_queries_are_fast() -> None:
    search_presets("warm up")  # builds the index once
    start = time.perf_counter()
    for query, _ in QUERIES:
        search_presets(query)
    per_query = (time.perf_counter() - start) / len(QUERIES)
    assert per_query < 0.010


def test_stem_brings_word_forms_together() -> None:
    assert stem("rotating") == stem("rotation") == stem("rotate") == stem("rotates")
    assert stem("seasons") == stem("season")
    assert stem("molecules") == stem("molecule")

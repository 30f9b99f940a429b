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
    ("电离", "dissolving-salt"),
    ("子染色体", "mitosis"),
    ("晨昏线", "earth-rotation"),
    ("上弦月", "moon-phases"),
    ("品红在水中扩散", "diffusion"),
    ("heart valves", "heartbeat"),
]


# The topics teachers ask for first (issue 16): each found from a teacher's phrasing in English and in Chinese.
NEW_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "free-fall": (("do heavy objects fall faster", "feather and coin in a vacuum"), ("自由落体", "羽毛和硬币谁下落得快")),
    "projectile": (("projectile motion", "ball thrown horizontally"), ("平抛运动",)),
    "refraction-straw": (("why does a straw look bent", "refraction of light in water"),
                         ("筷子在水中为什么看起来弯折", "光的折射")),
    "light-reflection": (("law of reflection with a mirror",), ("光的反射定律", "平面镜反射")),
    "sound-vibration": (("how is sound produced", "sound is made by vibrations"), ("声音是怎样产生的", "音叉 乒乓球")),
    "longitudinal-wave": (("longitudinal waves", "compressions on a slinky"), ("纵波", "声波是纵波")),
    "em-induction": (("electromagnetic induction", "magnet pushed into a coil"), ("电磁感应", "感应电流")),
    "electric-motor": (("how does an electric motor work",), ("电动机的原理", "电动机")),
    "electrolysis-water": (("electrolysis of water", "splitting water into hydrogen and oxygen"), ("电解水", "水的电解实验")),
    "neutralisation": (("acid alkali neutralisation with an indicator", "neutralization phenolphthalein"),
                       ("酸碱中和反应", "酚酞 中和")),
    "boiling": (("boiling water", "evaporation and boiling"), ("水的沸腾", "蒸发和沸腾的区别")),
    "convection": (("convection currents in water",), ("对流", "热对流")),
    "breathing": (("how do we breathe", "diaphragm and lungs"), ("呼吸运动", "膈肌运动模型")),
    "double-circulation": (("double circulation", "pulmonary and systemic circulation"), ("体循环和肺循环", "血液循环")),
    "plate-tectonics": (("plate tectonics", "why do earthquakes happen"), ("板块运动", "地震是怎样形成的")),
    "plasmolysis": (("osmosis in plant cells", "plasmolysis"), ("质壁分离", "渗透作用")),
    "solar-eclipse": (("solar eclipse", "the Moon covers the Sun"), ("日食", "日全食")),
    "floating-sinking": (("why do things float or sink", "egg floats in salt water"), ("浮力", "物体的浮沉条件")),
}
# The ten topics of issue 25 and the phases of mitosis, each as a teacher would type it.
TOPICS_25: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "liquid-pressure": (("liquid pressure increases with depth", "water jets from holes in a bottle"),
                        ("液体压强与深度的关系", "塑料瓶扎孔喷水")),
    "convex-lens": (("convex lens image formation", "real image on a screen"), ("凸透镜成像规律", "光屏上倒立的实像")),
    "co2-candles": (("carbon dioxide poured onto candles", "CO2 is denser than air"), ("二氧化碳使阶梯蜡烛熄灭", "二氧化碳灭火")),
    "particle-reaction": (("what happens to atoms in a chemical reaction", "hydrogen and oxygen make water"),
                          ("化学反应的微观实质", "氢气和氧气反应的微观示意图")),
    "meiosis": (("meiosis", "homologous chromosomes separate"), ("减数分裂", "同源染色体分离")),
    "oersted": (("Oersted experiment", "a current makes a magnetic field"), ("奥斯特实验", "电流的磁效应")),
    "celery-transport": (("celery in coloured water", "how does water move up a plant"), ("芹菜吸红墨水", "水分在导管中的运输")),
    "cold-front": (("cold front passing", "what happens at a cold front"), ("冷锋过境", "冷锋")),
    "brownian-motion": (("Brownian motion in a smoke cell",), ("布朗运动", "烟雾颗粒的无规则运动")),
    "lunar-eclipse": (("lunar eclipse", "why does the Moon turn red"), ("月食", "月全食")),
    "mitosis-interphase": (("interphase DNA replication",), ("分裂间期",)),
    "mitosis-prophase": (("prophase",), ("有丝分裂前期",)),
    "mitosis-metaphase": (("metaphase chromosomes line up",), ("有丝分裂中期 赤道板",)),
    "mitosis-telophase": (("telophase two daughter cells",), ("有丝分裂末期",)),
}
NEW_TOPIC_QUERIES = [(q, topic) for topics in (NEW_TOPICS, TOPICS_25) for topic, (en, zh) in topics.items() for q in (*en, *zh)]


def test_the_issue_25_topics_are_asked_in_both_languages() -> None:
    ids = {p.id for p in load_presets()}
    assert len(ids) >= 48 and set(TOPICS_25) <= ids
    for topic, (en, zh) in TOPICS_25.items():
        assert en and all(q.isascii() for q in en), topic
        assert zh and all(any("\u4e00" <= ch <= "\u9fff" for ch in q) for q in zh), topic


def test_every_new_topic_is_asked_in_both_languages() -> None:
    ids = {p.id for p in load_presets()}
    assert len(NEW_TOPICS) >= 12 and set(NEW_TOPICS) <= ids
    for topic, (en, zh) in NEW_TOPICS.items():
        assert en and all(q.isascii() for q in en), topic
        assert zh and all(any("\u4e00" <= ch <= "\u9fff" for ch in q) for q in zh), topic


@pytest.mark.parametrize(("query", "expected"), QUERIES + NEW_TOPIC_QUERIES)
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

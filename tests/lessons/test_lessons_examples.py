"""`i2v lesson --plan-only` on every shipped example, in both languages (issue 25): every scene starts
from the picture of its own point, no prompt carries another scene's action, and the English and
Chinese versions make the same clips (the same scene plans)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from i2v.lessons.examples import EXAMPLES_DIR, examples
from i2v.teaching.presets import get_preset
from tests.lessons.test_lessons_cli import i2v

# The start picture each scene must have: a preset's template, or the example's own picture file.
EXPECTED = {
    "mitosis": ["mitosis_interphase.png", "mitosis_prophase.png", "mitosis_metaphase.png", "cell_mitosis.png",
                "mitosis_telophase.png"],
    "water-cycle": ["water_cycle.png"] * 5,  # one landscape; each clip moves its own part of the cycle
    "seasons": ["00-orbit.png", "01-june.png", "02-equinox.png", "03-december.png"],
}


def plan(example_id: str, lang: str, home: Path) -> tuple[dict, str]:
    source = EXAMPLES_DIR / next(e for e in examples() if e.id == example_id).files[lang]
    done = i2v(str(source), "--plan-only", home=home)
    assert done.returncode == 0, done.stderr
    lesson = json.loads(Path(done.stdout.strip().splitlines()[-1]).read_text("utf-8"))
    return lesson, done.stderr


def start_picture(scene: dict) -> str:
    return scene["picture_name"] if scene["picture"] else get_preset(scene["preset"]).template


def scene_plan(lesson: dict) -> list[tuple]:
    """What makes a scene's clip (its words aside): picture, prompt, negative prompt, length, seed."""
    return [(start_picture(s), s["prompt"], s["negative_prompt"], s["seconds"], s["frames"], s["fps"], s["seed"])
            for s in lesson["scenes"]]


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[tuple[str, str], tuple[dict, str]]:
    home = tmp_path_factory.mktemp("examples-home")
    return {(e.id, lang): plan(e.id, lang, home) for e in examples() for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("example_id", sorted(EXPECTED))
def test_every_scene_starts_from_the_picture_of_its_point(plans, example_id, lang):
    lesson, stderr = plans[(example_id, lang)]
    assert lesson["lang"] == lang
    assert [start_picture(s) for s in lesson["scenes"]] == EXPECTED[example_id]
    assert "no preset fits" not in stderr  # every scene has its picture
    for scene in lesson["scenes"]:
        assert scene["caption"].endswith((".", "。")) and len(scene["caption"]) > 12, scene["caption"]  # a sentence


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("example_id", sorted(EXPECTED))
def test_no_prompt_carries_another_scenes_action(plans, example_id, lang):
    scenes = plans[(example_id, lang)][0]["scenes"]
    assert len({s["prompt"] for s in scenes}) == len(scenes)
    for scene in scenes:
        for other in scenes:
            if other is scene or other["preset"] in (None, scene["preset"]):
                continue
            parts = get_preset(other["preset"]).prompt_parts
            for clause in (c.strip() for text in (parts.action, parts.direction) for c in text.split(",")):
                if len(clause.split()) >= 3:
                    assert clause not in scene["prompt"], (scene["point"], clause)
    if example_id == "mitosis":  # the anaphase tail stays in anaphase
        tails = [s["point"] for s in scenes if "pulled along the green spindle fibres" in s["prompt"]]
        assert tails in ([], ["Anaphase"], ["后期"]), tails


@pytest.mark.parametrize("example_id", sorted(EXPECTED))
def test_english_and_chinese_make_the_same_clips(plans, example_id):
    en, zh = plans[(example_id, "en")][0], plans[(example_id, "zh")][0]
    assert scene_plan(en) == scene_plan(zh)
    assert [s["preset"] for s in en["scenes"]] == [s["preset"] for s in zh["scenes"]]
    assert len({s["section"] for s in en["scenes"]}) == len({s["section"] for s in zh["scenes"]})


def test_the_plan_names_each_scenes_picture(plans):
    _, stderr = plans[("mitosis", "en")]
    for line in (" 1. [Getting ready] Interphase — preset mitosis-interphase", " 4. [Separating the copies] Anaphase — preset mitosis;",
                 " 5. [Two new cells] Telophase — preset mitosis-telophase"):
        assert line in stderr, stderr

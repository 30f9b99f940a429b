"""The preset file's schema, the two classic cases, and the shipped template pictures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2v.request import GenerationRequest
from i2v.teaching.input_check import check_image
from i2v.teaching.presets import (
    PRESETS_FILE,
    SUBJECT_AREAS,
    TEMPLATES_DIR,
    PresetFileError,
    build_prompt,
    get_preset,
    load_presets,
    template_path,
)
from i2v.teaching.templates_draw import HEIGHT, TEMPLATES, WIDTH

PRESETS = load_presets()


def test_at_least_sixteen_presets_four_per_area() -> None:
    assert len(PRESETS) >= 16
    counts = Counter(p.subject_area for p in PRESETS)
    assert all(counts[area] >= 4 for area in SUBJECT_AREAS), counts
    assert len({p.id for p in PRESETS}) == len(PRESETS)


def test_every_preset_is_bilingual_and_builds_a_valid_request() -> None:
    for preset in PRESETS:
        for text in (preset.title, preset.knowledge_point, preset.params_reason, preset.can_show, preset.cannot_show):
            assert text.en.strip() and text.zh.strip()
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), (preset.id, text.zh)
        assert preset.keywords.en and preset.keywords.zh
        assert preset.prompt == build_prompt(**preset.prompt_parts.model_dump())
        assert preset.prompt.isascii(), preset.id  # prompts stay English
        request = GenerationRequest.parse(preset.request_fields())
        assert request.frames == preset.params.frames
        assert "illustrative" in preset.cannot_show.en and "示意" in preset.cannot_show.zh


def test_classic_cases_are_exact() -> None:
    mitosis = get_preset("mitosis")
    assert mitosis.prompt == "chromosomes separating and moving to opposite poles"
    assert mitosis.params.model_dump() == {"resolution": "512p", "frames": 24, "fps": 12, "steps": 60, "guidance": 10.0}
    orbit = get_preset("earth-orbit")
    assert orbit.prompt == "Earth orbiting around the Sun slowly, tilt axis fixed"
    assert orbit.params.model_dump() == {"resolution": "768p", "frames": 32, "fps": 8, "steps": 80, "guidance": 11.0}


def test_load_presets_returns_a_fresh_list_from_the_cache() -> None:
    first = load_presets()
    first.clear()
    assert load_presets() == PRESETS


def test_get_preset_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="mitosis"):
        get_preset("no-such-preset")


def _broken_file(tmp_path: Path, **changes: object) -> Path:
    data = json.loads(PRESETS_FILE.read_text("utf-8"))
    preset = data["presets"][0]
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        target = preset
        for key in parents:
            target = target[key]
        target[leaf] = value
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"params__frames": 40}, "frames"),
        ({"params__guidance": 0.5}, "guidance"),
        ({"params__resolution": "4k"}, "resolution"),
        ({"prompt": "chromosomes dancing"}, "prompt must equal"),
        ({"subject_area": "history"}, "subject_area"),
        ({"title__zh": ""}, "title.zh"),
    ],
)
def test_schema_violations_are_reported_by_preset_and_field(tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(PresetFileError, match=message) as info:
        load_presets(_broken_file(tmp_path, **changes))
    assert "mitosis" in str(info.value)


def test_every_template_exists_loads_and_suits_the_model() -> None:
    total = 0
    for preset in PRESETS:
        path = template_path(preset)
        assert path.is_file(), path
        with Image.open(path) as image:
            image.load()
            assert image.size == (WIDTH, HEIGHT)
            assert image.mode == "RGB"
            assert check_image(image) == [], preset.template  # light background, filled shapes, big subject
    for path in TEMPLATES_DIR.glob("*.png"):
        size = path.stat().st_size
        assert size < 150 * 1024, path
        total += size
    assert total < 2 * 1024 * 1024
    assert {p.template.removesuffix(".png") for p in PRESETS} <= set(TEMPLATES)


def test_shipped_templates_match_the_drawing_code() -> None:
    for name, draw in TEMPLATES.items():
        drawn = np.asarray(draw(), dtype=np.int16)
        with Image.open(TEMPLATES_DIR / f"{name}.png") as shipped:
            diff = np.abs(drawn - np.asarray(shipped.convert("RGB"), dtype=np.int16)).mean()
        assert diff < 1.0, f"{name}.png is stale: run scripts/draw_templates.py"

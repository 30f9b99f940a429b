"""The symptom guide: one-click changes, never outside what a request accepts."""

from __future__ import annotations

import pytest

from i2v.engine.registry import family_spec
from i2v.request import GenerationRequest
from i2v.teaching.symptoms import SYMPTOMS, apply_symptom, get_symptom, list_symptoms

BASE = {"prompt": "water molecules vibrating", "resolution": "768p", "frames": 24, "fps": 12, "steps": 50,
        "guidance": 9.0, "seed": 7}


def test_the_four_named_symptoms_exist() -> None:
    ids = {s.id for s in SYMPTOMS}
    assert {"motion_weak", "jittery", "ignores_prompt", "model_not_loaded"} <= ids
    assert len(ids) == len(SYMPTOMS)


def test_motion_weak_raises_guidance_into_10_to_12() -> None:
    result = apply_symptom(BASE, "motion_weak")
    assert 10 <= result["guidance"] <= 12
    assert apply_symptom({**BASE, "guidance": 14.0}, "motion_weak")["guidance"] == 14.0  # never lowered
    assert BASE["guidance"] == 9.0  # input untouched


def test_jittery_lowers_frames_and_turns_on_smoothing() -> None:
    result = apply_symptom(BASE, "jittery")
    assert result["frames"] == 16 and result["smooth"] == 0.5
    assert apply_symptom({**BASE, "frames": 8}, "jittery")["frames"] == 8  # "fewer" never adds frames


def test_resolution_caps_follow_the_preset_order() -> None:
    assert apply_symptom(BASE, "out_of_memory")["resolution"] == "512p"
    assert apply_symptom({**BASE, "resolution": "256p"}, "out_of_memory")["resolution"] == "256p"


def test_results_are_clamped_and_make_valid_requests() -> None:
    wild = {**BASE, "frames": 99, "guidance": 40.0, "steps": 0, "fps": 100}
    for symptom in SYMPTOMS:
        result = apply_symptom(wild, symptom.id)
        assert 8 <= result["frames"] <= 32 and 1.0 <= result["guidance"] <= 20.0
        assert isinstance(result["frames"], int) and isinstance(result["steps"], int)
        assert result["seed"] == 7 and result["prompt"] == BASE["prompt"]
        GenerationRequest.parse({k: v for k, v in result.items() if k != "smooth"})


def test_non_parameter_fixes_carry_a_ui_action() -> None:
    assert get_symptom("model_not_loaded").action == "show_log"
    assert apply_symptom(BASE, "model_not_loaded") == BASE
    assert get_symptom("ignores_prompt").action == "open_prompt_builder"


def test_listing_is_translated() -> None:
    en, zh = list_symptoms("en"), list_symptoms("zh")
    assert [s["id"] for s in en] == [s["id"] for s in zh]
    weak = next(s for s in en if s["id"] == "motion_weak")
    assert weak["title"] == "Motion too weak" and "guidance to 11 or more" in weak["explanation"]
    assert weak["apply"] == {"guidance": 11.0}
    assert next(s for s in zh if s["id"] == "motion_weak")["title"] == "运动太弱"


def test_unknown_symptom() -> None:
    with pytest.raises(KeyError, match="motion_weak"):
        apply_symptom(BASE, "too_purple")


def test_targets_follow_the_chosen_familys_own_numbers() -> None:
    """One guide for every family: Wan's targets come from its spec (4k+1 frames, its guidance scale)."""
    wan = family_spec("wan")
    current = {"prompt": "water molecules vibrating", "resolution": "720p", "frames": 121, "fps": 24, "steps": 50,
               "guidance": 5.0, "model": "tiny-wan"}
    assert apply_symptom(current, "motion_weak", wan)["guidance"] == 7.0
    low_memory = apply_symptom(current, "out_of_memory", wan)
    assert low_memory["resolution"] == "480p" and wan.frames.valid(low_memory["frames"]) and low_memory["frames"] < 121
    for symptom in SYMPTOMS:
        result = apply_symptom(current, symptom.id, wan)
        wan.complete(GenerationRequest.parse({k: v for k, v in result.items() if k != "smooth"}))  # never refused
    weak = next(s for s in list_symptoms("zh", wan) if s["id"] == "motion_weak")
    assert "7" in weak["explanation"] and weak["apply"] == {"guidance": 7.0}

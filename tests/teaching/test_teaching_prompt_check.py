"""The prompt checker: warnings on known-bad prompts, none on the presets' own, and the real 77-token cut."""

from __future__ import annotations

import pytest

from i2v.engine.tokenizers import CLIP_MAX_TOKENS, load_clip_tokenizer
from i2v.teaching.presets import get_preset, load_presets
from i2v.teaching.prompt_check import CHIPS, build_prompt, check_prompt, chips

PROMPT_TOKEN_BUDGET = CLIP_MAX_TOKENS - 2  # I2VGen-XL (the default family): start and end markers take two

LONG = (
    "chromosomes separating and moving to opposite poles of a large round animal cell while spindle fibres "
    "shorten and pull each chromatid steadily, then the nuclear envelope reforms around both new nuclei, the "
    "cell membrane pinches in the middle and two daughter cells slowly appear side by side under a microscope, "
    "with the cytoplasm flowing gently between them, organelles drifting in every direction, the camera holding "
    "perfectly still on a pale background, soft light"
)


def codes(text: str, lang: str = "en") -> list[str]:
    return [w.code for w in check_prompt(text, lang).warnings]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("", ["empty"]),
        ("   ", ["empty"]),
        ("nice movement", ["vague", "no_action"]),
        ("something happens to the cell", ["vague", "no_action"]),
        ("the planet rotating, nice movement", ["vague"]),
        ("a transverse wave on a rope", ["no_action"]),
        ("the Earth and the Sun", ["no_action"]),
        ("有丝分裂，染色体移向两极", ["non_english"]),
        ("Клетка делится на две", ["non_english"]),
        ("las células se dividen rápidamente en el núcleo", ["non_english"]),
        (LONG, ["too_long"]),
    ],
)
def test_known_bad_prompts(prompt: str, expected: list[str]) -> None:
    assert codes(prompt) == expected


def test_no_warnings_on_any_preset_prompt() -> None:
    for preset in load_presets():
        result = check_prompt(preset.prompt)
        assert result.warnings == [], (preset.id, result.warnings)
        assert result.truncated_text == "" and result.cut_at is None
        assert 0 < result.tokens <= PROMPT_TOKEN_BUDGET


def test_chinese_prompt_gets_the_matching_presets_english_prompt() -> None:
    (warning,) = check_prompt("有丝分裂").warnings
    assert warning.code == "non_english"
    assert warning.suggestion == get_preset("mitosis").prompt
    assert get_preset("mitosis").prompt in warning.message
    (warning,) = check_prompt("为什么有四季", lang="zh").warnings
    assert warning.suggestion == get_preset("earth-orbit").prompt
    assert "英文" in warning.message


def test_messages_in_both_languages() -> None:
    en = check_prompt("nice movement", "en").warnings[0].message
    zh = check_prompt("nice movement", "zh").warnings[0].message
    assert "Vague" in en and "含糊" in zh and "nice movement" in zh


def test_token_count_matches_the_real_tokenizer() -> None:
    tokenizer = load_clip_tokenizer()
    for text in ("water molecules vibrating", LONG, get_preset("earth-orbit").prompt):
        with_markers = tokenizer(text)["input_ids"]
        assert check_prompt(text).tokens == len(with_markers) - 2


def test_cut_equals_what_the_real_tokenizer_drops() -> None:
    tokenizer = load_clip_tokenizer()
    full = tokenizer(LONG)["input_ids"][1:-1]
    kept = tokenizer(LONG, truncation=True, max_length=CLIP_MAX_TOKENS)["input_ids"]
    assert len(kept) == CLIP_MAX_TOKENS and kept[1:-1] == full[:PROMPT_TOKEN_BUDGET]
    dropped = full[len(kept) - 2 :]
    result = check_prompt(LONG)
    assert result.tokens == len(full) > PROMPT_TOKEN_BUDGET
    assert result.truncated_text == tokenizer.decode(dropped)
    # `cut_at` points into the original text: what lies before it is exactly what the encoder keeps
    assert tokenizer(LONG[: result.cut_at], add_special_tokens=False)["input_ids"] == full[:PROMPT_TOKEN_BUDGET]
    assert result.truncated_text.replace(" ", "") == LONG[result.cut_at :].lower().replace(" ", "")
    assert result.warnings[0].code == "too_long" and str(result.tokens) in result.warnings[0].message


@pytest.mark.parametrize("extra", [0, 1])
def test_cut_starts_exactly_after_75_tokens(extra: int) -> None:
    text = " ".join(["cell"] * (PROMPT_TOKEN_BUDGET + extra - 1) + ["rotating"])
    result = check_prompt(text)
    assert result.tokens == PROMPT_TOKEN_BUDGET + extra
    assert result.truncated_text == ("rotating" if extra else "")
    assert [w.code for w in result.warnings] == (["too_long"] if extra else [])


def test_builder_joins_fields_and_chips_cover_every_field() -> None:
    assert build_prompt("water molecules", "vibrating", "rotating clockwise", "in slow motion") == (
        "water molecules, vibrating rotating clockwise, in slow motion")  # the comma keeps the action on the subject
    assert build_prompt(" Earth ", "orbiting", "", "") == "Earth, orbiting"
    assert set(CHIPS) == {"subject", "action", "direction", "environment"}
    assert chips()["subject"][0] == "water molecules" and all(len(v) >= 5 for v in CHIPS.values())
    assert "in slow motion" in CHIPS["environment"] and "vibrating" in CHIPS["action"]
    chip_prompt = build_prompt(CHIPS["subject"][0], CHIPS["action"][0], CHIPS["direction"][0], CHIPS["environment"][0])
    assert check_prompt(chip_prompt).warnings == []

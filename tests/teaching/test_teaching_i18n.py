"""The en/zh catalogue: complete, consistent, and covering every key the teaching modules use."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from i2v.i18n import catalogue, pick_language, t
from i2v.teaching.input_check import FIXES
from i2v.teaching.symptoms import SYMPTOMS

SOURCES = Path(__file__).resolve().parents[2] / "src" / "i2v" / "teaching"


def test_every_key_has_both_languages_with_the_same_params() -> None:
    assert catalogue()
    for key, entry in catalogue().items():
        assert entry["en"].strip() and entry["zh"].strip(), key
        params = {lang: {f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f} for lang in ("en", "zh")}
        assert params["en"] == params["zh"], key
        if key != "language.switch":
            assert re.search(r"[\u4e00-\u9fff]", entry["zh"]), key  # really translated


def test_every_key_used_in_code_exists() -> None:
    used = set()
    for path in SOURCES.glob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", path.read_text("utf-8")))
    used |= {f"prompt.{c}" for c in ("empty", "non_english", "non_english_suggest", "too_long", "vague", "no_action")}
    used |= {f"image.{c}" for c in ("dark_background", "line_art", "small_subject")}
    used |= {f"fix.{name}" for name in FIXES}
    for symptom in SYMPTOMS:
        used |= {f"symptom.{symptom.id}.title", f"symptom.{symptom.id}.explanation"}
        if symptom.action:
            used.add(f"symptom.action.{symptom.action}")
    assert used - set(catalogue()) == set()


def test_t_formats_and_falls_back_to_english() -> None:
    assert "12%" in t("image.small_subject", "en", percent=12)
    assert "12%" in t("image.small_subject", "zh-CN", percent=12)
    assert t("symptom.apply", "fr") == "Apply"
    with pytest.raises(KeyError, match=r"no\.such"):
        t("no.such")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("zh-TW", "zh"),
        ("en;q=0.5, zh;q=0.6", "zh"),
        ("fr-FR,de;q=0.5", "en"),
        ("fr, zh-Hans;q=0.3", "zh"),
        ("zh;q=0, en", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("garbage;;;q=x", "en"),
    ],
)
def test_pick_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected

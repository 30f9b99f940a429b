"""The studio's pure parts, without a browser: the language registry covers every visible text,
and the view functions behind the presets, prompt check, symptom guide, picture check and export."""

from __future__ import annotations

import re

import gradio as gr
import pytest
from PIL import Image

from i2v.settings import Settings
from i2v.i18n import t
from i2v.engine.registry import DEFAULT_SPEC

PROMPT_TOKEN_BUDGET = DEFAULT_SPEC.text.budget
from i2v.web.services import Services
from i2v.web.ui import build_studio, progress_html
from i2v.web.ui_export import labels_from_rows
from i2v.web.ui_guide import changes_md, check_picture
from i2v.web.ui_presets import preset_cards, preset_details_md, prompt_check_html
from i2v.web.ui_text import UiText, resolve

CJK = re.compile(r"[\u4e00-\u9fff]")
TEXT_PROPS = ("label", "value", "placeholder", "choices")


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("home"), model="tiny")
    return build_studio(Services.build(settings))


def _visible_text_components(ui: gr.Blocks):
    """Components that show a label of their own, buttons (text = value), and folds."""
    for block in ui.blocks.values():
        if isinstance(block, gr.State | gr.Timer):
            continue
        if isinstance(block, gr.Button | gr.Accordion):
            yield block
        elif isinstance(block, gr.components.Component) and getattr(block, "label", None):
            yield block


def test_registry_covers_every_labelled_component(studio):
    ui, tx = studio
    registered = {id(c) for c in tx.components()}
    missing = [f"{type(b).__name__} {getattr(b, 'label', None) or getattr(b, 'value', '')!r}"
               for b in _visible_text_components(ui) if id(b) not in registered]
    assert missing == []
    assert len(registered) >= 60


def test_every_registered_text_resolves_in_both_languages_and_differs(studio):
    _, tx = studio
    en, zh = tx.texts("en"), tx.texts("zh")
    assert len(en) == len(zh) == len(tx.components())
    for props_en, props_zh in zip(en, zh, strict=True):
        assert set(props_en) == set(props_zh)
        for prop in ("label", "placeholder"):
            if prop in props_en:
                assert props_en[prop] and CJK.search(props_zh[prop]), (prop, props_en[prop], props_zh[prop])
    assert len(tx.updates("zh")) == len(tx.components())


def test_built_ui_starts_in_english_matching_the_registry(studio):
    _, tx = studio
    for entry in tx.entries:
        if entry.prop in ("label", "placeholder"):
            assert getattr(entry.component, entry.prop) == resolve(entry.source, "en")


def test_registry_resolves_keys_functions_and_choices():
    tx = UiText()
    box = object()
    tx.add(box, label="ui.export.loop", choices=[("ui.export.loop.none", "none")],
           value=lambda lang: f"<{lang}>")
    (texts,) = tx.texts("zh")
    assert texts == {"label": t("ui.export.loop", "zh"), "choices": [(t("ui.export.loop.none", "zh"), "none")],
                     "value": "<zh>"}
    assert tx.updates("en")[0]["__type__"] == "update"


def test_preset_search_in_chinese_finds_mitosis_first():
    items, ids = preset_cards("有丝分裂", "zh")
    assert ids[0] == "mitosis" and items[0][0].endswith(".png") and CJK.search(items[0][1])
    assert len(preset_cards("", "en")[1]) >= 20
    assert preset_cards("qwxzv", "en") == ([], [])


def test_preset_details_have_knowledge_point_reason_and_limits():
    from i2v.teaching.presets import get_preset

    preset = get_preset("mitosis")
    text = preset_details_md(preset, "zh")
    for part in (preset.knowledge_point.zh, preset.params_reason.zh, preset.can_show.zh, preset.cannot_show.zh,
                 preset.misconception.zh, t("preset.misconception", "zh")):
        assert part in text
    assert text.index(preset.cannot_show.zh) < text.index(preset.misconception.zh)  # shown beside "cannot show"
    english = preset_details_md(preset, "en")
    assert f"**{t('preset.misconception', 'en')}:** {preset.misconception.en}" in english
    assert preset.misconception.zh not in english
    assert preset_details_md(None, "en") == t("ui.presets.pick", "en")


def test_prompt_check_marks_the_words_past_the_token_limit():
    words = " ".join(f"cell{i}" for i in range(PROMPT_TOKEN_BUDGET)) + " chromosomes splitting apart finale"
    out = prompt_check_html(words, "en")
    assert "data-code='too_long'" in out and "<mark class='i2v-cut'>" in out
    assert "finale</mark>" in out
    assert "data-warnings='0'" in prompt_check_html("water molecules vibrating faster in slow motion", "en")
    assert "data-code='vague'" in prompt_check_html("make it move", "zh")


def test_symptom_changes_message_lists_only_moved_values():
    before = {"resolution": "512p", "frames": 24, "fps": 8, "steps": 50, "guidance": 9.0, "smooth": 0.0}
    after = {**before, "frames": 16, "smooth": 0.5}
    message = changes_md(before, after, "en")
    assert "Frames: 24 → 16" in message and "0.0 → 0.5" in message and "Guidance" not in message
    assert changes_md(before, before, "zh") == ""


def test_picture_check_offers_a_fix_with_before_and_after(tmp_path):
    dark = tmp_path / "dark.png"
    picture = Image.new("RGB", (320, 240), (5, 5, 5))
    picture.paste((240, 200, 40), (110, 70, 210, 170))
    picture.save(dark)
    message, fix, before, after = check_picture(str(dark), "zh")
    assert fix == "recolour_background" and CJK.search(message)
    assert before.size == after.size and before.getpixel((0, 0)) != after.getpixel((0, 0))
    assert check_picture(None, "en") == ("", None, None, None)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert check_picture(str(broken), "en")[0] == t("ui.input.unreadable", "en")


def test_labels_from_rows_skips_blank_rows_and_names_the_bad_one():
    labels = labels_from_rows([["", 0.5, 0.9, 0.07, 0, None], ["细胞核", 0.3, "0.2", None, 1, ""],
                               ["end", 0.5, 0.5, 0.1, 0.5, float("nan")]], "en")
    assert [label.text for label in labels] == ["细胞核", "end"]
    assert labels[0].x == 0.3 and labels[0].y == 0.2 and labels[0].size == 0.07 and labels[0].end_s is None
    with pytest.raises(ValueError, match="Label 2"):
        labels_from_rows([["ok"], ["bad", 2.0]], "en")
    assert labels_from_rows(None, "zh") == ()


def test_progress_speaks_the_chosen_language():
    assert progress_html(None, lang="zh") != progress_html(None, lang="en")
    assert CJK.search(progress_html(None, lang="zh"))


def test_a_queued_job_shows_its_wait_when_it_is_known():
    from types import SimpleNamespace

    from i2v.jobs.store import JobStatus

    queued = SimpleNamespace(status=JobStatus.QUEUED, position=2)
    assert "2:05" in progress_html(queued, lang="en", wait_s=125) and "2:05" in progress_html(queued, lang="zh", wait_s=125)
    assert "ready" not in progress_html(queued, lang="en")  # unknown: no made-up number


class FakeJobs:
    """Just enough of JobService for the export section: records the call, returns its files."""

    def __init__(self, exports):
        self.exports, self.calls = exports, []

    def export(self, job_id, spec, formats):
        from types import SimpleNamespace

        self.calls.append((job_id, spec, formats))
        return SimpleNamespace(id=job_id, result={"video": "v.mp4", "exports": self.exports})

    def export_file(self, job, name):
        return f"/archive/{self.exports[name]}"

    def video_file(self, job):
        return "/archive/v.mp4"


def test_make_exports_builds_the_spec_and_returns_player_video_and_files():
    from i2v.web.ui_export import make_exports

    jobs = FakeJobs({"gif": "a.gif", "video": "a-post.mp4"})
    video, files = make_exports(jobs, "job1", "2", 0.5, "pingpong", 1.5, ["gif"], [["Cell", 0.5, 0.9, 0.07, 0, None]], "en")
    (job_id, spec, formats), = jobs.calls
    assert (job_id, formats, spec.interpolate, spec.smooth, spec.loop, spec.speed) == ("job1", ["gif"], 2, 0.5, "pingpong", 1.5)
    assert [label.text for label in spec.labels] == ["Cell"]
    assert video == "/archive/a-post.mp4" and files == ["/archive/a.gif", "/archive/a-post.mp4"]
    assert make_exports(FakeJobs({}), "job1", 1, 0, "none", 1, [], None, "en") == ("/archive/v.mp4", None)
    with pytest.raises(ValueError, match=re.escape(t("ui.export.need_video", "zh"))):
        make_exports(jobs, None, 1, 0, "none", 1, [], None, "zh")
    with pytest.raises(ValueError, match="speed"):
        make_exports(jobs, "job1", 1, 0, "none", 9, [], None, "en")

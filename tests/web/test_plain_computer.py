"""The studio's honest defaults on a plain computer, checked without a browser: the draft derived
from the spec and its measured CPU cost, the first-run panel's no-GPU line, Wan's frame rule in the
Frames control, a family switch keeping a preset's negative prompt, the header and /health reading
one report, quiet logs, and no traceback for a user's mistake."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import gradio as gr
import pytest
from gradio_client import Client, handle_file

from i2v.engine.host import ModelState, ModelStatus
from i2v.engine.registry import SPECS, spec_for
from i2v.settings import Settings
from i2v.web.model_state import model_report
from i2v.web.services import Services
from i2v.web.ui_draft import DRAFT_BUDGET_S, cpu_note_md
from i2v.web.ui_firstrun import first_run_html
from i2v.web.ui_models import on_model_change, snap_frames
from i2v.web.ui_settings import STEP_SLIDER_MIN
from i2v.web.ui_status import model_status_md
from i2v.web.ui_studio import user_error
from tests.conftest import REPO


@pytest.fixture
def services(tmp_path):
    return Services.build(Settings(home=tmp_path / "home", model="tiny", models="tiny-wan,tiny-ltx"))


def test_the_draft_is_the_smallest_clip_and_the_steps_a_minute_of_measured_cpu_allows():
    for spec in SPECS:
        draft = spec.draft("cpu-fp32", budget_s=DRAFT_BUDGET_S, min_steps=STEP_SLIDER_MIN)
        assert draft.resolution == min(spec.resolutions, key=lambda p: p.pixels).name
        assert draft.frames == spec.frames.low and spec.frames.valid(draft.frames)
        assert STEP_SLIDER_MIN <= draft.steps <= spec.steps.default
        cost = spec.costs.get("cpu-fp32")
        assert (draft.seconds is None) == (cost is None)
        if draft.seconds is not None:  # one more step would not fit the minute, or the floor is already over it
            size = spec.preset(draft.resolution)
            more = spec.estimate_seconds("cpu-fp32", size.width, size.height, draft.frames, draft.steps + 1, draft.quality)
            assert more > DRAFT_BUDGET_S or draft.steps == STEP_SLIDER_MIN
            assert draft.seconds == pytest.approx(spec.estimate_seconds(
                "cpu-fp32", size.width, size.height, draft.frames, draft.steps, draft.quality), abs=0.1)
    # a generous budget on a measured family buys more steps, never more than the default
    i2vgenxl = spec_for("tiny")
    assert i2vgenxl.draft("cpu-fp32", budget_s=10_000, min_steps=1).steps > i2vgenxl.draft("cpu-fp32", min_steps=1).steps


def test_the_cpu_note_comes_from_the_spec_in_both_languages(services):
    draft = spec_for("tiny").draft("unmeasured", budget_s=DRAFT_BUDGET_S, min_steps=STEP_SLIDER_MIN)
    for lang, no_gpu in (("en", "no GPU"), ("zh", "没有 GPU")):
        note = cpu_note_md(services, "tiny-wan" if lang == "zh" else None, lang)
        assert no_gpu in note
    assert f"{draft.resolution}, {draft.frames} frames, {draft.steps} steps" in cpu_note_md(services, None, "en")
    wan = spec_for("tiny-wan").draft("unmeasured", min_steps=STEP_SLIDER_MIN)
    assert f"{wan.frames} 帧" in cpu_note_md(services, "tiny-wan", "zh")


def test_the_first_run_panel_says_no_gpu_before_the_download(tmp_path):
    settings = Settings(home=tmp_path, model="ali-vilab/i2vgen-xl")
    status = ModelStatus(ModelState.MISSING, settings.model, "The weights are not here.")
    for lang, no_gpu, size in (("en", "no GPU", "11 GB"), ("zh", "没有 GPU", "11 GB")):
        panel = first_run_html(status, settings, lang, device="cpu")
        assert no_gpu in panel and panel.index(no_gpu) < panel.index(size) < panel.index("i2v download")
        assert no_gpu not in first_run_html(status, settings, lang, device="cuda")


def test_wan_frames_snap_to_its_rule_and_a_switch_keeps_a_presets_negative_prompt(services):
    assert snap_frames(services, 80, "tiny-wan") == 81 and snap_frames(services, 16, "tiny-wan") == 17
    assert snap_frames(services, 81, "tiny-wan") == gr.skip()  # a count it can make stays
    assert snap_frames(services, 16, "tiny") == gr.skip()  # I2VGen-XL takes any count in its range
    preset_negative = "text, watermark, extra cells"
    *_, negative, _info = on_model_change(services, "tiny-wan", "en", preset_negative)
    assert "value" not in negative  # kept
    *_, negative, _info = on_model_change(services, "tiny-wan", "en", spec_for("tiny").negative_prompt)
    assert negative["value"] == spec_for("tiny-wan").negative_prompt  # a stock list follows the family


def test_the_header_and_health_read_one_report_after_a_family_switch(services):
    services.host.get("tiny")
    assert model_report(services).state is ModelState.READY and model_report(services).model == "tiny"
    services.host.get("tiny-ltx")  # an LTX clip unloads the default
    report = model_report(services)
    assert (report.state, report.model) == (ModelState.READY, "tiny-ltx")
    for lang in ("en", "zh"):
        header = model_status_md(services, lang)
        assert "tiny-ltx" in header and "not loaded" not in header and "尚未加载" not in header


def test_verbose_logs_keep_library_info_quiet():
    script = textwrap.dedent("""
        import logging
        from i2v.cli import configure_logging
        configure_logging(verbose=True)
        logging.getLogger("fontTools.subset").info("pruned glyphs")
        logging.getLogger("i2v.engine.host").info("model ready")
        logging.getLogger("fontTools.subset").warning("a real problem")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": str(REPO / "src")})
    assert "model ready" in run.stderr and "a real problem" in run.stderr
    assert "pruned glyphs" not in run.stderr


def test_a_users_mistake_prints_no_traceback(shared_server, tmp_path, png_bytes):
    assert user_error("no").print_exception is False
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    before = len(shared_server.log.read_bytes())
    client = Client(shared_server.url + "/", verbose=False)
    with pytest.raises(Exception, match="frames: must be"):  # 16 frames: fine for the slider, not for Wan's 4k+1
        client.predict(handle_file(str(picture)), "a cell dividing", "", "256p", 16, 8, 10, 5.0, 1, "ddim", "standard",
                       "tiny-wan", api_name="/generate")
    new = shared_server.log.read_bytes()[before:].decode(errors="replace")
    assert "Traceback" not in new, new[-3000:]


def test_helps_prompt_advice_follows_the_chosen_family():
    from i2v.web.ui_help import prompt_rules_md

    for model in ("tiny", "tiny-wan", "tiny-ltx"):
        spec = spec_for(model)
        for lang in ("en", "zh"):
            rules = prompt_rules_md(lang, spec)
            assert str(spec.text.budget) in rules and spec.title in rules
            reads_chinese = "zh" in spec.text.languages
            assert (("English or Chinese" if lang == "en" else "英文或中文都可以") in rules) == reads_chinese
            assert (("English only" if lang == "en" else "只用英文") in rules) == (not reads_chinese)
    assert "511" in prompt_rules_md("en", spec_for("tiny-wan")) and "127" in prompt_rules_md("en", spec_for("tiny-ltx"))


def test_readme_examples_name_files_that_ship_and_models_lists_the_test_models():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(src/i2v/(?:teaching/templates|lessons/examples)/[\w./-]*)", readme))  # example inputs
    assert {"src/i2v/teaching/templates/cell_mitosis.png", "src/i2v/lessons/examples/mitosis.md",
            "src/i2v/lessons/examples/seasons/"} <= named
    for path in named:
        assert (REPO / path.rstrip(".")).exists(), path
    for stale in ("generate cell.png", "@cell.png", "lesson outline.md", "lesson seasons/", "@mitosis.zip"):
        assert stale not in readme, stale
    run = subprocess.run([sys.executable, "-m", "i2v.cli", "models"], capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin",
                              "I2V_MODEL": "ali-vilab/i2vgen-xl", "HF_HOME": "/nonexistent-hf-home"})
    assert run.returncode == 0, run.stderr
    for spec in SPECS:
        assert spec.test_model in run.stdout


def test_lesson_downloads_in_the_studio_carry_the_title_the_api_gives(tmp_path):
    from i2v.lessons.files import download_name, titled_copy

    made = tmp_path / "lessons" / "abc" / "handout.pdf"
    made.parent.mkdir(parents=True)
    made.write_bytes(b"%PDF-1.4 handout")
    copy = titled_copy(made, "Why do we have seasons?", "handout")
    assert copy.name == download_name("Why do we have seasons?", "handout") != made.name
    assert copy.read_bytes() == made.read_bytes() and copy.parent == made.parent / "downloads"
    assert titled_copy(made, "Why do we have seasons?", "handout") == copy  # made once
    assert download_name("Why do we have seasons?", "pack").endswith("-pack.zip")

"""The studio on a plain computer (no GPU), in a real browser at 1366×900, in English and Chinese:
the CPU note and "Draft for this computer" before Generate (a draft finishes in under 2 minutes
with the test model), the header and /api/v1/health agreeing after a clip of another family, and
every visible string of every tab in Chinese after the language switch. Screenshots go to
test-artifacts/plain-*.png."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from i2v.engine.registry import SPECS, spec_for
from i2v.i18n import t
from i2v.web.ui_draft import DRAFT_BUDGET_S
from i2v.web.ui_settings import STEP_SLIDER_MIN
from tests.support.servers import finished, submit, wait_for
from tests.web.test_browser import ARTIFACTS, open_studio, shot
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = browser_marks
DRAFT_DONE_WITHIN_S = 120


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def number(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input[type=number]").input_value()


def test_cpu_note_and_draft_finish_in_under_two_minutes(browser, server, tmp_path, png_bytes):
    expected = spec_for("tiny").draft("unmeasured", budget_s=DRAFT_BUDGET_S, min_steps=STEP_SLIDER_MIN)
    for lang in ("zh", "en"):
        context, page = open_studio(browser, server, lang)
        note = page.locator("#i2v-cpu-note")
        note.wait_for(state="visible", timeout=30_000)
        page.wait_for_function("s => (document.querySelector('#i2v-cpu-note')?.innerText || '').includes(s)",
                               arg=t("ui.cpu.draft", lang), timeout=30_000)
        text = note.inner_text()
        assert t("ui.cpu.draft", lang) in text and f"{expected.frames}" in text
        assert ("no GPU" if lang == "en" else "没有 GPU") in text
        # said before Generate: above the button, and the draft button is there too
        note_box, generate_box = note.bounding_box(), page.locator("#i2v-generate").bounding_box()
        assert note_box["y"] < generate_box["y"], (note_box, generate_box)
        assert page.locator("#i2v-draft").is_visible()
        if lang == "zh":
            page.locator("#i2v-draft").scroll_into_view_if_needed()
            shot(page, "plain-cpu-note-zh.png")
            context.close()
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    page.locator("#i2v-image input[type=file]").set_input_files(str(picture))
    page.locator("#i2v-prompt textarea").fill("a cell dividing, chromosomes moving apart")
    page.locator("#i2v-draft").click()
    page.wait_for_function(f"() => document.querySelector('#i2v-frames input[type=number]')?.value === '{expected.frames}'",
                           timeout=30_000)
    assert page.locator("#i2v-resolution input").input_value() == expected.resolution
    page.locator("#i2v-advanced").get_by_text(t("ui.advanced", "en")).click()
    page.locator("#i2v-steps input[type=number]").wait_for(state="visible")
    assert number(page, "i2v-steps") == str(expected.steps)
    assert page.locator(f"#i2v-quality input[value={expected.quality}]").is_checked()
    page.locator("#i2v-draft").scroll_into_view_if_needed()
    shot(page, "plain-cpu-note-en.png")
    clicked = time.monotonic()
    page.locator("#i2v-generate").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('#i2v-video video'); return v && v.readyState >= 1 && v.duration > 0; }",
        timeout=DRAFT_DONE_WITHIN_S * 1000,
    )
    took = time.monotonic() - clicked
    shot(page, "plain-draft-done-en.png")
    context.close()
    print(f"draft ({expected.resolution}, {expected.frames} frames, {expected.steps} steps) done in {took:.1f} s")
    assert took < DRAFT_DONE_WITHIN_S


def test_header_says_what_health_says_after_a_clip_of_another_family(browser, server, png_bytes):
    with server.client() as client:
        job = submit(client, png_bytes, model="tiny-ltx", frames="9", fps="24", steps="2", guidance="3").json()
        done = wait_for(client, job["id"], finished, timeout=180)
        assert done["status"] == "succeeded", done
        health = client.get("/api/v1/health").json()["model"]
    assert health == {**health, "state": "ready", "model": "tiny-ltx"}, health
    for lang in ("en", "zh"):
        context, page = open_studio(browser, server, lang)
        header = page.locator("#i2v-model")
        page.wait_for_function("m => (document.querySelector('#i2v-model')?.innerText || '').includes(m)",
                               arg=health["model"], timeout=30_000)
        text = header.inner_text()
        assert ("is ready" if lang == "en" else "已就绪") in text, text
        assert "not loaded" not in text and "尚未加载" not in text
        assert health == httpx.get(f"{server.url}/api/v1/health").json()["model"]  # still the same state
        shot(page, f"plain-header-{lang}.png")
        context.close()


# Latin words allowed on a Chinese page: names of models, formats, units and technical marks that are
# the same in Chinese texts, and the example prompt in the prompt box (prompts are written in English
# for I2VGen-XL and LTX, so the example stays English on purpose).
ALLOWED = {
    # model and product names
    "i2v", "I2VGen", "XL", "Wan", "LTX", "Video", "TI2V", "B", "tiny", "ltx", "wan", "ali", "vilab", "i2vgen", "xl",
    "Lightricks", "Noto", "Sans", "SC", "Gradio", "NVIDIA", "OpenRAIL", "M", "LTXV", "Open", "Weights", "License",
    "MIT", "Apache", "LTX-Video",
    # formats, units, technical marks
    "MP4", "GIF", "WebM", "PNG", "JPEG", "PDF", "H5P", "SCORM", "SRT", "VTT", "ZIP", "JSON", "CSV", "API", "GPU", "CPU",
    "cpu", "fp32", "fp16", "bf16", "p", "fps", "px", "GB", "MB", "s", "k", "EN", "x", "ddim", "dpmpp", "unipc",
    "flow", "euler", "none", "model", "sequential", "group", "zip", "md", "txt", "png", "mp4", "DNA", "RTX", "Ti",
    "logs",  # the app's log folder, named as it is on disk
    "fp", "json", "Markdown",  # "fp32" and ".json" as the word pattern cuts them; a format's name
}
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
VISIBLE_TEXT_JS = """() => {
  const out = [];
  const seen = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none' && e.offsetParent !== null
      && parseFloat(s.fontSize) > 0; };  // font-size 0 (the upload box's hidden English) and 1×1 px clipped
      // screen-reader hints (Gradio's table drop hint) are not drawn
  const walker = document.createTreeWalker(document.querySelector('.gradio-container'), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const n = walker.currentNode; const p = n.parentElement;
    if (!p || !n.textContent.trim() || ['SCRIPT', 'STYLE', 'CODE', 'PRE'].includes(p.tagName) || !seen(p)) continue;
    // the library's captions are the teachers' own prompts (other tests on this server made jobs)
    if (p.closest('footer, #i2v-prompt, .i2v-command, code, pre, #i2v-history .caption-label')) continue;
    out.push(n.textContent.trim()); }
  for (const e of document.querySelectorAll('.gradio-container [placeholder]')) {
    if (!seen(e) || e.closest('#i2v-prompt, footer')) continue;
    out.push(e.getAttribute('placeholder')); }
  return out; }"""


NAMES = sorted({name for spec in SPECS for name in (spec.title, spec.family, spec.test_model, spec.hub_id)}, key=len,
               reverse=True)  # the models' own names, longest first ("LTX-Video 2B" before "LTX")
QUOTED = re.compile(r"“[^”]*”|`[^`]*`")  # prompt examples: written in the prompt's language on purpose


def english_in(texts: list[str]) -> list[str]:
    """The texts that hold a Latin word outside the models' names, quoted prompt examples and the allow-list."""
    def words(text: str) -> list[str]:
        text = QUOTED.sub(" ", text)
        for name in NAMES:
            text = text.replace(name, " ")
        return ENGLISH_WORD.findall(text)

    return [text for text in texts if any(w.strip("'-") not in ALLOWED for w in words(text))]


def test_every_visible_string_of_every_tab_is_chinese_after_the_switch(browser, server):
    context, page = open_studio(browser, server, "en")
    page.locator("#i2v-lang").get_by_text("中文", exact=True).click()
    page.locator("#i2v-generate").get_by_text(t("ui.generate", "zh"), exact=True).wait_for(timeout=30_000)
    found: dict[str, list[str]] = {}
    for tab in ("create", "lessons", "library", "help"):
        page.locator(f"#i2v-tab-{tab}-button").click()
        page.wait_for_timeout(1500)
        for fold in page.locator(f"#i2v-tab-{tab} button.label-wrap:not(.open)").all():  # open every fold
            if fold.is_visible():
                fold.click()
        page.wait_for_timeout(800)
        found[tab] = english_in(page.evaluate(VISIBLE_TEXT_JS))
        if tab == "lessons":  # Gradio's own upload words are hidden; ours are drawn in their place
            drawn = page.evaluate("() => getComputedStyle(document.querySelector('#i2v-lesson-file button .wrap'), "
                                  "'::after').content")
            assert t("lesson.upload.drop", "zh") in drawn, drawn
        shot(page, f"plain-zh-walk-{tab}.png", full_page=True)
    context.close()
    (ARTIFACTS / "plain-zh-walk-english.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert not any(found.values()), found

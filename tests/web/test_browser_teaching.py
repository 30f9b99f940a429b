"""The studio's teaching aids in a real browser: language from Accept-Language and the switch,
preset search in Chinese filling the form, and the live prompt check."""

import re

import pytest

from i2v.teaching.i18n import t
from i2v.teaching.presets import get_preset
from tests.web.test_browser import ARTIFACTS
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = browser_marks


@pytest.fixture
def zh_page(browser, server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    page.get_by_text(t("ui.generate", "zh"), exact=True).wait_for(timeout=30_000)
    # the language change re-renders the prompt check and the preset captions: let that land first
    page.locator("#i2v-prompt-check").get_by_text(t("prompt.empty", "zh")).wait_for(timeout=10_000)
    page.locator("#i2v-preset-gallery").get_by_text(get_preset("mitosis").title.zh).wait_for(timeout=10_000)
    yield page
    context.close()


def test_chinese_from_accept_language_then_switch_to_english(zh_page):
    page = zh_page
    for key in ("ui.image", "ui.presets", "ui.advanced", "ui.export", "ui.history"):
        assert page.get_by_text(t(key, "zh"), exact=True).first.is_visible(), key
    assert page.get_by_text(t("prompt.english_only", "zh")).first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("() => document.fonts.ready")
    page.screenshot(path=str(ARTIFACTS / "studio-zh.png"), full_page=True)

    page.locator("#i2v-lang").get_by_text("EN", exact=True).click()
    page.get_by_text(t("ui.generate", "en"), exact=True).wait_for(timeout=10_000)
    for key in ("ui.image", "ui.presets", "ui.advanced", "ui.history"):
        assert page.get_by_text(t(key, "en"), exact=True).first.is_visible(), key
    assert page.get_by_text(t("ui.generate", "zh"), exact=True).count() == 0


def test_search_in_chinese_and_pick_mitosis_fills_the_form(zh_page):
    page = zh_page
    mitosis = get_preset("mitosis")
    page.locator("#i2v-preset-search input, #i2v-preset-search textarea").first.fill("有丝分裂")
    gallery = page.locator("#i2v-preset-gallery")
    page.wait_for_function(
        "() => document.querySelectorAll('#i2v-preset-gallery .thumbnail-item, #i2v-preset-gallery button img').length <= 8",
        timeout=10_000,
    )
    gallery.get_by_text(mitosis.title.zh).first.wait_for(timeout=10_000)
    gallery.locator("button").filter(has_text=mitosis.title.zh).first.click()
    prompt = page.locator("#i2v-prompt textarea")
    page.wait_for_function(
        "p => document.querySelector('#i2v-prompt textarea').value === p", arg=mitosis.prompt, timeout=10_000)
    assert prompt.input_value() == mitosis.prompt
    assert page.locator("#i2v-frames input[type=number]").input_value() == str(mitosis.params.frames)
    page.locator("#i2v-advanced").get_by_text(t("ui.advanced", "zh")).click()
    steps = page.locator("#i2v-steps input[type=number]")
    steps.wait_for(state="visible")
    assert steps.input_value() == str(mitosis.params.steps)
    details = page.locator("#i2v-preset-details")
    assert mitosis.knowledge_point.zh[:10] in details.inner_text()
    assert f"{t('preset.misconception', 'zh')}: {mitosis.misconception.zh[:10]}" in details.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    details.screenshot(path=str(ARTIFACTS / "preset-details-zh.png"))


def test_vague_prompt_shows_a_warning(zh_page):
    page = zh_page
    page.locator("#i2v-prompt textarea").fill("make it move nicely")
    warning = page.locator("#i2v-prompt-check .i2v-warnings li[data-code=vague]")
    warning.wait_for(timeout=10_000)  # the empty-prompt warning was there before: wait for this one
    assert warning.is_visible()
    text = warning.inner_text()
    assert "make it move" in text and re.search(r"[\u4e00-\u9fff]", text), text  # in the teacher's language


def test_helper_chips_symptom_apply_and_picture_check(browser, server, tmp_path):
    from PIL import Image

    dark = tmp_path / "dark.png"
    picture = Image.new("RGB", (320, 240), (5, 5, 5))
    picture.paste((240, 200, 40), (110, 70, 210, 170))
    picture.save(dark)
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(server.url + "/")
    page.locator("#i2v-image input[type=file]").set_input_files(str(dark))
    page.locator("#i2v-fix-apply").wait_for(state="visible", timeout=15_000)
    assert t("image.dark_background", "en")[:20] in page.locator("#i2v-picture-check").inner_text()
    page.locator("#i2v-fix-apply").click()
    page.get_by_text(t("ui.input.ok", "en")).wait_for(timeout=15_000)  # the fixed picture passes the check

    page.locator("#i2v-helper").get_by_text(t("ui.helper", "en")).click()
    page.locator("#i2v-chips-subject").get_by_text("chromosomes", exact=True).click()
    page.locator("#i2v-chips-action").get_by_text("splitting apart", exact=True).click()
    page.locator("#i2v-chips-direction").get_by_text("to opposite poles", exact=True).click()
    page.locator("#i2v-use-prompt").click()
    page.wait_for_function("() => document.querySelector('#i2v-prompt textarea').value.startsWith('chromosomes splitting apart')",
                           timeout=10_000)

    page.locator("#i2v-frames input[type=number]").fill("24")
    page.locator("#i2v-frames input[type=number]").press("Enter")
    page.locator("#i2v-symptoms").get_by_text(t("ui.symptoms", "en")).click()
    page.locator("#i2v-symptom-jittery").click()
    page.wait_for_function("() => document.querySelector('#i2v-frames input[type=number]').value === '16'", timeout=10_000)
    assert "24 → 16" in page.locator("#i2v-symptom-note").inner_text()
    page.screenshot(path=str(ARTIFACTS / "studio-teaching-en.png"), full_page=True)
    context.close()


def test_post_process_and_export_a_finished_video(browser, server, png_bytes):
    from tests.web.conftest import finished, submit, wait_for

    with server.client() as client:
        job = wait_for(client, submit(client, png_bytes).json()["id"], finished)
    assert job["status"] == "succeeded"
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(server.url + "/")
    page.locator("#i2v-history img").first.wait_for(timeout=20_000)
    page.locator("#i2v-history img").first.click()
    page.wait_for_function("() => { const v = document.querySelector('#i2v-video video'); return v && v.src; }",
                           timeout=20_000)
    original = page.evaluate("() => document.querySelector('#i2v-video video').src")
    page.locator("#i2v-export").get_by_text(t("ui.export", "en")).click()
    page.locator("#i2v-interpolate").get_by_text("×2").click()
    page.locator("#i2v-formats").get_by_text(t("ui.export.format.gif", "en")).click()
    page.locator("#i2v-make").click()
    page.locator("#i2v-export-files").get_by_text(".gif").first.wait_for(timeout=60_000)
    assert page.locator("#i2v-export-files").get_by_text(".mp4").count() >= 1  # the processed clip, to download
    assert page.evaluate("() => document.querySelector('#i2v-video video').src") != original  # …and in the player
    with server.client() as client:
        exports = client.get(f"/api/v1/jobs/{job['id']}").json()["exports"]
    assert set(exports) == {"gif", "video"}
    page.close()

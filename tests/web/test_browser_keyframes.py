"""The End picture box in a real browser (Debian's Chromium through Playwright, the real server):
it appears when the chosen family can take an end picture (Wan 2.2 I2V-A14B's test model), the
teacher uploads both pictures and sees the before → after strip, generates, and the clip plays;
with I2VGen-XL picked the box is gone. Screenshots in English and Chinese go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PIL import Image

from i2v.i18n import t
from tests.conftest import gradient_picture
from tests.support.browser import CHROMIUM
from tests.web.test_browser import click_generate_from_below, open_studio, set_number, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium missing: run scripts/install_browser.sh"),
]


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


@pytest.fixture(scope="module")
def pictures(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keyframes")
    start, end = folder / "ice.png", folder / "water.png"
    gradient_picture(400, 300).save(start)
    Image.new("RGB", (400, 300), (40, 90, 220)).save(end)
    return start, end


def pick_model(page, name: str) -> None:
    page.locator("#i2v-model-picker input").click()
    page.get_by_role("option", name=name, exact=False).click()


def end_box_visible(page) -> bool:
    return page.locator("#i2v-end-image").is_visible()


def upload_both(page, start: Path, end: Path) -> None:
    page.locator("#i2v-image input[type=file]").set_input_files(str(start))
    page.locator("#i2v-end-image input[type=file]").set_input_files(str(end))
    page.locator("#i2v-keyframe-strip img").nth(1).wait_for(timeout=30_000)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_end_box_follows_the_family_and_shows_the_strip(browser, server, pictures, lang):
    context, page = open_studio(browser, server, lang)
    assert not end_box_visible(page)  # I2VGen-XL, the server's default, takes no end picture
    pick_model(page, "Wan 2.2 I2V-A14B — tiny-wan-a14b")
    page.locator("#i2v-end-image").wait_for(state="visible", timeout=30_000)
    assert t("ui.end_image", lang) in page.locator("#i2v-end-image").inner_text()
    upload_both(page, *pictures)
    strip = page.locator("#i2v-keyframe-strip")
    assert t("ui.keyframes.before", lang) in strip.inner_text() and t("ui.keyframes.after", lang) in strip.inner_text()
    page.locator("#i2v-end-image").scroll_into_view_if_needed()
    shot(page, f"studio-end-picture-{lang}.png")
    pick_model(page, "I2VGen-XL — tiny")
    page.locator("#i2v-end-image").wait_for(state="hidden", timeout=30_000)
    shot(page, f"studio-end-picture-gone-{lang}.png")
    context.close()


def test_a14b_with_both_pictures_generates_and_plays(browser, server, pictures):
    context, page = open_studio(browser, server, "en")
    pick_model(page, "Wan 2.2 I2V-A14B — tiny-wan-a14b")
    page.wait_for_function("() => document.querySelector('#i2v-frames input[type=range]').max === '121'", timeout=30_000)
    upload_both(page, *pictures)
    page.locator("#i2v-prompt textarea").fill("ice melting into a puddle of water")
    page.locator("#i2v-resolution input").click()
    page.get_by_role("option", name="240p").click()
    set_number(page, "i2v-frames", 5)
    page.locator("#i2v-advanced").get_by_text(t("ui.advanced", "en")).click()
    page.locator("#i2v-steps input[type=number]").wait_for(state="visible")
    set_number(page, "i2v-steps", 2)
    click_generate_from_below(page)
    page.wait_for_function(
        "() => { const v = document.querySelector('#i2v-video video'); return v && v.readyState >= 2 && v.duration > 0; }",
        timeout=300_000,
    )
    state = page.evaluate(
        "async () => { const v = document.querySelector('#i2v-video video'); v.muted = true;"
        " try { await v.play(); } catch (e) { return {error: String(e)}; }"
        " await new Promise(r => setTimeout(r, 300));"
        " return {duration: v.duration, time: v.currentTime, paused: v.paused}; }"
    )
    assert "error" not in state, state
    assert abs(state["duration"] - 5 / 16) < 0.1, state  # 5 frames at A14B's 16 fps
    assert state["time"] > 0 or not state["paused"]
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "studio-end-picture-result-en.png", full_page=True)
    newest = httpx.get(f"{server.url}/api/v1/jobs").json()["jobs"][0]
    assert newest["recipe"]["model"]["family"] == "wan_a14b" and newest["request"]["keyframes"] == [1.0]
    assert newest["recipe"]["keyframes"][0]["position"] == 1.0
    context.close()

"""The studio in a real browser: Playwright drives Debian's Chromium (headless) against the real server."""

import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.web.conftest import CHROMIUM

ARTIFACTS = REPO / "test-artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium missing: run scripts/install_browser.sh"),
]


def set_number(page, elem_id: str, value: int, attempts: int = 5) -> None:
    """Type a number into a Gradio slider's box. A re-render right after an accordion opens can
    swallow the first edit on a loaded machine, so the value is checked and typed again if needed."""
    box = page.locator(f"#{elem_id} input[type=number]")
    for _ in range(attempts):
        box.fill(str(value))
        box.press("Enter")
        page.wait_for_timeout(150)
        if box.input_value() == str(value):
            return
    raise AssertionError(f"#{elem_id} kept {box.input_value()!r} instead of {value}")


def test_upload_generate_and_play(browser, server, tmp_path, png_bytes):
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(server.url + "/")
    page.locator("#i2v-image input[type=file]").set_input_files(str(picture))
    page.locator("#i2v-prompt textarea").fill("a cell dividing, chromosomes moving apart")
    page.locator("#i2v-resolution input").click()
    page.get_by_role("option", name="256p").click()
    set_number(page, "i2v-frames", 8)
    page.locator("#i2v-advanced").get_by_text("Advanced").click()
    page.locator("#i2v-steps input[type=number]").wait_for(state="visible")
    set_number(page, "i2v-steps", 10)
    assert page.locator("#i2v-steps input[type=number]").input_value() == "10"

    clicked = time.monotonic()
    page.locator("#i2v-generate").click()
    page.wait_for_selector("#i2v-progress [data-status=running], #i2v-progress [data-status=succeeded]", timeout=60_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('#i2v-video video'); return v && v.readyState >= 2 && v.duration > 0; }",
        timeout=120_000,
    )
    playable_after = time.monotonic() - clicked
    state = page.evaluate(
        "async () => { const v = document.querySelector('#i2v-video video'); v.muted = true;"
        " try { await v.play(); } catch (e) { return {error: String(e)}; }"
        " await new Promise(r => setTimeout(r, 300));"
        " return {readyState: v.readyState, duration: v.duration, time: v.currentTime, paused: v.paused, src: v.currentSrc}; }"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "studio-result.png"), full_page=True)
    (ARTIFACTS / "studio-timing.txt").write_text(f"click to playable video: {playable_after:.1f} s\n")
    assert "error" not in state, state
    assert state["readyState"] >= 2 and state["duration"] > 0
    assert state["time"] > 0 or not state["paused"]
    assert "Done" in page.locator("#i2v-progress").inner_text()
    newest = httpx.get(f"{server.url}/api/v1/jobs").json()["jobs"][0]
    assert newest["request"]["steps"] == 10 and newest["request"]["resolution"] == "256p"
    page.close()

"""The studio in a real browser: Playwright drives Debian's Chromium (headless) against the real server,
at 1366×900 (a school laptop), in English and Chinese. Screenshots of each state go to test-artifacts/."""

import time
from pathlib import Path

import httpx
import pytest

from i2v.i18n import t
from tests.conftest import REPO
from tests.support.servers import finished, submit, wait_for
from tests.support.browser import CHROMIUM

ARTIFACTS = REPO / "test-artifacts"
VIEWPORT = {"width": 1366, "height": 900}
LOCALES = {"en": "en-US", "zh": "zh-CN"}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium missing: run scripts/install_browser.sh"),
]


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def open_studio(browser, server, lang: str):
    """A fresh page in `lang` (from the browser's Accept-Language), loaded and relabelled."""
    context = browser.new_context(locale=LOCALES[lang], viewport=VIEWPORT)
    page = context.new_page()
    page.goto(server.url + "/")
    page.locator("#i2v-generate").get_by_text(t("ui.generate", lang), exact=True).wait_for(timeout=30_000)
    return context, page


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("() => document.fonts.ready")
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


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


def fill_form(page, picture: Path, prompt: str, lang: str, steps: int) -> None:
    page.locator("#i2v-image input[type=file]").set_input_files(str(picture))
    page.locator("#i2v-prompt textarea").fill(prompt)
    page.locator("#i2v-resolution input").click()
    page.get_by_role("option", name="256p").click()
    set_number(page, "i2v-frames", 8)
    page.locator("#i2v-advanced").get_by_text(t("ui.advanced", lang)).click()
    page.locator("#i2v-steps input[type=number]").wait_for(state="visible")
    set_number(page, "i2v-steps", steps)


def in_viewport(page, selector: str) -> bool:
    """Is the element wholly inside the window (not scrolled away, not hidden)?"""
    return page.evaluate(
        "s => { const e = document.querySelector(s); if (!e || !e.offsetParent) return false;"
        " const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }",
        selector,
    )


def open_library(page) -> None:
    """The Library tab, once it has listed the videos (it refreshes when it is opened)."""
    page.locator("#i2v-tab-library-button").click()
    page.wait_for_function("() => (document.querySelector('#i2v-lib-note')?.innerText || '').trim().length > 0",
                           timeout=30_000)


def click_generate_from_below(page) -> None:
    """Scroll to Generate the way a teacher does (the button sits below the first screen), then press it."""
    page.locator("#i2v-generate").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollBy(0, 400)")  # as far down as the page goes
    page.locator("#i2v-generate").click()


def test_upload_generate_and_play(browser, server, tmp_path, png_bytes):
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    context, page = open_studio(browser, server, "en")
    fill_form(page, picture, "a cell dividing, chromosomes moving apart", "en", steps=10)
    assert page.locator("#i2v-steps input[type=number]").input_value() == "10"
    assert not page.locator("#i2v-cancel").is_visible()  # nothing to cancel yet

    clicked = time.monotonic()
    click_generate_from_below(page)
    page.wait_for_selector("#i2v-progress [data-status]", timeout=30_000)
    assert in_viewport(page, "#i2v-progress"), "the job's status is out of sight right after Generate"
    assert in_viewport(page, "#i2v-generate")  # …while the teacher still sees the button they pressed
    shot(page, "studio-status-en.png")
    assert "Step 0 of 0" not in page.locator("#i2v-progress").inner_text()
    assert page.locator("#i2v-progress .wrap.default:visible, #i2v-progress .progress-text:visible").count() == 0  # no Gradio overlay
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
    page.evaluate("() => window.scrollTo(0, 0)")  # a full-page picture draws the sticky status where the window is
    shot(page, "studio-result.png", full_page=True)
    (ARTIFACTS / "studio-timing.txt").write_text(f"click to playable video: {playable_after:.1f} s\n")
    assert "error" not in state, state
    assert state["readyState"] >= 2 and state["duration"] > 0
    assert state["time"] > 0 or not state["paused"]
    assert "Done" in page.locator("#i2v-progress").inner_text()
    assert page.locator("#i2v-download").is_visible()
    page.locator("#i2v-cancel").wait_for(state="hidden", timeout=30_000)  # the job is over: nothing to cancel
    # Issue 29: the finished status no longer sticks to the top, so it covers neither Download nor the
    # export settings when the teacher scrolls down to them.
    page.locator("#i2v-export").get_by_text(t("ui.export", "en")).first.click()
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(200)
    covered = page.evaluate(
        "() => { const s = document.querySelector('#i2v-progress').getBoundingClientRect();"
        " return ['#i2v-download', '#i2v-export'].filter(id => { const r = document.querySelector(id).getBoundingClientRect();"
        " return r.height > 0 && s.bottom > r.top && s.top < r.bottom && s.right > r.left && s.left < r.right; }); }")
    assert covered == [], f"the status covers {covered}"
    newest = httpx.get(f"{server.url}/api/v1/jobs").json()["jobs"][0]
    assert newest["request"]["steps"] == 10 and newest["request"]["resolution"] == "256p"
    context.close()


def test_status_in_view_starting_then_steps_and_cancel_only_while_running(browser, server, tmp_path, png_bytes):
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    context, page = open_studio(browser, server, "zh")
    fill_form(page, picture, "a cell dividing slowly", "zh", steps=150)
    assert not page.locator("#i2v-cancel").is_visible()
    click_generate_from_below(page)
    page.wait_for_selector("#i2v-progress [data-status]", timeout=30_000)
    assert in_viewport(page, "#i2v-progress")
    cancel = page.locator("#i2v-cancel")
    cancel.wait_for(state="visible", timeout=30_000)  # queued or running: now there is something to cancel
    first = page.locator("#i2v-progress").inner_text()
    assert "0 / 0" not in first and "Step 0" not in first, first  # "正在开始……" until the first step
    page.wait_for_selector("#i2v-progress [data-status=running]:not([data-step='0'])", timeout=60_000)
    running = page.locator("#i2v-progress").inner_text()
    assert "/ 150" in running and "约剩" in running and "—" not in running, running  # a measured ETA
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    assert in_viewport(page, "#i2v-progress"), "the status scrolled away while the job runs"
    shot(page, "studio-status-zh.png")
    cancel.click()
    page.locator("#i2v-progress [data-status=cancelled]").wait_for(timeout=30_000)
    assert t("ui.progress.cancelled", "zh") in page.locator("#i2v-progress").inner_text()
    cancel.wait_for(state="hidden", timeout=30_000)
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tabs_keep_state_when_switching(browser, server, tmp_path, png_bytes, lang):
    picture = tmp_path / "cell.png"
    picture.write_bytes(png_bytes)
    context, page = open_studio(browser, server, lang)
    tabs = {name: page.locator(f"#i2v-tab-{name}-button") for name in ("create", "library", "help")}
    assert [tabs[n].inner_text().strip() for n in tabs] == [t(f"ui.tab.{n}", lang) for n in tabs]
    page.locator("#i2v-image input[type=file]").set_input_files(str(picture))
    page.locator("#i2v-image img").first.wait_for(timeout=30_000)
    page.locator("#i2v-prompt textarea").fill("a leaf swaying gently in the wind")
    set_number(page, "i2v-frames", 24)

    tabs["library"].click()
    search = page.locator("#i2v-lib-search input, #i2v-lib-search textarea").first
    search.wait_for(state="visible", timeout=30_000)
    search.fill("cell")
    tabs["help"].click()
    page.locator("#i2v-help-model").wait_for(state="visible", timeout=30_000)
    assert t("ui.help.model", lang).removeprefix("## ") in page.locator("#i2v-tab-help").inner_text()
    shot(page, f"studio-help-{lang}.png")
    tabs["create"].click()
    page.locator("#i2v-prompt textarea").wait_for(state="visible", timeout=30_000)
    assert page.locator("#i2v-prompt textarea").input_value() == "a leaf swaying gently in the wind"
    assert page.locator("#i2v-frames input[type=number]").input_value() == "24"
    assert page.locator("#i2v-image img").count() >= 1  # the picture is still there
    tabs["library"].click()
    assert page.locator("#i2v-lib-search input, #i2v-lib-search textarea").first.input_value() == "cell"
    shot(page, f"studio-library-{lang}.png")
    context.close()


def test_library_open_reuse_export_and_delete_with_confirmation(browser, server, png_bytes):
    with server.client() as client:
        job = wait_for(client, submit(client, png_bytes, prompt="zebra stripes rippling sideways", seed="31").json()["id"],
                       finished)
    assert job["status"] == "succeeded"
    context, page = open_studio(browser, server, "en")
    open_library(page)
    delete = page.locator("#i2v-lib-delete")
    assert not delete.is_visible()  # nothing selected: nothing to delete
    page.locator("#i2v-lib-search input, #i2v-lib-search textarea").first.fill("zebra stripes")
    page.wait_for_function("() => document.querySelectorAll('#i2v-history img').length === 1", timeout=30_000)
    assert "1 of 1" in page.locator("#i2v-lib-note").inner_text()
    page.locator("#i2v-history img").first.click()
    page.wait_for_function("() => { const v = document.querySelector('#i2v-lib-video video'); return v && v.src; }",
                           timeout=20_000)
    assert "zebra stripes rippling sideways" in page.locator("#i2v-lib-details").inner_text()
    assert delete.is_visible()

    delete.click()  # asks first
    page.locator("#i2v-lib-confirm").first.wait_for(state="visible", timeout=30_000)
    assert t("ui.library.confirm", "en") in page.locator("#i2v-lib-confirm").first.inner_text()
    framed = page.evaluate("() => [...document.querySelectorAll('.i2v-confirm')].filter(e => e.offsetParent !== null"
                           " && getComputedStyle(e).borderTopWidth !== '0px').length")
    assert framed == 1, f"the confirmation is drawn {framed} times"  # issue 29: it was a frame inside a frame
    page.locator("#i2v-lib-confirm-yes").scroll_into_view_if_needed()
    shot(page, "studio-library-confirm-en.png")
    page.locator("#i2v-lib-confirm-no").click()
    page.locator("#i2v-lib-confirm").first.wait_for(state="hidden", timeout=30_000)
    with server.client() as client:
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 200  # "Keep it" kept it

    page.locator("#i2v-lib-reuse").click()  # fills Create and goes there
    page.wait_for_function("() => document.querySelector('#i2v-prompt textarea')?.value === 'zebra stripes rippling sideways'",
                           timeout=30_000)
    assert page.locator("#i2v-tab-create-button").get_attribute("aria-selected") == "true"
    assert page.locator("#i2v-frames input[type=number]").input_value() == str(job["request"]["frames"])

    page.locator("#i2v-tab-library-button").click()
    delete.click()
    page.locator("#i2v-lib-confirm-yes").click()
    page.locator("#i2v-lib-confirm").first.wait_for(state="hidden", timeout=30_000)
    with server.client() as client:
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert not delete.is_visible()  # the selection is gone with the video
    page.wait_for_function("() => document.querySelectorAll('#i2v-history img').length === 0", timeout=30_000)
    context.close()


def slider_bounds(page, elem_id: str) -> tuple[str, str, str]:
    box = page.locator(f"#{elem_id} input[type=range]")
    return box.get_attribute("min"), box.get_attribute("max"), box.get_attribute("step")


def test_a_family_picked_in_the_studio_brings_its_own_ranges_and_makes_the_video(browser, server, tmp_path, png_bytes):
    """The model picker lists the test models of all three families; picking LTX-Video re-ranges the
    sliders from its spec (8k+1 frames, its resolutions and guidance), and the job runs on LTX."""
    picture = tmp_path / "leaf.png"
    picture.write_bytes(png_bytes)
    context, page = open_studio(browser, server, "en")
    assert slider_bounds(page, "i2v-frames") == ("8", "32", "1")  # I2VGen-XL, the default
    page.locator("#i2v-model-picker input").click()
    options = page.get_by_role("option").all_inner_texts()
    assert any("I2VGen-XL" in o for o in options) and any("Wan 2.2" in o for o in options) and any("LTX" in o for o in options)
    page.get_by_role("option", name="LTX-Video 2B — tiny-ltx", exact=False).click()
    page.wait_for_function("() => document.querySelector('#i2v-frames input[type=range]').max === '257'", timeout=30_000)
    assert slider_bounds(page, "i2v-frames") == ("9", "257", "8")
    assert "Licence" in page.locator("#i2v-model-info").inner_text()
    page.locator("#i2v-image input[type=file]").set_input_files(str(picture))
    page.locator("#i2v-prompt textarea").fill("a leaf swaying gently in the wind")
    page.locator("#i2v-resolution input").click()
    assert [o.split()[-1] for o in page.get_by_role("option").all_inner_texts()] == ["256p", "480p", "512p", "720p"]
    page.get_by_role("option", name="256p").click()
    set_number(page, "i2v-frames", 9)
    page.locator("#i2v-advanced").get_by_text(t("ui.advanced", "en")).click()
    page.locator("#i2v-steps input[type=number]").wait_for(state="visible")
    set_number(page, "i2v-steps", 10)
    shot(page, "studio-model-ltx.png")
    click_generate_from_below(page)
    page.wait_for_function(
        "() => { const v = document.querySelector('#i2v-video video'); return v && v.readyState >= 2 && v.duration > 0; }",
        timeout=180_000,
    )
    duration = page.evaluate("() => document.querySelector('#i2v-video video').duration")
    assert abs(duration - 9 / 24) < 0.1, duration  # 9 frames at LTX's 24 fps
    newest = httpx.get(f"{server.url}/api/v1/jobs").json()["jobs"][0]
    assert newest["recipe"]["model"]["family"] == "ltx" and newest["request"]["model"] == "tiny-ltx"
    context.close()

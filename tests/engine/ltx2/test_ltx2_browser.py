"""A clip with sound in a real browser (issue 21): a tiny-ltx2 job's card in the studio's Library shows
the speaker, and Chromium's player decodes its sound track (`webkitAudioDecodedByteCount` > 0)."""

from __future__ import annotations

import pytest

from tests.engine.ltx2.test_ltx2_api import LTX2, run_job
from tests.web.test_browser import ARTIFACTS, open_studio
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = [*browser_marks, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def test_the_library_marks_a_clip_with_sound_and_the_player_plays_its_sound(browser, server, tmp_path):
    prompt = "a bell ringing in a quiet room, the sound of the bell"
    with server.client() as client:
        run_job(client, {**LTX2, "prompt": prompt}, tmp_path)
    context, page = open_studio(browser, server, "en")
    page.locator("#i2v-tab-library-button").click()
    page.locator("#i2v-lib-search input, #i2v-lib-search textarea").first.fill("bell ringing in a quiet room")
    page.locator("#i2v-lib-refresh").click()
    card = page.locator("#i2v-history button", has_text="♪ " + prompt[:40]).first
    card.wait_for(timeout=30_000)
    card.click()
    page.wait_for_function("() => { const v = document.querySelector('#i2v-lib-video video'); return v && v.readyState >= 2; }",
                           timeout=20_000)
    decoded = page.evaluate("""async () => {
        const v = document.querySelector('#i2v-lib-video video');
        v.muted = false; v.currentTime = 0;
        try { await v.play(); } catch (e) { return {error: String(e)}; }
        await new Promise(r => setTimeout(r, 800));
        v.pause();
        return {bytes: v.webkitAudioDecodedByteCount, time: v.currentTime};
    }""")
    assert "error" not in decoded and decoded["bytes"] > 0 and decoded["time"] > 0, decoded
    assert "With sound made by the model" in page.locator("#i2v-lib-details").inner_text()
    page.screenshot(path=str(ARTIFACTS / "library-sound-en.png"), full_page=True)
    context.close()

"""A clip with sound in a real browser (issue 21): a tiny-ltx2 job's card in the studio's Library shows
the ♪, Chromium's player decodes its sound track (`webkitAudioDecodedByteCount` > 0), and its Extend
button makes a longer video whose sound is joined to the picture."""

from __future__ import annotations

import pytest

from i2v.media import probe
from tests.engine.ltx2.test_ltx2_api import LTX2, run_job
from tests.support.servers import finished, wait_for
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
    # Extend by 2 s: a longer version is queued and made as a new video with its sound joined; the first stays.
    page.locator("#i2v-lib-extend").click()
    page.get_by_text("Queued: a 2 s longer version of this video").wait_for(timeout=30_000)
    job_id = page.locator("#i2v-lib-details").inner_text().split("(job ")[1].split(")")[0]
    context.close()
    with server.client() as client:
        longer = wait_for(client, job_id, finished, timeout=600)
        assert longer["status"] == "succeeded", longer
        video = tmp_path / "longer.mp4"
        video.write_bytes(client.get(f"/api/v1/jobs/{job_id}/video").content)
    info, recipe = probe(video), longer["recipe"]
    assert recipe["extends"]["parent_frames"] == 9 and info.frames == 9 + recipe["extends"]["new_frames"] > 9
    assert info.audio_codec == "aac" and abs(info.audio_seconds - info.frames / float(info.fps)) <= 1 / float(info.fps)

"""Recording a scene's narration in the studio (issue 22): Chromium's fake microphone plays a spoken WAV
(made by the offline voice), the teacher presses Record and Stop in the Lesson tab, and the lesson
keeps the recording and speaks it at that scene."""

import json

import pytest

from i2v.i18n import t
from i2v.media import read_audio
from i2v.voice import synthetic_voice
from i2v.voice.recording import read_wav, wav_bytes
from tests.lessons.conftest import make_clips
from tests.lessons.test_lessons_browser import open_tab
from tests.lessons.test_lessons_recordings import assert_heard_at
from tests.support.browser import CHROMIUM, LAUNCH_ARGS
from tests.web.test_browser import ARTIFACTS
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = [*browser_marks, pytest.mark.slow]


@pytest.fixture(scope="module")
def microphone_browser(browser, tmp_path_factory):
    """A second Chromium whose microphone is a file: the offline voice saying one narration."""
    from i2v.loudness import normalise

    audio, _ = synthetic_voice("en").speak("Each pole gets one full set of chromosomes.", "en", 1.0)
    spoken = tmp_path_factory.mktemp("microphone") / "narration.wav"
    spoken.write_bytes(wav_bytes(normalise(audio.resampled(48_000))))
    launched = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *LAUNCH_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={spoken}"])
    yield launched
    launched.close()


def test_a_scene_recorded_in_the_studio_is_spoken_at_its_scene(microphone_browser, lesson_server):
    context = microphone_browser.new_context(viewport={"width": 1366, "height": 900}, permissions=["microphone"])
    page = context.new_page()
    open_tab(page, lesson_server.url, "en")
    page.locator("#i2v-lesson-outline textarea").fill("Anaphase: sister chromatids separate")
    page.locator("#i2v-lesson-make").click()
    page.locator("#i2v-lesson-board table").wait_for(timeout=60_000)
    lesson_id = page.locator("#i2v-lesson-board .i2v-board").get_attribute("data-lesson")
    page.locator("#i2v-lesson-recording .record-button").click()
    page.locator("#i2v-lesson-recording .stop-button").wait_for(timeout=10_000)
    page.wait_for_timeout(4_000)
    page.locator("#i2v-lesson-recording .stop-button").click()
    page.get_by_text(t("lesson.recorded", "en")).wait_for(timeout=30_000)
    voice = page.locator("#i2v-lesson-voice input")
    page.wait_for_function("() => document.querySelector('#i2v-lesson-voice input').value.startsWith('My recordings')", timeout=10_000)
    assert voice.input_value() == t("lesson.voice.own", "en")  # so "Generate all" keeps the recording
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lesson-recorded-en.png"), full_page=True)
    context.close()

    lessons = lesson_server.services.lessons
    lesson = lessons.get(lesson_id)
    assert lesson.voice == "own" and lesson.scenes[0].recording
    stored = read_wav(lessons.files.recording(lesson_id, lesson.scenes[0].recording).read_bytes())
    assert 1.0 < stored.seconds < 4.5  # the spoken sentence, trimmed of the quiet before and after
    make_clips(lessons, lesson_id, [(8, 8, 320, 192)])
    lessons.assemble(lesson_id)
    scene = next(s for s in json.loads(lessons.files.output(lesson_id, "timeline").read_text())["segments"] if s["kind"] == "scene")
    assert_heard_at(read_audio(lessons.files.output(lesson_id, "video")), scene["start_s"], stored)

"""The lesson packages in a real Chromium (Playwright): the offline page from file:// pauses at a
check, takes an answer and shows its feedback (en and zh); the SCORM package runs inside a test LMS
page whose SCORM 1.2 API is scorm-again (npm, installed by scripts/install_browser.sh), and the
score, status and interactions it reported are read back from that API."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from i2v.lessons.packages.build import build_lesson_package
from tests.lessons.test_lessons_packages import assembled

from tests.web.test_browser import pytestmark as browser_marks

NPM = Path(__file__).resolve().parents[1] / "support" / "npm" / "node_modules"
SCORM_AGAIN = NPM / "scorm-again" / "dist" / "scorm12.js"
pytestmark = [*browser_marks]
FEEDBACK_RIGHT = {"en": "Right", "zh": "回答正确"}
FALSE = {"en": "False", "zh": "错误"}


def unzip(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def answer_current(page, choice: str) -> str:
    """Wait for the check to show with the video paused, pick `choice`, submit; the feedback text."""
    page.wait_for_selector("#check:not([hidden])", timeout=30_000)
    assert page.evaluate("document.getElementById('video').paused")
    page.get_by_label(choice, exact=True).check()
    page.click("#submit")
    page.wait_for_function("document.getElementById('feedback').textContent.length > 0")
    return page.text_content("#feedback")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_offline_page_from_file_pauses_asks_and_gives_feedback(browser, lesson_service, tmp_path, lang):  # noqa: F811
    lesson = assembled(lesson_service, lang)
    folder = unzip(build_lesson_package(lesson_service, lesson.id, "page").data, tmp_path / "usb")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto((folder / "lesson.html").as_uri())
    assert page.text_content("h1") == lesson.title
    checks = page.evaluate("window.i2vLesson.data.checks")
    assert len(checks) == len(lesson.scenes)
    # jump to just before the first check and play: the page pauses there by itself
    page.evaluate("""at => { const v = document.getElementById('video'); v.muted = true;
                             v.currentTime = Math.max(0, at - 0.6); return v.play(); }""", checks[0]["at"])
    feedback = answer_current(page, FALSE[lang])
    assert feedback.startswith(FEEDBACK_RIGHT[lang])
    correction = lesson.scenes[0].check.right
    assert correction.split("。" if lang == "zh" else ". ")[-1][:15] in feedback
    page.click("#continue")
    page.wait_for_function("!document.getElementById('video').paused || document.getElementById('video').ended")
    captions = page.evaluate("document.getElementById('video').textTracks[0].cues.length")
    assert captions >= len(lesson.scenes)  # captions came from the page itself (no <track> from file://)
    if lang == "zh":  # the page's Chinese glyphs come with it (this machine has no CJK system font)
        question = lesson.scenes[0].check.question
        loaded = page.evaluate("q => document.fonts.load(\"16px 'i2v-lesson-cjk'\", q).then(f => f.length)", question)
        assert loaded == 1 and page.evaluate("q => document.fonts.check(\"16px 'i2v-lesson-cjk'\", q)", question)
    assert not errors, errors
    page.close()


def test_markup_in_a_check_shows_as_text_and_never_runs(browser, lesson_service, tmp_path):  # noqa: F811
    lesson = assembled(lesson_service)
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["check"] = {"kind": "truefalse", "answer": False,
                                  "question": "<img src=x onerror=\"window.pwned=1\"></script><script>window.pwned=2</script>"}
    lesson_service.update(lesson.id, data, None)
    folder = unzip(build_lesson_package(lesson_service, lesson.id, "page").data, tmp_path / "page")
    page = browser.new_page()
    page.goto((folder / "lesson.html").as_uri())
    page.evaluate("window.i2vLesson.ask(window.i2vLesson.data.checks[0])")
    assert page.text_content("#question") == data["scenes"][0]["check"]["question"]
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned === undefined")
    page.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request lines in the test output
        pass


@pytest.fixture
def lms_folder(tmp_path):
    """A folder served on loopback (an LMS serves a SCO over HTTP; a file:// frame could not reach
    its parent's API), with the test LMS page that provides the SCORM 1.2 API from scorm-again."""
    if not SCORM_AGAIN.is_file():
        pytest.skip("scorm-again missing: run scripts/install_browser.sh")
    (tmp_path / "scorm12.js").write_bytes(SCORM_AGAIN.read_bytes())
    (tmp_path / "lms.html").write_text("""<!doctype html><meta charset="utf-8"><title>test LMS</title>
<script src="scorm12.js"></script>
<script>window.API = new Scorm12API({autocommit: false, logLevel: 5});</script>
<iframe id="sco" src="sco/index.html" width="900" height="700"></iframe>""")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_scorm_package_reports_score_status_and_interactions(browser, lesson_service, lms_folder):  # noqa: F811
    folder, url = lms_folder
    lesson = assembled(lesson_service)
    unzip(build_lesson_package(lesson_service, lesson.id, "scorm").data, folder / "sco")
    page = browser.new_page()
    page.goto(f"{url}/lms.html")
    sco = page.frame_locator("#sco")
    frame = page.frames[1]
    frame.wait_for_function("window.i2vLesson !== undefined")
    assert page.evaluate("window.API.LMSGetValue('cmi.core.lesson_status')") == "incomplete"
    checks = frame.evaluate("window.i2vLesson.data.checks")
    total = len(checks)
    assert total == 5
    frame.evaluate("""at => { const v = document.getElementById('video'); v.muted = true; v.playbackRate = 2;
                              v.currentTime = Math.max(0, at - 0.6); return v.play(); }""", checks[0]["at"])
    for number in range(total):
        choice = "True" if number == total - 1 else "False"  # the last one wrong: 4 of 5 right
        frame.wait_for_selector("#check:not([hidden])", timeout=60_000)
        sco.get_by_label(choice, exact=True).check()
        frame.click("#submit")
        frame.wait_for_function("document.getElementById('feedback').textContent.length > 0")
        frame.click("#continue")
    get = lambda key: page.evaluate("k => window.API.LMSGetValue(k)", key)
    assert get("cmi.core.score.raw") == "80" and get("cmi.core.score.min") == "0" and get("cmi.core.score.max") == "100"
    assert get("cmi.core.lesson_status") == "passed"
    assert get("cmi.interactions._count") == str(total)
    # SCORM 1.2 makes interactions write-only through the API: read what the LMS side stored
    cmi = page.evaluate("JSON.parse(JSON.stringify(window.API.cmi))")  # toJSON may read write-only values
    interactions = cmi["interactions"]
    stored = [interactions[str(n)] if isinstance(interactions, dict) else interactions[n] for n in range(total)]
    for item in stored:
        item["pattern"] = item["correct_responses"]["0"]["pattern"]
        item["response"] = item["student_response"]
    assert [i["result"] for i in stored] == ["correct"] * 4 + ["wrong"]
    assert [i["id"] for i in stored] == [f"check_{n}" for n in range(1, total + 1)]
    assert {i["type"] for i in stored} == {"true-false"} and {i["pattern"] for i in stored} == {"f"}
    assert [i["response"] for i in stored] == ["f"] * 4 + ["t"]
    assert page.evaluate("window.API.lastErrorCode") in ("0", 0)
    page.close()

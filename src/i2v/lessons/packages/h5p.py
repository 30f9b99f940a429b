"""An H5P Interactive Video (`.h5p`): `h5p.json` naming H5P.InteractiveVideo and the libraries it
uses, `content/content.json` in the InteractiveVideo format, the lesson MP4 and WebVTT under
`content/videos/`. Each check is an interaction (H5P.TrueFalse or H5P.MultiChoice) shown at the
end of its scene, pausing the video. The package carries no library code: an H5P site (Moodle 3.9+,
Drupal/WordPress H5P, h5p.com) installs H5P.InteractiveVideo and its dependencies from the H5P hub.

H5P renders question and answer fields as HTML, so every teacher's text is escaped first.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

from i2v.lessons.checks import Check, escaped
from i2v.lessons.packages.material import Material, TimedCheck

# The library versions the content is written for (current on the H5P hub, 2024-2025).
LIBRARIES = {
    "H5P.InteractiveVideo": (1, 27),
    "H5P.TrueFalse": (1, 8),
    "H5P.MultiChoice": (1, 16),
}
TRACK_LABEL = {"en": "English", "zh": "中文"}


def _library(name: str) -> str:
    major, minor = LIBRARIES[name]
    return f"{name} {major}.{minor}"


def _sub_id(lesson_key: str, number: int) -> str:
    """A stable subContentId per check (the same lesson gives the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"i2v:{lesson_key}:{number}"))


def _true_false(check: Check) -> dict[str, Any]:
    true, false = check.choices()
    return {
        "question": f"<p>{escaped(check.question)}</p>",
        "correct": "true" if check.answer else "false",
        "behaviour": {"enableRetry": True, "enableSolutionsButton": True, "enableCheckButton": True,
                      "confirmCheckDialog": False, "confirmRetryDialog": False, "autoCheck": False,
                      "feedbackOnCorrect": escaped(check.feedback(True)), "feedbackOnWrong": escaped(check.feedback(False))},
        "l10n": {"trueText": true, "falseText": false},
    }


def _multi_choice(check: Check) -> dict[str, Any]:
    return {
        "question": f"<p>{escaped(check.question)}</p>",
        "answers": [{"text": f"<div>{escaped(option.text)}</div>", "correct": option.correct,
                     "tipsAndFeedback": {"tip": "", "chosenFeedback": "", "notChosenFeedback": ""}}
                    for option in check.options],
        "overallFeedback": [{"from": 0, "to": 99, "feedback": escaped(check.feedback(False))},
                            {"from": 100, "to": 100, "feedback": escaped(check.feedback(True))}],
        "behaviour": {"enableRetry": True, "enableSolutionsButton": True, "enableCheckButton": True,
                      "type": "multi" if len(check.correct) > 1 else "single", "singlePoint": True,
                      "randomAnswers": False, "showSolutionsRequiresInput": True, "confirmCheckDialog": False,
                      "confirmRetryDialog": False, "autoCheck": False, "passPercentage": 100, "showScorePoints": True},
    }


def interaction(timed: TimedCheck, lesson_key: str) -> dict[str, Any]:
    """One InteractiveVideo interaction: the check as a poster over the video at its time, pausing."""
    check = timed.check
    library = "H5P.TrueFalse" if check.kind == "truefalse" else "H5P.MultiChoice"
    params = _true_false(check) if check.kind == "truefalse" else _multi_choice(check)
    title = escaped(check.question[:60])  # H5P may show metadata titles as markup too
    return {
        "x": 10, "y": 10, "width": 40, "height": 20,
        "duration": {"from": timed.at_s, "to": round(timed.at_s + 0.05, 3)},
        "libraryTitle": "True/False Question" if check.kind == "truefalse" else "Multiple Choice",
        "action": {"library": _library(library), "params": params, "subContentId": _sub_id(lesson_key, timed.number),
                   "metadata": {"contentType": library.removeprefix("H5P."), "license": "U", "title": title}},
        "pause": True, "displayType": "poster", "buttonOnMobile": False,
        "adaptivity": {"correct": {"allowOptOut": False, "message": ""},
                       "wrong": {"allowOptOut": False, "message": ""}, "requireCompletion": False},
        "label": "",
    }


def content_json(material: Material, lesson_key: str) -> dict[str, Any]:
    lang = "zh" if material.lang == "zh" else "en"
    return {
        "interactiveVideo": {
            "video": {
                "startScreenOptions": {"title": escaped(material.title), "hideStartTitle": False},
                "textTracks": {"videoTrack": [{"label": TRACK_LABEL[lang], "kind": "subtitles", "srcLang": lang,
                                               "track": {"path": "videos/lesson.vtt", "mime": "text/vtt"}}],
                               "defaultTrackLabel": TRACK_LABEL[lang]},
                "files": [{"path": "videos/lesson.mp4", "mime": "video/mp4", "copyright": {"license": "U"}}],
            },
            "assets": {"interactions": [interaction(timed, lesson_key) for timed in material.checks],
                       "bookmarks": [], "endscreens": []},
            "summary": {"displayAt": 3},  # no summary task: it would need H5P.Summary too
        },
        "override": {"autoplay": False, "loop": False, "showSolutionButton": "on", "retryButton": "on",
                     "showBookmarksmenuOnLoad": False, "showRewind10": False, "preventSkippingMode": "none",
                     "deactivateSound": False},
    }


def h5p_json(material: Material) -> dict[str, Any]:
    used = {"H5P.InteractiveVideo"} | {"H5P.TrueFalse" if c.check.kind == "truefalse" else "H5P.MultiChoice"
                                       for c in material.checks}
    return {
        "title": material.title, "language": "zh-hans" if material.lang == "zh" else "en",
        "mainLibrary": "H5P.InteractiveVideo", "embedTypes": ["iframe"], "license": "U",
        "preloadedDependencies": [{"machineName": name, "majorVersion": str(LIBRARIES[name][0]),
                                   "minorVersion": str(LIBRARIES[name][1])} for name in sorted(used)],
    }


def build_h5p(material: Material, lesson_key: str = "lesson") -> bytes:
    """The .h5p's bytes (a zip: h5p.json and content/ at its root)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("h5p.json", json.dumps(h5p_json(material), ensure_ascii=False, indent=1),
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content/content.json", json.dumps(content_json(material, lesson_key), ensure_ascii=False),
                         compress_type=zipfile.ZIP_DEFLATED)
        archive.write(material.video, "content/videos/lesson.mp4", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content/videos/lesson.vtt", material.vtt_text, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()

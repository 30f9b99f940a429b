"""The three lesson packages built from the shipped mitosis example with its drafted checks: their
files and formats, the API routes, a lesson without checks, and bad check input answered 422."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest

from i2v.lessons.packages.build import NotAssembled, build_lesson_package
from i2v.lessons.packages.h5p import LIBRARIES
from i2v.media import probe
from tests.lessons.conftest import make_clips

SHAPES = [(8, 8, 256, 192)] * 5  # the mitosis example's five scenes, 1 s each


def assembled(service, lang: str = "en", checks: bool = True):
    lesson = service.create_from_example("mitosis", lang, service.options("tiny", "draft"), None)
    if not checks:
        data = lesson.model_dump(mode="json")
        for scene in data["scenes"]:
            scene["check"] = None
        lesson = service.update(lesson.id, data, None)
    make_clips(service, lesson.id, SHAPES)
    service.assemble(lesson.id)
    return service.get(lesson.id)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_h5p_interactive_video_structure(lesson_service, lang, tmp_path):
    lesson = assembled(lesson_service, lang)
    built = build_lesson_package(lesson_service, lesson.id, "h5p")
    assert built.filename.endswith(".h5p")
    files = members(built.data)
    assert set(files) == {"h5p.json", "content/content.json", "content/videos/lesson.mp4", "content/videos/lesson.vtt"}
    meta = json.loads(files["h5p.json"])
    assert meta["mainLibrary"] == "H5P.InteractiveVideo" and meta["title"] == lesson.title
    deps = {d["machineName"]: (int(d["majorVersion"]), int(d["minorVersion"])) for d in meta["preloadedDependencies"]}
    assert deps == {"H5P.InteractiveVideo": LIBRARIES["H5P.InteractiveVideo"], "H5P.TrueFalse": LIBRARIES["H5P.TrueFalse"]}
    content = json.loads(files["content/content.json"])["interactiveVideo"]
    assert content["video"]["files"][0] == {"path": "videos/lesson.mp4", "mime": "video/mp4", "copyright": {"license": "U"}}
    assert content["video"]["textTracks"]["videoTrack"][0]["srcLang"] == lang
    timeline = json.loads(lesson_service.output(lesson.id, "timeline").read_text())
    ends = [s["end_s"] for s in timeline["segments"] if s["kind"] == "scene"]
    interactions = content["assets"]["interactions"]
    assert len(interactions) == len(lesson.scenes) == len(ends)
    for interaction, end, scene in zip(interactions, ends, lesson.scenes, strict=True):
        assert interaction["pause"] is True
        assert end - 0.1 <= interaction["duration"]["from"] <= end  # at the end of its scene
        assert interaction["action"]["library"] == "H5P.TrueFalse 1.8"
        params = interaction["action"]["params"]
        assert params["correct"] == "false" and scene.check.question[:20] in params["question"]
        lib = interaction["action"]["library"].split()[0]
        assert lib in deps  # every interaction's library is declared
    (tmp_path / "inside.mp4").write_bytes(files["content/videos/lesson.mp4"])
    assert probe(tmp_path / "inside.mp4").frames > 0
    assert files["content/videos/lesson.vtt"].startswith(b"WEBVTT")


def test_scorm_manifest_and_page(lesson_service):
    lesson = assembled(lesson_service)
    files = members(build_lesson_package(lesson_service, lesson.id, "scorm").data)
    assert {"imsmanifest.xml", "index.html", "lesson.mp4", "lesson.vtt"} <= set(files)
    root = ET.fromstring(files["imsmanifest.xml"])
    ns = {"cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "adlcp": "http://www.adlnet.org/xsd/adlcp_rootv1p2"}
    assert root.find("cp:metadata/cp:schemaversion", ns).text == "1.2"
    resource = root.find("cp:resources/cp:resource", ns)
    assert resource.get("href") == "index.html" and resource.get("{http://www.adlnet.org/xsd/adlcp_rootv1p2}scormtype") == "sco"
    page = files["index.html"].decode()
    assert "cmi.core.lesson_status" in page and "cmi.interactions." in page and "LMSInitialize" in page


def test_a_lesson_without_checks_still_exports(lesson_service):
    lesson = assembled(lesson_service, checks=False)
    for name in ("h5p", "scorm", "page"):
        files = members(build_lesson_package(lesson_service, lesson.id, name).data)
        assert any(n.endswith("lesson.mp4") for n in files)
    content = json.loads(members(build_lesson_package(lesson_service, lesson.id, "h5p").data)["content/content.json"])
    assert content["interactiveVideo"]["assets"]["interactions"] == []


def test_markup_in_a_check_is_escaped_in_every_package(lesson_service):
    lesson = assembled(lesson_service)
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["check"] = {"kind": "choice", "question": "<script>alert(1)</script><img src=x onerror=alert(2)>",
                                  "options": [{"text": "</script><b>bold</b>", "correct": True}, {"text": "b"}]}
    lesson_service.update(lesson.id, data, None)
    h5p = members(build_lesson_package(lesson_service, lesson.id, "h5p").data)["content/content.json"].decode()
    assert "<script>" not in h5p and "&lt;script&gt;" in h5p and "<b>bold" not in h5p
    for name, page in (("page", "lesson.html"), ("scorm", "index.html")):
        html = members(build_lesson_package(lesson_service, lesson.id, name).data)[page].decode()
        assert "<script>alert" not in html and "</script><b>" not in html and "<img src=x" not in html


def test_not_assembled_is_a_conflict(lesson_service):
    lesson = lesson_service.create_from_example("mitosis", "en", lesson_service.options("tiny", "draft"), None)
    with pytest.raises(NotAssembled):
        build_lesson_package(lesson_service, lesson.id, "page")


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def http(lesson_server):
    with lesson_server.client() as client:
        yield client


def test_package_routes(http, lesson_server):
    view = http.post("/api/v1/lessons", json={"example": "mitosis", "model": "tiny", "resolution_class": "draft"}).json()
    lesson_id = view["id"]
    assert http.get(f"/api/v1/lessons/{lesson_id}/h5p").status_code == 409  # not generated yet
    service = lesson_server.services.lessons
    make_clips(service, lesson_id, SHAPES)
    service.assemble(lesson_id)
    for name, suffix, first in (("h5p", ".h5p", "h5p.json"), ("scorm", "-scorm.zip", "imsmanifest.xml"),
                                ("page", "-page.zip", "lesson.html")):
        response = http.get(f"/api/v1/lessons/{lesson_id}/{name}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert suffix in response.headers["content-disposition"]
        assert first in members(response.content)
    assert http.get("/api/v1/lessons/0123456789abcdef/scorm").status_code == 404


@pytest.mark.parametrize("check, words", [
    ({"kind": "choice", "question": "Which?", "options": [{"text": "a"}, {"text": "b"}]}, "no option is marked correct"),
    ({"kind": "choice", "question": "Which?", "options": [{"text": f"o{i}", "correct": True} for i in range(50)]}, "2 to 5"),
    ({"kind": "truefalse", "question": "", "answer": False}, "question is empty"),
])
def test_bad_check_input_is_422(http, check, words):
    view = http.post("/api/v1/lessons", json={"example": "mitosis", "model": "tiny", "resolution_class": "draft"}).json()
    lesson = view["lesson"]
    lesson["scenes"][0]["check"] = check
    response = http.put(f"/api/v1/lessons/{lesson['id']}", json=lesson)
    assert response.status_code == 422 and words in response.json()["detail"], response.text


@pytest.mark.parametrize("lang, words", [("en", "Moodle"), ("zh", "解压到 U 盘")])
def test_studio_offers_the_packages_once_the_video_is_made(lesson_service, lang, words):
    from i2v.web.ui_lesson_packages import packages_html

    lesson = lesson_service.create_from_example("mitosis", lang, lesson_service.options("tiny", "draft"), None)
    assert packages_html(lesson_service, lesson.id, lang) == ""  # nothing to package yet
    make_clips(lesson_service, lesson.id, SHAPES)
    lesson_service.assemble(lesson.id)
    shown = packages_html(lesson_service, lesson.id, lang)
    for name in ("h5p", "scorm", "page"):
        assert f'href="/api/v1/lessons/{lesson.id}/{name}"' in shown
    assert words in shown and shown.count("<li>") == 3


def test_the_page_carries_only_the_chinese_glyphs_it_shows(lesson_service):
    from i2v.lessons.packages.font import subset_woff2, wide_characters

    en = members(build_lesson_package(lesson_service, assembled(lesson_service, "en").id, "page").data)["lesson.html"]
    assert b"@font-face" not in en  # an English lesson carries no font
    lesson = assembled(lesson_service, "zh")
    html = members(build_lesson_package(lesson_service, lesson.id, "page").data)["lesson.html"].decode()
    assert "font/woff2;base64," in html
    characters = wide_characters(lesson.scenes[0].check.question)
    assert characters and subset_woff2(characters)[:4] == b"wOF2"
    assert len(html.encode()) < 200_000  # a subset, not the 5 MB font


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_h5p_content_follows_the_libraries_published_semantics(lesson_service, lang):
    """The H5P player libraries are on no package registry, so the .h5p cannot be played here; instead
    its content is checked against the semantics.json each library publishes (tests/support/h5p_semantics),
    for true/false and multiple-choice checks, and the versions it declares are the ones checked."""
    from tests.support.h5p_semantics import semantics, shipped_version, validate

    lesson = assembled(lesson_service, lang)
    data = lesson.model_dump(mode="json")
    data["scenes"][1]["check"] = {"kind": "choice", "lang": lang, "question": "Which phase separates the chromatids?",
                                  "options": [{"text": "anaphase", "correct": True}, {"text": "prophase"}],
                                  "right": "Yes.", "wrong": "<b>Look</b> again."}
    lesson_service.update(lesson.id, data, None)
    lesson_service.assemble(lesson.id)
    files = members(build_lesson_package(lesson_service, lesson.id, "h5p").data)
    meta, content = json.loads(files["h5p.json"]), json.loads(files["content/content.json"])
    assert {"title", "language", "mainLibrary", "embedTypes", "preloadedDependencies"} <= set(meta)
    for dependency in meta["preloadedDependencies"]:
        assert shipped_version(dependency["machineName"]) == (int(dependency["majorVersion"]), int(dependency["minorVersion"]))
    assert validate(content, semantics("H5P.InteractiveVideo")) == []
    actions = [i["action"]["library"] for i in content["interactiveVideo"]["assets"]["interactions"]]
    assert "H5P.MultiChoice 1.16" in actions and "H5P.TrueFalse 1.8" in actions
    broken = json.loads(files["content/content.json"])  # the check can fail: what H5P would drop or refuse is named
    broken["override"]["preventSkipping"] = True
    broken["interactiveVideo"]["assets"]["interactions"][0]["displayType"] = "popup"
    problems = validate(broken, semantics("H5P.InteractiveVideo"))
    assert any("preventSkipping: not in the semantics" in p for p in problems) and any("'popup' is not one of" in p for p in problems)

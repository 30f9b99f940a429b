"""The lesson API on a real server (tiny model, loopback HTTP): an outline with three points, one in
Chinese → storyboard with the expected presets → generated through the queue → lesson MP4, captions,
handout and pack checked against the scene clips; and every kind of bad input → a 4xx that says what
to fix, leaving nothing in the archive."""

from __future__ import annotations

import io
import zipfile

import pytest

from i2v.lessons import cards
from i2v.media import probe, read_video
from tests.lessons.conftest import (
    THREE_POINTS,
    pdf_text,
    render_pdf,
    small,
    wait_lesson,
)
from tests.lessons.test_lessons_parse import png, zipped

pytestmark = pytest.mark.slow
FAST = {"model": "tiny", "resolution_class": "draft", "steps": 2}


@pytest.fixture(scope="module")
def http(lesson_server):
    with lesson_server.client() as client:
        yield client


def lesson_folders(server) -> set[str]:
    root = server.home / "lessons"
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def cue_starts(vtt: str) -> list[float]:
    starts = []
    for line in vtt.splitlines():
        if "-->" in line:
            h, m, s = line.split(" --> ")[0].split(":")
            starts.append(int(h) * 3600 + int(m) * 60 + float(s))
    return starts


def test_three_points_become_a_lesson_video_captions_handout_and_pack(http, lesson_server, tmp_path):
    created = http.post("/api/v1/lessons", json={"outline": THREE_POINTS, **FAST})
    assert created.status_code == 201, created.text
    view = created.json()
    assert [s["preset"] for s in view["lesson"]["scenes"]] == ["mitosis", "photosynthesis", "earth-orbit"]
    assert [s["lang"] for s in view["lesson"]["scenes"]] == ["en", "zh", "en"]
    assert view["state"] == "draft" and [s["state"] for s in view["scenes"]] == ["not_started"] * 3
    lesson_id = view["id"]
    view = small(http, view)
    assert [(s["frames"], s["fps"], s["resolution"]) for s in view["scenes"]] == [(8, 8, "256p")] * 3

    assert http.post(f"/api/v1/lessons/{lesson_id}/generate").status_code == 202
    busy = http.put(f"/api/v1/lessons/{lesson_id}", json=view["lesson"])
    assert busy.status_code == 409 and "being generated" in busy.json()["detail"]
    seen: list[str] = []
    view = wait_lesson(http, lesson_id, seen=seen)
    assert view["state"] == "ready", view
    assert {"queued", "running"} <= set(seen)  # per-scene progress came from the scenes' jobs
    assert view["progress"] == 1.0 and view["outputs_current"]

    # Each scene's clip as the queue made it: its duration is the truth the lesson is checked against.
    scene_seconds = []
    for scene in view["scenes"]:
        clip = tmp_path / f"{scene['id']}.mp4"
        clip.write_bytes(http.get(view["scene_videos"][scene["id"]]).content)
        info = probe(clip)
        scene_seconds.append(info.frames / float(info.fps))
    assert scene_seconds == [1.0, 1.0, 1.0]

    video = tmp_path / "lesson.mp4"
    response = http.get(view["downloads"]["video"])
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    video.write_bytes(response.content)
    frames, fps = read_video(video)
    assert len(frames) / fps == pytest.approx(cards.TITLE_S + sum(scene_seconds) + cards.END_S)

    captions = http.get(view["downloads"]["captions"])
    assert captions.headers["content-type"].startswith("text/vtt")
    starts = [cards.TITLE_S + sum(scene_seconds[:i]) for i in range(3)]
    assert cue_starts(captions.text) == pytest.approx(starts)
    assert "叶片在光照下释放氧气。" in captions.text

    handout = tmp_path / "handout.pdf"
    handout.write_bytes(http.get(view["downloads"]["handout"]).content)
    pages = render_pdf(handout, tmp_path / "pages")
    assert pages and all(abs(p.height / p.width - 297 / 210) < 0.01 for p in pages)
    text = pdf_text(handout)
    headings = [text.find(f"{n}. {s['point']}") for n, s in enumerate(view["lesson"]["scenes"], start=1)]
    assert all(h >= 0 for h in headings) and headings == sorted(headings), text

    pack = http.get(view["downloads"]["pack"])
    assert pack.headers["content-disposition"].startswith("attachment")
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        names = set(archive.namelist())
        assert {"lesson.mp4", "captions.vtt", "handout.pdf", "lesson.json", "alt-text.txt"} <= names
        assert len([n for n in names if n.startswith("scenes/") and n.endswith(".mp4")]) == 3
        assert archive.read("lesson.mp4") == video.read_bytes()

    lesson_file = http.get(view["downloads"]["lesson"]).json()
    assert lesson_file["id"] == lesson_id and len(lesson_file["scenes"]) == 3
    assert lesson_id in {item["id"] for item in http.get("/api/v1/lessons").json()}


def test_graph_with_a_cycle_is_a_422_naming_the_cycle(http, lesson_server):
    before = lesson_folders(lesson_server)
    graph = {"nodes": [{"id": "pro", "label": "Prophase"}, {"id": "meta", "label": "Metaphase"}, {"id": "ana", "label": "Anaphase"}],
             "edges": [{"from": "pro", "to": "meta", "relation": "then"}, {"from": "meta", "to": "ana", "relation": "then"},
                       {"from": "ana", "to": "pro", "relation": "causes"}]}
    response = http.post("/api/v1/lessons", json={"graph": graph, **FAST})
    assert response.status_code == 422
    assert "cycle: pro → meta → ana → pro" in response.json()["detail"]
    assert lesson_folders(lesson_server) == before


def bad_zip_cases():
    bomb = zipped({"cell.png": b"\0" * (40 * 2**20), "cell.txt": b"x"}, compression=zipfile.ZIP_DEFLATED)
    return [
        ("json", {"outline": "   "}, 422, "empty"),
        ("json", {"graph": {"nodes": [{"id": "a", "label": "A"}], "edges": [{"from": "a", "to": "b"}]}}, 422, "'b', which is not a node"),
        ("json", {"graph": {"nodes": [{"id": f"n{i}", "label": "x"} for i in range(1000)]}}, 422, "1000 nodes"),
        ("json", {"outline": "x", "example": "mitosis"}, 422, "exactly one of"),
        ("json", {"outline": "x", "colour": "red"}, 422, "Unknown field"),
        ("json", {"outline": "Anaphase", "model": "/etc/models"}, 422, "does not offer"),
        ("json", {"example": "nope"}, 422, "no example lesson"),
        ("file", ("evil.zip", zipped({"../../evil.png": png(), "../../evil.txt": b"x"})), 422, "outside the zip"),
        ("file", ("bomb.zip", bomb), 422, "zip bomb"),
        ("file", ("cells.zip", zipped({"cell.png": b"not a picture at all", "cell.txt": b"Prophase"})), 422, "cell.png: This file is not a picture"),
        ("file", ("cells.zip", zipped({"cell.png": png(), "cell.txt": "有丝分裂前期".encode("gbk")})), 422, "cell.txt is not UTF-8"),
        ("file", ("outline.md", b"- Prophase ![](cell.png)"), 422, "not uploaded with the outline"),
        ("file", ("big.zip", b"PK\x03\x04" + b"\0" * (3 * 2**20)), 413, "larger than 2 MB"),
    ]


@pytest.mark.parametrize(("kind", "payload", "code", "detail"), bad_zip_cases(), ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None)
def test_bad_input_is_a_clear_4xx_and_leaves_nothing(http, lesson_server, kind, payload, code, detail):
    before = lesson_folders(lesson_server)
    if kind == "json":
        response = http.post("/api/v1/lessons", json={**FAST, **payload} if "model" not in payload else {**payload})
    else:
        response = http.post("/api/v1/lessons", files={"file": payload}, data={"model": "tiny"})
    assert response.status_code == code, response.text
    assert detail in response.json()["detail"]
    assert lesson_folders(lesson_server) == before


def test_upload_example_edit_and_refusals(http, lesson_server):
    # A Markdown file upload and an example in one click.
    made = http.post("/api/v1/lessons", files={"file": ("water.md", b"# Water\n## Up\n- Evaporation\n- Condensation\n")},
                     data={"model": "tiny", "resolution_class": "draft"})
    assert made.status_code == 201, made.text
    assert [s["section"] for s in made.json()["lesson"]["scenes"]] == ["Up", "Up"]
    example = http.post("/api/v1/lessons", json={"example": "water-cycle", **FAST}).json()
    assert [s["point"] for s in example["lesson"]["scenes"]] == ["Evaporation", "Condensation", "Vapour transport", "Precipitation",
                                                                 "Runoff (surface and underground)"]
    assert {e["id"] for e in http.get("/api/v1/lessons/examples").json()} == {"mitosis", "water-cycle", "seasons"}
    topic = http.post("/api/v1/lessons", json={"outline": "有丝分裂的四个时期", **FAST}).json()
    assert topic["lesson"]["lang"] == "zh" and len(topic["lesson"]["scenes"]) == 5  # a topic that names an example opens it

    # Edit: reorder, delete, replace a picture, change the model for all scenes.
    lesson = example["lesson"]
    picture = http.post(f"/api/v1/lessons/{lesson['id']}/pictures", files={"file": ("mine.png", png(5), "image/png")})
    assert picture.status_code == 201, picture.text
    lesson["scenes"] = [lesson["scenes"][4], lesson["scenes"][0]]
    lesson["scenes"][0].update(picture=picture.json()["picture"], picture_name="mine.png", caption="Rivers carry it home.")
    saved = http.put(f"/api/v1/lessons/{lesson['id']}", json=lesson)
    assert saved.status_code == 200, saved.text
    assert [s["point"] for s in saved.json()["lesson"]["scenes"]] == ["Runoff (surface and underground)", "Evaporation"]
    bad = dict(lesson, scenes=[dict(lesson["scenes"][0], seconds=99)])
    refused = http.put(f"/api/v1/lessons/{lesson['id']}", json=bad)
    assert refused.status_code == 422 and "seconds" in refused.json()["detail"]
    assert http.get(f"/api/v1/lessons/{lesson['id']}").json()["lesson"] == saved.json()["lesson"]  # unchanged
    not_picture = http.post(f"/api/v1/lessons/{lesson['id']}/pictures", files={"file": ("x.png", b"GIF89a junk")})
    assert not_picture.status_code == 422

    # Paths and ids never reach the filesystem; unknown downloads are 404.
    for path in ("/api/v1/lessons/..%2F..%2Fjobs.sqlite3", "/api/v1/lessons/0000000000000000",
                 f"/api/v1/lessons/{lesson['id']}/..%2Fjobs.sqlite3", f"/api/v1/lessons/{lesson['id']}/video"):
        assert http.get(path).status_code == 404, path
    # Another web page cannot make or change lessons through a teacher's browser.
    forged = http.post("/api/v1/lessons", json={"outline": "x"}, headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    assert http.delete(f"/api/v1/lessons/{made.json()['id']}").status_code == 204
    assert made.json()["id"] not in lesson_folders(lesson_server)


ODD_BODIES = [
    {"outline": 5}, {"graph": "x"}, {"graph": {"nodes": "x"}}, {"graph": {"nodes": [1, 2]}}, {"graph": [1]},
    {"graph": {"nodes": [{"id": "a", "label": "A", "lang": "fr"}]}}, {"graph": {"nodes": [{"id": "a", "label": "A"}], "edges": {}}},
    {"outline": "Anaphase", "steps": "abc"}, {"outline": "Anaphase", "steps": -1}, {"outline": "Anaphase", "steps": True},
    {"outline": "Anaphase", "resolution_class": "huge"}, {"outline": "Anaphase", "quality": 3}, {"outline": "Anaphase", "title": ["x"]},
    {"outline": "\x00\x01"}, {"outline": "{not json"}, {"example": ["mitosis"]}, {"outline": "x" * 3_000},
]


@pytest.mark.parametrize("body", ODD_BODIES, ids=range(len(ODD_BODIES)))
def test_odd_create_bodies_get_a_4xx_with_a_detail(http, body):
    response = http.post("/api/v1/lessons", json={"model": "tiny", **body})
    assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:300])
    assert response.json()["detail"]


def test_odd_storyboard_edits_get_a_4xx_and_change_nothing(http):
    view = http.post("/api/v1/lessons", json={"outline": "Anaphase\nPhotosynthesis", **FAST}).json()
    url = f"/api/v1/lessons/{view['id']}"
    for body in ([], {"scenes": []}, {**view["lesson"], "scenes": "x"}, {**view["lesson"], "id": "ffffffffffffffff"},
                 {**view["lesson"], "model": "/etc"}, {**view["lesson"], "scenes": [{"point": "x"}]}):
        response = http.put(url, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text[:300])
    assert http.put(url, content=b"\xff\xfe", headers={"Content-Type": "application/json"}).status_code == 422
    assert http.get(url).json()["lesson"] == view["lesson"]


def test_points_no_preset_fits_make_a_lesson_that_waits_for_their_pictures(http, lesson_server):
    """Issue 28 item 7 / issue 25: an outline of points no preset fits is not refused; the lesson is
    made with those scenes waiting, "no preset fits: add a picture"; generating is refused (422,
    naming the scenes) until each has a picture, uploaded to the lesson and put on the scene."""
    made = http.post("/api/v1/lessons", json={"outline": "Rusting of iron\n铁生锈\nAnaphase: sister chromatids separate", **FAST})
    assert made.status_code == 201, made.text
    view = made.json()
    lesson = view["lesson"]
    assert [s["preset"] for s in lesson["scenes"]] == [None, None, "mitosis"]
    assert [s["needs_picture"] for s in view["scenes"]] == [True, True, False]
    refused = http.post(f"/api/v1/lessons/{view['id']}/generate")
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "scene 1 (Rusting of iron): no preset fits; add a picture" in detail and "scene 2 (铁生锈)" in detail, detail
    assert http.get(f"/api/v1/lessons/{view['id']}").json()["state"] == "draft"  # nothing queued
    for number in (0, 1):
        picture = http.post(f"/api/v1/lessons/{view['id']}/pictures", files={"file": ("rust.png", png(11 + number), "image/png")})
        assert picture.status_code == 201, picture.text
        lesson["scenes"][number].update(picture=picture.json()["picture"], picture_name="rust.png")
    saved = http.put(f"/api/v1/lessons/{view['id']}", json=lesson)
    assert saved.status_code == 200, saved.text
    assert [s["needs_picture"] for s in saved.json()["scenes"]] == [False, False, False]
    started = http.post(f"/api/v1/lessons/{view['id']}/generate")
    assert started.status_code == 202, started.text
    http.post(f"/api/v1/lessons/{view['id']}/cancel")
    wait_lesson(http, view["id"], states=("cancelled", "ready", "failed"))

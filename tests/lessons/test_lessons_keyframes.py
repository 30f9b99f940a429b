"""A lesson scene with a start and an end picture: written as two pictures on one Markdown bullet,
`image` + `end_picture` in a graph, or NAME.png + NAME.end.png in a zip of captioned pictures; it
generates through the real queue on a family that takes an end picture, and a family that takes
none is refused before anything is saved."""

from __future__ import annotations

import json

import pytest

from i2v.lessons.input_files import InputFiles
from i2v.lessons.parse import parse_files
from i2v.lessons.parse_graph import parse_graph
from i2v.lessons.parse_text import parse_markdown
from i2v.lessons.outline import LessonInputError
from tests.lessons.conftest import wait_lesson
from tests.lessons.test_lessons_parse import png, zipped

MARKDOWN = "# Change of state\n- Ice melting into water ![](ice.png) ![](water.png)\n- Salt dissolving ![](salt.png)\n"


def test_two_pictures_on_one_bullet_are_its_start_and_end():
    pictures = InputFiles("upload", {"ice.png": png(1), "water.png": png(2), "salt.png": png(3)})
    outline = parse_markdown(MARKDOWN, max_scenes=10, pictures=pictures)
    ice, salt = outline.points
    assert (ice.picture.name, ice.end_picture.name) == ("ice.png", "water.png")
    assert salt.picture.name == "salt.png" and salt.end_picture is None


def test_a_third_picture_on_a_point_is_refused():
    pictures = InputFiles("upload", {"a.png": png(1), "b.png": png(2), "c.png": png(3)})
    with pytest.raises(LessonInputError, match="start and an end picture; at most two"):
        parse_markdown("- Ice melting ![](a.png) ![](b.png) ![](c.png)\n", max_scenes=10, pictures=pictures)


def test_a_graph_node_has_image_and_end_picture():
    graph = {"nodes": [{"id": "ice", "label": "Ice melting", "image": "ice.png", "end_picture": "water.png"}]}
    outline = parse_graph(graph, max_scenes=10, pictures=InputFiles("g", {"ice.png": png(1), "water.png": png(2)}))
    assert outline.points[0].end_picture.name == "water.png"
    with pytest.raises(LessonInputError, match="end_picture but no image"):
        parse_graph({"nodes": [{"id": "x", "label": "X", "end_picture": "water.png"}]}, max_scenes=10,
                    pictures=InputFiles("g", {"water.png": png(2)}))


def test_a_zip_pairs_name_png_with_name_end_png():
    files = {"1-ice.png": png(1), "1-ice.end.png": png(2), "1-ice.txt": b"Ice melting into water",
             "2-salt.png": png(3), "2-salt.txt": b"Salt dissolving"}
    outline = parse_files(InputFiles("cells", files), _limits())
    assert [(p.picture.name, p.end_picture.name if p.end_picture else None) for p in outline.points] == [
        ("1-ice.png", "1-ice.end.png"), ("2-salt.png", None)]
    with pytest.raises(LessonInputError, match="needs its start picture"):
        parse_files(InputFiles("cells", {"a.png": png(1), "a.txt": b"A", "b.end.png": png(2)}), _limits())


def _limits():
    from i2v.lessons.parse import Limits

    return Limits(max_scenes=10, max_upload_bytes=2**22, max_unpacked_bytes=2**24)


@pytest.fixture(scope="module")
def http(lesson_server):
    with lesson_server.client() as client:
        yield client


def test_a_scene_with_two_pictures_generates_through_the_queue(http):
    upload = zipped({"1-ice.png": png(1), "1-ice.end.png": png(2), "1-ice.txt": b"Ice melting into water"})
    created = http.post("/api/v1/lessons", files={"file": ("ice.zip", upload)},
                        data={"model": "tiny-wan-a14b", "resolution_class": "draft", "steps": "2"})
    assert created.status_code == 201, created.text
    view = created.json()
    lesson = view["lesson"]
    [scene] = lesson["scenes"]
    assert scene["picture"] and scene["end_picture"] and scene["picture"] != scene["end_picture"]
    scene["frames"], scene["fps"] = 5, 16
    saved = http.put(f"/api/v1/lessons/{lesson['id']}", json=lesson)
    assert saved.status_code == 200, saved.text
    assert http.post(f"/api/v1/lessons/{lesson['id']}/generate").status_code == 202
    done = wait_lesson(http, lesson["id"], timeout=600)
    assert done["state"] == "ready", json.dumps(done)[:2000]
    job = http.get("/api/v1/jobs").json()["jobs"][0]  # the scene's job, the newest
    assert job["request"]["keyframes"] == [1.0] and job["recipe"]["keyframes"][0]["position"] == 1.0
    assert job["recipe"]["model"]["family"] == "wan_a14b" and job["recipe"]["frames"] == 5


def test_a_family_without_end_pictures_refuses_the_lesson_before_saving(http):
    upload = zipped({"1-ice.png": png(1), "1-ice.end.png": png(2), "1-ice.txt": b"Ice melting into water"})
    refused = http.post("/api/v1/lessons", files={"file": ("ice.zip", upload)}, data={"model": "tiny"})
    assert refused.status_code == 422 and "takes no end picture" in refused.json()["detail"], refused.text

"""Assembly from clips of different lengths, frame rates and sizes: one video whose duration is the
cards plus the scenes, captions that start where each scene starts, a printable A4 handout with one
section per scene, and a lesson pack with every part. Chinese is drawn with the bundled font."""

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from i2v.lessons import cards
from i2v.lessons.outline import LessonInputError
from i2v.media import probe, read_video
from tests.lessons.conftest import THREE_POINTS, make_clips, pdf_text, render_pdf

SHAPES = [(8, 8, 320, 192), (8, 4, 256, 256), (9, 8, 320, 192)]  # frames, fps, width, height


@pytest.fixture
def assembled(lesson_service):
    lesson = lesson_service.create_from_text(THREE_POINTS, lesson_service.options("tiny", "draft"), None, title="细胞与地球")
    clips = make_clips(lesson_service, lesson.id, SHAPES)
    digest = lesson_service.assemble(lesson.id)
    return lesson_service, lesson_service.get(lesson.id), clips, digest


def cues(vtt: str) -> list[tuple[float, float, str]]:
    out = []
    for block in vtt.strip().split("\n\n")[1:]:
        lines = block.splitlines()
        start, end = (sum(float(x) * m for x, m in zip(part.split(":"), (3600, 60, 1))) for part in lines[1].split(" --> "))
        out.append((start, end, " ".join(lines[2:])))
    return out


def test_video_lasts_the_cards_plus_the_scenes_at_one_size_and_rate(assembled):
    service, lesson, _, _ = assembled
    info = probe(service.files.output(lesson.id, "video"))
    fps = float(info.fps)
    assert fps == 8 and (info.width, info.height) == (320, 192) and info.codec == "h264"
    scene_seconds = [round(n / f * fps) / fps for n, f, _, _ in SHAPES]  # each clip keeps its own duration
    assert scene_seconds == [1.0, 2.0, 1.125]
    assert info.frames / fps == pytest.approx(cards.TITLE_S + sum(scene_seconds) + cards.END_S)  # no sections here
    timeline = json.loads(service.files.output(lesson.id, "timeline").read_text())
    assert [s["kind"] for s in timeline["segments"]] == ["title", "scene", "scene", "scene", "end"]
    assert timeline["segments"][-1]["end_s"] == pytest.approx(info.frames / fps)


def test_captions_have_one_cue_per_scene_starting_where_the_scene_starts(assembled):
    service, lesson, _, _ = assembled
    found = cues(service.files.output(lesson.id, "captions").read_text("utf-8"))
    starts = [cards.TITLE_S, cards.TITLE_S + 1.0, cards.TITLE_S + 3.0]
    assert [c[0] for c in found] == pytest.approx(starts)
    assert [c[1] for c in found] == pytest.approx([starts[1], starts[2], starts[2] + 1.125])
    assert [c[2] for c in found] == [s.caption for s in lesson.scenes]  # one cue each, wrapped at spaces
    assert found[1][2] == "叶片在光照下释放氧气。"


def test_the_scene_frames_in_the_video_are_the_clips_letterboxed(assembled):
    service, lesson, _, _ = assembled
    frames, fps = read_video(service.files.output(lesson.id, "video"))
    square = frames[int((cards.TITLE_S + 1.5) * fps)]  # inside the 256×256 clip, fitted into 320×192
    assert np.abs(square[:, :20].astype(int) - cards.BACKGROUND).max() < 30  # bars of card colour left and right
    assert square[:, 160].std() > 10  # the picture itself in the middle


def test_handout_is_a4_black_and_white_with_one_section_per_scene(assembled, tmp_path):
    service, lesson, _, _ = assembled
    pdf = service.files.output(lesson.id, "handout-bw")  # the black-and-white print (issue 25 adds colour)
    pages = render_pdf(pdf, tmp_path / "pages")
    assert pages
    for page in pages:
        assert page.height / page.width == pytest.approx(297 / 210, abs=0.01)  # A4 portrait
        pixels = np.asarray(page).astype(int)
        assert np.abs(pixels[..., 0] - pixels[..., 1]).max() <= 2 and np.abs(pixels[..., 1] - pixels[..., 2]).max() <= 2
        assert (pixels < 128).mean() > 0.005  # printed, not blank
    text = pdf_text(pdf)
    positions = [text.find(f"{n}. {scene.point}") for n, scene in enumerate(lesson.scenes, start=1)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), text
    for scene in lesson.scenes:
        assert scene.caption[:12] in text.replace("\n", "")
    assert "细胞与地球" in text


def test_pack_holds_every_part(assembled, tmp_path):
    service, lesson, clips, _ = assembled
    with zipfile.ZipFile(service.files.output(lesson.id, "pack")) as pack:
        names = set(pack.namelist())
        assert {"lesson.mp4", "captions.vtt", "handout.pdf", "handout-bw.pdf", "lesson.json", "alt-text.txt"} <= names
        scene_videos = sorted(n for n in names if n.startswith("scenes/") and n.endswith(".mp4"))
        assert scene_videos == ["scenes/01-anaphase.mp4", "scenes/02-scene.mp4", "scenes/03-why-do-we-have-seasons.mp4"]
        assert pack.read("scenes/01-anaphase.mp4") == clips[lesson.scenes[0].id].read_bytes()
        assert json.loads(pack.read("lesson.json"))["id"] == lesson.id
        alt = pack.read("alt-text.txt").decode()
        assert alt.count("\n\n") == 2 and "光合作用" in alt and "1.0-second" in alt
        (tmp_path / "x.mp4").write_bytes(pack.read("lesson.mp4"))
    assert probe(tmp_path / "x.mp4").frames > 0


def test_outputs_go_stale_after_an_edit_and_clips_of_changed_scenes_are_not_reused(assembled):
    service, lesson, _, digest = assembled
    assert service.store.get(lesson.id).assembled is None  # only the batch records it; the service returns it
    assert digest == lesson.digest()
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["caption"] = "A new caption."
    edited = service.update(lesson.id, data, None)
    from i2v.lessons.batch import fingerprint

    assert fingerprint(edited, edited.scenes[0]) == fingerprint(lesson, lesson.scenes[0])  # captions are drawn later
    data["scenes"][0]["prompt"] = "chromosomes moving apart slowly"
    edited = service.update(lesson.id, data, None)
    assert fingerprint(edited, edited.scenes[0]) != fingerprint(lesson, lesson.scenes[0])
    with pytest.raises(ValueError, match="missing"):
        service.assemble(lesson.id)


def test_cards_draw_chinese_with_the_bundled_font():
    title = cards.title_card(320, 192, "有丝分裂的四个时期", "共 4 个场景")
    boxes = cards.title_card(320, 192, "\ue000" * 9, "\ue000" * 6)  # what missing glyphs would look like
    assert (np.abs(title.astype(int) - cards.BACKGROUND).sum(axis=-1) > 60).mean() > 0.02
    assert not np.array_equal(title, boxes)


def test_undrawable_characters_are_dropped_from_parsed_text_and_refused_in_edits(lesson_service):
    lesson = lesson_service.create_from_text("Mitosis \U0001F9EC\nPhotosynthesis", lesson_service.options("tiny"), None)
    assert lesson.scenes[0].point == "Mitosis" and lesson.title == "Mitosis"
    data = lesson.model_dump(mode="json")
    data["scenes"][0]["caption"] = "Cells \U0001F9EC divide."
    with pytest.raises(LessonInputError, match="cannot draw \U0001F9EC"):
        lesson_service.update(lesson.id, data, None)
    assert lesson_service.get(lesson.id).scenes[0].caption == lesson.scenes[0].caption  # nothing saved


def test_sections_get_cards_and_the_chinese_example_assembles(lesson_service, tmp_path):
    lesson = lesson_service.create_from_example("mitosis", "zh", lesson_service.options("tiny", "draft"), None)
    make_clips(lesson_service, lesson.id, [(8, 8, 256, 192)] * 5)
    lesson_service.assemble(lesson.id)
    timeline = json.loads(lesson_service.files.output(lesson.id, "timeline").read_text())
    kinds = [s["kind"] for s in timeline["segments"]]
    assert kinds == ["title", "section", "scene", "scene", "section", "scene", "scene", "section", "scene", "end"]
    frames, fps = read_video(lesson_service.files.output(lesson.id, "video"))
    assert len(frames) / fps == pytest.approx(cards.TITLE_S + 3 * cards.SECTION_S + 5 * 1.0 + cards.END_S)
    Image.fromarray(frames[int(4 * fps)]).save(tmp_path / "section.png")  # for a look when debugging


def test_burned_in_captions_and_smoothing_keep_the_timing(assembled):
    service, lesson, _, _ = assembled
    plain, fps = read_video(service.files.output(lesson.id, "video"))
    service.update(lesson.id, {**lesson.model_dump(mode="json"), "burn_captions": True, "smooth": 0.5}, None)
    service.assemble(lesson.id)
    burned, burned_fps = read_video(service.files.output(lesson.id, "video"))
    assert burned.shape == plain.shape and burned_fps == fps
    middle = int((cards.TITLE_S + 0.5) * fps)  # inside the first scene
    bottom = slice(int(0.85 * plain.shape[1]), None)
    assert np.abs(burned[middle, bottom].astype(int) - plain[middle, bottom]).mean() > 10  # the caption box is there
    assert np.array_equal(burned[0], plain[0])  # the title card is untouched

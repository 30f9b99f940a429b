"""`i2v lesson`: the storyboard alone (--plan-only), bad input (exit 2 with what to fix), and a whole
lesson made in-process on the tiny model, printing the lesson video's path last."""

import json
import subprocess
from pathlib import Path

import pytest

from i2v.lessons import cards
from i2v.lessons.examples import EXAMPLES_DIR
from i2v.media import probe
from tests.lessons.test_lessons_parse import png
from tests.support.cli import run_cli


def i2v(*args: str, home: Path) -> subprocess.CompletedProcess:
    """`i2v lesson ARGS` in process (tests.support.cli): the same main, environment, output and exit code."""
    return run_cli("lesson", *args, home=home, env={"I2V_MODEL": "tiny"})


def test_plan_only_saves_the_storyboard_and_prints_the_lesson_file_last(tmp_path):
    done = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    lesson_file = Path(done.stdout.strip().splitlines()[-1])
    lesson = json.loads(lesson_file.read_text("utf-8"))
    assert lesson["title"] == "The water cycle" and [s["section"] for s in lesson["scenes"]] == (
        ["Water rises"] * 2 + ["Water moves over the land"] + ["Water comes back"] * 2)
    assert " 1. [Water rises] Evaporation" in done.stderr and "prompt: the Sun warms the sea" in done.stderr
    assert not (lesson_file.parent / "lesson.mp4").exists()


def test_bad_input_exits_2_with_what_to_fix(tmp_path):
    graph = tmp_path / "loop.json"
    graph.write_text(json.dumps({"nodes": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
                                 "edges": [{"from": "a", "to": "b"}, {"from": "b", "to": "a", "relation": "causes"}]}))
    done = i2v(str(graph), "--plan-only", home=tmp_path / "home")
    assert done.returncode == 2 and "cycle: a → b → a" in done.stderr
    assert not any((tmp_path / "home" / "lessons").iterdir())  # nothing half-made


@pytest.mark.slow
def test_a_whole_lesson_in_process_with_a_progress_bar(tmp_path):
    folder = tmp_path / "my lesson"
    folder.mkdir()
    (folder / "leaf.png").write_bytes(png(7))
    (folder / "outline.md").write_text("# Plants\n- Photosynthesis: a leaf releasing oxygen ![](leaf.png)\n- 有丝分裂后期\n", encoding="utf-8")
    done = i2v(str(folder), "--quality", "draft", "--steps", "2", "--frames", "8", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    video = Path(done.stdout.strip().splitlines()[-1])
    assert video.name == "lesson.mp4" and video.is_file()
    assert "scenes: 100%" in done.stderr  # the progress bar reached the end
    info = probe(video)
    clips = [probe(p) for p in sorted((video.parent / "scenes").glob("*.mp4"))]
    assert [c.frames for c in clips] == [8, 8]  # --frames
    lesson = json.loads((video.parent / "lesson.json").read_text("utf-8"))
    assert lesson["scenes"][0]["picture_name"] == "leaf.png" and lesson["scenes"][1]["preset"] == "mitosis"
    timeline = json.loads((video.parent / "timeline.json").read_text("utf-8"))
    scene_seconds = sum(s["end_s"] - s["start_s"] for s in timeline["segments"] if s["kind"] == "scene")
    assert info.frames / float(info.fps) == pytest.approx(cards.TITLE_S + scene_seconds + cards.END_S)
    assert scene_seconds == pytest.approx(sum(c.frames / float(c.fps) for c in clips))
    for name in ("lesson.vtt", "handout.pdf", "lesson-pack.zip"):
        assert (video.parent / name).is_file()


def test_a_point_no_preset_fits_is_planned_but_not_generated(tmp_path):
    outline = tmp_path / "rust.md"
    outline.write_text("# Chemistry\n- Rusting: iron reacts with oxygen and water\n- Anaphase: sister chromatids separate\n", encoding="utf-8")
    planned = i2v(str(outline), "--plan-only", home=tmp_path / "home")
    assert planned.returncode == 0, planned.stderr
    assert " 1. Rusting — no preset fits: add a picture;" in planned.stderr and " 2. Anaphase — preset mitosis;" in planned.stderr
    refused = i2v(str(outline), home=tmp_path / "home")  # exits before any model is loaded
    assert refused.returncode == 2 and "no preset fits scene(s) 1: add a picture" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_voice_rate_and_fill_are_saved_with_the_storyboard(tmp_path):
    done = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", "--voice", "zh-synthetic", "--speaking-rate", "1.25",
               "--fill", "loop", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    lesson = json.loads(Path(done.stdout.strip().splitlines()[-1]).read_text("utf-8"))
    assert (lesson["voice"], lesson["speaking_rate"], lesson["fill"]) == ("zh-synthetic", 1.25, "loop")
    fast = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", "--speaking-rate", "3", home=tmp_path / "home")
    assert fast.returncode == 2 and "speaking_rate" in fast.stderr


def test_a_voice_that_is_not_installed_stops_the_lesson_before_any_scene_is_made(tmp_path):
    outline = tmp_path / "zh.md"
    outline.write_text("# 细胞\n- 有丝分裂后期\n  > 染色单体分开。\n", encoding="utf-8")
    done = run_cli("lesson", str(outline), "--voice", "zh-synthetic", home=tmp_path / "home",
                   env={"I2V_MODEL": "tiny", "PATH": str(tmp_path / "no-programs-here")})
    assert done.returncode == 1 and "apt install espeak-ng" in done.stderr, done.stderr
    assert not list((tmp_path / "home" / "lessons").glob("*/scenes/*.mp4"))


def test_record_dir_gives_scenes_the_teacher_s_voice_and_a_bad_recording_leaves_no_lesson(tmp_path):
    import numpy as np

    from i2v.media import Audio
    from tests.lessons.test_lessons_recordings import encoded

    tone = Audio(0.3 * np.sin(np.arange(48_000) * 2 * np.pi * 220 / 48_000), 48_000)
    takes = tmp_path / "takes"
    takes.mkdir()
    (takes / "02.m4a").write_bytes(encoded(tone, "m4a"))
    done = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", "--record-dir", str(takes), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    lesson = json.loads(Path(done.stdout.strip().splitlines()[-1]).read_text("utf-8"))
    assert lesson["voice"] == "own" and [bool(s["recording"]) for s in lesson["scenes"]] == [False, True, False, False, False]
    (takes / "3.webm").write_bytes(b"not a recording at all")
    bad = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", "--record-dir", str(takes), home=tmp_path / "bad")
    assert bad.returncode == 2 and "3.webm: This is not a sound file" in bad.stderr, bad.stderr
    assert not any((tmp_path / "bad" / "lessons").glob("*/lesson.json"))
    (takes / "3.webm").unlink()
    (takes / "notes.txt").write_text("scene 4 is tricky")
    misnamed = i2v(str(EXAMPLES_DIR / "water_cycle.json"), "--plan-only", "--record-dir", str(takes), home=tmp_path / "bad")
    assert misnamed.returncode == 2 and "notes.txt is not named by a scene number" in misnamed.stderr

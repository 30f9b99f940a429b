"""`i2v extend` (issue 21): a finished video continued from its last frame by the same model and
settings, joined into one MP4 with no repeated frame and no gap, colours matched at the join, the
recipe naming the parent; and a video i2v did not make is refused with what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2v.continuation import JOIN_SHIFT_LIMIT, Parent, colour_matched, colour_shift, joined
from i2v.generation import banner_rows
from i2v.media import Audio, probe, read_audio, read_video
from tests.support.cli import run_cli

TINY = ["--model", "tiny", "--resolution", "256p", "--frames", "8", "--fps", "8", "--steps", "2"]


def test_extend_joins_the_continuation_to_the_video_in_one_mp4(tmp_path):
    picture = tmp_path / "orbit.png"
    image = np.zeros((240, 320, 3), np.uint8)
    image[:] = (20, 40, 120)
    image[80:160, 120:200] = (230, 200, 40)
    Image.fromarray(image).save(picture)
    home = tmp_path / "home"
    made = run_cli("generate", str(picture), "--prompt", "Earth orbiting the Sun", *TINY, "--seed", "7", home=home)
    assert made.returncode == 0, made.stderr
    parent = Path(made.stdout.strip().splitlines()[-1])
    extended = run_cli("extend", str(parent), "--seconds", "1", home=home, env={"I2V_MODEL": "tiny"})
    assert extended.returncode == 0, extended.stderr
    video = Path(extended.stdout.strip().splitlines()[-1])
    assert video != parent and parent.is_file()  # a new entry; the parent stays as it was
    first, fps = read_video(parent)
    whole, whole_fps = read_video(video)
    recipe = json.loads(video.with_suffix(".json").read_text("utf-8"))
    ext = recipe["extends"]
    assert ext["video"] == parent.name and ext["parent_frames"] == len(first) == 8 and ext["new_frames"] == 8
    assert whole_fps == fps and len(whole) == 16 and probe(video).frames == 16 == recipe["frames"]
    assert np.abs(whole[:8].astype(int) - first.astype(int)).mean() < 6  # the parent first, re-encoded (noise is H.264's worst case)
    assert recipe["request"]["seed"] == 8 and recipe["request"]["prompt"] == "Earth orbiting the Sun"
    below_banner = slice(banner_rows(whole.shape[1]), None)  # the TEST MODEL banner is the same on every frame
    steps = [colour_shift(whole[i, below_banner], whole[i + 1, below_banner]) for i in range(len(whole) - 1)]
    assert ext["colour_shift"] <= JOIN_SHIFT_LIMIT and steps[7] <= JOIN_SHIFT_LIMIT + max(steps[8:]), (ext, steps)
    assert "8 + 8 frames; colour shift at the join" in extended.stderr


def test_a_video_without_its_recipe_is_refused_and_nothing_is_made(tmp_path):
    stray = tmp_path / "home" / "stray.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"\x00" * 100)
    done = run_cli("extend", str(stray), "--seconds", "1", home=tmp_path / "home", env={"I2V_MODEL": "tiny"})
    assert done.returncode == 2 and "has no readable recipe beside it" in done.stderr, done.stderr
    assert sorted(p.name for p in (tmp_path / "home").rglob("*") if p.is_file()) == ["stray.mp4"]
    missing = run_cli("extend", str(tmp_path / "gone.mp4"), "--seconds", "1", home=tmp_path / "home")
    assert missing.returncode == 2 and "There is no video" in missing.stderr


def test_joined_sound_runs_on_without_a_gap_and_silence_stands_in_for_a_silent_part():
    frames = np.zeros((8, 16, 16, 3), np.uint8)
    parent = Parent("p", frames, 8.0, None, {})
    tone = Audio(np.ones((1, 96_000), np.float32) * 0.5, 48_000)  # more than its 9 frames: cut to them
    video, sound = joined(parent, np.zeros((9, 16, 16, 3), np.uint8), tone)
    assert len(video) == 16 and sound.seconds == pytest.approx(16 / 8)
    assert not sound.samples[0, :48_000].any() and sound.samples[0, 48_000:].min() == pytest.approx(0.5)
    assert joined(parent, np.zeros((9, 16, 16, 3), np.uint8), None)[1] is None


def test_colour_matching_moves_the_first_frame_to_the_reference_and_keeps_the_motion():
    rng = np.random.default_rng(1)
    reference = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    drifted = np.clip(reference.astype(int) * 0.8 + 40, 0, 255).astype(np.uint8)
    clip = np.stack([drifted, np.roll(drifted, 3, axis=1)])
    matched = colour_matched(clip, reference)
    assert colour_shift(drifted, reference) > 10 and colour_shift(matched[0], reference) < 1.0
    assert np.array_equal(np.roll(matched[0], 3, axis=1), matched[1])  # one transform for every frame


@pytest.fixture(scope="module")
def server(shared_server):
    return shared_server


def test_the_api_extends_a_finished_job_as_a_new_job_and_refuses_what_it_cannot(server, tmp_path):
    import io

    from tests.support.servers import finished, wait_for

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 60, 140)).save(buffer, format="PNG")
    fields = {"model": "tiny", "prompt": "a leaf turning slowly", "resolution": "256p", "frames": "8", "fps": "8",
              "steps": "2", "seed": "3"}
    with server.client() as client:
        made = client.post("/api/v1/jobs", data=fields, files={"image": ("leaf.png", buffer.getvalue(), "image/png")})
        first = wait_for(client, made.json()["id"], finished, timeout=300)
        assert first["status"] == "succeeded", first
        asked = client.post(f"/api/v1/jobs/{first['id']}/extend", json={"seconds": 1, "prompt": "the leaf falling"})
        assert asked.status_code == 202, asked.text
        second = wait_for(client, asked.json()["id"], finished, timeout=300)
        assert second["status"] == "succeeded", second
        video = tmp_path / "extended.mp4"
        video.write_bytes(client.get(f"/api/v1/jobs/{second['id']}/video").content)
        recipe = second["recipe"]
        assert recipe["extends"]["video"] == Path(first["video"]).name and recipe["request"]["extends"].endswith(first["video"])
        assert recipe["request"]["prompt"] == "the leaf falling" and recipe["request"]["seed"] == 4
        assert probe(video).frames == 8 + recipe["extends"]["new_frames"] == recipe["frames"]
        for body, words in (({"seconds": 0}, "seconds"), ({"seconds": 1, "colour": "red"}, "colour"), ({}, "seconds")):
            refused = client.post(f"/api/v1/jobs/{first['id']}/extend", json=body)
            assert refused.status_code == 422 and words in refused.text, (body, refused.text)
        assert client.post("/api/v1/jobs/0123456789abcdef/extend", json={"seconds": 1}).status_code == 404
    # The studio's Extend buttons (Create tab and Library) queue the same kind of job and say so.
    import gradio as gr

    from i2v.web.ui_export import queue_extension

    note = queue_extension(server.services.jobs, first["id"], "zh", None)
    queued = server.services.jobs.get(note.split("任务 ")[1].split("）")[0])
    assert note.startswith("已排队") and queued.request["extends"] == recipe["request"]["extends"]
    server.services.jobs.cancel(queued.id, "ui")  # made by the API above already; not again, on the shared server
    with pytest.raises(gr.Error):
        queue_extension(server.services.jobs, None, "en", None)


def test_a_server_that_hands_jobs_to_gpu_machines_refuses_to_extend_with_a_conflict(tmp_path):
    from i2v.archive import Archive
    from i2v.errors import ErrorKind
    from i2v.jobs.service import ExtendElsewhere, JobService
    from i2v.jobs.store import JobStore
    from i2v.settings import Settings

    settings = Settings(home=tmp_path / "home", model="tiny", broker="redis://127.0.0.1:1/0")
    jobs = JobService(JobStore(settings.db_path), None, Archive(settings.home), settings)
    with pytest.raises(ExtendElsewhere, match="i2v extend") as refused:
        jobs.extend("0123456789abcdef", 2.0, "local")
    assert refused.value.kind is ErrorKind.CONFLICT

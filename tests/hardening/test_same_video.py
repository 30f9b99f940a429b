"""Issue 26: same recipe, same video — for every family, picture size, quality preset and
post-processing, across separate processes (two at once, then one after).

Each process makes every case below through the CLI's path (`tests/hardening/same_video.py`) and
prints a hash of each video's decoded frames; all processes must print the same hashes. The picture
sizes are and are not multiples of 8, 16, 32 and 64, of odd aspect, and land on frame sizes that
are not multiples of 64. The processes run with glibc's MALLOC_PERTURB_ set to different bytes:
fresh heap memory then holds different values in each, so a read of memory nobody wrote (the cause
of the issue: x264's AVX-512 code) changes the video every time instead of now and then.

Frames are few, steps one or two and outputs small, so the whole file stays within the suite's
budget; the sizes are what matters here, not the quality.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.hardening.conftest import count
from tests.hardening.same_video import frames_hash
from tests.support.servers import finished, start_server, wait_for

TINY = {"model": "tiny", "resolution": "256p", "frames": 8, "steps": 1}
WAN = {"model": "tiny-wan", "resolution": "480p", "frames": 5, "steps": 1}
LTX = {"model": "tiny-ltx", "resolution": "256p", "frames": 9, "steps": 2}
CASES = [
    # the picture: 300×200 → 320×192 frames
    {"id": "tiny-300x200", "size": [300, 200], **TINY},
    # very tall, odd sides → 128×320; fast (DPM-Solver++, DeepCache, no late guidance); post-processed
    {"id": "tiny-97x1400-fast-post", "size": [97, 1400], **TINY, "quality": "fast",
     "post": {"interpolate": 2, "loop": "pingpong"}},
    # odd sides → 768×512 frames
    {"id": "wan-301x199", "size": [301, 199], **WAN},
    # 3:1, fast (first-block cache) → 480×192; smoothed
    {"id": "ltx-1000x333-fast-post", "size": [1000, 333], **LTX, "quality": "fast", "post": {"smooth": 0.5}},
    # 16:9 as a phone or slide export gives it: 640×360 (360 is a multiple of 8, not of 16, 32 or 64)
    {"id": "tiny-640x360", "size": [640, 360], **TINY},
]
# One more size picked afresh each run (its sides in the case id, so a failure names the size to rerun):
# any width and height from 64 to 1400, most of them multiples of nothing in particular.
_W, _H = random.SystemRandom().randint(64, 1400), random.SystemRandom().randint(64, 1400)
CASES.append({"id": f"tiny-{_W}x{_H}-picked", "size": [_W, _H], **TINY})


def _start(folder: Path, perturb: str) -> subprocess.Popen:
    folder.mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
           "MALLOC_PERTURB_": perturb}
    return subprocess.Popen([sys.executable, "-m", "tests.hardening.same_video", str(folder),
                             *(json.dumps(case) for case in CASES)],
                            stdout=subprocess.PIPE, stderr=(folder / "log.txt").open("w"), text=True, env=env, cwd=REPO)


def _hashes(process: subprocess.Popen, folder: Path) -> dict[str, str]:
    out, _ = process.communicate(timeout=900)
    assert process.returncode == 0, (folder / "log.txt").read_text()[-3000:]
    return dict(line.split(" ", 1) for line in out.splitlines())


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    """Every case made in three processes: two at once (competing for the CPUs), then one after."""
    folder = tmp_path_factory.mktemp("same-video")
    together = [_start(folder / "a", "90"), _start(folder / "b", "165")]
    runs = [_hashes(p, folder / name) for p, name in zip(together, "ab")]
    runs.append(_hashes(_start(folder / "c", "7"), folder / "c"))
    return folder, runs


def test_every_family_size_and_preset_makes_one_video_in_every_process(made):
    _, (first, second, third) = made
    assert list(first) == [case["id"] for case in CASES]
    assert len(set(first.values())) == len(CASES)  # a different video for every case
    shapes = {case: digest.split(":")[0] for case, digest in first.items()}
    assert shapes["tiny-300x200"] == "8x192x320" and shapes["wan-301x199"] == "5x512x768"
    differing = {case: (first[case], second[case], third[case]) for case in first
                 if not first[case] == second[case] == third[case]}
    assert differing == {}, differing
    count("reproducible: cases made in three processes", len(CASES))


def test_the_server_replaying_a_recipe_makes_the_same_video(made):
    """The CLI's recipe sent to the server's API (its request fields and its own input picture)."""
    folder, runs = made
    recipes = {path: json.loads(path.read_text()) for path in (folder / "c" / "outputs").glob("*/*.json")}
    # the case tiny-300x200 (the picked size may also land on 320×192 frames: its video tells them apart)
    recipe_path, recipe = next((path, r) for path, r in recipes.items()
                               if r.get("model", {}).get("id") == "tiny" and (r["width"], r["height"]) == (320, 192)
                               and frames_hash(path.with_suffix(".mp4")) == runs[2]["tiny-300x200"])
    fields = {k: str(v) for k, v in recipe["request"].items() if v not in (None, []) and k not in ("allow_downgrade", "keyframes")}  # no other pictures here
    picture = (recipe_path.parent / recipe["input_image"]["file"]).read_bytes()
    server = start_server(folder / "server")
    try:
        with server.client() as client:
            created = client.post("/api/v1/jobs", files={"image": ("p.png", picture, "image/png")}, data=fields)
            assert created.status_code == 202, created.text
            job = wait_for(client, created.json()["id"], finished, timeout=300)
            assert job["status"] == "succeeded", job
            video = folder / "server.mp4"
            video.write_bytes(client.get(f"/api/v1/jobs/{job['id']}/video").content)
    finally:
        server.stop()
    assert job["recipe"]["seed"] == 7
    assert frames_hash(video) == runs[2]["tiny-300x200"]

"""Helpers for the lesson tests: a lesson service on a temporary archive, synthetic clips, and
reading a handout PDF back with poppler (pdftoppm, pdftotext: scripts/install_system_deps.sh)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from i2v.archive import Archive
from i2v.lessons.batch import fingerprint
from i2v.lessons.service import LessonService
from i2v.media import encode_mp4
from i2v.settings import Settings

THREE_POINTS = ("Anaphase: chromosomes pulled to opposite poles by spindle fibres\n"
                "光合作用：叶片在光照下释放氧气\n"
                "Why do we have seasons")


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    assert path, f"{tool} is missing: install Debian's poppler-utils (scripts/install_system_deps.sh)"
    return path


def render_pdf(pdf: Path, out: Path, dpi: int = 60) -> list[Image.Image]:
    """Every page of `pdf` as an image, rendered by poppler's pdftoppm."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([poppler("pdftoppm"), "-r", str(dpi), "-png", str(pdf), str(out / "page")], check=True, timeout=120)
    return [Image.open(p).convert("RGB") for p in sorted(out.glob("page-*.png"))]


def pdf_text(pdf: Path) -> str:
    return subprocess.run([poppler("pdftotext"), "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def write_clip(path: Path, frames: int, fps: int, width: int, height: int, seed: int) -> Path:
    """A clip of moving coloured bars (so frames differ), like a generated one."""
    rng = np.random.default_rng(seed)
    base = rng.integers(40, 215, (height, width, 3), dtype=np.uint8)
    clip = np.stack([np.roll(base, 6 * i, axis=1) for i in range(frames)])
    path.parent.mkdir(parents=True, exist_ok=True)
    return encode_mp4(clip, fps, path)


@pytest.fixture
def lesson_service(tmp_path) -> LessonService:
    """A lesson service with no job queue (assembly and editing only)."""
    settings = Settings(home=tmp_path / "home", model="tiny")
    return LessonService(settings, Archive(settings.home), None, lambda: ["tiny", "tiny-wan"])


def make_clips(service: LessonService, lesson_id: str, shapes: list[tuple[int, int, int, int]]) -> dict[str, Path]:
    """Write a clip (frames, fps, width, height) for each scene where its fingerprint says."""
    lesson = service.get(lesson_id)
    clips = {}
    for seed, (scene, (frames, fps, width, height)) in enumerate(zip(lesson.scenes, shapes, strict=True)):
        clips[scene.id] = write_clip(service.files.clip(lesson_id, scene.id, fingerprint(lesson, scene)), frames, fps, width, height, seed)
    return clips


@pytest.fixture(scope="session")
def lesson_server(tmp_path_factory):
    """One real server (tiny model, loopback, served from this process) shared by the lesson API and
    browser tests."""
    from tests.support.app_server import start_app_server

    srv = start_app_server(tmp_path_factory.mktemp("lesson-home"), I2V_LESSON_MAX_UPLOAD_MB="2")
    yield srv
    srv.stop()


def wait_lesson(client, lesson_id: str, states=("ready", "failed", "cancelled"), timeout: float = 900.0, seen: list | None = None) -> dict:
    """Poll GET /lessons/ID until its state is one of `states`; `seen` collects every scene state observed."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = client.get(f"/api/v1/lessons/{lesson_id}").json()
        if seen is not None:
            seen.extend(s["state"] for s in view["scenes"])
        if view["state"] in states:
            return view
        time.sleep(0.5)
    raise AssertionError(f"lesson {lesson_id} never reached {states}; last state {view['state']}: {view['scenes']}")


def small(client, view: dict, frames: int = 8) -> dict:
    """PUT the lesson back with every scene at `frames` frames, 8 fps (fast on the tiny model)."""
    lesson = view["lesson"]
    for scene in lesson["scenes"]:
        scene["frames"], scene["fps"] = frames, 8
    response = client.put(f"/api/v1/lessons/{lesson['id']}", json=lesson)
    assert response.status_code == 200, response.text
    return response.json()

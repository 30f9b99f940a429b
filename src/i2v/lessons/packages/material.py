"""What every lesson package is made from: the assembled video and captions, and each scene's
check placed at the end of its scene in the video (read from the assembly's timeline)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from i2v.lessons.checks import Check
from i2v.lessons.storyboard import Lesson


@dataclass(frozen=True)
class TimedCheck:
    number: int  # from 1, in lesson order
    at_s: float  # where the video pauses for it: the end of its scene
    check: Check


@dataclass(frozen=True)
class Material:
    title: str
    lang: str
    video: Path  # the lesson MP4
    captions: Path  # its WebVTT
    duration_s: float
    checks: tuple[TimedCheck, ...]

    @property
    def vtt_text(self) -> str:
        return self.captions.read_text("utf-8")


def lesson_material(lesson: Lesson, video: Path, captions: Path, timeline: Path) -> Material:
    """The package material of an assembled lesson. A check whose scene is not in the timeline (the
    storyboard changed after assembly) waits at the end of the video rather than being lost."""
    data = json.loads(timeline.read_text("utf-8"))
    ends = {s["scene_id"]: float(s["end_s"]) for s in data.get("segments", []) if s.get("kind") == "scene"}
    duration = float(data.get("duration_s") or max(ends.values(), default=0.0))
    checks = []
    for scene in lesson.scenes:
        if scene.check is not None:
            at = ends.get(scene.id, duration)
            checks.append(TimedCheck(len(checks) + 1, round(max(0.0, at - 0.05), 3), scene.check))
    return Material(lesson.title, lesson.lang, video, captions, duration, tuple(checks))

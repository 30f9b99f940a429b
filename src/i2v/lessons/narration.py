"""How long a narrated scene lasts and where each narration sentence falls in it.

A scene lasts its narration plus a short pause, and never less than its clip; a recording's
sentences are spread by characters (a recording carries no word timings), a synthetic voice's
come from the voice itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

from i2v.voice import Spoken, Voice, close_voice, synthetic_voice

if TYPE_CHECKING:
    from i2v.lessons.soundtrack import Narration
    from i2v.media import Audio
    from i2v.lessons.storyboard import Lesson

PAUSE_SECONDS = 0.6  # the breath after a scene's narration before the next scene starts
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")


def sentences(text: str) -> list[str]:
    """The narration's sentences in order (English and Chinese stops); empty text has none."""
    return [part.strip() for part in _SENTENCE_END.split(" ".join(text.split())) if part.strip()]


def scene_seconds(clip_seconds: float, narration_seconds: float, pause: float = PAUSE_SECONDS) -> float:
    """The scene's length: the narration and a pause, at least the clip (a scene without
    narration keeps its clip's length)."""
    if narration_seconds <= 0:
        return clip_seconds
    return max(clip_seconds, narration_seconds + pause)


def spread_by_characters(text: str, seconds: float) -> list[Spoken]:
    """Sentence timings for a recording: each sentence gets a share of `seconds` in proportion to
    its characters. An estimate, and the captions say so; a synthetic voice's own timings are exact."""
    parts = sentences(text)
    total = sum(len(p) for p in parts)
    spoken, at = [], 0.0
    for part in parts:
        end = at + seconds * len(part) / total
        spoken.append(Spoken(part, round(at, 3), round(end, 3)))
        at = end
    return spoken


def spoken_parts(lesson: Lesson, recorded: Collection[str] = ()) -> dict[str, tuple[str, str]]:
    """What a voice says over each part (`assemble.narration_key` → (text, language)): the title, each
    section's heading, and every scene's narration, except the scenes in `recorded` (the teacher
    speaks those); parts with nothing to say are left out."""
    parts = {"title": (lesson.title, lesson.lang)}
    previous, number = None, 0
    for scene in lesson.scenes:
        if scene.section and scene.section != previous:
            number += 1
            parts[f"section-{number}"] = (scene.section, lesson.lang)
        previous = scene.section
        if scene.narration and scene.id not in recorded:
            parts[scene.id] = (scene.narration, scene.lang)
    return parts


def recorded_scenes(lesson: Lesson) -> set[str]:
    """The scenes the teacher's own recordings speak (only when the lesson's voice is 'own')."""
    return {scene.id for scene in lesson.scenes if scene.recording} if lesson.voice == "own" else set()


def check_voices(lesson: Lesson, voice_for: Callable[[str], Voice] = synthetic_voice) -> None:
    """Raise VoiceUnavailable now if a voice the lesson needs is not installed (cheap: starts no engine),
    so a lesson never generates every scene only to fail at assembly."""
    if lesson.voice != "none":
        for lang in {lang for _, lang in spoken_parts(lesson, recorded_scenes(lesson)).values()}:
            close_voice(voice_for(lang))


def narrate(lesson: Lesson, recorded: Mapping[str, Audio] | None = None,
            voice_for: Callable[[str], Voice] = synthetic_voice) -> dict[str, Narration]:
    """Every part's narration, trimmed of silence at either end; none when the lesson's voice is "none".
    A scene in `recorded` (scene id → the teacher's recording) is spoken by it, its captions spread over
    it by characters; every other part by the synthetic voice of its own language."""
    from i2v.lessons.soundtrack import Narration, trimmed

    if lesson.voice == "none":
        return {}
    recorded = recorded or {}
    said = {}
    for scene in lesson.scenes:
        if scene.id in recorded:
            audio = recorded[scene.id]
            said[scene.id] = Narration(audio, spread_by_characters(scene.narration, audio.seconds))
    voices: dict[str, Voice] = {}
    try:
        for key, (text, lang) in spoken_parts(lesson, recorded).items():
            if lang not in voices:
                voices[lang] = voice_for(lang)
            audio, spoken = voices[lang].speak(text, lang, lesson.speaking_rate)
            narration = trimmed(Narration(audio, spoken))
            if narration.spoken:
                said[key] = narration
    finally:
        for voice in voices.values():
            close_voice(voice)
    return said

"""Outline → storyboard: every knowledge point becomes a scene a teacher can check and edit.

A scene gets the best preset for its point (the bilingual preset search) or the teacher's own
picture; an English prompt by the four-element rule (subject + action + direction + environment),
checked by the chosen family's prompt check; labels from the point's key terms; one caption
sentence; a duration, which the family's spec turns into its frames and frame rate.

The storyboard is the lesson file (`Lesson`, saved as JSON): plain data, validated on every edit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from i2v.engine.registry import spec_for
from i2v.engine.spec import ModelSpec
from i2v.lessons.checks import Check, draft_check
from i2v.lessons.outline import Lang, LessonInputError, Outline, Point
from i2v.post.labels import unsupported_characters
from i2v.request import MAX_SEED, GenerationRequest, RequestError
from i2v.teaching.presets import Preset, build_prompt, get_preset, template_path
from i2v.teaching.prompt_check import PromptWarning, check_prompt
from i2v.teaching.search import match_confidence, search_presets
from i2v.voice import RATE_RANGE, VoiceChoice

LESSON_VERSION = 1
STRONG_MATCH = 0.45  # a point's own words matching a preset this well decide alone
WEAK_MATCH = 0.2  # below this (own words plus lesson context) a scene gets no preset
CONTEXT_WEIGHT = 0.5
FIT_CONFIDENCE = 0.4
"""Below this match confidence no preset fits: the scene waits for the teacher's picture (or a preset
the teacher picks) rather than showing, and teaching the misconception of, an unrelated one."""
SECONDS_RANGE = (1.0, 10.0)
MAX_LABELS = 3
LABEL_CHARS = 40
CAPTION_CHARS = 200
NARRATION_CHARS = 2000
DEFAULT_ENVIRONMENT = "smooth slow motion, clear diagram"
ResolutionClass = Literal["draft", "standard", "high"]
Fill = Literal["hold", "slow", "loop"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*")  # "23.5°" is no sentence end
_PICTURE_NAME = r"^[0-9a-f]{16}\.png$"
_RECORDING_NAME = r"^[0-9a-f]{16}\.wav$"


class Scene(BaseModel):
    """One scene of a lesson (one knowledge point, one clip)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: secrets.token_hex(4), pattern=r"^[0-9a-f]{8}$")
    section: str = Field("", max_length=120)
    point: str = Field(min_length=1, max_length=300, description="The knowledge point, as the teacher wrote it.")
    description: str = Field("", max_length=2000)
    lang: Lang = "en"
    preset: str | None = Field(None, max_length=60, description="The science preset whose drawing is the picture.")
    match: float | None = Field(None, ge=0.0, le=1.0, description="How sure the storyboard was that the preset fits the "
                                "point (0-1); None when no preset fits or the teacher picked it.")
    picture: str | None = Field(None, pattern=_PICTURE_NAME, description="The teacher's picture (in the lesson folder).")
    picture_name: str = Field("", max_length=300, description="The teacher's own name for the picture (end card).")
    end_picture: str | None = Field(None, pattern=_PICTURE_NAME, description="The teacher's end picture: the clip "
                                    "ends on it (families whose spec takes an end picture).")
    prompt: str = Field(min_length=1, max_length=2000)
    negative_prompt: str | None = Field(None, max_length=2000)
    labels: list[str] = Field(default_factory=list, max_length=MAX_LABELS)
    caption: str = Field("", max_length=CAPTION_CHARS)
    narration: str = Field("", max_length=NARRATION_CHARS, description="What is said over the scene (en or zh); "
                           "drafted from the point and its preset's knowledge point, never from the prompt.")
    seconds: float = Field(2.0, ge=SECONDS_RANGE[0], le=SECONDS_RANGE[1])
    frames: int | None = Field(None, description="Overrides the frames the family picks for `seconds`.")
    fps: int | None = Field(None, description="Overrides the frame rate the family picks for `seconds`.")
    seed: int = Field(default_factory=lambda: secrets.randbelow(MAX_SEED + 1), ge=0, le=MAX_SEED)
    recording: str | None = Field(None, pattern=_RECORDING_NAME, description="The teacher's own recording of the "
                                  "narration (in the lesson folder); spoken when the lesson's voice is 'own'.")
    check: Check | None = Field(None, description="A check for understanding, shown at the end of the scene by the "
                                "lesson packages (H5P, SCORM, offline page); drafted from the preset's misconception.")

    @field_validator("point", "section", "caption", "narration", "prompt", "description")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        labels = [" ".join(label.split()) for label in value]
        for label in labels:
            if not 1 <= len(label) <= LABEL_CHARS:
                raise ValueError(f"each label needs 1 to {LABEL_CHARS} characters (got {label[:50]!r})")
        return labels


class Lesson(BaseModel):
    """The lesson file: the storyboard and the choices that apply to every scene."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = LESSON_VERSION
    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    title: str = Field(min_length=1, max_length=200)
    lang: Lang = "en"
    source: str = Field("text", max_length=20)
    created_at: float = Field(default_factory=time.time)
    model: str = Field(min_length=1, max_length=500, description="The model every scene is made with.")
    resolution_class: ResolutionClass = "standard"
    quality: Literal["standard", "fast"] = "standard"
    steps: int | None = Field(None, description="Denoising steps for every scene; the family's default when omitted.")
    smooth: float = Field(0.0, ge=0.0, le=1.0, description="Flicker reduction applied to every clip at assembly.")
    burn_captions: bool = Field(False, description="Draw each scene's caption into the video, as well as the .vtt.")
    voice: VoiceChoice = Field("none", description="Who speaks the narration: a synthetic voice (each scene in its "
                               "own language), the teacher's recordings ('own'), or nobody.")
    speaking_rate: float = Field(1.0, ge=RATE_RANGE[0], le=RATE_RANGE[1], description="The synthetic voice's speed.")
    fill: Fill = Field("hold", description="How a clip shorter than its narration fills the scene: hold its last "
                       "frame, slow it down, or loop it.")
    scenes: list[Scene] = Field(min_length=1)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return " ".join(value.split())

    @property
    def spec(self) -> ModelSpec:
        return spec_for(self.model)

    @property
    def has_sections(self) -> bool:
        return any(scene.section for scene in self.scenes)

    def scene(self, scene_id: str) -> Scene:
        for scene in self.scenes:
            if scene.id == scene_id:
                return scene
        raise KeyError(f"the lesson has no scene {scene_id!r}")

    def digest(self) -> str:
        """Names this exact storyboard (outputs made from it are current while it is unchanged)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Options:
    """What the teacher chose for the whole lesson when making the storyboard."""

    model: str
    resolution_class: ResolutionClass = "standard"
    quality: str = "standard"
    steps: int | None = None


# ---------------------------------------------------------------- outline → storyboard


def build_storyboard(outline: Outline, options: Options, lesson_id: str, picture_names: dict[str, str]) -> Lesson:
    """The storyboard of `outline`. `picture_names` maps each teacher picture's name (as in the
    outline) to the stored, checked picture's file name. Raises LessonInputError (e.g. text the
    bundled font cannot draw is left out, but a title left empty by that is refused)."""
    spec = spec_for(options.model)
    scenes = []
    for number, point in enumerate(outline.points, start=1):
        try:
            scenes.append(make_scene(point, spec, context=outline.title,
                                     picture=picture_names.get(point.picture.name) if point.picture else None,
                                     end_picture=picture_names.get(point.end_picture.name) if point.end_picture else None))
        except ValidationError as exc:  # e.g. a prompt made from a very long point passes 2,000 characters
            problems = "; ".join(f"{' → '.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                                 for e in exc.errors()[:3])
            raise LessonInputError(f"Knowledge point {number} ({point.text[:40]!r}) cannot become a scene: {problems}. "
                                   "Shorten the point, or give it its own shorter prompt (a 'prompt: …' line).") from None
    title = drawable(outline.title)[:200].strip() or drawable(scenes[0].point)
    return Lesson(id=lesson_id, title=title, lang=outline.language, source=outline.source, model=options.model,
                  resolution_class=options.resolution_class, quality=options.quality, steps=options.steps,
                  scenes=scenes)


def make_scene(point: Point, spec: ModelSpec, *, context: str = "", picture: str | None = None,
               end_picture: str | None = None) -> Scene:
    """One scene for one knowledge point (see the module's docstring for the rules)."""
    lang = point.language
    preset, confidence = match_preset_with_confidence(point, context)
    text = drawable(point.text)[:300].strip() or "—"
    description = drawable(point.description)[:2000]
    prompt = scene_prompt(point, preset, spec)
    negative = preset.negative_prompt if preset else None
    return Scene(
        section=drawable(point.section)[:120], point=text, description=description, lang=lang,
        preset=preset.id if preset else None, match=confidence if preset else None, picture=picture,
        end_picture=end_picture,
        picture_name=point.picture.name[:300] if point.picture else "",
        prompt=prompt, negative_prompt=negative,
        labels=key_terms(text, description, preset, lang),
        caption=caption_sentence(text, description, lang),
        narration=draft_narration(point, preset, lang),
        seconds=clip_seconds(preset, spec),
        seed=plan_seed(prompt, negative, preset.id if preset else None, picture),
        check=point.check or (draft_check(preset, lang) if preset else None),
    )


def plan_seed(prompt: str, negative: str | None, preset: str | None, picture: str | None) -> int:
    """A seed fixed by what the clip is made from, so the same scene plan makes the same clip: the
    English and Chinese versions of a lesson, or the same lesson made twice. (Picture names are
    their content's hash.) The teacher can still change a scene's seed in the storyboard."""
    digest = hashlib.sha256("\n".join((prompt, negative or "", preset or "", picture or "")).encode()).digest()
    return int.from_bytes(digest[:8], "big") % (MAX_SEED + 1)


def match_preset(point: Point, context: str = "") -> Preset | None:
    """The preset that fits the point, or None (see `match_preset_with_confidence`)."""
    return match_preset_with_confidence(point, context)[0]


def match_preset_with_confidence(point: Point, context: str = "") -> tuple[Preset | None, float]:
    """The preset that fits the point and how sure that is (0-1), or (None, best confidence seen).

    The ranking picks a candidate (`_ranked_preset`); `search.match_confidence` then asks whether it
    really shows the point: the point's own words count, its description a little less, and the
    lesson's title and the point's section add `CONTEXT_WEIGHT` of theirs, but only for a preset the
    point's own words already touch. Below `FIT_CONFIDENCE` no preset fits."""
    candidates = [p for p, _ in search_presets(f"{point.text} {point.description}", limit=5)]
    ranked = _ranked_preset(point, context)
    if ranked is not None and ranked not in candidates:
        candidates.insert(0, ranked)
    elif ranked is not None:
        candidates.remove(ranked)
        candidates.insert(0, ranked)
    best: tuple[Preset | None, float] = (None, 0.0)
    for preset in candidates:
        confidence = _confidence(preset, point, context)
        if confidence >= FIT_CONFIDENCE:
            return preset, confidence  # the ranking's choice first; another candidate only if it fails
        best = max(best, (None, confidence), key=lambda item: item[1])
    return best


def _confidence(preset: Preset, point: Point, context: str) -> float:
    own = match_confidence(preset.id, point.text)
    if point.description.strip():
        own = max(own, 0.9 * match_confidence(preset.id, f"{point.text} {point.description}"))
    if own <= 0.0 or own >= FIT_CONFIDENCE:
        return round(own, 3)
    if context.strip() == point.text.strip():  # a one-line outline's title is the point itself
        context = ""
    around = f"{point.section} {context}".strip()
    return round(min(1.0, own + CONTEXT_WEIGHT * match_confidence(preset.id, around)) if around else own, 3)


def _ranked_preset(point: Point, context: str = "") -> Preset | None:
    """The preset best matching the point: its own words decide when they match well, otherwise the
    lesson's title and the point's section break the tie; None when the point's words match nothing."""
    def scores(query: str) -> dict[str, float]:
        return {p.id: s for p, s in search_presets(query, limit=5)} if query.strip() else {}

    own = scores(point.text)
    for preset_id, score in scores(f"{point.text} {point.description}").items():
        # the description counts a little even where the point's own words decide: it breaks their ties
        own[preset_id] = max(own.get(preset_id, 0.0), 0.8 * score) + 0.05 * score
    best = max(own.items(), key=lambda item: item[1], default=None)
    if best is None:  # nothing in the point's own words: the lesson's topic alone is no reason
        return None
    if best[1] >= STRONG_MATCH:
        return get_preset(best[0])
    combined = dict(own)
    for preset_id, score in scores(f"{point.section} {context}").items():
        combined[preset_id] = combined.get(preset_id, 0.0) + CONTEXT_WEIGHT * score
    best = max(combined.items(), key=lambda item: item[1], default=None)
    return get_preset(best[0]) if best and best[1] >= WEAK_MATCH else None


def _english_motion(text: str, spec: ModelSpec) -> bool:
    """Does this English text already say what moves and how (no prompt-check objection)?"""
    if not text.strip():
        return False
    codes = {w.code for w in check_prompt(text, "en", spec).warnings}
    return not codes & {"non_english", "no_action", "vague", "empty", "too_long"}


def scene_prompt(point: Point, preset: Preset | None, spec: ModelSpec) -> str:
    """The teacher's own prompt when the outline gives one; else four elements: the teacher's own
    English words when their first sentence describes motion (with the preset's environment), else
    the preset's prompt, else the point as subject with a gentle motion."""
    if point.prompt:
        return point.prompt[:2000]
    environment = (preset.prompt_parts.environment if preset else "") or DEFAULT_ENVIRONMENT
    first = _SENTENCE_END.split(point.description.strip())[0] if point.description.strip() else ""
    for words in (first, f"{point.text} {first}".strip()):
        words = words.strip().rstrip(".。")
        if len(words.split()) <= 30 and _english_motion(words, spec):
            return build_prompt(words[:1].lower() + words[1:], "", "", environment)
    if preset is not None:
        return preset.prompt
    english = "non_english" not in {w.code for w in check_prompt(point.text, "en", spec).warnings}
    return build_prompt(point.text if english else "the diagram", "moving gently", "", environment)


def key_terms(point: str, description: str, preset: Preset | None, lang: Lang) -> list[str]:
    """The point itself (shortened to its first clause) and up to two of the preset's keywords that
    the point's words use, longest first."""
    main = re.split(r"[,;，；。(（]", point)[0].strip()[:LABEL_CHARS].strip() or point[:LABEL_CHARS]
    labels = [main]
    if preset is not None:
        text = f"{point} {description}"
        keywords = sorted(getattr(preset.keywords, lang), key=len, reverse=True)
        for keyword in keywords:
            if len(labels) > 2:
                break
            word = keyword.strip()
            at = text.lower().find(word.lower())
            if at < 0 or not (3 <= len(word) <= 24 or (lang == "zh" and 2 <= len(word) <= 12)):
                continue
            as_written = text[at : at + len(word)]  # "Sun", not the keyword's "sun"
            if not any(word.lower() in label.lower() or label.lower() in word.lower() for label in labels):
                labels.append(as_written)
    return [drawable(label) for label in labels if drawable(label).strip()]


def caption_sentence(point: str, description: str, lang: Lang) -> str:
    """The description's first sentence, else the point, as one sentence with its full stop."""
    text = _SENTENCE_END.split(description.strip())[0].strip() if description.strip() else point.strip()
    text = text[:CAPTION_CHARS - 1].rstrip()
    if not text.endswith((".", "!", "?", "。", "！", "？")):
        question = re.match(r"(?i)(why|how|what|when|where|which|who|do|does|is|are|can)\b", text) or text.startswith(("为什么", "怎样", "如何"))
        text += ("？" if question else "。") if lang == "zh" else ("?" if question else ".")
    return text[:1].upper() + text[1:] if lang == "en" else text


def draft_narration(point: Point, preset: Preset | None, lang: Lang) -> str:
    """What is said over the scene: the teacher's own narration when the outline has one, else the
    point (with its description) followed by the preset's knowledge point in the scene's language.
    Never the prompt: that is English words for a video model, not for a class."""
    own = drawable(" ".join(point.narration.split()))[:NARRATION_CHARS].strip()
    if own:
        return own
    said = caption_sentence(drawable(point.text)[:300].strip() or "—", "", lang)
    description = drawable(" ".join(point.description.split())).strip()
    if description:
        said = f"{said} {caption_sentence(description, '', lang)}" if lang == "en" else said + caption_sentence(description, "", lang)
    if preset is not None:
        known = getattr(preset.knowledge_point, lang, "")
        if known and known not in said:
            said = f"{said} {known}" if lang == "en" else said + known
    return said[:NARRATION_CHARS].strip()


def clip_seconds(preset: Preset | None, spec: ModelSpec) -> float:
    """How long the scene's clip should be: the preset's clip length when it says, else its
    frames/fps, else the family's default clip."""
    seconds = None
    if preset is not None:
        clip = getattr(preset, "clip", None)  # a later presets.json adds {seconds, motion}
        value = clip.get("seconds") if isinstance(clip, dict) else getattr(clip, "seconds", None)
        seconds = float(value) if isinstance(value, (int, float)) and value > 0 else preset.params.frames / preset.params.fps
    if seconds is None:
        seconds = spec.frames.default / spec.fps.default
    return round(min(max(seconds, SECONDS_RANGE[0]), SECONDS_RANGE[1]), 2)


def drawable(text: str) -> str:
    """`text` without the characters the bundled font lacks (they would show as empty boxes)."""
    missing = set(unsupported_characters(text))
    return "".join(c for c in text if c not in missing) if missing else text


# ---------------------------------------------------------------- a scene as a job


def clip_numbers(lesson: Lesson, scene: Scene) -> dict[str, Any]:
    """Frames, fps and resolution of a scene: the family's choice for its seconds, then overrides."""
    numbers = lesson.spec.clip_params(scene.seconds, lesson.resolution_class)
    if scene.frames is not None:
        numbers["frames"] = scene.frames
    if scene.fps is not None:
        numbers["fps"] = scene.fps
    return numbers


def request_fields(lesson: Lesson, scene: Scene) -> dict[str, Any]:
    """The fields of the generation request that makes the scene's clip (what `JobService.submit`
    and `GenerationService` take). The seed is fixed by the storyboard, so it is reproducible."""
    fields: dict[str, Any] = {"model": lesson.model, "prompt": scene.prompt, "seed": scene.seed, "quality": lesson.quality,
                              **clip_numbers(lesson, scene)}
    if scene.negative_prompt is not None:
        fields["negative_prompt"] = scene.negative_prompt
    if lesson.steps is not None:
        fields["steps"] = lesson.steps
    if scene.end_picture is not None:
        fields["keyframes"] = [1.0]  # the end picture travels with the job (`batch.end_picture_bytes`)
    return fields


def preset_picture(scene: Scene) -> bytes:
    """The preset drawing a scene without its own picture starts from."""
    return template_path(get_preset(scene.preset)).read_bytes()


# ---------------------------------------------------------------- checks


def parse_lesson(data: Any) -> Lesson:
    """A lesson file or an edited storyboard (untrusted JSON) → Lesson, or LessonInputError listing
    every problem as "scenes 2 → caption: …"."""
    try:
        return Lesson.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:8]:
            where = " → ".join(str(p + 1) if isinstance(p, int) else str(p) for p in error["loc"])
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}" if where else error["msg"])
        raise LessonInputError("The lesson is not valid: " + "; ".join(problems)) from None


def check_lesson(lesson: Lesson, *, max_scenes: int, max_frames: int, offered: list[str], pictures: set[str],
                 complete: bool = False, recordings: set[str] = frozenset()) -> None:
    """Everything a generation would refuse, found before anything is saved: the scene limit, total
    frames, a model this server does not offer, the family's rules, a missing picture, unknown
    presets, duplicate scene ids and text the bundled font cannot draw. A scene with neither picture
    nor preset (no preset fits) may be saved, waiting for the teacher's picture; with `complete`
    (before generating) it is refused. Raises LessonInputError."""
    problems: list[str] = []
    if len(lesson.scenes) > max_scenes:
        problems.append(f"the lesson has {len(lesson.scenes)} scenes; at most {max_scenes} (I2V_LESSON_MAX_SCENES)")
    if lesson.model not in offered:
        problems.append(f"model: this server does not offer {lesson.model[:80]!r}; choose one of {', '.join(offered)}")
        raise LessonInputError("; ".join(problems))
    ids = [scene.id for scene in lesson.scenes]
    if len(set(ids)) != len(ids):
        problems.append("two scenes have the same id")
    missing = unsupported_characters(lesson.title)
    if missing:
        problems.append(f"title: the bundled font cannot draw {' '.join(missing[:5])}; change those characters")
    total = 0
    for number, scene in enumerate(lesson.scenes, start=1):
        where = f"scene {number} ({scene.point[:30]})"
        for name, text in (("point", scene.point), ("section", scene.section), ("caption", scene.caption), *(("label", label) for label in scene.labels)):
            missing = unsupported_characters(text)
            if missing:
                problems.append(f"{where} {name}: the bundled font cannot draw {' '.join(missing[:5])}; change those characters")
        if complete and scene.picture is None and scene.preset is None:
            problems.append(f"{where}: no preset fits; add a picture (or pick a preset) before generating")
        if scene.picture is not None and scene.picture not in pictures:
            problems.append(f"{where}: the picture {scene.picture} is not in this lesson; upload it first")
        if scene.recording is not None and scene.recording not in recordings:
            problems.append(f"{where}: the recording {scene.recording} is not in this lesson; record or upload it first")
        if scene.end_picture is not None and scene.end_picture not in pictures:
            problems.append(f"{where}: the end picture {scene.end_picture} is not in this lesson; upload it first")
        if scene.preset is not None:
            try:
                get_preset(scene.preset)
            except KeyError:
                problems.append(f"{where}: there is no preset {scene.preset[:40]!r}")
        try:
            request = lesson.spec.complete(GenerationRequest.parse(request_fields(lesson, scene)))
            total += request.frames
        except RequestError as exc:
            problems.append(f"{where}: {exc}")
    if total > max_frames:
        problems.append(f"the scenes would make {total} frames together; at most {max_frames} per lesson "
                        "(I2V_LESSON_MAX_FRAMES). Remove scenes or shorten them")
    if problems:
        start = "The lesson cannot be generated yet: " if complete else "The lesson cannot be saved: "
        raise LessonInputError(start + "; ".join(problems[:10]) + ".")


def waiting_scenes(lesson: Lesson) -> list[int]:
    """The numbers (from 1) of the scenes no preset fits and that have no picture yet: they are not
    generated until the teacher adds a picture or picks a preset."""
    return [n for n, scene in enumerate(lesson.scenes, start=1) if scene.picture is None and scene.preset is None]


def scene_warnings(lesson: Lesson, scene: Scene, lang: str) -> list[PromptWarning]:
    """The prompt check of a scene's prompt, for the lesson's model family, in the teacher's language."""
    return check_prompt(scene.prompt, lang, lesson.spec).warnings

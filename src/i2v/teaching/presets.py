"""Science presets: the typed schema of `presets.json` and where each preset's template image lives.

A preset is data a teacher picks to fill the picture, the English prompt and the parameters in one
click, with what the clip can and cannot show and the common misconception it meets. Parameters are
checked against `GenerationRequest` itself, so the preset file can never hold values a job would
refuse; `clip` says what the clip should be (seconds, how fast things move) for any model family,
and the I2VGen-XL `params` must play for that long.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from i2v.engine.registry import DEFAULT_SPEC
from i2v.engine.spec import ModelSpec
from i2v.request import GenerationRequest, RequestError
from i2v.errors import InvalidInput

SubjectArea = Literal["biology", "physics", "chemistry", "earth_space"]
SUBJECT_AREAS: tuple[SubjectArea, ...] = ("biology", "physics", "chemistry", "earth_space")
_HERE = Path(__file__).resolve().parent
PRESETS_FILE = _HERE / "presets.json"
TEMPLATES_DIR = _HERE / "templates"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Frozen):
    """One text in English and Simplified Chinese (the zh text must hold Chinese, the en text none)."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    @model_validator(mode="after")
    def _languages(self) -> Bilingual:
        if _CJK.search(self.en):
            raise ValueError(f"the en text holds Chinese characters: {self.en!r}")
        if not _CJK.search(self.zh):
            raise ValueError(f"the zh text holds no Chinese: {self.zh!r}")
        return self

    def get(self, lang: str) -> str:
        """The text in `lang`; anything but 'zh…' gets English."""
        return self.zh if lang.lower().startswith("zh") else self.en


class Keywords(_Frozen):
    """Search terms beyond the title: synonyms, curriculum words, the questions pupils ask."""

    en: tuple[str, ...] = Field(min_length=1)
    zh: tuple[str, ...] = Field(min_length=1)


class PromptParts(_Frozen):
    """The four builder fields a prompt is made of; subject and action are required."""

    subject: str = Field(min_length=1)
    action: str = Field(min_length=1)
    direction: str = ""
    environment: str = ""


class PresetParams(_Frozen):
    """Recommended settings for the default family, I2VGen-XL, reviewed for this preset (ranges are
    its spec's). Other families derive theirs from the preset's `clip` (see `Preset.request_fields`)."""

    resolution: str
    frames: int
    fps: int
    steps: int
    guidance: float


ClipMotion = Literal["slow", "moderate", "fast"]
CLIP_SECONDS_TOLERANCE = 0.1
"""How far (as a share of `clip.seconds`) the params' frames ÷ fps may stray from the intended length."""


class ClipPlan(_Frozen):
    """What the clip should be, independent of any model family: its length and how fast things move
    in it. A family turns this into its own frames and fps (I2VGen-XL was trained on 16-frame clips,
    so its params keep 16 frames and set the fps to fit)."""

    seconds: float = Field(ge=1.0, le=10.0)
    motion: ClipMotion


def build_prompt(subject: str, action: str, direction: str = "", environment: str = "") -> str:
    """Join the builder fields into one English prompt: "subject, action direction, environment".

    The comma after the subject keeps the action on the subject: "an egg on the bottom of a beaker
    of water, slowly rising", not "…a beaker of water slowly rising" (the water rising). The
    direction follows the action with a space, so it must read on from it (a preposition or a
    conjunction: "toward…", "as…", "while…"); an absolute clause ("its axis always pointing…")
    belongs in the action after a comma. Blank fields are skipped and inner whitespace collapsed.
    """
    subject, action, direction, setting = (" ".join(part.split()) for part in (subject, action, direction, environment))
    motion = " ".join(part for part in (action, direction) if part)
    head = ", ".join(part for part in (subject, motion) if part)
    return f"{head}, {setting}" if head and setting else head or setting


class EndPicture(_Frozen):
    """A preset's end picture: the state *after* the change, for families that take an end picture
    (the spec's `keyframes`), drawn by the same script and held to the same checks as the start
    picture, and what the model is asked to interpolate between the two."""

    template: str = Field(pattern=r"^[a-z0-9_]+_end\.png$")
    can_show: Bilingual
    cannot_show: Bilingual


class Preset(_Frozen):
    """One classroom-ready starting point (see `presets.json`)."""

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    subject_area: SubjectArea
    title: Bilingual
    knowledge_point: Bilingual
    keywords: Keywords
    template: str = Field(pattern=r"^[a-z0-9_]+\.png$")
    prompt_parts: PromptParts
    prompt: str = Field(min_length=1)
    negative_prompt: str = Field(min_length=1)
    clip: ClipPlan
    params: PresetParams
    params_reason: Bilingual
    can_show: Bilingual
    cannot_show: Bilingual
    misconception: Bilingual  # the common wrong idea this topic meets; a lesson handout prints it
    end: EndPicture | None = None  # the picture after the change, for families that take an end picture

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        built = build_prompt(**self.prompt_parts.model_dump())
        if self.prompt != built:
            raise ValueError(f"prompt must equal its parts joined: {built!r}")
        try:
            DEFAULT_SPEC.complete(GenerationRequest.parse(self.request_fields()))
        except RequestError as exc:
            raise ValueError(f"params outside what a job accepts: {exc}") from None
        played = self.params.frames / self.params.fps
        if abs(played - self.clip.seconds) > CLIP_SECONDS_TOLERANCE * self.clip.seconds:
            raise ValueError(f"params play for {played:.2f} s (frames / fps), but clip.seconds is "
                             f"{self.clip.seconds:g}; make them agree within {CLIP_SECONDS_TOLERANCE:.0%}")
        return self

    def request_fields(self, spec: ModelSpec = DEFAULT_SPEC) -> dict[str, Any]:
        """The fields a UI fills into a generation request for the model family `spec` when this
        preset is picked: the reviewed `params` for the default family; for another family, its own
        frames, fps and resolution for this `clip` (its steps and guidance stay the family's defaults)."""
        texts = {"prompt": self.prompt, "negative_prompt": self.negative_prompt}
        if spec.family == DEFAULT_SPEC.family:
            return {**texts, **self.params.model_dump()}
        return {**texts, **spec.clip_params(self.clip.seconds, self.resolution_class)}

    @property
    def resolution_class(self) -> str:
        """draft / standard / high: what the reviewed resolution stands for, in any family's terms."""
        classes = DEFAULT_SPEC.resolution_classes
        named = [cls for cls, name in classes.items() if name == self.params.resolution]
        if named:
            return named[0]
        order = DEFAULT_SPEC.resolution_names
        return "high" if order.index(self.params.resolution) > order.index(classes["high"]) else "draft"


class PresetFileError(InvalidInput):
    """`presets.json` is malformed; the message names the preset and the field."""


@functools.lru_cache(maxsize=1)
def _load(path: Path) -> tuple[Preset, ...]:
    raw = json.loads(path.read_text("utf-8"))
    presets: list[Preset] = []
    for index, item in enumerate(raw.get("presets", [])):
        name = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
        try:
            presets.append(Preset.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'preset'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise PresetFileError(f"{path.name}: preset {name}: {problems}") from None
    ids = [p.id for p in presets]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise PresetFileError(f"{path.name}: duplicate preset ids: {', '.join(duplicates)}")
    if not presets:
        raise PresetFileError(f"{path.name}: no presets")
    return tuple(presets)


def load_presets(path: Path = PRESETS_FILE) -> list[Preset]:
    """All presets in file order, validated once and cached (a fresh list each call).

    Raises PresetFileError when the file breaks the schema.
    """
    return list(_load(path))


def get_preset(preset_id: str) -> Preset:
    """The preset with this id; KeyError naming the known ids otherwise."""
    for preset in _load(PRESETS_FILE):
        if preset.id == preset_id:
            return preset
    known = ", ".join(p.id for p in _load(PRESETS_FILE))
    raise KeyError(f"unknown preset {preset_id!r}; known presets: {known}")


def template_path(preset: Preset) -> Path:
    """Where the preset's template PNG ships inside the package (drawn by scripts/draw_templates.py)."""
    return TEMPLATES_DIR / preset.template


def end_template_path(preset: Preset) -> Path | None:
    """Where the preset's end picture ships, or None when it has none."""
    return TEMPLATES_DIR / preset.end.template if preset.end is not None else None

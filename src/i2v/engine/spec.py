"""A model family in numbers: one `ModelSpec` per family holds every limit and default once.

The request validator, the studio's sliders, the API's form, the CLI's help, the presets, the
prompt checker, `download`, `doctor`, the memory plan and the ETA all read a family's spec instead of
repeating I2VGen-XL's numbers. A spec is plain data plus a few pure functions; importing it loads no
model and no deep-learning library (the tokenizer is built lazily, on first use).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from i2v.request import GenerationRequest

Offload = Literal["none", "model", "group", "sequential"]
ResolutionClass = Literal["draft", "standard", "high"]
Motion = Literal["slow", "moderate", "fast"]
# Which pictures besides the first a family can be given: none; one for the last frame; or any frame.
Keyframes = Literal["none", "last", "any"]
KEYFRAME_WORDS = {"none": "no picture but the first", "last": "an end picture",
                  "any": "an end picture and up to 4 pictures in between"}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Span:
    """An inclusive numeric range with the family's default inside it."""

    low: float
    high: float
    default: float

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high:
            raise ValueError(f"default {self.default} outside {self.low}–{self.high}")

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def describe(self) -> str:
        return f"between {_number(self.low)} and {_number(self.high)}"

    def clamp(self, value: float) -> float:
        return min(max(value, self.low), self.high)


@dataclass(frozen=True)
class FrameRule:
    """Which frame counts a family can make: `low`–`high`, and `step`·k + 1 when `step` > 1.

    Video VAEs that compress time by 4 (Wan) or 8 (LTX) need 4k+1 or 8k+1 frames: the first frame
    is encoded alone, every later latent frame stands for `step` video frames.
    """

    low: int
    high: int
    default: int
    step: int = 1

    def __post_init__(self) -> None:
        if not self.valid(self.default) or not self.valid(self.low):
            raise ValueError(f"frame rule {self} does not admit its own default or minimum")

    def valid(self, frames: int) -> bool:
        return self.low <= frames <= self.high and (self.step == 1 or (frames - 1) % self.step == 0)

    def choices(self) -> list[int]:
        return [n for n in range(self.low, self.high + 1) if self.valid(n)]

    def nearest(self, frames: float) -> int:
        """The valid count closest to `frames` (ties go to the longer clip)."""
        return min(self.choices(), key=lambda n: (abs(n - frames), -n))

    def describe(self) -> str:
        if self.step == 1:
            return f"between {self.low} and {self.high}"
        examples = sorted({self.nearest(self.high * 2 / 3), self.default})
        shown = " or ".join(str(n) for n in examples)
        return f"{self.step}k+1 between {self.low} and {self.high}, e.g. {shown}"


@dataclass(frozen=True)
class SizePreset:
    """A named pixel budget: "512p" is about 512×512 pixels whatever the picture's aspect."""

    name: str
    width: int  # the budget's landscape shape, as the family's own examples name it
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True)
class Licence:
    name: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class TextEncoderSpec:
    """What the prompt checker needs: the tokenizer, how many tokens the encoder reads, which
    languages it understands. `special_tokens` are the markers the tokenizer adds (CLIP: start and
    end; T5: end), so the prompt's own budget is `max_tokens - special_tokens`."""

    name: str
    max_tokens: int
    special_tokens: int
    languages: tuple[str, ...]
    load_tokenizer: Callable[[], Any] = field(compare=False, repr=False)

    @property
    def budget(self) -> int:
        return self.max_tokens - self.special_tokens


@dataclass(frozen=True)
class WeightLayout:
    """The files `download` fetches and `doctor` checks: component folder → weight file stem.

    `variant` is the hub's half-precision file variant ("fp16") when the repository has one.
    `download_gb` is what a download takes on disk (the variant's files when there is one).
    """

    components: dict[str, str]
    configs: tuple[str, ...]
    variant: str | None
    download_gb: float


@dataclass(frozen=True)
class MemoryTier:
    """From `min_free_gib` of free VRAM, this offload mode (with VAE tiling when `vae_tiling`)."""

    min_free_gib: float
    offload: Offload
    vae_tiling: bool = False
    source: str = "estimate"  # "estimate" (from weight sizes) or where it was measured


@dataclass(frozen=True)
class MeasuredCost:
    """Run time of this family measured on one kind of device (e.g. "cpu-fp32"), at a reference
    size, and how it grows: the ETA before a job starts. Families or devices never measured have
    none, and the ETA stays blank rather than invented."""

    step_s: float  # one denoising step (with guidance) at the reference size
    width: int
    height: int
    frames: int
    pixel_exponent: float
    frame_exponent: float
    decode_s_per_frame: float  # at the reference size
    encode_s: float  # text/image encoders and the first frame's latent
    source: str

    def seconds(self, width: int, height: int, frames: int, steps: int, speedup: float = 1.0) -> float:
        pixels = width * height / (self.width * self.height)
        step = self.step_s * pixels**self.pixel_exponent * (frames / self.frames) ** self.frame_exponent
        decode = self.decode_s_per_frame * pixels * frames
        return self.encode_s + steps * step / speedup + decode


@dataclass(frozen=True)
class LatentGeometry:
    """How the VAE and the denoiser see a video: pixels per latent pixel (`spatial`), video frames per
    latent frame after the first (`temporal`), the denoiser's patch side, latent channels, and how
    many copies of the latents one guided step runs at once (2 when the pipeline batches the
    unconditional half with the conditional one, 1 when it runs them one after the other)."""

    spatial: int
    temporal: int
    patch: int
    channels: int
    guided_batch: int

    def tokens(self, width: int, height: int, frames: int) -> int:
        """Latent positions the denoiser attends over for one video (one copy, no guidance)."""
        latent_frames = 1 + (frames - 1) // self.temporal if self.temporal > 1 else frames
        side = self.spatial * self.patch
        return latent_frames * (height // side) * (width // side)


@dataclass(frozen=True)
class Footprint:
    """What the memory model needs to predict a job's peak memory before loading (see
    `engine.memory_estimate`): parameters per component (counted on the meta device from the released
    configs), which component denoises and which decodes, and activation sizes measured on the CPU
    at small sizes and fitted: peak bytes of one denoiser call ≈ `act_fixed` + `act_per_token` ×
    tokens × batch, and of one VAE decode ≈ `decode_per_pixel` × pixels × frames decoded at once
    (all in fp32 bytes; half precision halves them). How many frames one decode holds at once:
    `decode_frames` for a VAE that decodes a video a piece at a time (Wan's causal VAE: one latent
    frame, 4 frames, with a small cache), every frame when None and the VAE is a video VAE (LTX),
    the plan's chunk for a picture VAE (I2VGen-XL)."""

    parameters: dict[str, int]
    denoiser: str
    vae: str
    act_per_token: float
    act_fixed: float
    decode_per_pixel: float
    largest_layer: int  # parameters of the biggest single layer: what sequential offload holds at once
    source: str
    decode_frames: int | None = None
    encoders: tuple[str, ...] = ()  # the prompt and picture encoders (on the device in turn under model offload)
    encoder_largest_layer: int = 0  # their biggest single layer (a token embedding, for T5 and UMT5)


@dataclass(frozen=True)
class FastPreset:
    """The "fast" quality preset of a family: what it changes, and its measured speed-up."""

    description: str
    speedup: float  # expected whole-job speed-up over "standard" (measured; see BENCHMARKS.md)
    steps_factor: float = 0.5  # fast runs ceil(steps × factor) steps
    steps: int | None = None  # a distilled Fast (a step-distillation LoRA) runs exactly this many steps
    guidance: float | None = None  # … at this guidance (1: no unconditional pass)


@dataclass(frozen=True)
class Draft:
    """A family's quick-look settings for one kind of device (`ModelSpec.draft`), and the seconds
    they take there by the measured cost (None when never measured)."""

    resolution: str
    frames: int
    steps: int
    quality: str  # "fast" where the family's fast preset is quicker (it is for every family so far)
    seconds: float | None


@dataclass(frozen=True)
class ModelSpec:
    """Everything i2v knows about one model family, written once."""

    family: str
    title: str
    hub_id: str
    known_hub_ids: tuple[str, ...]
    pipeline_classes: tuple[str, ...]  # model_index.json `_class_name` values that mean this family
    denoiser_classes: tuple[str, ...]  # the denoiser's class, for folders without a model_index.json
    licence: Licence
    test_model: str
    frames: FrameRule
    fps: Span
    fps_conditions: bool  # does the model read the frame rate (else fps is playback speed only)?
    resolutions: tuple[SizePreset, ...]
    default_resolution: str
    resolution_classes: dict[str, str]  # draft/standard/high → a preset name
    side_multiple: int
    steps: Span
    guidance: Span
    schedulers: tuple[str, ...]
    negative_prompt: str
    text: TextEncoderSpec
    weights: WeightLayout
    memory_tiers: tuple[MemoryTier, ...]  # highest first; the last one is the floor
    fast: FastPreset
    latent: LatentGeometry | None = None
    footprint: Footprint | None = None
    costs: dict[str, MeasuredCost] = field(default_factory=dict)  # device kind → measured cost
    fp16_issue: str = ""  # a known half-precision problem of the family, named in the NaN message
    keeps_trained_frames: bool = False
    releases_encoders: bool = False  # can its engine drop the encoders after the embeddings (memory plan mode)?
    max_aspect: float = 2.5
    notes: str = ""
    keyframes: Keyframes = "none"  # pictures besides the first the family's pipeline honours (see KEYFRAME_WORDS)
    keyframe_note: str = ""  # what a checkpoint of the family needs for them (LTX: 0.9.5 or later)
    makes_sound: bool = False  # does the family make sound with the frames (engine output `audio`)?
    ai_marking: str = ""  # the AI-generated marking its licence asks for, written into every file it makes

    # ---- resolutions ----------------------------------------------------------------------

    @property
    def resolution_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.resolutions)

    def preset(self, resolution: str) -> SizePreset:
        for preset in self.resolutions:
            if preset.name == resolution:
                return preset
        raise KeyError(f"{self.title} has no resolution {resolution!r}; use one of {', '.join(self.resolution_names)}")

    def frame_size(self, resolution: str, width: int, height: int) -> tuple[int, int]:
        """Output (width, height) for a preset: about the preset's pixel count, the picture's aspect
        kept (clamped to `max_aspect`, then centre-cropped), sides multiples of `side_multiple`.

        A budget of pixels rather than a short side, so a wide picture is not made larger (and
        slower) than a square one.
        """
        budget = self.preset(resolution).pixels
        multiple = self.side_multiple
        aspect = min(max(width / height, 1 / self.max_aspect), self.max_aspect)
        ideal_w = math.sqrt(budget * aspect)

        def snap(x: float) -> int:
            return max(multiple, round(x / multiple) * multiple)

        def distortion(size: tuple[int, int]) -> float:
            # aspect error counts double the pixel-budget error: a squashed cell is worse than a slower clip
            w, h = size
            return abs(math.log(w / h / aspect)) + 0.5 * abs(math.log(w * h / budget))

        low = max(multiple, math.floor(ideal_w / multiple) * multiple)
        candidates = [(w, snap(w / aspect)) for w in (low, low + multiple)]
        return min(candidates, key=distortion)

    def lower_resolution(self, resolution: str) -> str | None:
        """The next smaller preset, or None at the smallest."""
        names = self.resolution_names
        index = names.index(resolution)
        return names[index - 1] if index > 0 else None

    # ---- requests -------------------------------------------------------------------------

    def complete(self, request: GenerationRequest) -> GenerationRequest:
        """The request with this family's defaults filled in, checked against its rules.

        Raises `RequestError` naming every broken rule in words a teacher can act on ("I2VGen-XL
        makes 8 to 32 frames", "Wan 2.2 TI2V-5B needs 4k+1 frames, e.g. 81 or 121").
        """
        from i2v.request import RequestError  # the base never imports the engine; the engine may import the base

        values = {
            "resolution": request.resolution or self.default_resolution,
            "frames": request.frames if request.frames is not None else self.frames.default,
            "fps": request.fps if request.fps is not None else int(self.fps.default),
            "steps": request.steps if request.steps is not None else int(self.steps.default),
            "guidance": request.guidance if request.guidance is not None else self.guidance.default,
            "scheduler": request.scheduler or self.schedulers[0],
            "negative_prompt": self.negative_prompt if request.negative_prompt is None else request.negative_prompt,
        }
        problems = self.problems(values)
        problem = self.keyframe_problem(request.keyframes)
        if problem is None and request.keyframes and not problems:
            problem = self.keyframe_collision(request.keyframes, values["frames"])
        if problem is not None:
            problems.append(problem)
        if problems:
            raise RequestError("; ".join(problems))
        return request.model_copy(update=values)

    def rule(self, name: str) -> str | None:
        """What this family allows for the request field `name`, in words ("between 8 and 32 for
        I2VGen-XL"); None for fields every family treats alike."""
        rules = {
            "resolution": lambda: "one of " + ", ".join(self.resolution_names),
            "frames": self.frames.describe, "fps": self.fps.describe, "steps": self.steps.describe,
            "guidance": self.guidance.describe, "scheduler": lambda: "one of " + ", ".join(self.schedulers),
        }
        return f"{rules[name]()} for {self.title}" if name in rules else None

    def problems(self, values: dict[str, Any]) -> list[str]:
        """Each value that breaks this family's rules, as "field: must be … for <family> (got …)"."""
        from i2v.request import shown

        checks = {
            "resolution": lambda v: v in self.resolution_names, "frames": self.frames.valid,
            "fps": self.fps.contains, "steps": self.steps.contains, "guidance": self.guidance.contains,
            "scheduler": lambda v: v in self.schedulers,
        }
        return [f"{name}: must be {self.rule(name)} (got {shown(values[name])})"
                for name, ok in checks.items() if not ok(values[name])]

    # ---- keyframes --------------------------------------------------------------------------

    def takes_keyframes(self, positions: tuple[float, ...]) -> bool:
        """Can this family honour pictures at `positions` (besides the first)?"""
        if not positions:
            return True
        if self.keyframes == "last":
            return positions == (1.0,)
        return self.keyframes == "any"

    def keyframe_problem(self, positions: tuple[float, ...]) -> str | None:
        """Why this family cannot take pictures at `positions`, as a request problem; None when it can.
        (The registry adds which families can: a spec knows only itself.)"""
        if self.takes_keyframes(positions):
            return None
        if self.keyframes == "none":
            field = "end_image" if positions == (1.0,) else "keyframes"
            return f"{field}: {self.title} takes no end picture or other keyframes, only the first picture"
        return f"keyframes: {self.title} takes an end picture only, no pictures in between"

    def keyframe_frames(self, positions: tuple[float, ...], frames: int) -> list[int]:
        """The frame index of each picture at `positions` in a clip of `frames`: the nearest start of a
        latent frame (the VAE packs `latent.temporal` frames into one), so a picture lands on a frame
        the model places on its own; the end picture is the last frame."""
        step = self.latent.temporal if self.latent is not None else 1
        return [round(p * (frames - 1) / step) * step for p in positions]

    def keyframe_collision(self, positions: tuple[float, ...], frames: int) -> str | None:
        """A problem when two pictures (the first included) fall on the same frame at this length."""
        indices = [0, *self.keyframe_frames(positions, frames)]
        if len(set(indices)) == len(indices):
            return None
        return (f"keyframes: at {frames} frames the pictures at {', '.join(f'{p:g}' for p in positions)} fall on frames "
                f"{', '.join(map(str, indices[1:]))}; move them further apart (or from the start) or make the clip longer")

    def fast_steps(self, steps: int) -> int:
        """Steps the "fast" preset runs for a request of `steps`: a distilled Fast runs its own count;
        otherwise a share of `steps`, never below the family's own minimum (LTX-Video's sampler fails on
        one step; its fast run of 2 steps stays 2)."""
        if self.fast.steps is not None:
            return self.fast.steps
        return max(int(self.steps.low), 1, math.ceil(steps * self.fast.steps_factor))

    def estimate_seconds(self, device_kind: str, width: int, height: int, frames: int, steps: int, quality: str) -> float | None:
        """Expected run time where this family was measured on `device_kind`, else None."""
        cost = self.costs.get(device_kind)
        if cost is None:
            return None
        speedup = self.fast.speedup if quality == "fast" else 1.0
        return cost.seconds(width, height, frames, steps, speedup)

    def estimate_request(self, request: Any, image_width: int, image_height: int, device_kind: str) -> float | None:
        """`estimate_seconds` for a request (completed here) and the picture it will be fitted from."""
        request = self.complete(request)
        width, height = self.frame_size(request.resolution, image_width, image_height)
        return self.estimate_seconds(device_kind, width, height, request.frames, request.steps, request.quality)

    # ---- what a clip should be → this family's numbers ---------------------------------------

    def clip_params(self, seconds: float, resolution_class: str = "standard") -> dict[str, Any]:
        """Frames, fps and resolution for a clip of about `seconds`. Presets and lessons say what a
        clip should be; each family turns that into its own numbers: a family trained on one clip
        length (`keeps_trained_frames`, I2VGen-XL's 16) keeps it and changes the frame rate, the
        others keep their frame rate and change the frame count."""
        if self.keeps_trained_frames:
            frames = self.frames.default
            fps = int(self.fps.clamp(round(frames / seconds)))
        else:
            fps = int(self.fps.default)
            frames = self.frames.nearest(seconds * fps)
        return {"frames": frames, "fps": fps, "resolution": self.resolution_classes[resolution_class]}

    def draft(self, device_kind: str, *, budget_s: float = 60.0, min_steps: int = 1) -> Draft:
        """The cheapest useful clip on `device_kind` ("cpu-fp32"): the smallest size, the fewest
        frames, the fast preset, and as many steps (from `min_steps` up to the default) as fit
        `budget_s` by this family's measured cost there. Without a measurement (a test model, an
        unmeasured device) the steps are `min_steps` and `seconds` is None: the studio then says
        it cannot tell."""
        smallest = min(self.resolutions, key=lambda p: p.pixels)
        frames = self.frames.low
        low = max(min_steps, int(self.steps.low))
        quality = "fast" if self.fast.speedup > 1 else "standard"
        cost = self.costs.get(device_kind)
        if cost is None:
            return Draft(smallest.name, frames, low, quality, None)
        estimate = partial(self.estimate_seconds, device_kind, smallest.width, smallest.height, frames, quality=quality)
        steps = low
        while steps < self.steps.default and (estimate(steps=steps + 1) or 0) <= budget_s:
            steps += 1
        seconds = estimate(steps=steps)
        return Draft(smallest.name, frames, steps, quality, None if seconds is None else round(seconds, 1))

    # ---- what the outside sees --------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The spec as JSON for `GET /api/v1/models` and the studio."""
        return {
            "family": self.family,
            "title": self.title,
            "hub_id": self.hub_id,
            "licence": {"name": self.licence.name, "url": self.licence.url, "note": self.licence.note},
            "frames": {"low": self.frames.low, "high": self.frames.high, "default": self.frames.default,
                       "step": self.frames.step, "rule": self.frames.describe()},
            "fps": {"low": self.fps.low, "high": self.fps.high, "default": self.fps.default,
                    "conditions_model": self.fps_conditions},
            "resolutions": [{"name": p.name, "width": p.width, "height": p.height} for p in self.resolutions],
            "default_resolution": self.default_resolution,
            "side_multiple": self.side_multiple,
            "steps": {"low": self.steps.low, "high": self.steps.high, "default": self.steps.default},
            "guidance": {"low": self.guidance.low, "high": self.guidance.high, "default": self.guidance.default},
            "schedulers": list(self.schedulers),
            "negative_prompt": self.negative_prompt,
            "text_encoder": {"name": self.text.name, "max_tokens": self.text.max_tokens,
                             "prompt_tokens": self.text.budget, "languages": list(self.text.languages)},
            "download_gb": self.weights.download_gb,
            "fast": {"description": self.fast.description, "speedup": self.fast.speedup,
                     "steps": self.fast.steps, "guidance": self.fast.guidance},
            "keyframes": self.keyframes,
            "keyframes_text": KEYFRAME_WORDS[self.keyframes] + (f" ({self.keyframe_note})" if self.keyframe_note else ""),
            "notes": self.notes,
        }

"""The generation settings of the Create tab, built in one place from one set of limits.

`SettingsLimits` holds every range and default the controls show; `settings_limits(spec)` reads
them from the chosen model family's spec, and when the model picker changes family
`limits_updates` re-ranges the same controls: nothing in the studio repeats a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from i2v.engine.spec import ModelSpec
from i2v.request import MAX_SEED, QUALITIES
from i2v.i18n import t
from i2v.web.ui_text import UiText

STEP_SLIDER_MIN = 10  # the API accepts fewer, but below 10 steps the model gives unusable results


@dataclass(frozen=True)
class Range:
    """A slider's bounds, default and increment."""

    low: float
    high: float
    default: float
    step: float = 1


@dataclass(frozen=True)
class SettingsLimits:
    """What the settings controls offer: ranges, choices and defaults of one model family."""

    resolutions: tuple[str, ...]
    resolution: str
    frames: Range
    fps: Range
    steps: Range
    guidance: Range
    schedulers: tuple[str, ...]
    scheduler: str
    qualities: tuple[str, ...]
    quality: str
    negative_prompt: str
    max_seed: int
    fast_speedup: float


def settings_limits(spec: ModelSpec) -> SettingsLimits:
    """The controls' ranges and defaults for the model family `spec` (never repeated here)."""
    frames = spec.frames
    return SettingsLimits(
        resolutions=spec.resolution_names, resolution=spec.default_resolution,
        frames=Range(frames.low, frames.high, frames.default, step=frames.step),
        fps=Range(spec.fps.low, spec.fps.high, spec.fps.default),
        steps=Range(max(STEP_SLIDER_MIN, spec.steps.low), spec.steps.high, spec.steps.default),
        guidance=Range(spec.guidance.low, spec.guidance.high, spec.guidance.default, step=0.5),
        schedulers=spec.schedulers, scheduler=spec.schedulers[0],
        qualities=QUALITIES, quality="standard",
        negative_prompt=spec.negative_prompt, max_seed=MAX_SEED, fast_speedup=spec.fast.speedup,
    )


def quality_choices(lang: str, speedup: float) -> list[tuple[str, str]]:
    labels = {"standard": t("ui.quality.standard", lang), "fast": t("ui.quality.fast", lang, speedup=f"{speedup:g}")}
    return [(labels[name], name) for name in QUALITIES]


def quality_labels(spec: ModelSpec, lang: str) -> dict[str, Any]:
    """The quality choices relabelled in `lang` with `spec`'s own fast speed-up (after a language
    switch the chosen family's, not the default's)."""
    return gr.update(choices=quality_choices(lang, spec.fast.speedup))


@dataclass
class SettingsControls:
    """The Create tab's generation settings (the picture and prompt live beside them)."""

    resolution: Any
    frames: Any
    fps: Any
    negative: Any
    steps: Any
    guidance: Any
    seed: Any
    dice: Any
    scheduler: Any
    quality: Any

    def request_inputs(self) -> list[Any]:
        """The controls a job reads, in `submit_and_follow`'s order after the picture and prompt."""
        return [self.negative, self.resolution, self.frames, self.fps, self.steps, self.guidance, self.seed,
                self.scheduler, self.quality]

    def ranged(self) -> list[Any]:
        """The controls whose range or choices depend on the model family (see `limits_updates`)."""
        return [self.resolution, self.frames, self.fps, self.steps, self.guidance, self.scheduler, self.quality]


def build_settings_controls(tx: UiText, limits: SettingsLimits) -> SettingsControls:
    """Resolution, frames and fps in view; the rest in the "Advanced" fold. Adds them to the open Blocks."""
    en = "en"
    with gr.Row():
        resolution = tx.add(gr.Dropdown(list(limits.resolutions), value=limits.resolution, label=t("ui.resolution", en),
                                        min_width=120, elem_id="i2v-resolution"), label="ui.resolution")
        frames = tx.add(_slider(limits.frames, "i2v-frames", t("ui.frames", en)), label="ui.frames")
        fps = tx.add(_slider(limits.fps, "i2v-fps", t("ui.fps", en)), label="ui.fps")
    with tx.add(gr.Accordion(t("ui.advanced", en), open=False, elem_id="i2v-advanced"), label="ui.advanced"):
        negative = tx.add(gr.Textbox(label=t("ui.negative", en), value=limits.negative_prompt, lines=2,
                                     elem_id="i2v-negative"), label="ui.negative")
        steps = tx.add(_slider(limits.steps, "i2v-steps", t("ui.steps", en)), label="ui.steps")
        guidance = tx.add(_slider(limits.guidance, "i2v-guidance", t("ui.guidance", en)), label="ui.guidance")
        with gr.Row():
            seed = tx.add(gr.Number(value=-1, precision=0, label=t("ui.seed", en), minimum=-1, maximum=limits.max_seed,
                                    elem_id="i2v-seed"), label="ui.seed")
            dice = tx.add(gr.Button(t("ui.dice", en), scale=0, min_width=120, elem_id="i2v-dice"), value="ui.dice")
        scheduler = tx.add(gr.Radio(list(limits.schedulers), value=limits.scheduler, label=t("ui.scheduler", en),
                                    elem_id="i2v-scheduler"), label="ui.scheduler")
        quality = tx.add(gr.Radio(quality_choices(en, limits.fast_speedup), value=limits.quality, label=t("ui.quality", en),
                                  elem_id="i2v-quality"),
                         label="ui.quality")  # its choices name the chosen family's speed-up: `quality_labels`
    return SettingsControls(resolution, frames, fps, negative, steps, guidance, seed, dice, scheduler, quality)


def _slider(bounds: Range, elem_id: str, label: str) -> gr.Slider:
    return gr.Slider(bounds.low, bounds.high, value=bounds.default, step=bounds.step, label=label, elem_id=elem_id)


def limits_updates(limits: SettingsLimits, lang: str = "en") -> list[dict[str, Any]]:
    """Updates that re-range `SettingsControls.ranged()` (in that order) for another family's limits."""
    def slider(bounds: Range) -> dict[str, Any]:
        return gr.update(minimum=bounds.low, maximum=bounds.high, value=bounds.default, step=bounds.step)

    return [
        gr.update(choices=list(limits.resolutions), value=limits.resolution),
        slider(limits.frames), slider(limits.fps), slider(limits.steps), slider(limits.guidance),
        gr.update(choices=list(limits.schedulers), value=limits.scheduler),
        gr.update(value=limits.quality, choices=quality_choices(lang, limits.fast_speedup)),
    ]

"""One generation, start to finish: request → engine → media → archive.

The CLI calls this directly; the job worker (web UI and HTTP API) calls it for each job. It is
the only place that knows the order of those steps.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from i2v.archive import Archive, ArchivePathError, Entry
from i2v.continuation import ExtendError, Parent, colour_matched, colour_shift, joined, load_parent
from i2v.engine.base import ProgressCallback
from i2v.engine.host import EngineHost
from i2v.engine.placement import free_accelerator_memory
from i2v.engine.registry import complete_request
from i2v.media import Audio, encode_mp4, save_thumbnail
from i2v.sound import clip_sound, sound_recipe
from i2v.recipe import build_recipe
from i2v.request import GenerationRequest

log = logging.getLogger(__name__)
TEST_MODEL_BANNER = "TEST MODEL - random weights - noise"


@dataclass(frozen=True)
class GenerationResult:
    entry: Entry
    recipe: dict

    @property
    def video(self) -> Path:
        return self.entry.video


class GenerationService:
    def __init__(self, host: EngineHost, archive: Archive) -> None:
        self.host = host
        self.archive = archive

    def generate(
        self,
        request: GenerationRequest,
        image: Image.Image,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        on_entry: Callable[[Entry], None] | None = None,
        keyframes: Sequence[Image.Image] = (),
        continues: Parent | None = None,
    ) -> GenerationResult:
        """Make and archive one video. The request is seeded and completed by its model's spec here
        (the server's default model when it names none), and both are recorded. On any failure
        nothing half-made is left in the archive. Raises `RequestError` for a request the model's
        family refuses, `ModelNotAvailable` when its weights are missing.

        `on_entry` is told the archive entry as soon as it is reserved, before anything but its
        placeholder recipe is written (the job worker records it, so a restart after a crash knows
        whose files they are).

        `keyframes` are the pictures at `request.keyframes` (the end picture last); each is stored
        beside the input picture and recorded in the recipe with its position.

        `continues` makes this an extension of a finished video (`i2v.continuation`): `image` is its
        last frame, the new frames are colour-matched to it and the archived video is the parent
        followed by them, one MP4; the recipe names the parent."""
        request = complete_request(request, self.host.default_model).with_seed()
        if continues is None and request.extends:
            try:
                continues = load_parent(self.archive.resolve(request.extends))
            except ArchivePathError:
                raise ExtendError(f"The video this job continues ({request.extends[:80]}) is no longer in the archive.") from None
        engine = self.host.get(request.model)
        switch = self.host.last_switch if self.host.last_switch and self.host.last_switch.model == request.model else None
        entry = self.archive.allocate(request.prompt)
        try:
            if on_entry is not None:
                on_entry(entry)
            image.save(entry.input_image, format="PNG")
            keyframe_files = []
            for number, picture in enumerate(keyframes, start=1):
                picture.save(entry.keyframe_image(number), format="PNG")
                keyframe_files.append(entry.keyframe_image(number))
            started = time.perf_counter()
            output = engine.generate(request, image, on_progress=on_progress, cancel=cancel, keyframes=keyframes)
            frames = label_test_output(output.frames) if engine.info.is_test_model else output.frames
            audio = clip_sound(output.audio, request.sound, engine.info.is_test_model)
            extension = None
            if continues is not None:
                frames, audio, extension = _extended(continues, frames, audio, engine.info.is_test_model)
            recipe = build_recipe(request=request, output=output, model=engine.info, input_image=entry.input_image,
                                  timings=output.timings, family_title=engine.spec.title,
                                  keyframe_images=keyframe_files,
                                  keyframe_frames=engine.spec.keyframe_frames(request.keyframes, request.frames))
            if switch is not None:
                recipe["model_switch"] = {"from": switch.previous, "to": switch.model, "load_s": switch.load_s}
                self.host.last_switch = None  # recorded once, with the job it was made for
            if extension is not None:
                recipe["extends"] = extension
                recipe["frames"] = len(frames)
            recipe.update(sound_recipe(audio, request.sound, engine.spec.makes_sound, engine.info.is_test_model))
            if engine.spec.ai_marking:
                recipe["ai_generated"] = engine.spec.ai_marking  # the marking the family's licence asks for
            recipe["video"] = entry.name + ".mp4"
            save_thumbnail(frames[len(frames) // 2], entry.thumbnail)
            encode_started = time.perf_counter()
            # The copy inside the MP4 is written before encoding, so it lacks the last two timings.
            metadata = {"title": request.prompt[:200], "comment": json.dumps(recipe, ensure_ascii=False)}
            if engine.spec.ai_marking:
                metadata["description"] = engine.spec.ai_marking
            encode_mp4(frames, request.fps, entry.video, metadata=metadata, audio=audio)
            recipe["timings"] = {
                **output.timings,
                "encode_s": round(time.perf_counter() - encode_started, 3),
                "total_s": round(time.perf_counter() - started, 3),
            }
            self.archive.write_recipe(entry, recipe)
        except BaseException:
            self.archive.release(entry)
            raise
        finally:
            free_accelerator_memory()
        log.info("video %s: %s frames %dx%d in %.1f s (plan %s)", entry.name, recipe["frames"], recipe["width"], recipe["height"], recipe["timings"]["total_s"], output.plan.offload)
        return GenerationResult(entry, recipe)


def _extended(parent: Parent, frames: np.ndarray, audio: Audio | None,
              is_test_model: bool) -> tuple[np.ndarray, Audio | None, dict[str, Any]]:
    """The parent joined with its colour-matched continuation, and what the recipe says about it."""
    before = colour_shift(parent.frames[-1], frames[0])
    if is_test_model:  # the banner rows are no picture: match the colours below them
        top = banner_rows(frames.shape[1])
        frames = frames.copy()
        frames[:, top:] = colour_matched(frames[:, top:], parent.frames[-1, top:])
    else:
        frames = colour_matched(frames, parent.frames[-1])
    video, sound = joined(parent, frames, audio)
    return video, sound, {"video": parent.name + ".mp4", "parent_frames": len(parent.frames), "new_frames": len(frames) - 1,
                          "colour_shift_before": round(before, 2), "colour_shift": round(colour_shift(parent.frames[-1], frames[0]), 2)}


def banner_rows(height: int) -> int:
    """How many rows at the top of a test model's frames the TEST MODEL banner covers."""
    return max(12, height // 14)


def label_test_output(frames: np.ndarray) -> np.ndarray:
    """Stamp a banner on every frame so noise from the test model is never mistaken for a result."""
    labelled = frames.copy()
    height, width = frames.shape[1:3]
    banner = Image.new("RGB", (width, banner_rows(height)), (255, 235, 0))
    ImageDraw.Draw(banner).text((4, 1), TEST_MODEL_BANNER, fill=(0, 0, 0))
    strip = np.asarray(banner)
    labelled[:, : strip.shape[0], :, :] = strip
    return labelled

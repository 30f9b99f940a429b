"""Which family a model id belongs to, which models this machine offers, and loading them.

A model id is what a teacher or operator names: a hub id ("Wan-AI/Wan2.2-TI2V-5B-Diffusers"), a local
diffusers folder, or a test model's id ("tiny", "tiny-wan", "tiny-ltx"). The family comes from the
id when it is known, else from the folder's `model_index.json` (`_class_name`). Everything else —
the request's rules, the sliders, the prompt check, the memory plan — then asks that family's spec.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any

from i2v.engine.checkpoints import cached_snapshot, denoiser_class, has_component, local_folder, pipeline_class
from i2v.engine.i2vgenxl.spec import SPEC as I2VGENXL
from i2v.engine.imports import IMPORT_LOCK
from i2v.engine.ltx.spec import SPEC as LTX
from i2v.engine.ltx2.spec import SPEC as LTX2
from i2v.engine.spec import ModelSpec
from i2v.engine.wan.spec import SPEC as WAN
from i2v.engine.wan_a14b.spec import SPEC as WAN_A14B
from i2v.request import GenerationRequest, RequestError

log = logging.getLogger(__name__)

SPECS: tuple[ModelSpec, ...] = (I2VGENXL, WAN, LTX, WAN_A14B, LTX2)
DEFAULT_SPEC = I2VGENXL


class UnknownModel(RequestError):
    """A model id that names no family i2v knows, or one this server does not offer."""


def family_spec(family: str) -> ModelSpec:
    for spec in SPECS:
        if spec.family == family:
            return spec
    raise KeyError(f"unknown model family {family!r}; known: {', '.join(s.family for s in SPECS)}")


def is_test_model(model: str) -> bool:
    return any(model == spec.test_model for spec in SPECS)


def spec_for(model: str, revision: str | None = None) -> ModelSpec:
    """The family of `model`. Raises `UnknownModel` when neither its id nor its folder tells."""
    for spec in SPECS:
        if model == spec.test_model or model in spec.known_hub_ids:
            return spec
    folder = local_folder(model) or (cached_snapshot(model, revision) if "/" in model and not model.startswith((".", "/", "~")) else None)
    if folder is not None:
        name = pipeline_class(folder)
        if name == "WanImageToVideoPipeline" and has_component(folder, "transformer_2"):
            return WAN_A14B  # two experts: the A14B layout (TI2V-5B names the same pipeline class)
        for spec in SPECS:
            if name in spec.pipeline_classes:
                return spec
        if name is None:  # no model_index.json: the denoiser's own config says which family it is
            denoiser = denoiser_class(folder)
            for spec in SPECS:
                if denoiser in spec.denoiser_classes:
                    return spec
        raise UnknownModel(
            f"{model} holds a {name or 'non-diffusers'} checkpoint; i2v runs "
            + ", ".join(f"{s.title} ({'/'.join(s.pipeline_classes)})" for s in SPECS) + "."
        )
    if model.startswith(("/", ".", "~")) or "\\" in model:
        from i2v.engine.checkpoints import download_command

        raise UnknownModel(
            f"There is no model folder at {model[:200]}. Point I2V_MODEL at the folder that holds model_index.json, "
            f"or download the weights with: {download_command(DEFAULT_SPEC.hub_id)}"
        )
    raise UnknownModel(
        f"i2v does not know the model {model!r}. Use one of {', '.join(s.hub_id for s in SPECS)}, a local "
        "diffusers folder of one of them, or a test model (" + ", ".join(s.test_model for s in SPECS) + ")."
    )


def spec_or_default(model: str | None) -> ModelSpec:
    """The family of `model`, or the default family when `model` is None or names nothing i2v knows
    (screens still draw their controls while the model setting is wrong; the status says why)."""
    if not model:
        return DEFAULT_SPEC
    try:
        return spec_for(model)
    except UnknownModel:
        return DEFAULT_SPEC


def load_engine(model: str, plan: Any, *, revision: str | None = None):
    """Load `model` with memory plan `plan` through its family's package (`<family>.load_engine`).

    Raises `ModelNotAvailable` (weights not here: the message holds the download command) or
    `UnknownModel`.
    """
    spec = spec_for(model, revision)
    with IMPORT_LOCK:  # the family's modules import diffusers and transformers: see engine.imports
        package = importlib.import_module(f"i2v.engine.{spec.family}")
        for module in ("engine", "test_model"):
            importlib.import_module(f"i2v.engine.{spec.family}.{module}")
    return package.load_engine(model, plan, revision=revision)


def complete_request(request: GenerationRequest, default_model: str) -> GenerationRequest:
    """`request` with its model set (the default when it names none) and completed by that
    family's spec. Raises `RequestError` (including `UnknownModel`); a request with pictures its
    family cannot take names the families that can."""
    model = request.model or default_model
    spec = spec_for(model)
    check_keyframes(spec, request.keyframes)
    return spec.complete(request.model_copy(update={"model": model}))


def keyframe_families(positions: tuple[float, ...]) -> list[ModelSpec]:
    """The families that can take pictures at `positions` (besides the first)."""
    return [spec for spec in SPECS if spec.takes_keyframes(positions)]


def check_keyframes(spec: ModelSpec, positions: tuple[float, ...]) -> None:
    """`RequestError` when `spec` cannot take pictures at `positions`, naming the families that can
    (with the test model of each, so a teacher trying it out knows what to pick)."""
    problem = spec.keyframe_problem(positions)
    if problem is None:
        return
    able = keyframe_families(positions)
    names = ", ".join(f"{s.title}{f' ({s.keyframe_note})' if s.keyframe_note else ''} [test model {s.test_model}]"
                      for s in able)
    raise RequestError(f"{problem}. Families that can: {names}." if able else f"{problem}.")


def parse_request(fields: dict[str, Any], default_model: str, offered: list[ModelChoice] | None = None) -> GenerationRequest:
    """Untrusted fields → a completed request: the model (one of `offered` when given; the default
    when none is named), then every field checked, with the family's own rules in the messages.
    Raises `RequestError` (including `UnknownModel`)."""
    named = fields.get("model")
    model = named if isinstance(named, str) and named else default_model
    if offered is not None and named:
        check_offered(model, offered)
    request = GenerationRequest.parse(fields, rule=spec_for(model).rule)
    return complete_request(request, default_model)


@dataclass(frozen=True)
class ModelChoice:
    """One model this server offers: its id, family spec, and whether its weights are here."""

    id: str
    spec: ModelSpec
    installed: bool
    is_test: bool
    detail: str = ""


def offered_models(default_model: str, extra: tuple[str, ...] = ()) -> list[ModelChoice]:
    """The models a job may name on this server: the default, the operator's extra ids
    (I2V_MODELS), every known hub id already downloaded, and — when the default is a test model —
    all test models. Anything else is refused, so a request can never make the server load an
    arbitrary folder."""
    choices: dict[str, ModelChoice] = {}

    def add(model: str) -> None:
        if model in choices:
            return
        try:
            spec = spec_for(model)
        except UnknownModel as exc:
            log.warning("model %s is not offered: %s", model, exc)
            return
        test = is_test_model(model)
        installed = test or local_folder(model) is not None or cached_snapshot(model) is not None
        choices[model] = ModelChoice(model, spec, installed, test)

    add(default_model)
    for model in extra:
        add(model)
    if is_test_model(default_model):
        for spec in SPECS:
            add(spec.test_model)
    for spec in SPECS:
        for hub_id in spec.known_hub_ids:
            if cached_snapshot(hub_id) is not None:
                add(hub_id)
    return list(choices.values())


def check_offered(model: str, offered: list[ModelChoice]) -> ModelChoice:
    """The offered choice for `model`, or `UnknownModel` listing what may be asked for."""
    for choice in offered:
        if choice.id == model:
            return choice
    names = ", ".join(c.id for c in offered)
    raise UnknownModel(f"model: this server does not offer {model[:80]!r}; choose one of {names} (GET /api/v1/models)")


"""HTTP API for the teaching aids under /api/v1: presets and their templates, the prompt checker,
the symptom guide and the input-picture check. Handlers parse, call one `i2v.teaching` function and
return; bad input gets a 422 whose `detail` is one plain sentence, as job submission does.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import ValidationError

from i2v.engine.registry import check_offered, spec_or_default
from i2v.engine.spec import ModelSpec
from i2v.image_input import load_image
from i2v.i18n import Lang, normalize_lang
from i2v.teaching.input_check import check_image
from i2v.teaching.presets import Preset, get_preset, load_presets, template_path
from i2v.teaching.prompt_check import check_prompt
from i2v.teaching.search import search_presets
from i2v.teaching.symptoms import apply_symptom, list_symptoms
from i2v.web import strict_json
from i2v.web.bodies import plain_errors, read_capped
from i2v.web.deps import PoolsDep, ServicesDep
from i2v.web.schemas import ImageCheckView, ImageIssueView, PresetView, PromptCheckBody, PromptCheckView, PromptWarningView

router = APIRouter()
API_PREFIX = "/api/v1"
QUERY_MAX = 200  # characters of a preset search
BODY_MAX = 64_000  # bytes of a JSON request body

LangQuery = Annotated[str, Query(description="Language of messages and titles: en (default) or zh")]


def _unprocessable(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


async def _json_object(request: Request, example: str) -> dict[str, Any]:
    """The request body as a JSON object; a JsonBodyError (422, answered by the app) shows `example`."""
    body = await read_capped(request, BODY_MAX)
    return strict_json.json_object(body, example=example)


# ---------------------------------------------------------------- presets


def _preset_view(preset: Preset, lang: Lang, score: float | None = None) -> dict[str, Any]:
    localised = ("title", "knowledge_point", "params_reason", "can_show", "cannot_show", "misconception")
    return {
        **preset.model_dump(mode="json"),
        "template_url": f"{API_PREFIX}/presets/{preset.id}/template",
        "request": preset.request_fields(),
        "text": {name: getattr(preset, name).get(lang) for name in localised},
        "score": score,
    }


@router.get("/presets", response_model=list[PresetView], summary="Science presets, best matches first when q is given")
def list_presets(
    q: Annotated[str, Query(description="Search words in English or Chinese (e.g. 'why do we have seasons')")] = "",
    lang: LangQuery = "en",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    if len(q) > QUERY_MAX:
        raise _unprocessable(f"The search is {len(q)} characters long; keep it under {QUERY_MAX}.")
    language = normalize_lang(lang)
    if not q.strip():
        return [_preset_view(p, language) for p in load_presets()]
    return [_preset_view(p, language, round(score, 4)) for p, score in search_presets(q, limit=limit)]


@router.get("/presets/{preset_id}/template", summary="The preset's template picture (PNG)", response_class=FileResponse)
def preset_template(preset_id: str) -> FileResponse:
    try:
        preset = get_preset(preset_id)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No preset with id {preset_id!r}.") from None
    path = template_path(preset)  # from the packaged preset file, never from the request
    return FileResponse(path, media_type="image/png", filename=path.name, content_disposition_type="inline")


# ---------------------------------------------------------------- prompt check


def _spec(request: Request, model: str | None) -> ModelSpec:
    """The family spec of `model` (one GET /models offers; the server's default when None)."""
    services = request.app.state.services
    if model is None:
        return spec_or_default(services.settings.model)
    return check_offered(model, services.jobs.models()).spec


@router.post("/prompt/check", response_model=PromptCheckView, summary="What the text encoder makes of a prompt")
async def prompt_check(request: Request, lang: LangQuery = "en") -> PromptCheckView:
    """JSON body `{"prompt": "...", "lang": "en"|"zh", "model": "<id from GET /models>"}`. Messages come
    in `lang`: the body's when it has one, else the `?lang=` query parameter's (as every other teaching
    route takes it); tokens are counted with that model family's tokenizer (the default model's when
    omitted)."""
    data = await _json_object(request, '{"prompt": "chromosomes separating", "lang": "en"}')
    try:
        body = PromptCheckBody.model_validate(data)
    except ValidationError as exc:
        raise _unprocessable(plain_errors(exc)) from None
    spec = _spec(request, body.model)
    language = normalize_lang(body.lang if "lang" in data else lang)
    result = await asyncio.to_thread(check_prompt, body.prompt, language, spec)
    return PromptCheckView(
        tokens=result.tokens, limit=result.limit, truncated_text=result.truncated_text,
        warnings=[PromptWarningView(code=w.code, message=w.message) for w in result.warnings],
    )


# ---------------------------------------------------------------- symptoms


@router.get("/symptoms", summary="The 'what went wrong?' guide")
def symptoms(request: Request, lang: LangQuery = "en", model: Annotated[str | None, Query(max_length=500)] = None) -> list[dict[str, Any]]:
    """Targets are the family's own (`model`: an id from GET /models; the default model's when omitted)."""
    return list_symptoms(normalize_lang(lang), _spec(request, model))


@router.post("/symptoms/{symptom_id}/apply", summary="New parameters that address a symptom")
async def symptom_apply(symptom_id: str, request: Request) -> dict[str, Any]:
    """JSON body: the current parameters, e.g. `{"steps": 20, "guidance": 9, "resolution": "768p"}`, and
    optionally `model` (an id from GET /models). Returns them with the symptom's changes made for that
    model's family and every known number kept in its range."""
    params = await _json_object(request, '{"steps": 20, "guidance": 9}')
    model = params.get("model")
    spec = _spec(request, model if isinstance(model, str) else None)
    try:
        return apply_symptom(params, symptom_id, spec)
    except KeyError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No symptom with id {symptom_id!r}.") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _unprocessable(f"A parameter is not a number where one is needed, or is far out of range: {exc}") from None


# ---------------------------------------------------------------- input picture check


@router.post("/image/check", response_model=ImageCheckView, summary="Risks in a picture before generating")
async def image_check(
    services: ServicesDep,
    pools: PoolsDep,
    image: Annotated[UploadFile, File(description="The picture (PNG, JPEG, WebP, GIF, BMP, TIFF)")],
    lang: LangQuery = "en",
) -> ImageCheckView:
    settings = services.settings
    limit = settings.max_upload_mb * 2**20
    data = await image.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"The picture is larger than {settings.max_upload_mb} MB.")

    def check() -> list[Any]:
        return check_image(load_image(data, max_pixels=settings.max_image_pixels, max_bytes=limit))

    issues = await pools.run(pools.pictures, check)
    language = normalize_lang(lang)
    return ImageCheckView(issues=[
        ImageIssueView(code=i.code, message=i.message_zh if language == "zh" else i.message_en, fix=i.fix)
        for i in issues
    ])


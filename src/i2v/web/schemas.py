"""The HTTP API's request and response shapes, in one place: what every route under /api/v1 reads
and answers (jobs, models and health; teaching aids; lessons; the GPU workers' protocol).

Routes import their models from here; nothing here reads a store or calls a service.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from i2v.jobs.status import JobStatus
from i2v.lessons.service import LessonStatus

PROMPT_MAX = 2000  # characters: far beyond the 77-token encoder window, small enough to check fast


# ---------------------------------------------------------------- jobs and workers as every client sees them

class JobProgress(BaseModel):
    step: int
    total: int


class JobView(BaseModel):
    """A job as every client sees it (the HTTP API's JSON)."""

    id: str
    status: JobStatus
    position: int | None
    progress: JobProgress
    eta_s: float | None
    error: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    request: dict[str, Any]
    recipe: dict[str, Any] | None
    video: str | None
    video_url: str | None
    thumbnail_url: str | None
    exports: dict[str, str] = {}  # export name ("gif", "sheet", …, "video") → download URL
    worker: str | None = None  # the GPU worker (another machine) that runs or ran the job; None on this server
    attempts: int = 0
    status_text: str | None = None  # why a queued job waits, e.g. "No worker for model tiny-wan is connected …"


class WorkerView(BaseModel):
    """One GPU worker process as `GET /api/v1/workers` shows it. `name` is unique among live workers
    (the server refuses a second live one), so it names one process; `id` is that process's own
    random id, never reused."""

    id: str
    name: str
    gpu: str | None
    family: str
    models: list[str]
    model_loaded: str | None
    current_job: str | None  # None once the worker is gone: its job is re-queued, not held by it
    last_heartbeat: float  # unix time
    alive: bool  # heard from within I2V_LEASE_S; False: gone
    started_at: float


# ---------------------------------------------------------------- jobs, models, health

class Created(BaseModel):
    id: str
    status: JobStatus
    position: int | None
    eta_s: float | None = None  # estimated seconds until the video is ready; None when unknown
    warnings: list[str] = []  # things to check before the video is made (e.g. pictures of very different shapes)


class JobPage(BaseModel):
    jobs: list[JobView]
    total: int
    limit: int
    offset: int


class ModelHealth(BaseModel):
    state: str
    model: str
    detail: str


class ModelView(BaseModel):
    """One model a job may choose: its family's spec, licence, whether its weights are here, and
    the memory plan it would get on this machine."""

    id: str
    family: str
    title: str
    default: bool
    installed: bool
    test_model: bool
    state: str
    licence: dict[str, str]
    spec: dict[str, Any]
    memory_plan: dict[str, Any]


class DiskHealth(BaseModel):
    state: str  # ok, low (new jobs refused) or full (nothing can be recorded)
    free_mb: float
    detail: str


class BrokerHealth(BaseModel):
    url: str  # without its password
    state: str  # ok or unreachable
    detail: str


class Health(BaseModel):
    status: str  # "ok", or what is wrong: "disk_full", "disk_low", "broker_unreachable"
    version: str
    model: ModelHealth
    disk: DiskHealth
    queued: int | None  # None when the job table cannot be read
    running: int | None
    broker: BrokerHealth | None = None  # None: this server runs jobs itself (I2V_BROKER unset)
    workers: int | None = None  # live GPU workers (heard from within I2V_LEASE_S); None without a broker


# ---------------------------------------------------------------- teaching aids

class PresetView(BaseModel):
    """A preset as stored (bilingual texts as {en, zh}, `clip` as {seconds, motion}) plus what a
    client needs to use it: `text` in the asked language (title, knowledge point, why these
    settings, can show, cannot show, common misconception), `request` (the fields to fill a job
    with), `template_url`, and `score` (0–1) when the list answers a search."""

    model_config = ConfigDict(extra="allow")

    id: str
    template_url: str
    request: dict[str, Any]
    text: dict[str, str]
    score: float | None = None


class PromptCheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    prompt: str = Field(max_length=PROMPT_MAX)
    lang: str = "en"
    model: str | None = Field(None, max_length=500)


class PromptWarningView(BaseModel):
    code: str
    message: str


class PromptCheckView(BaseModel):
    tokens: int  # tokens of the prompt by the family's tokenizer, start/end markers excluded
    limit: int  # how many the family's text encoder reads
    truncated_text: str  # the part the text encoder never sees ("" when it all fits)
    warnings: list[PromptWarningView]


class ImageIssueView(BaseModel):
    code: str
    message: str
    fix: str | None  # the name of the one-click fix, when there is one


class ImageCheckView(BaseModel):
    issues: list[ImageIssueView]


# ---------------------------------------------------------------- lessons

class LessonView(LessonStatus):
    """A lesson's storyboard, state and per-scene progress, with download URLs of what is made."""

    downloads: dict[str, str]
    scene_videos: dict[str, str]  # scene id → its job's video while the job is in the history


class LessonListItem(BaseModel):
    id: str
    title: str
    state: str
    scenes: int
    created_at: float
    url: str


class PictureAdded(BaseModel):
    picture: str


# ---------------------------------------------------------------- the GPU workers' protocol (/api/v1/worker)

class Heartbeat(BaseModel):
    worker_id: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-zA-Z_-]+$")
    name: str = Field(min_length=1, max_length=120)
    gpu: str | None = Field(None, max_length=200)
    family: str = Field(min_length=1, max_length=40)
    models: list[str] = Field(max_length=20)
    loaded_model: str | None = Field(None, max_length=500)
    job_id: str | None = Field(None, max_length=64)
    lease: str | None = Field(None, max_length=64)


class HeartbeatReply(BaseModel):
    lease_s: float
    heartbeat_s: float
    broker_heartbeat_timeout_s: float
    cancel: bool  # the job named in the heartbeat was cancelled: stop it
    lost: bool  # the job named is no longer this worker's: drop it


class ClaimBody(BaseModel):
    worker_id: str = Field(min_length=8, max_length=64, pattern=r"^[0-9a-zA-Z_-]+$")


class Claimed(BaseModel):
    id: str
    request: dict
    attempts: int
    lease: str
    lease_s: float


class ProgressBody(BaseModel):
    step: int = Field(ge=0)
    total: int = Field(ge=0)
    eta_s: float | None = Field(None, ge=0, allow_inf_nan=False)
    preview: str | None = Field(None, max_length=800_000, description="base64 of a small PNG")


class ProgressReply(BaseModel):
    cancel: bool


class OutcomeBody(BaseModel):
    status: JobStatus
    error: str | None = Field(None, max_length=4000)


class Ended(BaseModel):
    id: str
    status: JobStatus
    video: str | None = None


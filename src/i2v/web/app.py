"""One ASGI app, one port: the HTTP API under /api/v1 and the Gradio studio at /."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import gradio as gr
from fastapi import FastAPI

from i2v import __version__
from i2v.settings import Settings
from i2v.web import api, api_lesson_packages, api_lessons, api_teaching, api_worker, conditional, errors
from i2v.web.forms import Latin1FormParsing
from i2v.web.pools import Pools
from i2v.web.security import (
    OPEN_PATHS,
    WORKER_PREFIX,
    ForwardedClient,
    InsecureBindError,
    SameOriginGuard,
    TokenAuth,
    WorkerAuth,
    check_bind,
    is_loopback,
)
from i2v.web.serving import StopStreams
from i2v.web.services import Services
from i2v.web.ui import CSS, build_ui

log = logging.getLogger(__name__)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the app. Services start with the app (lifespan) and stop with it."""
    check_bind(settings)
    if settings.broker and settings.worker_token is None:
        raise InsecureBindError("I2V_BROKER is set but I2V_WORKER_TOKEN is not: GPU workers need their own token "
                                "(a long random secret, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`).")
    services = services or Services.build(settings)
    pools = Pools()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        services.start()
        try:
            yield
        finally:
            services.stop()
            pools.shutdown()

    app = errors.JsonErrorsApp(
        title="i2v", version=__version__, lifespan=lifespan,
        description="Local image-to-video studio for teachers. Queue a picture + English prompt, get an H.264 MP4.",
        docs_url="/api/v1/docs", openapi_url="/api/v1/openapi.json", redoc_url=None,
        # Refuse absurd bodies while they stream in, before anything is spooled to disk; uploads
        # between the picture limit and this get the friendlier 413 from the route itself.
        max_body_size=(2 * max(settings.max_upload_mb, settings.lesson_max_upload_mb) + 1) * 2**20,
        error_details={413: f"The request is too large: pictures may be at most {settings.max_upload_mb} MB, "
                            f"lesson uploads {settings.lesson_max_upload_mb} MB."},
    )
    app.state.services = services
    app.state.pools = pools
    errors.install(app)
    app.include_router(api.router, prefix="/api/v1", tags=["i2v"])
    app.include_router(api_teaching.router, prefix="/api/v1", tags=["teaching"])
    app.include_router(api_lesson_packages.router, prefix="/api/v1", tags=["lessons"])  # before /lessons/{id}/{kind}
    app.include_router(api_lessons.router, prefix="/api/v1", tags=["lessons"])
    if settings.broker:
        app.include_router(api_worker.router, prefix="/api/v1/worker", tags=["workers"])
    conditional.refuse_other_methods(app)  # before the studio is mounted at "/"
    # The last added runs first: the client's real address is settled before anything uses it.
    app.add_middleware(Latin1FormParsing)
    app.add_middleware(conditional.NotModified)
    app.add_middleware(conditional.HeadAsGet)  # outside NotModified: a HEAD is a GET to everything inside
    app.add_middleware(SameOriginGuard, loopback_only=is_loopback(settings.host), extra_hosts=settings.allowed_hosts)
    if settings.auth is not None:
        # With GPU workers, their API is guarded by their own token (WorkerAuth), not the teachers'.
        teacher_paths = (lambda path: path not in OPEN_PATHS and not path.startswith(WORKER_PREFIX)) if settings.broker else None
        app.add_middleware(TokenAuth, token=settings.auth.get_secret_value(), guards=teacher_paths)
    if settings.broker and settings.worker_token is not None:  # before TokenAuth: the workers' API is its own
        app.add_middleware(WorkerAuth, token=settings.worker_token.get_secret_value())
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    app.add_middleware(StopStreams, stopping=services.stopping)  # outermost: Ctrl-C ends every stream
    home = settings.home.resolve()
    # Gradio may serve the archive's videos and pictures, never the job database or the raw uploads.
    blocked = [str(home / name) for name in ("uploads", "jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm")]
    return gr.mount_gradio_app(
        app, build_ui(services), path="/", allowed_paths=[str(home)], blocked_paths=blocked, css=CSS,
        max_file_size=f"{settings.max_upload_mb}mb",
        footer_links=["api"],
    )

"""Every error answer is JSON with a `detail`, whoever produces it.

Routes raise `HTTPException` and FastAPI answers JSON. But some answers are made before a route
runs or outside the API: the 413 of the body-size limit (Starlette, plain text), the 500 of
Starlette's last-resort error handler (plain text), Gradio's own refusals, CORS preflight refusals.
`JsonErrors` wraps the whole application, outside all of that, and rewrites any error answer that
is not JSON into `{"detail": …}`, keeping its status and headers (Retry-After, Content-Range, …).
`install` adds the one handler for every error i2v raises on purpose (`i2v.errors.I2VError`):
`{"detail": message, "kind": kind}` with the kind's status, so routes do not catch them one by one;
and the handlers that give the few server-side failures a status of their own: a job table that
cannot be written (full disk) is 507, not 500.
"""

from __future__ import annotations

import errno
import http
import json
import logging
import math
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from i2v.errors import HTTP_STATUS, RETRY_AFTER_S, ErrorKind, I2VError
from i2v.db import is_storage_failure

log = logging.getLogger(__name__)
DETAIL_MAX = 500  # characters of a plain-text error kept as the detail


STORAGE_DETAIL = ("The server's disk is full (or failing), so this change could not be saved. Videos and jobs "
                  "can still be viewed. Ask the operator to free disk space, then try again.")
BUSY_DETAIL = "The job table is busy; try again in a moment."
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


def is_full_disk(exc: BaseException) -> bool:
    """Whether a file write failed because the disk is full, over quota, read-only or failing."""
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def _json_headers(headers: list[tuple[bytes, bytes]], body: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length", b"x-content-type-options")]
    return [*kept, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"x-content-type-options", b"nosniff")]


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for key, value in headers:
        if key.lower() == b"content-type":
            kind = value.split(b";")[0].strip().lower()
            return kind == b"application/json" or kind.endswith(b"+json")
    return False


def _detail(status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> str:
    plain = any(k.lower() == b"content-type" and v.lower().startswith(b"text/plain") for k, v in headers)
    text = body.decode("utf-8", "replace").strip() if plain else ""
    if not text:
        try:
            text = http.HTTPStatus(status).phrase
        except ValueError:
            text = "Error"
    return text[:DETAIL_MAX]


class JsonErrors:
    """ASGI wrapper: error answers (status ≥ 400) that are not JSON become `{"detail": …}`; an
    exception that escapes everything before an answer started becomes a JSON 500. `details` gives
    a better sentence for a status than the plain text it replaces (e.g. 413 naming the limit)."""

    def __init__(self, app: ASGIApp, details: dict[int, str] | None = None) -> None:
        self.app = app
        self.details = dict(details or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        held: Message | None = None  # the start of an error answer being rewritten
        body = bytearray()

        async def rewriting_send(message: Message) -> None:
            nonlocal started, held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if message["status"] >= 400 and not _is_json(headers):
                    held = message
                    return
                started = True
                await send(message)
                return
            if message["type"] == "http.response.body" and held is not None:
                if len(body) <= DETAIL_MAX * 4:
                    body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    status, headers = held["status"], list(held.get("headers") or [])
                    detail = self.details.get(status) or _detail(status, bytes(body), headers)
                    payload = json.dumps({"detail": detail}).encode()
                    started = True
                    await send({"type": "http.response.start", "status": status,
                                "headers": _json_headers(headers, payload)})
                    await send({"type": "http.response.body",
                                "body": b"" if scope.get("method") == "HEAD" else payload})
                return
            await send(message)

        try:
            await self.app(scope, receive, rewriting_send)
        except Exception:
            if started:
                raise  # the answer is on its way; the server logs the exception
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            payload = json.dumps({"detail": "Unexpected server error; the server log has details."}).encode()
            await send({"type": "http.response.start", "status": 500, "headers": _json_headers([], payload)})
            await send({"type": "http.response.body", "body": payload})


class JsonErrorsApp(FastAPI):
    """FastAPI with `JsonErrors` outside its whole middleware stack (error handler and body limit
    included), so nothing it answers is an error in plain text. `error_details` as in JsonErrors."""

    def __init__(self, *args, error_details: dict[int, str] | None = None, **kwargs) -> None:
        self.error_details = dict(error_details or {})
        super().__init__(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        return JsonErrors(super().build_middleware_stack(), self.error_details)


async def _storage_failure(_request: Request, exc: Exception) -> JSONResponse:
    if is_storage_failure(exc):
        log.error("job table not writable: %s", exc)
        return JSONResponse({"detail": STORAGE_DETAIL}, status_code=507)
    log.warning("job table busy: %s", exc)
    return JSONResponse({"detail": BUSY_DETAIL}, status_code=503, headers={"Retry-After": "5"})


def error_answer(exc: I2VError) -> JSONResponse:
    """The API's answer for an error i2v raised on purpose: its message as `detail`, its kind as
    `kind`, the kind's status; a BUSY answer says when to try again (Retry-After)."""
    headers = {"Retry-After": str(RETRY_AFTER_S)} if exc.kind == ErrorKind.BUSY else None
    return JSONResponse({"detail": str(exc), "kind": exc.kind.value}, status_code=HTTP_STATUS[exc.kind], headers=headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, I2VError)
    return error_answer(exc)


async def _client_gone(_request: Request, _exc: Exception) -> JSONResponse:
    # The client stopped sending (or was timed out) before its request was complete: nobody will
    # read this answer; it only keeps the log free of a traceback for an ordinary event.
    return JSONResponse({"detail": "The request was not received completely."}, status_code=400)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"Unexpected server error ({type(exc).__name__}); the server log has details."},
                        status_code=500)


def _json_safe(value: Any) -> Any:
    """`value` with every number JSON cannot hold (NaN, ±Infinity) written as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # FastAPI's own handler echoes the input, and a NaN in it made the 422 itself fail as a 500.
    return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)


def install(app: FastAPI) -> None:
    """Answer every `I2VError` by its kind; give the job table's failures their own status (507 full disk, 503 busy), a vanished client a
    quiet 400, invalid requests a 422 that can always be written as JSON, and every other exception
    a JSON 500."""
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(I2VError, _domain_error)
    app.add_exception_handler(sqlite3.OperationalError, _storage_failure)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)

"""Running the app under uvicorn, with the connection-level rules the app itself cannot set.

* Slow clients. uvicorn never times out a connection that is still sending its request: half-sent
  headers, or a body shorter than its Content-Length, hold a connection (and its memory) for as
  long as the client likes, so a handful of them can tie the server up. `SlowClientTimeouts` closes
  a connection whose request headers are not complete within `client_timeout_s` of its first byte
  (or of connecting), or whose body stalls for that long, answering 408 when it still can.
* Forwarded addresses. uvicorn believes `X-Forwarded-For` from 127.0.0.1 by default; i2v turns that
  off and decides itself, from I2V_TRUSTED_PROXIES (`security.ForwardedClient`).
* Every answer uvicorn makes itself (400 for a malformed request) is JSON with a `detail`, like the app's.
* One Ctrl-C stops the server. uvicorn's graceful shutdown waits for every open connection to close,
  and a studio tab keeps some open forever (progress events, Gradio's queue stream), so by itself it
  hangs until a second Ctrl-C. `PromptStop` tells the app at the first signal (`on_stop` sets the
  services' `stopping` event), `StopStreams` then tells every open stream its client has gone (so
  Gradio's and i2v's streams end cleanly), whatever is left gets `shutdown_grace_s` before uvicorn
  cancels it, and the process ends as a Ctrl-C does (exit code 130, from the CLI).
* How it stopped is returned, not raised. uvicorn raises the stopping signal again once it has shut
  down, and asyncio's own SIGINT handler turns that into a KeyboardInterrupt only if the timing is
  right; under load a Ctrl-C once ended `i2v serve` with exit code 0 (issue 26). `serve` returns
  the signal and the CLI chooses the exit code, so it does not depend on that hand-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import HANDLED_SIGNALS

from i2v.settings import Settings

log = logging.getLogger(__name__)


def _raw_json_response(status: int, reason: str, detail: str) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode()
    return head + body


class SlowClientTimeouts(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each request (see the module doc).

    The timer runs only while the server waits for the client's request: from the first byte of a
    request (or from connecting) until its headers are complete, and while a body is arriving,
    restarted by every chunk. It never runs while the app works or the response streams (progress
    events can last minutes), nor while reading is paused because the app is not consuming yet."""

    timeout_s: float = 15.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        waiting_headers = self.conn.their_state is h11.IDLE and self._deadline is not None
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is h11.SEND_BODY:
            self._arm()  # restarted by every chunk: only a stalled body times out
        elif self.conn.their_state is h11.IDLE:
            if not waiting_headers:
                self._arm()  # first bytes of a (next) request: its headers have timeout_s from now
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # the keep-alive timeout covers an idle connection from here

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a malformed request, as JSON like every other error."""
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(_raw_json_response(400, "Bad Request", msg))
            self.transport.close()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.timeout_s, self._expired)

    def _disarm(self) -> None:
        deadline, self._deadline = getattr(self, "_deadline", None), None
        if deadline is not None:
            deadline.cancel()

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the app has not read what arrived yet: not the client's fault
            self._arm()
            return
        started = self.cycle is not None and self.cycle.response_started
        log.info("closing a connection from %s: request not received within %.0f s", self.client, self.timeout_s)
        if not started:
            self.transport.write(_raw_json_response(
                408, "Request Timeout", f"The request did not arrive within {self.timeout_s:g} s; send it again."))
        if self.cycle is not None:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.close()


def timed_protocol(timeout_s: float) -> type[SlowClientTimeouts]:
    """`SlowClientTimeouts` with the given deadline (uvicorn instantiates the class itself)."""
    return type("SlowClientTimeouts", (SlowClientTimeouts,), {"timeout_s": float(timeout_s)})


def uvicorn_options(settings: Settings, *, verbose: bool = False) -> dict[str, Any]:
    """The uvicorn arguments `serve` runs the app with. The tests serve the app from a thread of their
    own process (`uvicorn.Config(app, **uvicorn_options(...))`) with exactly these connection rules."""
    return {
        "host": settings.host, "port": settings.port, "log_level": "info" if verbose else "warning",
        "access_log": settings.access_log,
        "http": timed_protocol(settings.client_timeout_s),
        "proxy_headers": False,  # security.ForwardedClient decides, from I2V_TRUSTED_PROXIES
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
    }


class StopStreams:
    """ASGI middleware: once `stopping` is set, an event stream (`text/event-stream`: progress
    events, Gradio's queue and heartbeat) that waits to hear whether its client left hears
    "disconnected" within `poll_s`; its stream ends as if the tab had closed, and the chunked
    response is closed properly. Other responses (a file with a Content-Length) run to their end."""

    poll_s = 0.2

    def __init__(self, app: ASGIApp, stopping: threading.Event) -> None:
        self.app, self.stopping = app, stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body_done = streaming = complete = False

        async def receive_or_stop() -> Message:
            nonlocal body_done
            if not body_done:  # the request body passes untouched
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            waiting = asyncio.ensure_future(receive())
            while not waiting.done():
                if self.stopping.is_set() and streaming and not complete:
                    waiting.cancel()
                    return {"type": "http.disconnect"}
                await asyncio.wait({waiting}, timeout=self.poll_s)
            return waiting.result()

        async def watched_send(message: Message) -> None:
            nonlocal streaming, complete
            if message["type"] == "http.response.start":
                streaming = any(name.lower() == b"content-type" and value.startswith(b"text/event-stream")
                                for name, value in message.get("headers", ()))
            complete = complete or (message["type"] == "http.response.body" and not message.get("more_body", False))
            await send(message)

        await self.app(scope, receive_or_stop, watched_send)
        if streaming and not complete and self.stopping.is_set():  # the stream stopped for us: end it properly
            await send({"type": "http.response.body", "body": b"", "more_body": False})


class PromptStop(uvicorn.Server):
    """uvicorn's server that calls `on_stop` at the first SIGINT/SIGTERM (see the module doc) and
    remembers that signal in `stopped_by` instead of raising it again after the shutdown.

    `on_stop` runs inside the signal handler, so it must only flip a flag (a `threading.Event`)."""

    def __init__(self, config: uvicorn.Config, on_stop: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_stop = on_stop
        self.stopped_by: int | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self.stopped_by is None:
            self.stopped_by = sig
        self._on_stop()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """uvicorn's own, less the signal raised again at the end (`stopped_by` says it instead)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in HANDLED_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(app: FastAPI, settings: Settings, *, verbose: bool = False,
          on_stop: Callable[[], None] = lambda: None) -> int | None:
    """Run `app` on settings.host:port until stopped. Returns the signal that stopped it (SIGINT for
    Ctrl-C, SIGTERM), or None when it ended by itself; the caller turns that into its exit code.

    `verbose` turns on uvicorn's own INFO lines; its access log (one line per request, most of them
    the studio's polling) only with `settings.access_log`."""
    server = PromptStop(uvicorn.Config(app, **uvicorn_options(settings, verbose=verbose)), on_stop)
    server.run()
    return server.stopped_by

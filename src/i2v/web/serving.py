"""Running the app under uvicorn, with the connection-level rules the app itself cannot set.

* Slow clients. uvicorn never times out a connection that is still sending its request: half-sent
  headers, or a body shorter than its Content-Length, hold a connection (and its memory) for as
  long as the client likes, so a handful of them can tie the server up. `SlowClientTimeouts` closes
  a connection whose request headers are not complete within `client_timeout_s` of its first byte
  (or of connecting), or whose body stalls for that long, answering 408 when it still can.
* Forwarded addresses. uvicorn believes `X-Forwarded-For` from 127.0.0.1 by default; i2v turns that
  off and decides itself, from I2V_TRUSTED_PROXIES (`security.ForwardedClient`).
* Every answer uvicorn makes itself (400 for a malformed request) is JSON with a `detail`, like the app's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

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
        "http": timed_protocol(settings.client_timeout_s),
        "proxy_headers": False,  # security.ForwardedClient decides, from I2V_TRUSTED_PROXIES
        "timeout_keep_alive": 5,
    }


def serve(app: FastAPI, settings: Settings, *, verbose: bool = False) -> None:
    """Run `app` on settings.host:port until stopped."""
    uvicorn.run(app, **uvicorn_options(settings, verbose=verbose))

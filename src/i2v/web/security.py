"""Who may use the server. Loopback-only by default; anything wider needs a password/token.

One middleware guards the whole app (API and UI alike): `Authorization: Bearer <token>`, or
HTTP Basic with the token as password (any user name), which browsers prompt for natively.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets

from starlette.types import ASGIApp, Receive, Scope, Send

from i2v.settings import Settings

OPEN_PATHS = ("/api/v1/health",)


class InsecureBindError(RuntimeError):
    """Refusing to listen beyond this machine without a password."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings) -> None:
    """Refuse an open server on a network address unless the operator explicitly allows it."""
    if is_loopback(settings.host) or settings.auth is not None or settings.allow_open:
        return
    raise InsecureBindError(
        f"Refusing to listen on {settings.host} without a password: anyone on the network could use the GPU "
        "and see every video. Set I2V_AUTH=<a long secret> (recommended), or pass --allow-open if this "
        "network is trusted."
    )


class TokenAuth:
    """ASGI middleware: every request except health needs the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("path", "") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self._authorised(headers.get(b"authorization", b"")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        await send({
            "type": "http.response.start", "status": 401,
            "headers": [(b"www-authenticate", b'Basic realm="i2v", charset="UTF-8"'), (b"content-type", b"application/json")],
        })
        await send({"type": "http.response.body", "body": b'{"detail": "Password required (I2V_AUTH)."}'})

    def _authorised(self, header: bytes) -> bool:
        scheme, _, value = header.partition(b" ")
        if scheme.lower() == b"bearer":
            return secrets.compare_digest(value.strip(), self.token)
        if scheme.lower() == b"basic":
            try:
                _user, _, password = base64.b64decode(value.strip()).partition(b":")
            except ValueError:
                return False
            return secrets.compare_digest(password, self.token)
        return False

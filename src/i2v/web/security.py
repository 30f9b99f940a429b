"""Who may use the server. Loopback-only by default; anything wider needs a password/token.

One middleware guards the whole app (API and UI alike): `Authorization: Bearer <token>`, or
HTTP Basic with the token as password (any user name), which browsers prompt for natively.

Who the client is (for the lockout, the per-person queue limit and job ownership) is the connecting
address, unless it is a reverse proxy the operator named in I2V_TRUSTED_PROXIES: then it is the
address that proxy forwarded (`ForwardedClient`). Forwarding headers from anyone else are ignored.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import secrets
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from i2v.settings import Settings

OPEN_PATHS = ("/api/v1/health",)
WORKER_PREFIX = "/api/v1/worker/"  # the GPU workers' API: the worker token only (`WorkerAuth`)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FAILURE_DELAY_S = 1.0  # every wrong password costs the guesser a second
LOCKOUT_FAILURES = 10  # this many wrong passwords from one address within LOCKOUT_WINDOW_S ...
LOCKOUT_WINDOW_S = 60.0  # ... and that address is refused (429) until the window has passed
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
CORS_HEADERS = (b"access-control-allow-origin", b"access-control-allow-credentials", b"access-control-allow-methods",
                b"access-control-allow-headers", b"access-control-expose-headers", b"access-control-max-age")


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


async def _refuse(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


class SameOriginGuard:
    """ASGI middleware against other web pages driving the studio through a teacher's browser.

    * A state-changing request (POST, DELETE, …) or a websocket from another site is refused (403):
      `Sec-Fetch-Site` must be same-origin or none when sent, and `Origin`, when sent, must be this
      server. Scripts and gradio_client send neither and are unaffected.
    * When bound to loopback, the `Host` header must name loopback too, so a DNS-rebinding page
      (evil.example resolving to 127.0.0.1) cannot read the API.
    * Every response gets `X-Content-Type-Options: nosniff`, so JSON holding a prompt like
      `<script>` is never rendered as HTML.
    * CORS: no other origin may read anything. Gradio reflects any `http://localhost:*` Origin with
      credentials allowed (so another web app on the teacher's computer could read the studio);
      every `Access-Control-Allow-*` header is removed unless the Origin is this server's own.
    """

    def __init__(self, app: ASGIApp, loopback_only: bool, extra_hosts: str = "") -> None:
        self.app = app
        self.loopback_only = loopback_only
        self.hosts = LOOPBACK_HOSTS | {h.strip().lower() for h in extra_hosts.split(",") if h.strip()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        problem = self._problem(scope, headers, host)
        if problem is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4403})
            else:
                await _refuse(send, 403, problem)
            return

        own_origin = self._is_own_origin(scope, headers.get(b"origin"), host)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if own_origin or k.lower() not in CORS_HEADERS]
                message = {**message, "headers": [*kept, (b"x-content-type-options", b"nosniff")]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _problem(self, scope: Scope, headers: dict[bytes, bytes], host: str) -> str | None:
        if self.loopback_only and host:
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
            if name.lower() not in self.hosts:
                return f"This server only answers to localhost, not {name[:60]!r} (see I2V_ALLOWED_HOSTS)."
        if scope["type"] == "http" and scope.get("method", "GET") in SAFE_METHODS:
            return None
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
        if site and site not in ("same-origin", "none"):
            return "Cross-origin request refused: another web page tried to use this studio."
        origin = headers.get(b"origin")
        if origin is not None and not self._is_own_origin(scope, origin, host):
            return "Cross-origin request refused: the Origin does not match this server."
        return None

    @staticmethod
    def _is_own_origin(scope: Scope, origin: bytes | None, host: str) -> bool:
        """Whether `origin` is this server's (no Origin header: a same-origin or non-browser request)."""
        if origin is None:
            return True
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        return origin.decode("latin-1").lower() == f"{scheme}://{host}".lower()


def parse_networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses/networks (as I2V_TRUSTED_PROXIES) → networks; ValueError for a bad one."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from a forwarding header entry ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1"), or None."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


class ForwardedClient:
    """ASGI middleware: behind a trusted reverse proxy, the client is the address it forwarded.

    Only when the connecting address is in `trusted` (I2V_TRUSTED_PROXIES): `X-Forwarded-For` is
    read from the right (the hop the nearest proxy added) past every trusted proxy, and the first
    address that is not one becomes `scope["client"]`; `X-Forwarded-Proto` (http/https) becomes the
    scheme. From anyone else both headers are ignored, so a client cannot choose its own identity.
    Must run before everything that keys on the client (`TokenAuth`, queue limits, ownership).
    """

    def __init__(self, app: ASGIApp, trusted: str) -> None:
        self.app = app
        self.networks = parse_networks(trusted)

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            peer = _ip((scope.get("client") or ("", 0))[0] or "")
            if peer is not None and self._trusted(peer):
                scope = self._as_forwarded(scope)
        await self.app(scope, receive, send)

    def _as_forwarded(self, scope: Scope) -> Scope:
        hops: list[str] = []
        proto = None
        for key, value in scope.get("headers") or []:
            if key.lower() == b"x-forwarded-for":
                hops += [hop for hop in value.decode("latin-1").split(",") if hop.strip()]
            elif key.lower() == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        client = None
        for hop in reversed(hops):
            address = _ip(hop)
            if address is None:
                break  # garbage before the hops our proxies added: stop at the last good one
            client = address
            if not self._trusted(address):
                break
        changed = dict(scope)
        if client is not None:
            changed["client"] = (str(client), 0)
        if proto in ("http", "https"):
            changed["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        return changed


class TokenAuth:
    """ASGI middleware: every request except health needs the token.

    Brute force is slowed: each wrong password waits `FAILURE_DELAY_S`, and a client with
    `LOCKOUT_FAILURES` wrong ones within `LOCKOUT_WINDOW_S` is refused (429), even with the right
    password, until the window passes. The client is `scope["client"]`: the real client behind a
    trusted proxy (`ForwardedClient`), so one pupil guessing locks out that pupil, not the school.
    The comparison is constant-time (`secrets.compare_digest`).
    """

    def __init__(self, app: ASGIApp, token: str, *, guards: Callable[[str], bool] | None = None,
                 detail: str = "Password required (I2V_AUTH).") -> None:
        self.app = app
        self.token = token.encode()
        self._failures: dict[str, deque[float]] = {}
        # Which paths this token guards: by default every path but health.
        self.guards = guards or (lambda path: path not in OPEN_PATHS)
        self.detail = json.dumps({"detail": detail}).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.guards(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        address = (scope.get("client") or ("unknown", 0))[0]
        failures = self._failures.setdefault(address, deque())
        now = time.monotonic()
        while failures and now - failures[0] > LOCKOUT_WINDOW_S:
            failures.popleft()
        if len(failures) >= LOCKOUT_FAILURES:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4429})
            else:
                await _refuse(send, 429, "Too many wrong passwords from this computer; wait a minute and try again.",
                              [(b"retry-after", str(int(LOCKOUT_WINDOW_S)).encode())])
            return
        if self._authorised(headers.get(b"authorization", b"")):
            if not failures:
                self._failures.pop(address, None)  # keep the table to addresses that are guessing
            await self.app(scope, receive, send)
            return
        if headers.get(b"authorization"):
            failures.append(now)
            await asyncio.sleep(FAILURE_DELAY_S)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        await send({
            "type": "http.response.start", "status": 401,
            "headers": [(b"www-authenticate", b'Basic realm="i2v", charset="UTF-8"'), (b"content-type", b"application/json")],
        })
        await send({"type": "http.response.body", "body": self.detail})

    def _authorised(self, header: bytes) -> bool:
        """Whether the Authorization header carries the token (Bearer, or HTTP Basic with it as the password)."""
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


class WorkerAuth:
    """ASGI middleware for the GPU workers' token (I2V_WORKER_TOKEN, set with I2V_BROKER).

    The workers' API (`WORKER_PREFIX`) needs that token and nothing else opens it: a teacher's
    password is refused there (401), with the same delay and lockout as `TokenAuth`. Everywhere
    else the worker token is refused (403), so a worker machine's token can neither use the studio
    nor see anyone's videos; only the open paths (`OPEN_PATHS`, /health) answer it as they answer anyone. Runs before `TokenAuth`, which leaves the workers' API to this."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.guard = TokenAuth(app, token, guards=lambda path: path.startswith(WORKER_PREFIX),
                               detail="Worker token required (I2V_WORKER_TOKEN).")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and not path.startswith(WORKER_PREFIX) and path not in OPEN_PATHS:
            header = dict(scope.get("headers") or []).get(b"authorization", b"")
            if header and self.guard._authorised(header):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 4403})
                else:
                    await _refuse(send, 403, "This is a GPU worker's token (I2V_WORKER_TOKEN); it only opens the "
                                             "workers' API. Use the studio's password here.")
                return
        await self.guard(scope, receive, send)

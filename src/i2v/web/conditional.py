"""HTTP's answers to HEAD, OPTIONS and If-None-Match on the API, which FastAPI leaves out.

* HEAD: every GET route of the API answers HEAD too (its headers, no body), as HTTP asks of a server.
* A method a path does not take (OPTIONS, PUT on a GET route…) is 405 with an `Allow` header, not
  the studio's 404: without this the request fell through to the Gradio app mounted at "/".
* If-None-Match: a GET or HEAD answer that carries an `ETag` (videos, pictures, downloads: every
  file the API serves) becomes 304 Not Modified when the client already holds that version.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/v1/"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def refuse_other_methods(app: FastAPI) -> None:
    """Answer 405 (with `Allow`) for a method an API path does not take, 404 for no such path.
    Call after the API's routers are included and before anything is mounted at "/"."""

    api_routes = list(app.router.routes)  # the API's, before this catch-all and the studio are added

    async def not_here(request: Request) -> JSONResponse:
        path = request.url.path
        allowed = {method for method in METHODS for route in api_routes
                   if route.matches({**request.scope, "method": method})[0] is Match.FULL}
        if not allowed:
            return JSONResponse({"detail": f"There is no API path {path[:80]!r}; see /api/v1/docs."}, status_code=404)
        allowed |= {"HEAD"} if "GET" in allowed else set()
        listed = ", ".join(sorted(allowed))
        return JSONResponse({"detail": f"{request.method} is not allowed here; use {listed}."},
                            status_code=405, headers={"Allow": listed})

    app.add_api_route(API_PREFIX + "{rest:path}", not_here, methods=METHODS, include_in_schema=False)


class HeadAsGet:
    """ASGI middleware: HEAD on the API runs the GET route and sends its headers without the body
    (FastAPI routes declared for GET do not take HEAD)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD" or not scope.get("path", "").startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list against the answer's ETag."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


class NotModified:
    """ASGI middleware: a 200 GET/HEAD answer of the API whose ETag the request's If-None-Match
    names becomes a 304 with no body (its ETag and caching headers kept)."""

    KEPT = (b"etag", b"cache-control", b"last-modified", b"vary", b"content-location", b"expires", b"date")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD")
                or not scope.get("path", "").startswith(API_PREFIX)):
            await self.app(scope, receive, send)
            return
        wanted = dict(scope.get("headers") or []).get(b"if-none-match")
        if not wanted:
            await self.app(scope, receive, send)
            return
        replaced = False

        async def conditional_send(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers") or [])
                etag = next((v for k, v in headers if k.lower() == b"etag"), None)
                if etag is not None and _etag_matches(wanted.decode("latin-1"), etag.decode("latin-1")):
                    replaced = True
                    await send({"type": "http.response.start", "status": 304,
                                "headers": [(k, v) for k, v in headers if k.lower() in self.KEPT]})
                    await send({"type": "http.response.body", "body": b""})
                    return
            if replaced:
                return  # the body of the answer the 304 replaced
            await send(message)

        await self.app(scope, receive, conditional_send)

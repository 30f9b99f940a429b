"""Reading a request body the API can trust: capped while it streams in (413 past the limit, never
read whole into memory first), and pydantic's validation errors as one sentence a teacher can act on.
Every route module that reads a raw body uses these."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from pydantic import ValidationError


async def read_capped(request: Request, limit: int, setting: str | None = None) -> bytes:
    """The request body, refusing (413) past `limit` bytes without reading the rest into memory;
    the refusal names the `setting` that sets the limit, when one does."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            size = f"{limit // 2**20} MB ({setting})" if setting else f"{limit // 1000} kB"
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"The request is larger than {size}.")
    return bytes(body)


def plain_errors(exc: ValidationError) -> str:
    """Pydantic's errors as one sentence a teacher can act on ("labels 1 → text: …")."""
    parts = []
    for error in exc.errors():
        where = " → ".join(str(p + 1) if isinstance(p, int) else str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)

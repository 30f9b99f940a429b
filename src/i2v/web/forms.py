"""Form fields read exactly: UTF-8 or refused, each field once or refused.

Starlette decodes a multipart text field with the request's charset (UTF-8) and, when the bytes
are not valid UTF-8, silently falls back to Latin-1: `\\xff\\xfe` arrives as "ÿþ" and a teacher's
prompt is stored as something they never typed. It also keeps every copy of a repeated field, and a
route reading one value gets the last. To decode strictly, `Latin1FormParsing` declares multipart
bodies sent to the API as Latin-1 before Starlette parses them: Latin-1 maps each byte to exactly
one character, so nothing is lost or guessed, and `form_text` turns the characters back into the
original bytes and decodes those as UTF-8, refusing what is not.
"""

from __future__ import annotations

from collections import Counter

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from i2v.errors import InvalidInput

API_PREFIX = "/api/v1/"
MARK = "i2v_latin1_forms"  # set in the request's state when its form is parsed as Latin-1


class FormError(InvalidInput):
    """The form is ambiguous or not UTF-8; the message names the field."""


class Latin1FormParsing:
    """ASGI middleware: multipart bodies sent to the API are parsed as Latin-1 (see the module doc).

    Every route under the API that reads a text field from a multipart form must read it through
    `form_text` (or `text_fields`); file fields are bytes and unaffected."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(API_PREFIX):
            headers = list(scope.get("headers") or [])
            for index, (key, value) in enumerate(headers):
                if key.lower() == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                    params = [p for p in value.split(b";") if not p.strip().lower().startswith(b"charset=")]
                    headers[index] = (key, b";".join([*params, b" charset=latin-1"]))
                    scope = {**scope, "headers": headers, "state": {**scope.get("state", {}), MARK: True}}
                    break
        await self.app(scope, receive, send)


def form_text(value: str, field: str) -> str:
    """A field parsed as Latin-1 turned back into its bytes and decoded as UTF-8; FormError if they
    are not UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(f"{field[:40]}: the text is not valid UTF-8; send form fields as UTF-8 text.") from None


def form_text_lenient(value: str) -> str:
    """A name that is only shown or matched (a file name, a field refused by name): `form_text`,
    with what is not UTF-8 replaced rather than refused."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


async def text_fields(request: Request) -> tuple[dict[str, str], set[str]]:
    """The request's multipart text fields decoded by `form_text`, and the names of all its fields
    (files included). FormError for a form that is not multipart, or a field sent more than once."""
    form = await request.form()
    if not getattr(request.state, MARK, False):
        raise FormError("Send the form as multipart/form-data (the picture as a file field).")
    items = [(form_text(name, "a field name"), value) for name, value in form.multi_items()]
    repeated = sorted(name for name, n in Counter(name for name, _ in items).items() if n > 1)
    if repeated:
        raise FormError(f"{', '.join(repr(r[:40]) for r in repeated[:5])} sent more than once; send each setting once.")
    fields = {name: form_text(value, name) for name, value in items if not isinstance(value, UploadFile)}
    return fields, {name for name, _ in items}

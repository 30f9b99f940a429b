"""JSON request bodies read strictly: one parser for every JSON route, so a body the routes' own
validation cannot handle is refused here, with a sentence a person can act on.

Python's `json` module happily returns what no i2v setting can use and what later code trips over:
`NaN`, `Infinity` and `1e999` (→ inf, then OverflowError in arithmetic), integers of hundreds of
digits (OverflowError when turned into floats), and nesting deep enough to exhaust the interpreter's
recursion limit in the parser or, later, when the answer is serialised.
"""

from __future__ import annotations

import json
import math
from typing import Any
from i2v.errors import InvalidInput

MAX_DEPTH = 32  # arrays/objects inside each other; the deepest real body (labels in an export) is 3
MAX_INTEGER_DIGITS = 15  # every i2v number fits (the largest, a seed, has 10 digits)


class JsonBodyError(InvalidInput):
    """The body is not JSON i2v can use; the message says why."""


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a number i2v can use; send a finite number such as 2.5.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError(f"The number {text[:40]} is too large; send a finite number such as 2.5.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise JsonBodyError(
            f"A number with {len(text.lstrip('-'))} digits is far beyond any setting's range "
            f"(at most {MAX_INTEGER_DIGITS} digits)."
        )
    return int(text)


def _depth(value: Any) -> int:
    """How deeply arrays/objects nest in `value` (0 for a plain value), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, depth) for child in item)
    return deepest


def loads(body: bytes | str) -> Any:
    """Parse `body` as JSON, refusing (JsonBodyError) invalid UTF-8 or JSON, non-finite numbers,
    integers longer than MAX_INTEGER_DIGITS and nesting deeper than MAX_DEPTH."""
    try:
        data = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except JsonBodyError:
        raise
    except RecursionError:
        raise JsonBodyError(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).") from None
    except json.JSONDecodeError as exc:
        raise JsonBodyError(f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except (UnicodeDecodeError, ValueError):
        raise JsonBodyError("The body is not valid JSON (UTF-8).") from None
    if _depth(data) > MAX_DEPTH:
        raise JsonBodyError(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
    return data


def json_object(body: bytes, *, example: str, what: str = "The request", empty: bytes = b"{}") -> dict[str, Any]:
    """`body` (`empty` when there is none) as a JSON object read by `loads`, or JsonBodyError with
    the sentence to answer: what must be sent, an `example` of it, and why this body is not it."""
    try:
        data = loads(body or empty)
    except JsonBodyError as exc:
        raise JsonBodyError(f"{what} must be JSON, e.g. {example}. {exc}") from None
    if not isinstance(data, dict):
        raise JsonBodyError(f"{what} must be a JSON object, e.g. {example}.")
    return data

"""One way to fail: every error a user or a client can cause is an `I2VError` that says what kind
of failure it is, and each front end maps the kind once (HTTP status, studio message, CLI exit).

Why a kind and not an HTTP status on the exception: the engine, the job store and the lessons know
nothing of HTTP, yet each front end must answer consistently. A domain error names its kind; the
API turns the kind into a status, the CLI into an exit code, the studio into a sentence. Subclass
the base (or one of the kinds' bases below) in the module that raises; never catch by message.
"""

from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    """What went wrong, from the caller's side. The value is a stable word used in JSON answers."""

    INVALID = "invalid"  # the input is wrong; fixing it will help (HTTP 422, exit 2)
    BAD_REQUEST = "bad_request"  # the request itself is malformed (HTTP 400, exit 2)
    NOT_FOUND = "not_found"  # the thing asked for does not exist (HTTP 404, exit 2)
    FORBIDDEN = "forbidden"  # the caller may not do this (HTTP 403, exit 2)
    CONFLICT = "conflict"  # the thing is in a state that does not allow this (HTTP 409, exit 1)
    TOO_LARGE = "too_large"  # the input is over a size limit (HTTP 413, exit 2)
    BUSY = "busy"  # try again later: a queue or a resource is full (HTTP 429/503, exit 1)
    STORAGE_FULL = "storage_full"  # the disk is full or failing (HTTP 507, exit 1)
    UNAVAILABLE = "unavailable"  # a model or service is not there (HTTP 503, exit 1)
    CANCELLED = "cancelled"  # the user stopped it (HTTP 409, exit 130)
    FAILED = "failed"  # the work itself failed (HTTP 500, exit 1)


HTTP_STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 422,
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.BUSY: 429,
    ErrorKind.STORAGE_FULL: 507,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.CANCELLED: 409,
    ErrorKind.FAILED: 500,
}

EXIT_CODE: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 2,
    ErrorKind.BAD_REQUEST: 2,
    ErrorKind.NOT_FOUND: 2,
    ErrorKind.FORBIDDEN: 2,
    ErrorKind.TOO_LARGE: 2,
    ErrorKind.CONFLICT: 1,
    ErrorKind.BUSY: 1,
    ErrorKind.STORAGE_FULL: 1,
    ErrorKind.UNAVAILABLE: 1,
    ErrorKind.CANCELLED: 130,
    ErrorKind.FAILED: 1,
}


class I2VError(Exception):
    """The base of every error i2v raises on purpose. `kind` is a class attribute; the message is
    one sentence a teacher can act on (no traceback, no internal names)."""

    kind: ErrorKind = ErrorKind.FAILED

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.kind]

    @property
    def exit_code(self) -> int:
        return EXIT_CODE[self.kind]


class InvalidInput(I2VError, ValueError):
    """Input that can be fixed by the user (a wrong field, a bad file). ValueError for callers
    that validate with the standard library's conventions."""

    kind = ErrorKind.INVALID


class NotFound(I2VError, KeyError):
    kind = ErrorKind.NOT_FOUND

    def __str__(self) -> str:  # KeyError quotes its argument; a message should read as a sentence
        return str(self.args[0]) if self.args else ""


class Conflict(I2VError):
    kind = ErrorKind.CONFLICT


class Busy(I2VError):
    kind = ErrorKind.BUSY


class StorageFull(I2VError):
    kind = ErrorKind.STORAGE_FULL


class Forbidden(I2VError, PermissionError):
    """The caller may not change this (not their job or lesson). PermissionError for callers that
    treat it as the operating system's refusal."""

    kind = ErrorKind.FORBIDDEN


class TooLarge(I2VError):
    kind = ErrorKind.TOO_LARGE


class Unavailable(I2VError):
    kind = ErrorKind.UNAVAILABLE


class Cancelled(I2VError):
    kind = ErrorKind.CANCELLED


RETRY_AFTER_S = 5  # what a BUSY answer tells a client to wait before it tries again


def kind_of(exc: BaseException) -> ErrorKind | None:
    """The kind of an error i2v raised on purpose; None for anything else (a bug, or the OS)."""
    return exc.kind if isinstance(exc, I2VError) else None


def exit_code(exc: BaseException) -> int:
    """The CLI's exit code for `exc`: its kind's, or 1 for an error i2v did not raise on purpose."""
    kind = kind_of(exc)
    return EXIT_CODE[kind] if kind is not None else 1


def user_message(exc: BaseException) -> str:
    """The one sentence a screen shows for `exc` (studio, CLI): the message of an error i2v raised
    on purpose; for anything else a neutral sentence, never a traceback or an internal name."""
    if isinstance(exc, I2VError):
        return str(exc)
    return "Something unexpected went wrong; the server log has details."

"""Writing a file so that nobody ever sees half of it — the one way i2v writes videos, pictures,
recipes and uploads.

A file is written to a temporary sibling `.NAME.<random>.part`, then renamed into place: readers
(the studio, the API, a teacher's file browser) see the old file or the whole new one, never a
partial one, and a process killed mid-write leaves only a `.part` file, which the start-up sweeps
remove. The sibling is created with mode 0666 filtered by the process umask, like any file `open()`
makes: `tempfile.mkstemp` would make it 0600, and the rename keeps that mode, so a colleague's
account or a web server could not read the finished video.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PART_SUFFIX = ".part"


def temporary_sibling(path: Path) -> Path:
    """A new, empty temporary file beside `path` (created exclusively, umask-filtered mode)."""
    path = Path(path)
    for _ in range(100):
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(6)}{path.suffix}{PART_SUFFIX}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {path}")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; on success it replaces `path`, on any failure
    (including KeyboardInterrupt) it is removed and `path` is untouched."""
    path = Path(path)
    tmp = temporary_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` whole or not at all; returns `path`."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def json_bytes(data: Any) -> bytes:
    """JSON as i2v stores it: readable UTF-8, indented, with a final newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_json_atomic(path: Path, data: Any) -> Path:
    """Write `data` as JSON (`json_bytes`) to `path` whole or not at all; returns `path`."""
    return write_bytes_atomic(path, json_bytes(data))

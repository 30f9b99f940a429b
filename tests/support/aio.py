"""Running one ASGI call to completion from a synchronous test.

`asyncio.run` refuses to start when the calling thread already has a running event loop, and in a
test process one may be there: Playwright's sync API (the session's `browser` fixture) keeps its
loop running in the main thread for as long as the browser lives. Which tests ran before in the same
process (pytest-xdist hands each worker its own share of the modules) then decided whether a test
passed. The coroutine gets a thread, and so a loop, of its own."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)` in a fresh thread, whatever loop the calling thread has."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-async") as pool:
        return pool.submit(asyncio.run, coro).result()

"""Separate thread pools for separate kinds of blocking work, so one kind cannot starve another.

`asyncio.to_thread` runs everything on one default pool (min(32, CPUs + 4) threads: 6 on a 2-core
machine). Six uploads being decoded then held every thread, and a new progress stream waited for
its first event until one finished (19 s in a probe). Here quick reads of the job table (progress
events, pre-checks) have their own pool; decoding and storing pictures theirs, no wider than the
machine has cores (more threads would only slow each one down); exports theirs. The app owns the
pools and shuts them down with itself.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Pools:
    reads: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="i2v-reads"))
    pictures: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="i2v-pictures"))
    exports: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="i2v-exports"))

    @staticmethod
    async def run(pool: ThreadPoolExecutor, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on `pool`, awaited without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, lambda: fn(*args, **kwargs))

    def shutdown(self) -> None:
        for pool in (self.reads, self.pictures, self.exports):
            pool.shutdown(wait=False, cancel_futures=True)

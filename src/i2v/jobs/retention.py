"""Archive retention: the oldest finished videos go while any is older than `keep_days` or the
archive is larger than `max_archive_gb` (both settings; off when unset).

Run by the job service before each submission (the moment new bytes are about to arrive), on the
server only: with GPU workers on other machines the archive is still the server's. Deleting a job's
video goes through the job service's own delete (the table row, every file beside the video, the
stored picture), so retention and a teacher's Delete leave the same state.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from i2v.archive import Archive
from i2v.jobs.store import FINISHED, JobStore
from i2v.settings import Settings

log = logging.getLogger(__name__)

UNCLAIMED_GRACE_S = 3600  # an archive entry without a job may be a result about to be recorded


class Retention:
    def __init__(self, store: JobStore, archive: Archive, settings: Settings, delete_job: Callable[[str], object]) -> None:
        self.store = store
        self.archive = archive
        self.settings = settings
        self.delete_job = delete_job

    def apply(self, now: float | None = None) -> list[str]:
        """Delete the oldest finished videos while a limit is exceeded; returns the video names deleted.

        Never touches a queued or running job (they have no video yet), nor an archive entry
        without a job that is less than an hour old (a job about to record its result). Entries
        made by the CLI (no job) are removed by the same rules.
        """
        keep_days, max_gb = self.settings.keep_days, self.settings.max_archive_gb
        if keep_days is None and max_gb is None:
            return []
        now = time.time() if now is None else now
        by_video = {job.result["video"]: job for job in self.store.list(limit=1_000_000, statuses=FINISHED)
                    if job.result and job.result.get("video")}
        entries = sorted(self.archive.entries(), key=lambda e: e.video.stat().st_mtime)  # oldest first
        sizes = {e.name: sum(p.stat().st_size for p in e.root.joinpath(e.stem.parent).glob(e.stem.name + "*")) for e in entries}
        total = sum(sizes.values())
        deleted: list[str] = []
        for entry in entries:
            video, age = entry.name + ".mp4", now - entry.video.stat().st_mtime
            too_old = keep_days is not None and age > keep_days * 86_400
            too_big = max_gb is not None and total > max_gb * 2**30
            if not (too_old or too_big):
                continue
            job = by_video.get(video)
            if job is not None:
                self.delete_job(job.id)
            elif age > UNCLAIMED_GRACE_S:
                for path in entry.root.joinpath(entry.stem.parent).glob(entry.stem.name + "*"):
                    path.unlink(missing_ok=True)
            else:
                continue
            total -= sizes[entry.name]
            deleted.append(video)
            log.info("retention: deleted %s (%s)", video, "older than keep_days" if too_old else "archive over max_archive_gb")
        return deleted

"""Start-up recovery: put right what a killed server left, so each job ends with at most one video.

A job killed while running left an archive entry (recorded in the job table as the job's `entry`
before anything was written there). If the kill came after the MP4 was renamed into place, the video
is complete (the rename is atomic) and the job is adopted: marked succeeded with that video and its
recipe (read from the MP4's own `comment` tag when the recipe file still holds its placeholder).
Otherwise everything the attempt wrote is removed and the job is re-queued or failed as before
(`JobStore.recover`). Then half-written files nobody owns are swept: temporary `.part` files and
orphaned recipes in the archive, and `.part` files and unreferenced pictures in the uploads folder.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from i2v.archive import Archive, ArchivePathError, Entry
from i2v.files import write_json_atomic
from i2v.jobs.store import Job, JobStatus, JobStore
from i2v.media import probe

log = logging.getLogger(__name__)
UPLOAD_NAME = re.compile(r"[0-9a-f]{16}\.png")  # the names JobService gives stored pictures


def finished_result(archive: Archive, entry: Entry, request: dict) -> dict | None:
    """The result to record for `entry` if its video is complete and matches `request`, else None.

    Also rewrites the recipe file from the MP4's embedded copy when the attempt was killed before
    writing it (the file then still holds the `{}` placeholder)."""
    if not entry.video.is_file():
        return None
    try:
        info = probe(entry.video)
        embedded = json.loads(info.metadata.get("comment") or "null")
    except Exception as exc:  # noqa: BLE001 - an unreadable video is simply not adopted
        log.warning("recovery: %s is not a readable video (%s)", entry.video, exc)
        return None
    if not isinstance(embedded, dict) or embedded.get("video") != entry.name + ".mp4":
        return None
    if info.frames < 1 or info.frames != embedded.get("frames", info.frames) or embedded.get("prompt") != request.get("prompt"):
        return None
    try:
        recipe = archive.read_recipe(entry)
    except (OSError, ValueError):
        recipe = {}
    if not recipe or recipe.get("video") != entry.name + ".mp4":
        recipe = embedded
        write_json_atomic(entry.recipe, recipe)
    return {"video": entry.name + ".mp4", "recipe": recipe}


def recover_interrupted(store: JobStore, archive: Archive, uploads: Path, *, include_leased: bool = True) -> list[Job]:
    """Adopt or remove what each interrupted attempt left, fix the job table, sweep orphans.

    Call once at start-up, before the worker claims anything. Raises sqlite3 errors when the job
    table cannot be written (a full disk): nothing is changed then, and it can be called again.

    With `include_leased` False (GPU workers on other machines), a job a worker holds by a lease is
    adopted if its video is complete (the server died between storing it and recording it) and
    otherwise left running: the worker may still deliver it, and the lease decides if not."""
    finished: dict[str, dict] = {}
    leftovers: list[Entry] = []
    for job in store.list(limit=1_000_000, statuses=[JobStatus.RUNNING]):
        if not job.entry:
            continue
        held = job.lease_expires is not None and not include_leased
        try:
            entry = archive.entry_named(job.entry)
        except ArchivePathError:
            log.warning("recovery: job %s names an entry outside the archive (%r); ignored", job.id, job.entry[:80])
            continue
        result = None if job.cancel_requested else finished_result(archive, entry, job.request)
        if result is not None:
            finished[job.id] = result
        elif not held:
            leftovers.append(entry)
    changed = store.recover(finished=finished, include_leased=include_leased)
    for job in changed:
        log.warning("job %s was running when the server stopped: now %s%s", job.id, job.status,
                    " (its finished video was adopted)" if job.id in finished else "")
    for entry in leftovers:  # after the table no longer points at them
        for path in archive.discard(entry):
            log.warning("recovery: removed %s, left by an interrupted attempt", path)
    for path in archive.sweep_incomplete():
        log.warning("recovery: removed %s, left half-made by a job that was interrupted", path)
    for path in sweep_uploads(uploads, store.referenced_images()):
        log.warning("recovery: removed upload %s (half-written or owned by no job)", path)
    return changed


def sweep_uploads(uploads: Path, referenced: set[str]) -> list[Path]:
    """Remove `.NAME.part` files (a submission killed while writing its picture) and stored pictures
    no job refers to (killed between storing the picture and recording the job). Returns the paths."""
    removed: list[Path] = []
    if not uploads.is_dir():
        return removed
    for path in uploads.iterdir():
        if not path.is_file() or path.is_symlink():
            continue
        partial = path.name.startswith(".") and path.name.endswith(".part")
        orphan = UPLOAD_NAME.fullmatch(path.name) is not None and path.name not in referenced
        if partial or orphan:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed

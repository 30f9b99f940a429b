"""JobService.export / export_file and JobStore.update_result on a real SQLite file and archive.

A succeeded job is made by hand (create → claim → succeed with an archived MP4), so these run in
well under a second without a model; the HTTP route is covered in tests/web/test_api_exports.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from i2v.archive import Archive, ArchivePathError
from i2v.jobs import IllegalTransition, JobNotFound, JobStatus, JobStore
from i2v.web.views import job_view
from i2v.jobs.service import EXPORT_SLOTS, ExportsBusy, JobService
from i2v.media import encode_mp4, read_video
from i2v.post.spec import PostSpec
from i2v.settings import Settings

NO_LIMIT = 10_000


@pytest.fixture
def service(tmp_path: Path) -> JobService:
    settings = Settings(home=tmp_path / "home")
    archive = Archive(settings.home)
    return JobService(JobStore(settings.db_path), None, archive, settings)  # no worker: nothing runs


def _frames(count: int = 8, height: int = 64, width: int = 96) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([
        np.stack([(x * 2 + 9 * i) % 256, (y * 3) % 256, np.full_like(x, 40 + 20 * i)], axis=-1) for i in range(count)
    ]).astype(np.uint8)


def _job(service: JobService, *, succeed: bool = True) -> str:
    store = service.store
    job = store.create(request={"prompt": "a red star spinning"}, image="x.png", client="t",
                       max_queued=NO_LIMIT, max_per_client=NO_LIMIT)
    if not succeed:
        return job.id
    store.claim_next()
    entry = service.archive.allocate("a red star spinning")
    recipe = {"prompt": "a red star spinning", "fps": 8, "frames": 8, "seed": 1}
    service.archive.write_recipe(entry, recipe)
    encode_mp4(_frames(), 8, entry.video, metadata={"comment": json.dumps(recipe)})
    store.succeed(job.id, {"video": entry.video.relative_to(service.archive.root).as_posix(), "recipe": recipe})
    return job.id


def test_export_records_archive_relative_files_and_leaves_the_video_alone(service: JobService) -> None:
    job_id = _job(service)
    original = service.video_file(service.get(job_id))
    before = hashlib.sha256(original.read_bytes()).hexdigest()

    job = service.export(job_id, PostSpec(loop="pingpong"), ["gif", "sheet"])
    exports = job.result["exports"]
    assert set(exports) == {"gif", "sheet", "video"}
    assert all(not Path(p).is_absolute() and ".." not in Path(p).parts for p in exports.values())
    assert hashlib.sha256(original.read_bytes()).hexdigest() == before
    assert job.result["video"] == service.get(job_id).result["video"]  # the rest of the result is kept

    video = service.export_file(job, "video")
    assert video != original and len(read_video(video)[0]) == 14  # 8 frames ping-ponged
    assert service.export_file(job, "gif").read_bytes()[:6] == b"GIF89a"
    assert job_view(service, job).exports == {name: f"/api/v1/jobs/{job_id}/exports/{name}" for name in exports}

    # an identity spec exports the generated clip itself, and the mapping is replaced, not merged
    job = service.export(job_id, PostSpec(), ["mp4"])
    assert job.result["exports"] == {"mp4": service.get(job_id).result["video"]}
    with pytest.raises(ArchivePathError, match="no 'gif' export"):
        service.export_file(job, "gif")


def test_export_refuses_what_it_cannot_do(service: JobService) -> None:
    job_id = _job(service)
    with pytest.raises(ValueError, match="unknown export format"):
        service.export(job_id, PostSpec(), ["mov"])
    with pytest.raises(ValueError, match="gif_max_mb"):
        service.export(job_id, PostSpec(), ["gif"], gif_max_mb=0)
    with pytest.raises(JobNotFound):
        service.export("nope", PostSpec(), ["gif"])
    queued = _job(service, succeed=False)
    with pytest.raises(ArchivePathError, match="has no video"):
        service.export(queued, PostSpec(), ["gif"])
    assert job_view(service, service.get(queued)).exports == {}


def test_exports_beyond_the_slots_are_refused_not_queued(service: JobService) -> None:
    job_id = _job(service)
    for _ in range(EXPORT_SLOTS):  # as if that many exports were running
        service._export_slots.acquire()
    with pytest.raises(ExportsBusy, match="Try again"):
        service.export(job_id, PostSpec(), ["sheet"])
    service._export_slots.release()
    assert set(service.export(job_id, PostSpec(), ["sheet"]).result["exports"]) == {"sheet"}


def test_export_file_never_leaves_the_archive(service: JobService, tmp_path: Path) -> None:
    job_id = _job(service)
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    service.store.update_result(job_id, {"exports": {"gif": "../secret.txt", "abs": str(secret)}})
    job = service.get(job_id)
    for name in ("gif", "abs"):
        with pytest.raises(ArchivePathError):
            service.export_file(job, name)


def test_update_result_merges_only_into_a_succeeded_job(service: JobService) -> None:
    job_id = _job(service)
    job = service.store.update_result(job_id, {"exports": {"gif": "a.gif"}})
    assert job.result["exports"] == {"gif": "a.gif"} and "video" in job.result and job.status == JobStatus.SUCCEEDED
    queued = _job(service, succeed=False)
    with pytest.raises(IllegalTransition, match="queued"):
        service.store.update_result(queued, {"exports": {}})
    with pytest.raises(JobNotFound):
        service.store.update_result("nope", {"exports": {}})
    with pytest.raises(ValueError):
        service.store.update_result(job_id, {"bad": float("nan")})

"""The live preview as stored progress: one small PNG per running job, kept in its row of the job table.

Whoever runs the job (the server's own worker thread or a GPU worker on another machine, through the
server's worker API) writes it with its progress; any server process reads it back for the studio
and `GET /api/v1/jobs/{id}/preview`. Kept small (`PREVIEW_MAX_SIDE`), so writing it every progress
report costs little and the table stays small; it is dropped when the job ends.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from i2v.jobs.store import JobStore
from i2v.errors import InvalidInput

PREVIEW_MAX_SIDE = 256  # px: enough to see the motion forming in a progress panel
PREVIEW_MAX_BYTES = 512 * 1024  # what the server accepts from a remote worker
PREVIEW_PNG_LEVEL = 1  # fast zlib level: the preview changes every step


class BadPreview(InvalidInput):
    """Bytes a worker sent as a preview that are not a small PNG."""


@dataclass(frozen=True)
class LivePreview:
    """What the studio shows of a running job besides its progress: the latest preview picture."""

    job_id: str
    preview: Image.Image | None
    preview_step: int


def encode_preview(picture: Image.Image | None) -> bytes | None:
    """`picture` reduced to at most PREVIEW_MAX_SIDE on its longer side, as PNG bytes (None for None)."""
    if picture is None:
        return None
    small = picture.convert("RGB")
    small.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.BILINEAR)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", compress_level=PREVIEW_PNG_LEVEL)
    return buffer.getvalue()


def check_preview(data: bytes) -> bytes:
    """`data` if it is a PNG no larger than PREVIEW_MAX_SIDE (a little slack) and PREVIEW_MAX_BYTES,
    fully decodable; else BadPreview. The server serves previews to browsers, so it checks them."""
    if len(data) > PREVIEW_MAX_BYTES:
        raise BadPreview(f"the preview is larger than {PREVIEW_MAX_BYTES // 1024} kB")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as picture:
            if max(picture.size) > 2 * PREVIEW_MAX_SIDE:
                raise BadPreview(f"the preview is {picture.width}x{picture.height}; at most {PREVIEW_MAX_SIDE} px a side")
            picture.load()
    except BadPreview:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for broken files
        raise BadPreview(f"the preview is not a PNG picture ({type(exc).__name__})") from None
    return data


def read_live(store: JobStore, job_id: str) -> LivePreview | None:
    """The running job's stored preview, decoded; None when the job is not running or has none yet."""
    data, step = store.preview(job_id)
    if data is None:
        return None
    with Image.open(io.BytesIO(data)) as picture:
        return LivePreview(job_id, picture.convert("RGB"), step)

"""Post-process and export one archived video in one call — what the CLI, API and UI all use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from i2v.post.exports import check_formats, export
from i2v.post.apply import reprocess
from i2v.post.spec import PostSpec


@dataclass(frozen=True)
class Delivery:
    video: Path  # the processed video (the original when the spec changes nothing)
    files: dict[str, Path]  # export format → file beside the video


def deliver(video: Path, spec: PostSpec, formats: Iterable[str] = (), *, gif_max_mb: float = 8.0) -> Delivery:
    """Apply `spec` to an archived video (never touching it) and write the exports of the result.

    Formats are checked before any work, so a typo costs nothing.
    """
    wanted = check_formats(formats)
    result = reprocess(video, spec) if not spec.is_identity else Path(video)
    return Delivery(result, export(result, wanted, gif_max_mb=gif_max_mb) if wanted else {})


def parse_formats(text: str | None) -> list[str]:
    """'gif, webm,sheet' → ['gif', 'webm', 'sheet'] (validated)."""
    return check_formats([part.strip() for part in (text or "").split(",") if part.strip()])

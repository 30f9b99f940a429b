"""Post-processing and exports on the CPU, no downloaded weights: frame interpolation, temporal
smoothing, loops and speed (`PostSpec`, `apply_post`, `reprocess`), and slide/handout exports
(`export`)."""

from i2v.post.exports import (
    EXPORT_FORMATS,
    alt_text,
    export,
    export_contact_sheet,
    export_frames_zip,
    export_gif,
    export_pack,
    export_webm,
    write_vtt,
)
from i2v.post.interpolate import interpolate
from i2v.post.loops import change_speed, crossfade_loop, pingpong
from i2v.post.apply import apply_post, reprocess
from i2v.post.smooth import smooth
from i2v.post.spec import PostSpec

__all__ = [
    "EXPORT_FORMATS",
    "PostSpec",
    "alt_text",
    "apply_post",
    "change_speed",
    "crossfade_loop",
    "export",
    "export_contact_sheet",
    "export_frames_zip",
    "export_gif",
    "export_pack",
    "export_webm",
    "interpolate",
    "pingpong",
    "reprocess",
    "smooth",
    "write_vtt",
]

"""Export formats are one table (`post/exports.FORMATS`): every entry must reach every front end
whole — a media type for the API's download, a studio label in English and Chinese, a file suffix
that no other format shares — so a missing piece fails here rather than silently at run time."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from i2v.post.exports import EXPORT_FORMATS, FORMATS, STUDIO_FORMATS, ExportFormatError, check_formats, export_path, media_type
from i2v.web.ui_export import FORMATS as STUDIO_CHOICES

STRINGS = json.loads(resources.files("i2v.web").joinpath("strings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", EXPORT_FORMATS)
def test_every_format_has_a_media_type_and_its_translations(name):
    fmt = FORMATS[name]
    assert media_type(name) == fmt.media_type
    assert "/" in fmt.media_type and fmt.media_type != "application/octet-stream"
    if fmt.label_key is not None:
        assert set(STRINGS[fmt.label_key]) >= {"en", "zh"}
        assert all(STRINGS[fmt.label_key][lang].strip() for lang in ("en", "zh"))


def test_the_studio_offers_every_format_but_the_video_itself():
    assert tuple(STUDIO_CHOICES) == STUDIO_FORMATS == tuple(n for n in EXPORT_FORMATS if n != "mp4")


def test_each_format_writes_its_own_file():
    paths = [export_path(Path("day/clip.mp4"), name) for name in EXPORT_FORMATS]
    assert len(set(paths)) == len(paths)
    assert paths[EXPORT_FORMATS.index("mp4")] == Path("day/clip.mp4")


def test_the_processed_video_is_an_mp4_and_unknown_names_have_no_type():
    assert media_type("video") == "video/mp4"
    assert media_type("docx") is None


def test_an_unknown_format_is_the_users_to_fix():
    with pytest.raises(ExportFormatError, match="allowed: mp4, webm, gif, frames, sheet, pack"):
        check_formats(["gif", "docx"])
    assert issubclass(ExportFormatError, ValueError)

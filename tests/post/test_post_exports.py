"""Every export is decoded back and checked: container, codec, frame count, fps, size cap."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from i2v.media import read_video
from i2v.post import EXPORT_FORMATS, alt_text, export, export_contact_sheet, export_gif, write_vtt
from i2v.post.exports import render_gif, sheet_indices


def gif_facts(data_or_path: bytes | Path) -> tuple[str, int, list[int], int | None, tuple[int, int]]:
    """Format, frame count, per-frame delays (ms), loop count and size of a GIF."""
    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else data_or_path
    with Image.open(source) as image:
        delays = []
        for index in range(image.n_frames):
            image.seek(index)
            delays.append(image.info["duration"])
        return image.format, image.n_frames, delays, image.info.get("loop"), image.size


@pytest.fixture
def exported(archived_video: Path) -> dict[str, Path]:
    return export(archived_video, EXPORT_FORMATS, gif_max_mb=1.0)


def test_export_writes_every_format_beside_the_video(archived_video: Path, exported: dict[str, Path]) -> None:
    stem = archived_video.stem
    assert {fmt: path.name for fmt, path in exported.items()} == {
        "mp4": f"{stem}.mp4",
        "webm": f"{stem}.webm",
        "gif": f"{stem}.gif",
        "frames": f"{stem}-frames.zip",
        "sheet": f"{stem}-sheet.png",
        "pack": f"{stem}-pack.zip",
    }
    assert all(path.parent == archived_video.parent and path.is_file() for path in exported.values())
    assert not [p for p in archived_video.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_webm_is_vp9_with_every_frame(archived_video: Path, exported: dict[str, Path]) -> None:
    source, _ = read_video(archived_video)  # what export encoded from
    with av.open(str(exported["webm"])) as container:
        stream = container.streams.video[0]
        decoded = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(stream)])
        assert "webm" in container.format.name
        assert stream.codec_context.name == "vp9"
        assert stream.average_rate == 8
    assert decoded.shape == source.shape
    mse = np.mean((decoded.astype(np.float64) - source) ** 2)
    assert 10 * np.log10(255**2 / mse) > 30


def test_gif_keeps_frames_timing_and_cap(exported: dict[str, Path], clip: np.ndarray) -> None:
    fmt, count, delays, loop, size = gif_facts(exported["gif"])
    assert (fmt, count, loop, size) == ("GIF", len(clip), 0, (160, 128))
    assert sum(delays) == 1000  # 8 frames at 8 fps: 120/130 ms alternating, no drift
    assert exported["gif"].stat().st_size <= 1_000_000


def test_gif_shrinks_under_a_tight_cap_and_says_when_it_cannot(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (12, 256, 256, 3), dtype=np.uint8)  # the worst case for GIF
    uncapped = len(render_gif(noise, 12, max_bytes=10**9))
    cap = uncapped // 6
    path = export_gif(noise, 12, tmp_path / "noise.gif", max_bytes=cap)
    fmt, count, delays, _, size = gif_facts(path)
    assert fmt == "GIF" and path.stat().st_size <= cap
    assert count >= 6 and abs(sum(delays) - 1000) <= 100  # duration kept even if frames were dropped
    assert size[0] < 256 or count < 12
    with pytest.raises(ValueError, match="cannot fit the GIF under 0.00 MB"):
        export_gif(noise, 12, tmp_path / "tiny.gif", max_bytes=2000)
    assert not (tmp_path / "tiny.gif").exists()


def test_gif_never_plays_faster_than_browsers_allow(clip: np.ndarray) -> None:
    frames = np.concatenate([clip] * 4)  # 32 frames at 64 fps = 0.5 s
    _, count, delays, _, _ = gif_facts(render_gif(frames, 64, max_bytes=10**8))
    assert count == 16 and min(delays) >= 20 and sum(delays) == 500


def test_frames_zip_holds_every_frame_losslessly(archived_video: Path, exported: dict[str, Path]) -> None:
    decoded, _ = read_video(archived_video)
    with zipfile.ZipFile(exported["frames"]) as archive:
        names = archive.namelist()
        assert names == [f"frame-{i:04d}.png" for i in range(1, len(decoded) + 1)]
        for name, frame in zip(names, decoded):
            with Image.open(io.BytesIO(archive.read(name))) as image:
                assert image.format == "PNG"
                np.testing.assert_array_equal(np.asarray(image.convert("RGB")), frame)


def test_contact_sheet_grid_and_time_stamps(tmp_path: Path, clip: np.ndarray) -> None:
    assert sheet_indices(4, 8) == [0, 2, 5, 7]
    assert sheet_indices(12, 3) == [0, 1, 2]
    path = export_contact_sheet(clip, 8, tmp_path / "sheet.png", count=4)
    with Image.open(path) as image:
        assert image.format == "PNG"
        sheet = np.asarray(image.convert("RGB"))
    margin, tile_w, tile_h = 12, 160, 128
    assert sheet.shape[1] == margin + 4 * (tile_w + margin)  # 4 tiles in one row
    label = sheet[margin + tile_h : -margin, margin : margin + tile_w]
    assert label.size and (label < 100).any()  # the time stamp is drawn under the tile
    np.testing.assert_allclose(sheet[margin : margin + tile_h, margin : margin + tile_w], clip[0], atol=2)


def test_sheet_export_shows_evenly_spaced_frames(exported: dict[str, Path]) -> None:
    with Image.open(exported["sheet"]) as image:
        width, height = image.size
    assert (width, height) == (12 + 4 * (160 + 12), 12 + 2 * (128 + round(12 * 1.6) + 12))  # 8 frames: 4×2


def test_lesson_pack_contents(archived_video: Path, exported: dict[str, Path]) -> None:
    stem = archived_video.stem
    with zipfile.ZipFile(exported["pack"]) as pack:
        assert sorted(pack.namelist()) == sorted(
            [f"{stem}.mp4", f"{stem}.gif", f"{stem}-sheet.png", f"{stem}.json", "captions.vtt", "alt-text.txt"]
        )
        assert pack.read(f"{stem}.mp4") == archived_video.read_bytes()
        assert pack.read(f"{stem}.json") == archived_video.with_suffix(".json").read_bytes()
        assert pack.read(f"{stem}.gif") == exported["gif"].read_bytes()
        assert gif_facts(pack.read(f"{stem}.gif"))[1] == 8
        vtt = pack.read("captions.vtt").decode()
        alt = pack.read("alt-text.txt").decode()
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.000 --> ")
    assert vtt.rstrip().splitlines()[-3].endswith("--> 00:00:01.000")  # the last cue ends with the clip
    assert alt.startswith("Short animated clip (1.0 seconds, no sound): A red star spinning")
    assert "masterpiece" not in alt and "4k" not in alt and ":1.2" not in alt


def test_alt_text_and_captions_from_a_recipe(tmp_path: Path) -> None:
    recipe = {"prompt": "a kite <over> hills & fields", "frames": 33, "fps": 16, "post": {"loop": "pingpong"}}
    assert alt_text(recipe) == "Short animated clip (2.1 seconds, looping, no sound): A kite <over> hills & fields."
    assert alt_text({}) == "Short animated clip (no sound)."
    assert len(alt_text({"prompt": "word " * 200})) <= 250
    vtt = write_vtt(recipe, 62.5, tmp_path / "c.vtt").read_text(encoding="utf-8")
    assert vtt == "WEBVTT\n\n1\n00:00:00.000 --> 00:01:02.500\nA kite &lt;over&gt; hills &amp; fields\n"


def test_export_checks_its_inputs_and_leaves_the_video_alone(archived_video: Path) -> None:
    before = hashlib.sha256(archived_video.read_bytes()).hexdigest()
    with pytest.raises(ValueError, match="allowed: mp4, webm, gif, frames, sheet, pack"):
        export(archived_video, ["gif", "avi"])
    assert export(archived_video, ["mp4"]) == {"mp4": archived_video}
    with pytest.raises(ValueError, match="cannot fit the GIF"):
        export(archived_video, ["gif"], gif_max_mb=0.001)
    archived_video.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="recipe"):
        export(archived_video, ["pack"])
    assert export(archived_video, ["sheet"])["sheet"].is_file()  # only the pack needs the recipe
    assert hashlib.sha256(archived_video.read_bytes()).hexdigest() == before

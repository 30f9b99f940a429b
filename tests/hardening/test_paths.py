"""Path safety in one helper (`Archive.resolve`), the start-up sweep of half-made files, and recipes
that try to point i2v at files or model folders of their choosing."""

from __future__ import annotations

import json
import os

import pytest

from i2v.archive import Archive, ArchivePathError
from i2v.cli import UsageError, _request_and_image, build_parser
from tests.hardening.conftest import count

HOSTILE = [
    "..", "../secret.txt", "../../../../etc/passwd", "%2e%2e/secret.txt", "..%2fsecret.txt",
    "2026-01-01/../../secret.txt", "..\\secret.txt", "2026-01-01\\..\\..\\secret.txt", "/etc/passwd",
    "C:\\Windows\\win.ini", "c:/windows/win.ini", "\\\\server\\share\\x.mp4", "2026-01-01/link.mp4",
    "2026-01-01/dirlink/passwd", "", ".", "2026-01-01", "a" * (50 * 2**20), "2026-01-01/\x00.mp4",
    "~/.ssh/id_rsa", "jobs.sqlite3/../../secret.txt",
]


@pytest.fixture
def archive(tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    archive = Archive(tmp_path / "archive")
    day = archive.root / "2026-01-01"
    day.mkdir()
    os.symlink(tmp_path / "secret.txt", day / "link.mp4")
    os.symlink("/etc", day / "dirlink")
    (day / "a..b.mp4").write_bytes(b"fine")
    (day / "..hidden-but-inside.mp4").write_bytes(b"fine too")
    return archive


def test_resolve_refuses_every_hostile_name_and_keeps_legitimate_ones(archive):
    for name in HOSTILE:
        with pytest.raises(ArchivePathError):
            archive.resolve(name)
    assert archive.resolve("2026-01-01/a..b.mp4").read_bytes() == b"fine"
    assert archive.resolve("2026-01-01/..hidden-but-inside.mp4").read_bytes() == b"fine too"
    count("path names refused", len(HOSTILE))


def test_start_up_sweep_removes_only_half_made_files(archive):
    done = archive.allocate("finished")
    done.video.write_bytes(b"mp4")
    done.thumbnail.write_bytes(b"jpg")
    done.input_image.write_bytes(b"png")
    half = archive.allocate("killed mid-job")  # placeholder recipe, input picture, a temp MP4
    half.input_image.write_bytes(b"png")
    half.thumbnail.write_bytes(b"jpg")
    temp = half.video.with_name(f".{half.stem.name}.abcd.mp4.part")
    temp.write_bytes(b"partial")
    removed = set(archive.sweep_incomplete())
    assert removed == {half.recipe, half.input_image, half.thumbnail, temp}
    assert all(p.exists() for p in (done.video, done.recipe, done.thumbnail, done.input_image))
    assert (archive.root / "2026-01-01" / "a..b.mp4").exists()
    assert os.path.exists("/etc/passwd") and (archive.root.parent / "secret.txt").exists()  # links not followed
    assert [e.name for e in archive.entries()] == [done.name] or done.name in [e.name for e in archive.entries()]


@pytest.mark.parametrize("recipe_change, message", [
    ({"input_image": {"file": "../../../etc/passwd", "sha256": "0"}}, "file name"),
    ({"input_image": {"file": "/etc/passwd", "sha256": "0"}}, "file name"),
    ({"input_image": {"file": "..\\..\\secret.png", "sha256": "0"}}, "file name"),
    ({"model": {"id": "/tmp/evil-model"}}, "local model"),
    ({"model": {"id": "../evil-model"}}, "local model"),
    ({"model": {"id": "C:\\models\\evil"}}, "local model"),
])
def test_recipes_cannot_point_i2v_at_files_or_model_folders(tmp_path, recipe_change, message):
    recipe = {"request": {"prompt": "a cell dividing", "seed": 1},
              "input_image": {"file": "x-input.png", "sha256": "0"}, "model": {"id": "tiny"}, **recipe_change}
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(recipe))
    args = build_parser().parse_args(["generate", "--recipe", str(path)])
    with pytest.raises(UsageError, match=message):
        _request_and_image(args)
    count("hostile recipes")

import os
import re
from datetime import datetime

import pytest

from i2v.archive import Archive, ArchivePathError, slugify

NAME = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{6}-[a-z0-9-]+-[0-9a-f]{8}$")


def test_names_follow_the_layout_and_never_collide(tmp_path):
    archive = Archive(tmp_path)
    moment = datetime(2026, 11, 25, 10, 15, 0)
    entries = [archive.allocate("Cell division: mitosis!", when=moment) for _ in range(50)]
    names = {e.name for e in entries}
    assert len(names) == 50
    for entry in entries:
        assert NAME.match(entry.name), entry.name
        assert entry.name.startswith("2026-11-25/101500-cell-division-mitosis-")
        assert entry.recipe.exists()  # the name is claimed on disk at once


def test_slug_is_ascii_and_bounded():
    assert slugify("有丝分裂") == "video"
    assert slugify("  Earth's orbit — around the Sun  ") == "earth-s-orbit-around-the-sun"
    assert len(slugify("x" * 200)) <= 40


def test_release_removes_unfinished_files_only(tmp_path):
    archive = Archive(tmp_path)
    entry = archive.allocate("leaf")
    entry.input_image.write_bytes(b"png")
    archive.release(entry)
    assert not entry.recipe.exists() and not entry.input_image.exists()
    done = archive.allocate("leaf")
    done.video.write_bytes(b"mp4")
    archive.release(done)
    assert done.recipe.exists()


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/passwd", "2026-11-25/../../secret.txt", "", "."])
def test_resolve_refuses_paths_outside_the_archive(tmp_path, name):
    root = tmp_path / "archive"
    (tmp_path / "secret.txt").write_text("no")
    archive = Archive(root)
    with pytest.raises(ArchivePathError):
        archive.resolve(name)


def test_resolve_refuses_symlinks_that_leave_the_archive(tmp_path):
    (tmp_path / "secret.txt").write_text("no")
    archive = Archive(tmp_path / "archive")
    os.symlink(tmp_path / "secret.txt", archive.root / "link.mp4")
    with pytest.raises(ArchivePathError):
        archive.resolve("link.mp4")


def test_resolve_returns_files_inside(tmp_path):
    archive = Archive(tmp_path)
    entry = archive.allocate("orbit")
    entry.video.write_bytes(b"x")
    assert archive.resolve(entry.name + ".mp4") == entry.video
    assert archive.entry_for(entry.name + ".mp4") == entry
    assert archive.entries() == [entry]

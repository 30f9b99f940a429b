"""Every file i2v writes into the archive follows the process umask, like `open()` does: under the
usual 022 a colleague's account or a web server can read the videos, not only the recipes."""

import os
import stat
import subprocess
import sys

from tests.conftest import gradient_picture

ARGS = ["--model", "tiny", "--resolution", "256p", "--frames", "8", "--fps", "8", "--steps", "2", "--seed", "3"]


def test_archive_files_are_group_and_other_readable_under_umask_022(tmp_path):
    picture = tmp_path / "leaf.png"
    gradient_picture(320, 240).save(picture)
    home = tmp_path / "outputs"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "I2V_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "i2v.cli", "generate", str(picture), "--prompt", "a leaf swaying", *ARGS,
         "--loop", "pingpong", "--export", "webm,gif,frames,sheet,pack"],
        capture_output=True, text=True, env=env, timeout=300, preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    files = [p for p in home.rglob("*") if p.is_file()]
    suffixes = {p.suffix for p in files}
    assert {".mp4", ".jpg", ".json", ".png", ".webm", ".gif", ".zip"} <= suffixes, suffixes
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in files}
    assert all(mode == 0o644 for mode in modes.values()), {n: oct(m) for n, m in modes.items()}


def test_atomic_target_follows_a_stricter_umask(tmp_path):
    """The mode comes from the umask, not from a fixed number: 077 gives 0600."""
    script = ("import os, sys; from pathlib import Path; from i2v.files import temporary_sibling; os.umask(0o077); "
              "t = temporary_sibling(Path(sys.argv[1])); print(oct(os.stat(t).st_mode & 0o777)); print(t.name)")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "clip.mp4")], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "0o600"
    assert out[1].startswith(".clip.") and out[1].endswith(".mp4.part")  # swept by Archive.sweep_incomplete

"""Issue 15, class 7: same seed, same video, across processes too.

Two `i2v generate` runs of the same command in two processes at once (so they compete for the
CPUs, as on a busy machine) must give MP4s whose decoded frames are identical, pixel for pixel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from i2v.media import read_video
from tests.conftest import gradient_picture
from tests.hardening.conftest import count

COMMAND = ["--prompt", "a cell dividing slowly", "--model", "tiny", "--seed", "7", "--resolution", "256p",
           "--frames", "8", "--steps", "3"]


def test_two_processes_make_the_same_video(tmp_path):
    picture = tmp_path / "cell.png"
    gradient_picture(320, 240).save(picture)
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "i2v.cli", "generate", str(picture), *COMMAND,
                              "--out", str(tmp_path / f"run{n}")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
            for n in (1, 2)]
    videos = []
    for run in runs:
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
        videos.append(Path(out.strip().splitlines()[-1]))  # the last line printed is the MP4's path
    first, second = (read_video(v)[0] for v in videos)
    assert first.shape == second.shape == (8, 192, 256, 3), (first.shape, second.shape)
    assert np.array_equal(first, second), f"decoded frames differ: mean {np.abs(first.astype(int) - second).mean():.3f}"
    assert first.std() > 10  # real content, not two blank videos
    count("reproducible: CLI runs in two processes", 2)

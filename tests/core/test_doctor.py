"""`i2v doctor`'s fixes are commands that work as printed."""

import sys
from pathlib import Path

import pytest

from i2v.cli import main
from i2v.doctor import CUDA_INDEX_URL, gpu_fix
from i2v.download import download_command, i2v_program
from i2v.settings import DEFAULT_MODEL

VENV_BIN = Path(sys.executable).parent


def test_cpu_build_fix_reinstalls_the_cuda_build_of_the_same_version():
    fix = gpu_fix(None, "2.13.0")
    # A plain `pip install torch==2.13.0` keeps the CPU build that is already installed.
    assert "--force-reinstall torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128" in fix
    assert CUDA_INDEX_URL.endswith("/cu128") and ".venv/bin/pip" in fix
    assert "driver" in gpu_fix("12.8") and "--index-url" not in gpu_fix("12.8")


@pytest.mark.skipif(not (VENV_BIN / "i2v").is_file(), reason="the i2v script is not installed next to this Python")
def test_commands_are_runnable_from_the_app_folder(tmp_path):
    app = VENV_BIN.parent.parent  # the folder that holds .venv/
    assert i2v_program(app) == f"{VENV_BIN.parent.name}/bin/i2v"
    assert i2v_program(tmp_path) == str((VENV_BIN / "i2v").absolute())  # an environment elsewhere: its full path
    assert download_command(DEFAULT_MODEL, cwd=app) == f"{VENV_BIN.parent.name}/bin/i2v download"
    assert download_command("me/other", "abc", cwd=app).endswith("i2v download --model me/other --revision abc")


def test_doctor_prints_the_fix_under_a_failed_check(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("I2V_HOME", str(tmp_path / "outputs"))  # the disk check creates the archive folder
    code = main(["doctor", "--model", str(tmp_path / "no-such-folder")])
    out = capsys.readouterr().out
    assert code == 1
    weights = next(line for line in out.splitlines() if "Weights" in line)
    assert weights.startswith("[!!]")
    assert "no-such-folder" in weights  # the message names what I2V_MODEL points at
    fix = out.split(weights)[1].splitlines()[1]
    assert "i2v models" in fix and "i2v download" in fix

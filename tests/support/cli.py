"""Run `i2v ...` inside the test process: the same `i2v.cli.main` a shell runs, with its own
environment, stdout, stderr and exit code, but without paying a Python start, torch import and
model build per call (25–30 s each on the 2-core CPU). Tests where the process itself is the point
(a signal's exit code, the installed entry point) keep a real subprocess."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


@contextlib.contextmanager
def _environment(changes: Mapping[str, str | None]):
    """Set (or, for None, remove) environment variables for the call, and put them back after."""
    saved = {key: os.environ.get(key) for key in changes}
    try:
        for key, value in changes.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_i2v(*args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`i2v ARGS` in process: a CompletedProcess with the exit code (main's return value, or the code
    of a SystemExit such as argparse's 2) and what it printed to stdout and stderr."""
    from i2v.cli import main

    out, err = io.StringIO(), io.StringIO()
    level = logging.getLogger("i2v").level
    code: int | str | None
    with _environment({"HF_HUB_OFFLINE": "1", **(env or {})}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            (contextlib.chdir(cwd) if cwd else contextlib.nullcontext()):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code
    logging.getLogger("i2v").setLevel(level)  # main's configure_logging must not change later tests' logs
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=err)
        code = 1
    return subprocess.CompletedProcess(["i2v", *args], code, out.getvalue(), err.getvalue())


def run_cli(*args: str, home: Path, env: Mapping[str, str | None] | None = None) -> subprocess.CompletedProcess:
    """`i2v ARGS` in process with its outputs under `home` (I2V_HOME)."""
    return run_i2v(*args, env={"I2V_HOME": str(home), **(env or {})})


def generate_once(folder: Path, picture_name: str, prompt: str, seed: str, args: list[str]):
    """One `i2v generate` of a drawn picture into `folder`/outputs: (folder, the MP4 it printed last, the run)."""
    from i2v.samples import gradient_picture

    picture = folder / picture_name
    gradient_picture(400, 300).save(picture)
    result = run_cli("generate", str(picture), "--prompt", prompt, "--seed", seed, *args, home=folder / "outputs")
    assert result.returncode == 0, result.stderr
    return folder, Path(result.stdout.strip().splitlines()[-1]), result

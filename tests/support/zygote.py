"""The process side of `tests.support.forker`: imports once what every `i2v` command imports, then
forks one fresh `i2v` process per request and reports how each one ended.

Protocol (one JSON object per line): stdin gets {"argv", "env", "cwd", "stdout", "stderr"}; stdout
answers {"pid": N} for each request and {"exit": N, "code": C} when a child ends, C as
`subprocess.Popen.returncode` gives it (negative: killed by that signal). The loop is one thread
(select on stdin, reap with WNOHANG), so nothing holds a lock at the moment of a fork.

Run by the tests only (`python -m tests.support.zygote`), never by the product.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import sys


def _preload() -> None:
    """What `i2v serve`, `i2v worker` and `i2v generate` import before their first real work."""
    import diffusers  # noqa: F401 - the model build imports these in every command that loads one
    import gradio  # noqa: F401
    import torch  # noqa: F401
    import transformers  # noqa: F401
    import uvicorn  # noqa: F401

    import i2v.cli  # noqa: F401
    import i2v.jobs.remote_worker  # noqa: F401
    import i2v.web.app  # noqa: F401
    import i2v.web.serving  # noqa: F401
    from i2v.engine.registry import SPECS

    for spec in SPECS:  # each family's engine and test model, as its first load imports them
        for module in ("engine", "test_model"):
            importlib.import_module(f"i2v.engine.{spec.family}.{module}")


def _child(request: dict) -> None:
    """Become `python -m i2v.cli ARGV` with the request's environment, folder and output files."""
    import tempfile

    import torch

    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    tempfile.tempdir = None  # TMPDIR as the new environment says
    if "OMP_NUM_THREADS" in os.environ:  # read by a fresh process at start; set it as that would
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = out if request["stderr"] is None else os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.closerange(3, 4096)  # like Popen's close_fds: only stdin, stdout and stderr are inherited
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)
    sys.argv = [sys.argv[0], *request["argv"]]

    import i2v.cli

    code: object = 1
    try:
        code = i2v.cli.main(request["argv"])
    except SystemExit as exc:
        code = exc.code
    except BaseException:  # noqa: BLE001 - printed as the interpreter would, then exit 1
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            atexit._run_exitfuncs()  # logging's flush and every handler i2v registered, as at a normal exit
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _say({"exit": pid, "code": os.waitstatus_to_exitcode(status)})


def _say(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    _preload()
    _say({"ready": os.getpid()})
    buffered = b""
    while True:
        readable, _, _ = select.select([0], [], [], 0.05)
        _reap()
        if not readable:
            continue
        chunk = os.read(0, 1 << 16)
        if not chunk:  # the test session ended
            return 0
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _child(request)
            _say({"pid": pid})


if __name__ == "__main__":
    sys.exit(main())

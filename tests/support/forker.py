"""Fresh `i2v` processes (servers, workers, CLI commands) in about a second instead of seven.

Starting `python -m i2v.cli …` spends 6–7 s of a 2-core machine importing torch, Gradio and
diffusers before it does anything, and the suite starts dozens of them: for a restart, a kill -9,
a full disk, a cluster of workers, an exit code. Here one helper process per test session
(`tests.support.zygote`) imports all of that once and forks a child per command. Each child is a
real process with its own pid, memory, files and signals: it can be killed with SIGKILL, sent Ctrl-C
or SIGTERM, and its exit status is the one `i2v` chose, so the tests about processes still test
processes. What a fork cannot give is what the interpreter or the C library read when a process
starts, so a command whose environment differs from the session's in anything but i2v's own
settings (I2V_*: read at run time by `Settings`) and OMP_NUM_THREADS runs by exec as before:
MALLOC_PERTURB_, HF_HOME, PYTHON*… `spawn` decides; TESTS_NO_FORK=1 makes every command an exec.

`Forked` has the part of `subprocess.Popen` the tests use: pid, args, returncode, poll(),
wait(timeout), send_signal(), terminate(), kill().
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORK_SAFE = frozenset({"OMP_NUM_THREADS"})  # set in the child the way a fresh process reads it
UNREAD = frozenset({"PYTHONPATH", "PYTEST_CURRENT_TEST"})  # the zygote's own path; pytest's note of the running test
COUNTS = {"forked": 0, "exec": 0}  # how the session's i2v processes started (printed at the end of the run)


class Forked:
    """A child of the session's zygote, seen through the zygote's reports of how it ended."""

    def __init__(self, pid: int, args: list[str], forker: Forker) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._ended = threading.Event()
        self._forker = forker

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:  # as Popen: never signal a pid that may have been reused
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Forker:
    """The zygote process and the thread that reads its reports."""

    def __init__(self) -> None:
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        self._process = subprocess.Popen([sys.executable, "-m", "tests.support.zygote"], cwd=REPO, env=self.env,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._lock = threading.Lock()
        self._pids: list[int] = []
        self._pid_ready = threading.Condition()
        self._children: dict[int, Forked] = {}
        self._early: dict[int, int] = {}  # exits reported before the Forked was registered
        first = json.loads(self._process.stdout.readline() or b"{}")
        if "ready" not in first:
            raise RuntimeError("the test zygote did not start (see the output above)")
        self._reader = threading.Thread(target=self._read, name="zygote-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self._process.stdout:
            message = json.loads(line)
            with self._pid_ready:
                if "pid" in message:
                    self._pids.append(message["pid"])
                    self._pid_ready.notify_all()
                elif "exit" in message:
                    child = self._children.pop(message["exit"], None)
                    if child is None:
                        self._early[message["exit"]] = message["code"]
                    else:
                        child._set_exit(message["code"])
        with self._pid_ready:  # the zygote is gone (its children's ends will not be reported): wake `fork`
            self._pid_ready.notify_all()

    def can_fork(self, env: dict[str, str]) -> bool:
        """Only what `Settings` reads at run time may differ from the zygote's start."""
        keys = set(env) | set(self.env)
        differ = {key for key in keys if env.get(key) != self.env.get(key)} - UNREAD
        unsafe = sorted(key for key in differ if not (key.startswith("I2V_") or key in FORK_SAFE))
        if unsafe:
            print(f"[forker] by exec: {', '.join(unsafe)} differ from the zygote's environment", file=sys.stderr)
        return not unsafe

    def fork(self, argv: list[str], env: dict[str, str], cwd: Path, stdout: Path, stderr: Path | None) -> Forked:
        request = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(stdout),
                   "stderr": None if stderr is None else str(stderr)}
        with self._lock:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
            with self._pid_ready:
                if not self._pid_ready.wait_for(lambda: self._pids or self._process.poll() is not None, timeout=30):
                    raise RuntimeError("the test zygote did not answer a fork request in 30 s")
                if not self._pids:
                    raise RuntimeError(f"the test zygote exited with {self._process.returncode}")
                pid = self._pids.pop(0)
                child = Forked(pid, ["i2v", *argv], self)
                if pid in self._early:
                    child._set_exit(self._early.pop(pid))
                else:
                    self._children[pid] = child
        return child

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()


_FORKER: Forker | None = None
_FORKER_LOCK = threading.Lock()


def _forker() -> Forker:
    global _FORKER
    with _FORKER_LOCK:
        if _FORKER is None:
            _FORKER = Forker()
            atexit.register(_FORKER.close)
        return _FORKER


def spawn(argv: list[str], *, env: dict[str, str], stdout: Path, stderr: Path | None = None,
          cwd: Path = REPO) -> Forked | subprocess.Popen:
    """`python -m i2v.cli ARGV` with `env`, its output in `stdout` (and `stderr`, else the same
    file): forked from the session's zygote when that is faithful, else started by exec."""
    if os.environ.get("TESTS_NO_FORK") != "1":
        forker = _forker()
        if forker.can_fork(env):
            COUNTS["forked"] += 1
            return forker.fork(argv, env, cwd, stdout, stderr)
    COUNTS["exec"] += 1
    with stdout.open("wb") as out:
        err = subprocess.STDOUT if stderr is None else stderr.open("wb")
        try:
            return subprocess.Popen([sys.executable, "-m", "i2v.cli", *argv], stdout=out, stderr=err, env=env, cwd=cwd)
        finally:
            if stderr is not None:
                err.close()


def run(argv: list[str], *, env: dict[str, str], folder: Path, timeout: float = 300,
        cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`subprocess.run([python, -m, i2v.cli, *argv], capture_output=True, text=True)`, through `spawn`;
    the output files are kept in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{os.getpid()}-{threading.get_ident()}-{len(list(folder.iterdir()))}"
    out, err = folder / f"cli-{stamp}.out", folder / f"cli-{stamp}.err"
    process = spawn(argv, env=env, stdout=out, stderr=err, cwd=cwd)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        raise
    return subprocess.CompletedProcess(process.args, code, out.read_text(errors="replace"), err.read_text(errors="replace"))

"""Many fresh `i2v serve` processes, cheaply: this helper imports what a server imports before it
serves (torch, gradio, FastAPI, every i2v module) once, then forks one server per line it reads on
stdin ("PORT HOME"), printing the child's pid. Each child is a new process whose machine-learning
libraries (transformers, diffusers) are not imported yet, exactly like a server just started: the
model loads in the background while the first requests arrive. The helper refuses to run when
those libraries are already imported, since then the race the test looks for could not happen.

Run by tests/hardening/test_startup_race.py, never by the product.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    import gradio  # noqa: F401 - imported before forking, as `i2v serve` imports it before serving
    import torch  # noqa: F401
    import uvicorn  # noqa: F401

    import i2v.cli
    import i2v.web.app  # noqa: F401
    import i2v.web.serving  # noqa: F401

    lazy = [name for name in ("transformers", "diffusers") if name in sys.modules]
    if lazy:
        print(f"error: {', '.join(lazy)} already imported before serving", flush=True)
        return 1
    print("ready", flush=True)
    for line in sys.stdin:
        port, home = line.split()
        pid = os.fork()
        if pid == 0:  # the child: a server whose start-up from here on is the real one
            os.environ["I2V_HOME"] = home
            os.environ["I2V_MODEL"] = "tiny"
            log = os.open(os.path.join(home, "server.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os._exit(i2v.cli.main(["--verbose", "serve", "--port", port]))
        print(pid, flush=True)
        while True:  # reap the servers the test has stopped
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A worker process's identity and secrets without a cluster: the roster's one-live-process-per-name
rule on a real SQLite file, the default name, and `i2v worker`'s refusals of bad secret flags and
files (which stop it before it reaches any server). The cluster tests (test_cluster.py) run the
same rules through real workers, Redis and the server."""

from __future__ import annotations

import os
import time

import pytest

from i2v.cli import main
from i2v.jobs.remote_worker import default_name, device_label
from i2v.jobs.store import JobStore, WorkerNameTaken

WORKER = {"gpu": None, "family": "i2vgenxl", "models": ["tiny"], "loaded_model": None, "job_id": None}


@pytest.fixture
def store(tmp_path):
    built = JobStore(tmp_path / "jobs.sqlite3")
    yield built
    built.close()


def test_a_name_belongs_to_one_live_worker_and_passes_on_once_it_is_silent(store):
    store.roster.record_worker(worker_id="first-process", name="lab-gpu0", live_since=time.time() - 30, **WORKER)
    store.roster.record_worker(worker_id="first-process", name="lab-gpu0", live_since=time.time() - 30,
                        **{**WORKER, "job_id": "j1"})  # its own next heartbeat
    with pytest.raises(WorkerNameTaken, match="'lab-gpu0' belongs to another worker that is running") as refused:
        store.roster.record_worker(worker_id="second-process", name="lab-gpu0", live_since=time.time() - 30, **WORKER)
    assert refused.value.holder.id == "first-process" and "free in 30 s" in str(refused.value)
    assert [(w.id, w.job_id) for w in store.roster.workers()] == [("first-process", "j1")]
    # Silent for longer than the window (its process died): the name is the newcomer's, the dead row goes.
    store.roster.record_worker(worker_id="second-process", name="lab-gpu0", live_since=time.time() + 1, **WORKER)
    assert [(w.id, w.name) for w in store.roster.workers()] == [("second-process", "lab-gpu0")]
    store.roster.record_worker(worker_id="third-process", name="lab-gpu1", live_since=time.time() - 30, **WORKER)
    assert {w.name for w in store.roster.workers()} == {"lab-gpu0", "lab-gpu1"}  # other names are untouched


@pytest.mark.parametrize(("visible", "label"), [
    ("1", "gpu1"), ("0,1", "gpu0+1"), ("", "cpu"), ("-1", "cpu"),
    ("GPU-8f2a1b3c-1111-2222-3333-444455556666", "gpu8f2a1b3c"), ("MIG-5d1e0a77-aaaa", "gpu5d1e0a77"),
])
def test_the_default_name_carries_the_device_cuda_visible_devices_pins(monkeypatch, visible, label):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert device_label(None) == label
    assert device_label(3) == "gpu3"  # --gpu wins
    assert default_name(None, pid=4242).endswith(f"-{label}-4242")
    assert default_name(None) != default_name(None, pid=os.getpid() + 1)  # two processes, two names


def test_secret_flags_and_files_are_checked_before_anything_starts(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    cases = [
        (["--token", "a", "--token-file", str(token)], {}, "give --token or --token-file, not both"),
        (["--token-file", str(tmp_path / "missing")], {}, "cannot read the workers' token from"),
        (["--token-file", str(empty)], {}, "is empty; it must hold the workers' token"),
        (["--token-file", str(token)], {}, "the worker needs the broker's address: I2V_BROKER, --broker-file"),
        (["--broker-file", str(empty)], {"I2V_WORKER_TOKEN": "t"}, "is empty; it must hold the broker's URL"),
    ]
    for args, env, message in cases:
        monkeypatch.delenv("I2V_WORKER_TOKEN", raising=False)
        monkeypatch.delenv("I2V_BROKER", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert main(["worker", "--server", "http://127.0.0.1:9", *args]) == 2, args
        said = capsys.readouterr().err
        assert message in said and "Traceback" not in said, (args, said)

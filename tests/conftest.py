"""Shared fixtures. No test may reach the network: the hub is forced offline before any import."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from i2v.samples import gradient_picture  # noqa: E402,F401 - shared with the test modules

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def picture() -> Image.Image:
    return gradient_picture()


@pytest.fixture
def picture_file(tmp_path: Path, picture: Image.Image) -> Path:
    path = tmp_path / "diagram.png"
    picture.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_engine():
    """The tiny random-weight I2VGen-XL, built once per test session on the CPU."""
    from i2v.engine.i2vgenxl import SPEC, load_engine
    from i2v.engine.memory_plan import choose_plan

    return load_engine("tiny", choose_plan(SPEC, device="cpu"))


@pytest.fixture(scope="session")
def shared_server(tmp_path_factory):
    """One tiny-model server for every module whose tests only add to its state (teaching API,
    exports, browser, bad JSON, lenient input, the Gradio client): one start for the whole session
    instead of one per module or folder. Modules opt in by overriding `server` with it. Served from a
    thread of this process (tests.support.app_server), over real HTTP on loopback."""
    from tests.support.app_server import start_app_server

    srv = start_app_server(tmp_path_factory.mktemp("shared-home"))
    yield srv
    srv.stop()


def _mentions_a_gpu(mark: pytest.Mark) -> bool:
    text = " ".join(str(part) for part in (*mark.args, *mark.kwargs.values())).lower()
    return any(word in text for word in ("cuda", "gpu"))


def pytest_collection_modifyitems(config, items):
    """GPU tests carry the `gpu` marker (`-m "not gpu"` leaves them out; elsewhere they are skipped
    here when torch sees no CUDA device), and a test that skips itself for want of a GPU without
    the marker is a collection error, so `-m gpu` on a lent GPU machine finds every one of them."""
    unmarked = [item.nodeid for item in items if item.get_closest_marker("gpu") is None
                and any(_mentions_a_gpu(mark) for mark in item.iter_markers("skipif"))]
    if unmarked:
        raise pytest.UsageError("tests that need a GPU must carry @pytest.mark.gpu: " + ", ".join(unmarked))
    gpu_tests = [item for item in items if item.get_closest_marker("gpu") is not None]
    if gpu_tests:
        import torch

        if not torch.cuda.is_available():
            skip = pytest.mark.skip(reason="needs a CUDA GPU (marker `gpu`); none here")
            for item in gpu_tests:
                item.add_marker(skip)
    if getattr(config.option, "dist", "no") != "no":
        items[:] = heaviest_modules_first(items)


# A rough cost of one test by its markers, in units of a plain unit test.
_WEIGHTS = {"browser": 12, "distributed": 12, "slow": 6}


def heaviest_modules_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The order for pytest-xdist's `--dist loadfile`, which hands whole modules to idle workers in
    collection order: the costly modules (browser, several machines, slow) first and the quick
    ones last fill the workers evenly, where alphabetical order left one worker running a long
    browser module at the end while the other had nothing to do. Tests keep their order within a
    module (module fixtures are built once)."""
    weight: dict[Path, int] = {}
    for item in items:
        cost = max((w for name, w in _WEIGHTS.items() if item.get_closest_marker(name)), default=1)
        weight[item.path] = weight.get(item.path, 0) + cost
    return sorted(items, key=lambda item: -weight[item.path])


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session, driven by Playwright; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter):
    from tests.support.forker import COUNTS

    if any(COUNTS.values()):
        terminalreporter.write_line(f"i2v processes: {COUNTS['forked']} forked from the test zygote, {COUNTS['exec']} by exec")

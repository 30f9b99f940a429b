"""Fetch the I2VGen-XL weights from the Hugging Face hub and check that they are complete.

The only code in i2v that downloads anything; the server and the CLI's `generate` never do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COMPONENT_FILES = {
    "unet": "diffusion_pytorch_model",
    "vae": "diffusion_pytorch_model",
    "text_encoder": "model",
    "image_encoder": "model",
}
CONFIG_FILES = (
    "model_index.json",
    "unet/config.json",
    "vae/config.json",
    "text_encoder/config.json",
    "image_encoder/config.json",
    "scheduler/scheduler_config.json",
    "feature_extractor/preprocessor_config.json",
    "tokenizer/vocab.json",
    "tokenizer/merges.txt",
)


def allow_patterns(variant: str | None) -> list[str]:
    """fp16 files only by default (~11 GB); full precision doubles that and is only for CPU tests."""
    weights = "*.fp16.safetensors" if variant == "fp16" else "*[!6].safetensors"
    return ["*.json", "*.txt", weights]


def download(model: str, *, revision: str | None = None, variant: str | None = "fp16") -> Path:
    """Download (resuming if interrupted; the hub client shows progress) and verify. Returns the folder."""
    from huggingface_hub import snapshot_download

    folder = Path(snapshot_download(model, revision=revision, allow_patterns=allow_patterns(variant)))
    problems = verify(folder, variant)
    if problems:
        raise RuntimeError("The download is incomplete or damaged:\n- " + "\n- ".join(problems) + "\nRun the command again to resume.")
    return folder


def verify(folder: Path, variant: str | None) -> list[str]:
    """Every config present and parseable; every weight file's safetensors header readable."""
    from safetensors import safe_open

    problems: list[str] = []
    for rel in CONFIG_FILES:
        path = folder / rel
        if not path.is_file():
            problems.append(f"missing {rel}")
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"{rel} is not valid JSON ({exc})")
    suffix = f".{variant}.safetensors" if variant else ".safetensors"
    for component, stem in COMPONENT_FILES.items():
        path = folder / component / f"{stem}{suffix}"
        if not path.is_file():
            problems.append(f"missing {component}/{path.name}")
            continue
        try:
            with safe_open(str(path), framework="pt") as handle:
                if not list(handle.keys()):
                    problems.append(f"{component}/{path.name} holds no tensors")
        except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
            problems.append(f"{component}/{path.name} is damaged ({exc})")
    return problems


# ---- the commands people are told to run (doctor, the studio's first-run panel, `i2v presets`)


def i2v_program(cwd: Path | None = None) -> str:
    """The `i2v` command as typed from `cwd` (the app's folder): `.venv/bin/i2v` when the running
    Python is the app's own environment, so the printed command works without activating it;
    an absolute path for an environment elsewhere; plain `i2v` when there is no such script."""
    script = Path(sys.executable).parent / "i2v"
    if not script.is_file():
        return "i2v"
    try:
        relative = script.absolute().relative_to((cwd or Path.cwd()).absolute()).as_posix()
    except ValueError:
        return str(script.absolute())
    return relative if "/" in relative else f"./{relative}"


def download_command(model: str, revision: str | None = None, cwd: Path | None = None) -> str:
    """The exact command that fetches `model`'s weights, runnable from `cwd`."""
    from i2v.settings import DEFAULT_MODEL

    command = f"{i2v_program(cwd)} download"
    if model != DEFAULT_MODEL:
        command += f" --model {model}"
    return command + (f" --revision {revision}" if revision else "")

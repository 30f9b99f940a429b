"""Fetch a model family's weights from the Hugging Face hub and check that they are complete.

The only code in i2v that downloads anything; the server and the CLI's `generate` never do. What to
fetch and what to check comes from the family's spec (`ModelSpec.weights`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from i2v.engine.spec import ModelSpec


def allow_patterns(spec: ModelSpec, variant: str | None) -> list[str]:
    """The family's diffusers folders only (some hub repositories also hold multi-GB single-file
    checkpoints at their root), in the half-precision variant where the repository has one."""
    weights = "*.safetensors"
    if spec.weights.variant is not None:
        weights = f"*.{variant}.safetensors" if variant else "*[!6].safetensors"
    folders = sorted({*spec.weights.components, *(Path(c).parent.as_posix() for c in spec.weights.configs)} - {"."})
    patterns = ["model_index.json"]
    for folder in folders:
        patterns += [f"{folder}/*.json", f"{folder}/*.txt", f"{folder}/*.model", f"{folder}/{weights}"]
    return patterns


def download(model: str, spec: ModelSpec, *, revision: str | None = None, full_precision: bool = False) -> Path:
    """Download (resuming if interrupted; the hub client shows progress) and verify. Returns the folder."""
    from huggingface_hub import snapshot_download

    variant = None if full_precision else spec.weights.variant
    folder = Path(snapshot_download(model, revision=revision, allow_patterns=allow_patterns(spec, variant)))
    problems = verify(folder, spec, variant)
    if problems:
        raise RuntimeError("The download is incomplete or damaged:\n- " + "\n- ".join(problems) + "\nRun the command again to resume.")
    return folder


def verify(folder: Path, spec: ModelSpec, variant: str | None) -> list[str]:
    """Every config present and parseable; every weight file's safetensors header readable. Weights
    may be one file or shards listed in a `.safetensors.index.json`."""
    problems: list[str] = []
    for rel in spec.weights.configs:
        path = folder / rel
        if not path.is_file():
            problems.append(f"missing {rel}")
        elif path.suffix == ".json":
            try:
                json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                problems.append(f"{rel} is not valid JSON ({exc})")
    suffix = f".{variant}.safetensors" if variant else ".safetensors"
    for component, stem in spec.weights.components.items():
        problems += _check_weights(folder / component, f"{stem}{suffix}")
    return problems


def _check_weights(folder: Path, name: str) -> list[str]:
    single, index = folder / name, folder / f"{name}.index.json"
    if single.is_file():
        files = [single]
    elif index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return [f"{folder.name}/{index.name} is damaged ({exc})"]
        files = [folder / shard for shard in shards]
    else:
        return [f"missing {folder.name}/{name}"]
    problems = []
    for path in files:
        problems += _check_safetensors(path, f"{folder.name}/{path.name}")
    return problems


def _check_safetensors(path: Path, shown: str) -> list[str]:
    from safetensors import safe_open

    if not path.is_file():
        return [f"missing {shown}"]
    try:
        with safe_open(str(path), framework="pt") as handle:
            if not list(handle.keys()):
                return [f"{shown} holds no tensors"]
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
        return [f"{shown} is damaged ({exc})"]
    return []


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

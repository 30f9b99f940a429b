"""Finding a model's weights on this machine — a local folder or a hub download already made — without
downloading anything. The server never fetches gigabytes on its own; `i2v download` does that."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from i2v.engine.base import ModelInfo, ModelNotAvailable
from i2v.engine.imports import IMPORT_LOCK
from i2v.engine.spec import ModelSpec


def local_folder(model: str) -> Path | None:
    """`model` as a local checkpoint folder, or None when it names no folder."""
    folder = Path(model).expanduser()
    return folder if folder.is_dir() else None


def cached_snapshot(model: str, revision: str | None = None) -> Path | None:
    """The hub cache's snapshot of `model` (a hub id) when it was downloaded, else None."""
    with IMPORT_LOCK:  # huggingface_hub resolves names lazily too: see engine.imports
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model, revision=revision, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        return None


def pipeline_class(folder: Path) -> str | None:
    """`_class_name` of a diffusers folder's `model_index.json` (None when absent or unreadable)."""
    return _class_name(folder / "model_index.json")


def has_component(folder: Path, name: str) -> bool:
    """Does the folder's `model_index.json` name a component `name` (not `[null, null]`)?"""
    try:
        data = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    entry = data.get(name) if isinstance(data, dict) else None
    return isinstance(entry, list) and any(part is not None for part in entry)


def denoiser_class(folder: Path) -> str | None:
    """What the folder's denoiser is, for folders without a `model_index.json`: the class named in
    `transformer/config.json`, or "I2VGenXLUNet" when there is a `unet/` folder."""
    named = _class_name(folder / "transformer" / "config.json")
    return named or ("I2VGenXLUNet" if (folder / "unet").is_dir() else None)


def _class_name(path: Path) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("_class_name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def download_command(model: str, revision: str | None = None) -> str:
    """The command that fetches `model`, as it runs from the app's folder (`i2v.download`)."""
    from i2v.download import download_command as command

    return command(model, revision)


def resolve_checkpoint(model: str, spec: ModelSpec, revision: str | None = None) -> tuple[Path, ModelInfo]:
    """The folder holding `spec`'s weights for `model`, and what to record about them.

    Raises `ModelNotAvailable` with the exact download command when they are not here, or when the
    folder lacks one of the family's component folders.
    """
    folder = local_folder(model)
    if folder is not None:
        missing = _missing_components(folder, spec)
        if missing:
            raise ModelNotAvailable(
                f"{folder} is not a checkpoint folder of {spec.title} (no {', '.join(missing)} inside). Point I2V_MODEL at the folder "
                f"that holds model_index.json, or download the weights with: {download_command(spec.hub_id)}"
            )
        return folder, ModelInfo(id=str(folder.resolve()), source="local", revision=None,
                                 fingerprint=folder_fingerprint(folder), family=spec.family)
    snapshot = cached_snapshot(model, revision)
    if snapshot is None:
        raise ModelNotAvailable(
            f"The weights for {model} are not on this machine. Fetch them (about {spec.weights.download_gb:g} GB) "
            f"with: {download_command(model, revision)}"
        )
    if _missing_components(snapshot, spec):
        raise ModelNotAvailable(f"The download of {model} is incomplete. Run again: {download_command(model, revision)}")
    return snapshot, ModelInfo(id=model, source="hub", revision=snapshot.name, fingerprint=snapshot.name, family=spec.family)


def _missing_components(folder: Path, spec: ModelSpec) -> list[str]:
    return [f"{name}/" for name in spec.weights.components if not (folder / name).is_dir()]


def folder_fingerprint(folder: Path) -> str:
    """Cheap identity of a local checkpoint: hash of every config and every weight file's name and size."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            rel = path.relative_to(folder).as_posix()
            digest.update(rel.encode())
            digest.update(path.read_bytes() if path.suffix == ".json" else str(path.stat().st_size).encode())
    return "sha256:" + digest.hexdigest()[:16]

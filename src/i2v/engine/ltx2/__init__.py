"""LTX-2: video and sound made together (diffusers' `LTX2ImageToVideoPipeline` / `LTX2ConditionPipeline`).

Its spec (`SPEC`), its engine (frames and an `i2v.media.Audio`), and its test model `tiny-ltx2`.
`load_engine` is the family's one entry for the registry. Importing this package loads no weights.
"""

from __future__ import annotations

from i2v.engine.ltx2.spec import SPEC

__all__ = ["SPEC", "load_engine"]


def load_engine(model: str, plan, *, revision: str | None = None):
    """The engine for `model`; raises `ModelNotAvailable` when its weights are not on this machine."""
    from i2v.engine.ltx2.engine import load

    return load(model, plan, revision=revision)

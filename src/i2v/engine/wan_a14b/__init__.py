"""Wan 2.2 I2V-A14B: its spec (`SPEC`), its engine over diffusers' maintained pipeline (two experts,
an end picture, the 4-step Lightning LoRA as Fast), and its test model.

`load_engine` is the family's one entry for the registry. Importing this package loads no weights.
"""

from __future__ import annotations

from i2v.engine.wan_a14b.spec import SPEC

__all__ = ["SPEC", "load_engine"]


def load_engine(model: str, plan, *, revision: str | None = None):
    """The engine for `model`; raises `ModelNotAvailable` when its weights are not on this machine."""
    from i2v.engine.wan_a14b.engine import load

    return load(model, plan, revision=revision)

"""Wan 2.2 TI2V-5B: its spec (`SPEC`), its engine over diffusers' maintained pipeline, and its test model.

`load_engine` is the family's one entry for the registry. Importing this package loads no weights.
"""

from __future__ import annotations

from i2v.engine.wan.spec import SPEC

__all__ = ["SPEC", "load_engine"]


def load_engine(model: str, plan, *, revision: str | None = None):
    """The engine for `model`; raises `ModelNotAvailable` when its weights are not on this machine."""
    from i2v.engine.wan.engine import load

    return load(model, plan, revision=revision)

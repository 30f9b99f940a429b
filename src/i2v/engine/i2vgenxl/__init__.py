"""I2VGen-XL: its spec (`SPEC`), our own sampling loop (`I2VGenXLEngine`) and its test model.

`load_engine` is the family's one entry for the registry: a hub id already downloaded, a local
folder, or the test model's id. Importing this package loads no weights.
"""

from __future__ import annotations

from i2v.engine.i2vgenxl.spec import SPEC

__all__ = ["SPEC", "load_engine"]


def load_engine(model: str, plan, *, revision: str | None = None):
    """The engine for `model`; raises `ModelNotAvailable` when its weights are not on this machine."""
    from i2v.engine.i2vgenxl.engine import I2VGenXLEngine

    if model == SPEC.test_model:
        from i2v.engine.i2vgenxl.test_model import tiny_components, tiny_info

        def rebuild_encoders(_plan):
            fresh = tiny_components()  # seeded: the same weights every time
            return fresh.text_encoder, fresh.image_encoder

        return I2VGenXLEngine(tiny_components(), tiny_info(), plan, reload_encoders=rebuild_encoders)
    return I2VGenXLEngine.from_hub_or_folder(model, plan, revision=revision)

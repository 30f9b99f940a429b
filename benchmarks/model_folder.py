"""The full-size random-weight I2VGen-XL saved once as a diffusers-format folder (fp32 safetensors).

Benchmarks load it through the engine's real loading code (`I2VGenXLEngine.from_hub_or_folder(folder, plan)`),
so loading time and memory are those of a real checkpoint of the same size. ~10 GiB on disk,
cached under ~/.cache/i2v-bench (override: I2V_BENCH_MODEL); never commit it.

    .venv/bin/python benchmarks/model_folder.py     # builds it if missing (~2 min, ~10 GiB RAM)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

DEFAULT_FOLDER = Path(os.environ.get("I2V_BENCH_MODEL", "~/.cache/i2v-bench/i2vgen-xl-random-fp32")).expanduser()


def ensure_model_folder(folder: Path = DEFAULT_FOLDER) -> Path:
    """Return `folder`, building and saving the random full-size model there first if absent."""
    if (folder / "model_index.json").is_file():
        return folder
    import torch
    from diffusers import DDIMScheduler

    from i2v.engine.i2vgenxl.test_model import full_size_components

    started = time.perf_counter()
    parts = full_size_components(torch.float32)
    partial = folder.with_name(folder.name + ".partial")
    for name in ("unet", "vae", "text_encoder", "image_encoder"):
        getattr(parts, name).save_pretrained(partial / name, safe_serialization=True)
    parts.tokenizer.save_pretrained(partial / "tokenizer")
    parts.feature_extractor.save_pretrained(partial / "feature_extractor")
    DDIMScheduler.from_config(parts.scheduler_config).save_pretrained(partial / "scheduler")
    index = {
        "_class_name": "I2VGenXLPipeline",
        "unet": ["diffusers", "I2VGenXLUNet"], "vae": ["diffusers", "AutoencoderKL"],
        "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
        "feature_extractor": ["transformers", "CLIPImageProcessor"], "scheduler": ["diffusers", "DDIMScheduler"],
        "i2v_note": "random weights of the released architecture, for benchmarks only",
    }
    (partial / "model_index.json").write_text(json.dumps(index, indent=2))
    partial.rename(folder)
    print(f"saved the full-size random model to {folder} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return folder


if __name__ == "__main__":
    print(ensure_model_folder())

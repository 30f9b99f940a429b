"""Full-size architectures with random weights, built straight onto a device in the production dtype.

Benchmarks need the real sizes (compute and memory are then faithful, the pictures noise) without
saving and reloading 10–20 GB through the CPU: the module is created on the meta device (no memory),
then each parameter is allocated where it will run and filled deterministically, scaled by its fan-in
so activations stay finite through dozens of layers. Buffers (rotary tables, position ids) are
computed by the module itself, on the CPU, and moved along.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import torch

Factory = Callable[[], torch.nn.Module]


def _fill(tensor: torch.Tensor, name: str, seed: int) -> None:
    """Norm weights 1, biases 0, everything else N(0, 1/fan_in), seeded by the parameter's name so
    the same architecture always gets the same weights whatever the build order or device."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "bias" or leaf.endswith("_bias"):
        tensor.zero_()
        return
    if tensor.ndim == 1:
        tensor.fill_(1.0 if "norm" in name or leaf in ("weight", "scale", "gamma", "g") else 0.0)
        return
    fan_in = math.prod(tensor.shape[1:]) if tensor.ndim > 1 else tensor.shape[0]
    generator = torch.Generator(device=tensor.device).manual_seed(seed ^ zlib.crc32(name.encode()))
    values = torch.randn(tensor.shape, generator=generator, device=tensor.device, dtype=torch.float32)
    tensor.copy_(values.mul_(1.0 / math.sqrt(max(fan_in, 1))))


def materialize(factory: Factory, device: str | torch.device, dtype: torch.dtype, *, seed: int = 0) -> torch.nn.Module:
    """Build `factory()`'s module with random weights directly on `device` in `dtype`."""
    from accelerate import init_empty_weights
    from accelerate.utils import set_module_tensor_to_device

    with init_empty_weights(include_buffers=False):
        module = factory()
    device = torch.device(device)
    with torch.no_grad():
        for name, parameter in list(module.named_parameters()):
            target = dtype if parameter.is_floating_point() else parameter.dtype
            value = torch.empty(parameter.shape, dtype=target, device=device)
            _fill(value, name, seed)
            set_module_tensor_to_device(module, name, device, value=value, dtype=target)
    return module.to(device).eval().requires_grad_(False)


"""What a script hands to :meth:`Model.predict`, as RGB uint8 arrays, and devices as names.

One image: a path, a PIL image, an (H, W, 3) uint8 array (gray, RGBA and float arrays are
converted as the rest of FCN Studio converts them), or a torch tensor (C, H, W) of uint8
0-255 or float in [0, 1], on any device. Several: a list, tuple or any iterable of those,
an (N, H, W, 3) array or an (N, C, H, W) tensor.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import numpy as np

from fcn_studio.errors import FCNStudioError

# Float tensors hold [0, 1]; a little rounding noise above 1 is tolerated, 0-255 is refused.
_FLOAT_SLACK = 1e-3


def is_single(image: object) -> bool:
    """True for one image, False for a batch (an iterable of images, or a 4-D array/tensor)."""
    if isinstance(image, str | os.PathLike | bytes):
        return True
    if _is_tensor(image) or isinstance(image, np.ndarray):
        return image.ndim <= 3
    from PIL import Image

    if isinstance(image, Image.Image):
        return True
    if isinstance(image, Iterable):
        return False
    raise TypeError(
        "predict() takes a path, a PIL image, an (H, W, 3) uint8 array, a (C, H, W) tensor, or an iterable "
        f"of those, not {type(image).__name__}"
    )


def iterate(images: object) -> Iterator[object]:
    """The images of a batch one at a time (a 4-D array or tensor split on its first axis)."""
    if (_is_tensor(images) or isinstance(images, np.ndarray)) and images.ndim == 4:
        yield from (images[i] for i in range(images.shape[0]))
    else:
        yield from images  # type: ignore[misc]


def to_rgb8(image: object) -> np.ndarray:
    """One image as an (H, W, 3) uint8 RGB array (a path is read, EXIF orientation applied)."""
    if _is_tensor(image):
        return tensor_to_rgb8(image)
    from fcn_studio.data.images import as_rgb8

    return as_rgb8(image)


def tensor_to_rgb8(tensor) -> np.ndarray:
    """A (C, H, W) or (1, C, H, W) torch tensor, uint8 or float in [0, 1], on any device ->
    (H, W, 3) uint8 on the host. C is 1 (gray), 3 (RGB) or 4 (RGBA, alpha dropped)."""
    import torch

    t = tensor.detach()
    if t.ndim == 4 and t.shape[0] == 1:
        t = t[0]
    if t.ndim != 3 or t.shape[0] not in (1, 3, 4):
        raise FCNStudioError(
            "expected an image tensor of shape (C, H, W) with C = 1, 3 or 4, got {shape}", shape=tuple(t.shape)
        )
    t = t.to("cpu")
    if t.dtype == torch.uint8:
        arr = t.numpy()
    elif t.is_floating_point():
        t = t.float()
        low, high = float(t.min()) if t.numel() else 0.0, float(t.max()) if t.numel() else 0.0
        if low < -_FLOAT_SLACK or high > 1 + _FLOAT_SLACK:
            raise FCNStudioError(
                "a float image tensor must hold values in [0, 1] (this one spans {low:.3g} to {high:.3g}); "
                "divide by 255, or pass it as uint8",
                low=low,
                high=high,
            )
        arr = (t.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    else:
        raise FCNStudioError(
            "an image tensor must be uint8 (0-255) or float (0-1), not {dtype}",
            dtype=str(t.dtype).replace("torch.", ""),
        )
    arr = np.ascontiguousarray(arr.transpose(1, 2, 0))
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


def device_name(device: object) -> str:
    """A device as :func:`fcn_studio.inference.device.choose_device` names it: "auto",
    "cpu", "cuda", "cuda:1", "mps"; a ``torch.device`` is accepted as its string."""
    if device is None:
        return "auto"
    if isinstance(device, str):
        return device
    if type(device).__name__ == "device" and type(device).__module__ == "torch":
        return str(device)
    raise TypeError(f"device must be a string such as 'cpu' or 'cuda', or a torch.device, not {type(device).__name__}")


def _is_tensor(value: object) -> bool:
    """A torch tensor, recognised without importing torch for the other inputs."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach") and hasattr(value, "ndim")

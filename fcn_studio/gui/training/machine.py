"""What the fine-tune window asks of this machine: starting options, the GPU it would share,
the dataset's smallest image side, a font in which the report's table lines up."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase


def table_font():
    """A monospaced font in which a Chinese character is exactly two columns wide (Noto Sans
    Mono CJK, where installed), so the report's class table lines up beside Chinese names."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setFamilies(["Noto Sans Mono CJK SC", font.family()])
    return font


def machine_defaults() -> dict:
    """Sensible starting options: small and frozen on a laptop CPU, fuller on a GPU.

    torch is asked only if something already imported it: importing it here would freeze
    the window for seconds when the dialog opens."""
    import sys

    torch = sys.modules.get("torch")
    gpu = bool(torch is not None and torch.cuda.is_available())
    if gpu:
        return {"epochs": 20, "batch": 4, "crop": 384, "lr": 1e-4, "freeze": False}
    return {"epochs": 5, "batch": 2, "crop": 256, "lr": 1e-3, "freeze": True}


def shares_the_gpu(train_device: str) -> bool:
    """Whether a training run would share the app's GPU (torch asked only if loaded)."""
    import sys

    torch = sys.modules.get("torch")
    return train_device != "cpu" and torch is not None and torch.cuda.is_available()


def smallest_side(pairs, sample: int = 50) -> int | None:
    """The smallest side among (a sample of) the dataset's images, from headers only."""
    from PIL import Image

    sides = []
    for image_path, _mask in pairs[:sample]:
        try:
            with Image.open(image_path) as im:
                sides.append(min(im.size))
        except OSError:
            continue
    return min(sides) if sides else None

"""The one place where a compute device is chosen."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from fcn_studio.errors import FCNStudioError
from fcn_studio.messages import Message

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    description: str  # e.g. "CUDA: NVIDIA H100" or "CPU (2 threads)"
    fallback_note: Message | None = None  # set when the requested device was unavailable


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def describe(device: torch.device) -> str:
    return device_message(device).english()


def device_message(device: torch.device) -> Message:
    """The device as a sentence the interface can translate."""
    if device.type == "cuda":
        return Message("CUDA: {name}", name=torch.cuda.get_device_name(device))
    if device.type == "mps":
        return Message("Apple MPS")
    return Message("CPU ({n} {n:thread|threads})", n=torch.get_num_threads())


def choose_device(requested: object = "auto", *, allow_fallback: bool = False) -> DeviceChoice:
    """``auto`` picks CUDA, then Apple MPS, then CPU.

    Asking for CUDA or MPS where it is missing is an error on the command line; the GUI
    passes ``allow_fallback=True`` and shows the returned note instead.
    """
    requested = str(requested or "auto").lower()  # a torch.device too
    if requested.startswith("cuda"):
        if torch.cuda.is_available():
            dev = torch.device(requested)
            return DeviceChoice(dev, describe(dev))
        if not allow_fallback:
            raise FCNStudioError(
                "CUDA was requested but PyTorch finds no CUDA device (no NVIDIA GPU, driver or CUDA build of torch); choose the CPU, or let the device be chosen automatically",
                fix="device",
            )
        note = Message(
            "CUDA was requested but PyTorch finds no CUDA device (no NVIDIA GPU, driver or CUDA build of "
            "torch); running on the CPU"
        )
        return DeviceChoice(torch.device("cpu"), describe(torch.device("cpu")), note)
    if requested == "mps":
        if _mps_available():
            return DeviceChoice(torch.device("mps"), "Apple MPS")
        if not allow_fallback:
            raise FCNStudioError(
                "Apple MPS was requested but is not available; choose the CPU, or let the device be chosen automatically",
                fix="device",
            )
        return DeviceChoice(
            torch.device("cpu"), describe(torch.device("cpu")), Message("MPS unavailable; running on the CPU")
        )
    if requested == "cpu":
        return DeviceChoice(torch.device("cpu"), describe(torch.device("cpu")))
    if requested != "auto":
        raise FCNStudioError(
            "unknown device {requested!r}; choose one of {device_choices}",
            requested=requested,
            device_choices=", ".join(DEVICE_CHOICES),
        )
    if torch.cuda.is_available():
        dev = torch.device("cuda")
    elif _mps_available():
        dev = torch.device("mps")
    else:
        dev = torch.device("cpu")
    return DeviceChoice(dev, describe(dev))

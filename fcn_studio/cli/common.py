"""What every ``fcn-studio`` command shares: printing, warnings, model options, output folders."""

from __future__ import annotations

import argparse
import codecs
import sys
from pathlib import Path

from fcn_studio.cli import args as num
from fcn_studio.inference.precision import PRECISIONS
from fcn_studio.inference.runtime import BACKENDS


def say(*args: object) -> None:
    print(*args, file=sys.stdout)


def printable_streams() -> None:
    """Paths are printed as they are: a UTF-8 stream writes a file name's own bytes back even
    when they are not UTF-8 (surrogateescape), so scripts can use it; a console that cannot
    show a character (e.g. cp1252 and a Chinese name) gets an escape instead of a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None or not getattr(stream, "encoding", None):
            continue
        utf8 = codecs.lookup(stream.encoding).name == "utf-8"
        reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")


def warn(message: str) -> None:
    if sys.stderr:
        print(f"fcn-studio: {message}", file=sys.stderr)


def writable_out(folder: str) -> Path:
    from fcn_studio.files.fileio import check_writable_folder, clean_stale_temporaries

    out = check_writable_folder(folder)
    clean_stale_temporaries(out)  # left by a run that was killed while writing
    return out


def model_options(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--model", required=required, help="installed weights id or path to a weights file")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument(
        "--max-size",
        type=num.MAX_SIZE,
        default=2048,
        metavar="N",
        help="longest side the network sees; larger images are segmented at this size and the "
        "result upsampled (0 = full resolution; default 2048)",
    )
    backend_option(p)
    precision_option(p)


def precision_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="auto or fp32: exact (fp16 on CUDA for auto); bf16: approximate and several times faster on "
        "CPUs with native bf16 (AVX512-BF16/AMX; refused elsewhere), its label agreement printed first",
    )


def backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="CPU runtime: auto (ONNX Runtime once its conversion is cached, torch until then; "
        "the default), torch, or onnxruntime (default: $FCN_STUDIO_BACKEND or auto)",
    )


def allow_outside_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="read images that labelme or COCO files name outside the dataset folder (refused otherwise)",
    )

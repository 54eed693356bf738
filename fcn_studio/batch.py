"""Segmenting many files into an output folder: shared by the CLI and the GUI."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fcn_studio.errors import Cancelled, FCNStudioError
from fcn_studio.images import blend_overlay, load_image, save_mask, save_rgb
from fcn_studio.predictor import Predictor


def output_names(files: Sequence[Path]) -> list[str]:
    """Output stems: the input's stem, with _1, _2... where several inputs share one."""
    seen: dict[str, int] = {}
    names = []
    for f in files:
        n = seen.get(f.stem, 0)
        seen[f.stem] = n + 1
        names.append(f.stem if n == 0 else f"{f.stem}_{n}")
    return names


def existing_outputs(files: Sequence[Path], out_dir: Path) -> list[Path]:
    return [out_dir / f"{s}.png" for s in output_names(files) if (out_dir / f"{s}.png").exists()]


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # outputs that existed and were kept
    failures: list[str] = field(default_factory=list)  # one message per failed input


def segment_files(
    predictor: Predictor,
    files: Sequence[Path],
    out_dir: Path,
    *,
    overlay: bool = False,
    opacity: float = 0.5,
    overwrite: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchReport:
    """Write ``out_dir/<stem>.png`` palette masks (and ``<stem>_overlay.jpg``).

    A file that fails is recorded and skipped; the rest are still processed.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    report = BatchReport()
    for i, (path, stem) in enumerate(zip(files, output_names(files), strict=True)):
        if cancelled and cancelled():
            raise Cancelled(f"Cancelled after {i} of {len(files)} files; {len(report.written)} masks written.")
        target = out_dir / f"{stem}.png"
        if not overwrite and target.exists():
            report.skipped.append(target)
        else:
            try:
                image = load_image(path)
                pred = predictor.predict(image, cancelled=cancelled)
                report.written.append(save_mask(pred.labels, predictor.labels, target))
                if overlay:
                    blended = blend_overlay(image, pred.labels, predictor.labels, opacity)
                    save_rgb(blended, out_dir / f"{stem}_overlay.jpg")
            except FCNStudioError as exc:
                if isinstance(exc, Cancelled):
                    raise
                report.failures.append(str(exc))
        if progress:
            progress(i + 1, len(files), path.name)
    return report

"""What the compare view's panes show besides their overlays, as arrays: the pixels where
the models disagree or where one errs against the ground truth, the pairs' agreement, and
the layers an exported comparison is made of. No widgets: the view draws them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP

from fcn_studio.data.labels import LabelSet
from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.inference.compare import disagreement_mask, error_mask, pairwise_agreement

HIGHLIGHT_LABELS = LabelSet("highlight", ("unchanged", "highlighted"), ((0, 0, 0), (255, 32, 32)))
OVERLAY, DISAGREEMENT, ERRORS = (
    QT_TRANSLATE_NOOP("CompareView", "Overlay"),
    QT_TRANSLATE_NOOP("CompareView", "Disagreement"),
    QT_TRANSLATE_NOOP("CompareView", "Errors vs ground truth"),
)
SHOW_MODES = (OVERLAY, DISAGREEMENT, ERRORS)
RED = [0] * 256
RED[1] = 0xFFFF2020  # colour table: index 1 = highlighted pixel, everything else transparent


def highlights(results: list[SegmentationResult], mode: str, gt: np.ndarray | None) -> list[np.ndarray | None]:
    """Per result, its highlighted pixels in ``mode`` (one of SHOW_MODES), or None where it
    shows its plain overlay."""
    disagree = disagreement_mask([r.labels for r in results]) if len(results) > 1 else None
    out = []
    for r in results:
        highlight = None
        if mode == DISAGREEMENT and disagree is not None:
            highlight = disagree
        elif mode == ERRORS and gt is not None and gt.shape == r.labels.shape:
            highlight = error_mask(r.labels, gt)
        out.append(highlight)
    return out


def agreement_pairs(results: list[SegmentationResult]) -> str:
    """ "fcn8s ↔ fcn16s: 93.1 %" for each pair; the architectures are numbered where two
    panes share one (two panes on one model still get their pair: 100 %)."""
    names = [arch_name(r.arch) for r in results]
    if len(set(names)) < len(results):
        names = [f"{i + 1}·{name}" for i, name in enumerate(names)]
    pairs = pairwise_agreement({name: r.labels for name, r in zip(names, results, strict=True)})
    return "   ".join(f"{a} ↔ {b}: {100 * v:.1f} %" for (a, b), v in pairs.items())


def export_layers(
    titles: list[str], results: list[SegmentationResult], marked: list[np.ndarray | None]
) -> list[tuple[str, np.ndarray, LabelSet]]:
    """The panes as the screen shows them, for compose_grid: the labels, or the highlighted
    pixels (1, red) over the photo (255) in the Disagreement and Errors views."""
    layers = []
    for title, r, highlight in zip(titles, results, marked, strict=True):
        if highlight is None:
            layers.append((title, r.labels, r.label_set))
        else:
            layers.append((title, np.where(highlight, 1, 255).astype(np.uint8), HIGHLIGHT_LABELS))
    return layers

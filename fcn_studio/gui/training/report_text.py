"""The dataset report as the fine-tune dialog shows it, in the interface language (the
core's DatasetReport.text() is the CLI's English)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from fcn_studio.gui.shared.class_names import display_name

translate = QCoreApplication.translate

_MASK_KINDS = {
    "index": QT_TRANSLATE_NOOP("DatasetReport", "class index (palette or gray value)"),
    "binary": QT_TRANSLATE_NOOP("DatasetReport", "binary"),
    "rgb": QT_TRANSLATE_NOOP("DatasetReport", "RGB colour-coded"),
}
_LAYOUTS = {"voc": "VOC", "carvana": "Carvana"}  # proper nouns; images/ + masks/ names folders


def report_text(report) -> str:
    """Same content and order as DatasetReport.text(); notes and problems name files and
    come from the core as they are."""
    kind = report.encoding.kind
    lines = [
        translate("DatasetReport", "Dataset {root} ({layout} layout): {n} image/mask pairs").format(
            root=report.root, layout=_LAYOUTS.get(report.layout, report.layout), n=len(report.pairs)
        ),
        translate("DatasetReport", "Masks: {kind}").format(
            kind=translate("DatasetReport", _MASK_KINDS[kind]) if kind in _MASK_KINDS else kind
        )
        + (translate("DatasetReport", " (255 = foreground here, not ignore)") if kind == "binary" else ""),
        translate("DatasetReport", "Classes ({n}):").format(n=report.num_classes),
    ]
    total = max(sum(report.class_pixels), 1)
    for i, (name, count) in enumerate(zip(report.class_names, report.class_pixels, strict=True)):
        lines.append(f"  {i:3d} {display_name(name):<20} {count:>12,} px  {100 * count / total:5.1f} %")
    if report.ignored_pixels:
        lines.append(f"  {display_name('ignore')} (255)             {report.ignored_pixels:>12,} px")
    if report.unpaired_images:
        lines.append(
            translate("DatasetReport", "Images without a mask ({n}): ").format(n=len(report.unpaired_images))
            + ", ".join(p.name for p in report.unpaired_images[:10])
        )
    if report.unpaired_masks:
        lines.append(
            translate("DatasetReport", "Masks without an image ({n}): ").format(n=len(report.unpaired_masks))
            + ", ".join(p.name for p in report.unpaired_masks[:10])
        )
    lines += [translate("DatasetReport", "Note: {note}").format(note=n) for n in report.notes]
    if report.problems:
        lines.append(translate("DatasetReport", "Problems that stop training ({n}):").format(n=len(report.problems)))
        lines += [f"  {p}" for p in report.problems[:50]]
        if len(report.problems) > 50:
            lines.append(translate("DatasetReport", "  ... and {n} more").format(n=len(report.problems) - 50))
    elif not report.pairs:
        lines.append(translate("DatasetReport", "Problem: no image/mask pairs were found."))
    else:
        lines.append(translate("DatasetReport", "No problems found."))
    return "\n".join(lines)

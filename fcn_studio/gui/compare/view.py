"""Compare view: two to four models side by side on the same image, in sync."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fcn_studio import weights
from fcn_studio.compare import (
    compose_grid,
    disagreement_mask,
    error_mask,
    find_ground_truth,
    pairwise_agreement,
    score_against,
)
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui.image.inference_worker import InferenceWorker, WorkerThread
from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.class_names import display_class_name
from fcn_studio.gui.shared.overlay import OverlayMode, indexed_image, rgb_image
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.results import SegmentationResult
from fcn_studio.images import load_mask, save_rgb

DEFAULT_MODELS = ("fcn32s-voc", "fcn16s-voc", "fcn8s-voc")
SHOW_MODES = (QT_TRANSLATE_NOOP("CompareView", "Overlay"), QT_TRANSLATE_NOOP("CompareView", "Disagreement"),
              QT_TRANSLATE_NOOP("CompareView", "Errors vs ground truth"))  # fmt: skip
_RED = [0] * 256
_RED[1] = 0xFFFF2020  # index 1 = highlighted pixel, everything else transparent


class ComparePane(QWidget):
    model_changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.picker = QComboBox()
        self.picker.currentIndexChanged.connect(lambda _i: self.model_changed.emit())
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: bold;")
        self.title.setWordWrap(True)  # scores must never be cut off in narrow panes
        self.readout = QLabel("")
        self.canvas = ImageCanvas()
        self.overlay = OverlayLayer(self.canvas)
        self.result: SegmentationResult | None = None
        head = QHBoxLayout()
        head.addWidget(self.picker)
        head.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(head)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.readout)

    @property
    def model_key(self) -> str:
        return self.picker.currentData() or ""

    def fill_models(self, default: str) -> None:
        self.picker.blockSignals(True)
        self.picker.clear()
        installed = {m.id for m in weights.installed_models()}
        for m in weights.list_weights():
            if m.kind != "segmentation":
                continue
            suffix = "" if m.id in installed else self.tr("  (not installed)")
            self.picker.addItem(f"{m.id}{suffix}", m.id)
        index = self.picker.findData(default)
        self.picker.setCurrentIndex(max(index, 0))
        self.picker.blockSignals(False)

    def installed(self) -> bool:
        return self.model_key in {m.id for m in weights.installed_models()}


class CompareView(QWidget):
    error = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.worker = InferenceWorker(max_models=1)  # one VGG16 FCN in memory at a time
        self._thread = WorkerThread(self.worker, "compare")
        self.worker.result_ready.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.busy.connect(self._on_busy)
        self.device, self.max_size = "auto", 2048
        self.path: Path | None = None
        self.rgb: np.ndarray | None = None
        self.gt: np.ndarray | None = None
        self.gt_path: Path | None = None
        self._job = 0
        self._syncing = False
        self.panes: list[ComparePane] = []
        self._build()
        self.set_pane_count(3)

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        self.count = QSpinBox()
        self.count.setRange(2, 4)
        self.count.setValue(3)
        self.count.valueChanged.connect(self.set_pane_count)
        self.show_mode = QComboBox()
        for mode in SHOW_MODES:
            self.show_mode.addItem(QCoreApplication.translate("CompareView", mode), mode)
        self.show_mode.currentIndexChanged.connect(lambda _i: self._refresh_overlays())
        self.gt_label = QLabel(self.tr("Ground truth: none"))
        choose_gt = QPushButton(self.tr("Choose ground truth…"))
        choose_gt.clicked.connect(self._choose_gt)
        self.export_button = QPushButton(self.tr("Export comparison…"))
        self.export_button.clicked.connect(self.export)
        self.agreement = QLabel("")
        self.progress = QLabel("")
        bar = QHBoxLayout()
        for w in (
            QLabel(self.tr("Panes")),
            self.count,
            QLabel(self.tr("  Show")),
            self.show_mode,
            self.gt_label,
            choose_gt,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        self.grid = QGridLayout()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(self.grid, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.agreement, 1)
        foot.addWidget(self.progress)
        layout.addLayout(foot)

    def set_pane_count(self, n: int) -> None:
        while len(self.panes) < n:
            pane = ComparePane()
            pane.fill_models(DEFAULT_MODELS[len(self.panes) % len(DEFAULT_MODELS)])
            pane.model_changed.connect(self.run)
            canvas = pane.canvas
            canvas.hovered.connect(self._hovered)
            canvas.zoom_changed.connect(lambda _s, c=canvas: self._sync_from(c))
            canvas.horizontalScrollBar().valueChanged.connect(lambda _v, c=canvas: self._sync_from(c))
            canvas.verticalScrollBar().valueChanged.connect(lambda _v, c=canvas: self._sync_from(c))
            self.panes.append(pane)
        while len(self.panes) > n:
            pane = self.panes.pop()
            pane.setParent(None)
            pane.deleteLater()
        for i, pane in enumerate(self.panes):
            self.grid.addWidget(pane, i // 2 if n == 4 else 0, i % 2 if n == 4 else i)
        self.run()

    def refresh_models(self) -> None:
        for pane in self.panes:
            pane.fill_models(pane.model_key)
        self.run()

    # -- running -----------------------------------------------------------------------

    def set_image(self, path: str, rgb: np.ndarray) -> None:
        if self.path is not None and str(self.path) == path and self.rgb is rgb:
            return
        self.path, self.rgb = Path(path), rgb
        self.gt_path = find_ground_truth(path)
        self._load_gt()
        image = rgb_image(rgb)
        for pane in self.panes:
            pane.canvas.set_image(image, keep_view=True)
        self.run()

    def set_device(self, device: str, max_size: int) -> None:
        if (device, max_size) != (self.device, self.max_size):
            self.device, self.max_size = device, max_size
            self.run()

    def run(self) -> None:
        """(Re)start: every pane's model on the current image, one after another."""
        if self.path is None:
            return
        self._job += 1
        for pane in self.panes:
            pane.result = None
            pane.overlay.set_result(None)
            if not pane.model_key:
                pane.title.setText(self.tr("no model"))
            elif not pane.installed():
                pane.title.setText(self.tr("not installed: Models → Download {id}").format(id=pane.model_key))
            else:
                pane.title.setText(self.tr("waiting…"))
                self.worker.submit(self._job, str(self.path), pane.model_key, self.device, False, self.max_size)
        self.agreement.setText("")

    def _on_busy(self, text: str) -> None:
        self.progress.setText(text)

    def _on_result(self, job: int, path: str, result: SegmentationResult) -> None:
        if job != self._job or self.path is None or path != str(self.path):
            return
        for pane in self.panes:
            if pane.model_key == result.model_key and pane.result is None:
                pane.result = result
                title = f"{arch_name(result.arch)}  ·  {result.seconds:.2f} s"
                if self.gt is not None and self.gt.shape == result.labels.shape:
                    s = score_against(result.labels, self.gt, result.label_set.num_classes, pane.model_key)
                    title += self.tr("  ·  acc {acc:.1f} %  mIoU {miou:.1f} %").format(
                        acc=100 * s.pixel_accuracy, miou=100 * s.mean_iou
                    )
                pane.title.setText(title)
        self._refresh_overlays()

    def _on_failed(self, job: int, path: str, message: str) -> None:
        if job == self._job:
            self.error.emit(message)

    # -- display -------------------------------------------------------------------------

    def _done(self) -> list[ComparePane]:
        return [p for p in self.panes if p.result is not None]

    def _refresh_overlays(self) -> None:
        done = self._done()
        mode = self.show_mode.currentData()
        if mode == "Errors vs ground truth" and self.gt is None:
            self.agreement.setText(self.tr("No ground truth for this image: choose one to see errors."))
        disagree = disagreement_mask([p.result.labels for p in done]) if len(done) > 1 else None
        for pane in done:
            highlight = None
            if mode == "Disagreement" and disagree is not None:
                highlight = disagree
            elif mode == "Errors vs ground truth" and self.gt is not None and self.gt.shape == pane.result.labels.shape:
                highlight = error_mask(pane.result.labels, self.gt)
            if highlight is None:
                pane.overlay.mode = OverlayMode.FILLED
                pane.overlay.set_result(pane.result)
            else:
                image = indexed_image(highlight.astype(np.uint8))
                image.setColorTable(_RED)
                pane.canvas.set_overlay(image)
            pane.canvas.set_overlay_opacity(0.6)
        if len(done) > 1 and not (mode == "Errors vs ground truth" and self.gt is None):
            pairs = pairwise_agreement({f"{arch_name(p.result.arch)} ({p.model_key})": p.result.labels for p in done})
            text = "   ".join(f"{a.split(' ')[0]} ↔ {b.split(' ')[0]}: {100 * v:.1f} %" for (a, b), v in pairs.items())
            self.agreement.setText(self.tr("Agreement  {pairs}").format(pairs=text))

    def _hovered(self, x: int, y: int) -> None:
        for pane in self.panes:
            r = pane.result
            if x < 0 or r is None or not (0 <= y < r.labels.shape[0] and 0 <= x < r.labels.shape[1]):
                pane.readout.setText("")
                continue
            cid = int(r.labels[y, x])
            name = display_class_name(r.label_set, cid)
            truth = ""
            if self.gt is not None and self.gt.shape == r.labels.shape:
                truth = self.tr("  (truth: {name})").format(name=display_class_name(r.label_set, int(self.gt[y, x])))
            pane.readout.setText(f"x {x}, y {y}: {name} {100 * int(r.confidence[y, x]) / 255:.0f} %{truth}")

    def _sync_from(self, source: ImageCanvas) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            scale, center = source.view_state()
            for pane in self.panes:
                if pane.canvas is not source:
                    pane.canvas.set_view_state(scale, center)
        finally:
            self._syncing = False

    # -- ground truth and export ------------------------------------------------------------

    def _load_gt(self) -> None:
        self.gt = None
        if self.gt_path is not None:
            try:
                self.gt = load_mask(self.gt_path)
            except FCNStudioError as exc:
                self.error.emit(str(exc))
            if self.gt is not None and self.rgb is not None and self.gt.shape != self.rgb.shape[:2]:
                self.error.emit(
                    self.tr("{path}: the mask's size differs from the image's; ignored").format(path=self.gt_path)
                )
                self.gt = None
        self.gt_label.setText(
            self.tr("Ground truth: {name}").format(name=self.gt_path.name)
            if self.gt is not None
            else self.tr("Ground truth: none")
        )

    def _choose_gt(self) -> None:
        start = str(self.path.parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Ground-truth mask"), start, self.tr("Masks (*.png *.gif *.bmp *.tif)")
        )
        if path:
            self.gt_path = Path(path)
            self._load_gt()
            self.run()

    def export(self) -> None:
        done = self._done()
        if self.rgb is None or not done:
            QMessageBox.information(
                self, self.tr("Export comparison"), self.tr("Nothing to export yet: wait for the panes to fill in.")
            )
            return
        suggested = self.path.with_name(f"{self.path.stem}_compare.png") if self.path else Path("compare.png")
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export comparison"), str(suggested), "PNG (*.png);;JPEG (*.jpg)"
        )
        if not path:
            return
        panes = [(p.title.text().replace("  ·  ", "  "), p.result.labels, p.result.label_set) for p in done]
        if self.gt is not None:
            panes.append((self.tr("ground truth"), self.gt, done[0].result.label_set))
        try:
            save_rgb(compose_grid(self.rgb, panes, columns=2 if len(panes) == 4 else None), path)
        except FCNStudioError as exc:
            self.error.emit(str(exc))

    def shutdown(self) -> None:
        self._thread.stop()

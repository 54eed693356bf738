"""Compare view: two to four models side by side on the same image, in sync."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtGui import QImage
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

from fcn_studio.data.images import save_rgb
from fcn_studio.data.labels import LabelSet
from fcn_studio.errors import FCNStudioError
from fcn_studio.gui import settings as keys
from fcn_studio.gui.compare.ground_truth import ground_truth_line, read_ground_truth
from fcn_studio.gui.compare.highlights import (
    ERRORS,
    RED,
    SHOW_MODES,
    agreement_pairs,
    export_layers,
    highlights,
)
from fcn_studio.gui.compare.pane import ComparePane, default_choices
from fcn_studio.gui.image.inference_worker import InferenceRequest, InferenceWorker
from fcn_studio.gui.models.model_picker import arch_name
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.class_names import display_class_name
from fcn_studio.gui.shared.overlay import OverlayMode, indexed_image, rgb_image
from fcn_studio.gui.shared.results import ByteLRU, SegmentationResult, result_key
from fcn_studio.gui.shared.tasks import BackgroundTask, TaskRunner, WorkerThread
from fcn_studio.inference.compare import (
    compose_grid,
    find_ground_truth,
    score_against,
)
from fcn_studio.state.inference_choice import InferenceChoice, InferenceSettings
from fcn_studio.storage import weights


class CompareView(QWidget):
    error = Signal(str)

    saved = Signal(object)  # Path of an exported comparison

    def __init__(
        self,
        parent=None,
        settings=None,
        service=None,
        results=None,
        inference: InferenceSettings | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings  # gui Settings: the panes' picks are remembered
        self.worker = InferenceWorker(service)  # models come from the app's one model service
        self.service = self.worker.service
        self.runner = runner or TaskRunner(self)  # made alone (a test): it owns its work
        self._thread = WorkerThread(self.worker, "compare", runner=self.runner)
        self.worker.result_ready.connect(self._on_result)
        self.worker.failed.connect(self._on_failed)
        self.worker.busy.connect(self._on_busy)
        # device and size follow the window's choice (each pane picks its own model)
        self.inference = inference or InferenceSettings()
        self.inference.changed.connect(self._inference_changed)
        self._ran_with: tuple[str, int] | None = None
        self.path: Path | None = None
        self.rgb: np.ndarray | None = None
        self.display: QImage | None = None
        self.gt: np.ndarray | None = None
        self.gt_path: Path | None = None
        self._job = 0
        self._syncing = False
        # results by (image path, model file identity, device, size), shared with the image
        # workspace: switching tabs, panes or ground truth never recomputes what is known
        self._results: ByteLRU[SegmentationResult] = results if results is not None else ByteLRU(512 << 20)
        self.panes: list[ComparePane] = []
        self._build()
        count = self.settings.read(keys.COMPARE_PANES) if self.settings else keys.COMPARE_PANES.default
        self.count.setValue(max(2, min(4, count)))
        self.set_pane_count(self.count.value())

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
        self.gt_label = QLabel(ground_truth_line(None, None))
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

    def _remembered(self) -> list[str]:
        return self.settings.read(keys.COMPARE_MODELS) if self.settings else []

    def _remember(self) -> None:
        if self.settings:
            self.settings.write(keys.COMPARE_MODELS, [p.model_key for p in self.panes])
            self.settings.write(keys.COMPARE_PANES, len(self.panes))

    def set_pane_count(self, n: int) -> None:
        models = weights.list_weights()
        choices = default_choices(models, [p.model_key for p in self.panes] or self._remembered())
        while len(self.panes) < n:
            pane = ComparePane()
            pane.fill_models(models, choices[len(self.panes)])
            pane.model_changed.connect(self._pane_changed)
            canvas = pane.canvas
            canvas.hovered.connect(self._hovered)
            canvas.zoom_changed.connect(lambda _s, c=canvas: self._sync_from(c))
            canvas.horizontalScrollBar().valueChanged.connect(lambda _v, c=canvas: self._sync_from(c))
            canvas.verticalScrollBar().valueChanged.connect(lambda _v, c=canvas: self._sync_from(c))
            if self.rgb is not None:
                pane.canvas.set_image(self._image(), keep_view=False)
            self.panes.append(pane)
        while len(self.panes) > n:
            pane = self.panes.pop()
            pane.setParent(None)
            pane.deleteLater()
        columns = 2 if n == 4 else n
        for i, pane in enumerate(self.panes):
            self.grid.addWidget(pane, i // columns, i % columns)
        rows = -(-n // columns)
        for c in range(4):  # equal widths and heights, whatever the titles say
            self.grid.setColumnStretch(c, 1 if c < columns else 0)
            self.grid.setRowStretch(c, 1 if c < rows else 0)
        QTimer.singleShot(0, self._fit_all)  # the panes' sizes change with the grid
        self._remember()
        self.run()

    def _fit_all(self) -> None:
        for pane in self.panes:
            if pane.canvas.has_image():
                pane.canvas.fit()

    def refresh_models(self) -> None:
        """After models were installed, imported, re-trained or removed."""
        models = weights.list_weights()
        choices = default_choices(models, [p.model_key for p in self.panes])
        for pane, choice in zip(self.panes, choices, strict=False):
            pane.fill_models(models, choice)
        self.run()

    def _pane_changed(self) -> None:
        self._remember()
        self.run()

    # -- running -----------------------------------------------------------------------

    def _image(self) -> QImage:
        return self.display if self.display is not None else rgb_image(self.rgb)

    def set_image(self, path: str, rgb: np.ndarray, display: QImage | None = None) -> None:
        """The workspace's decoded image (and its display copy): nothing is read again."""
        if self.path is not None and str(self.path) == path and self.rgb is rgb:
            self._follow()  # the device or size may have changed while hidden
            return
        same_size = self.rgb is not None and self.rgb.shape == rgb.shape
        self.path, self.rgb, self.display = Path(path), rgb, display
        self.gt_path = find_ground_truth(path)
        self._load_gt()
        image = self._image()
        for pane in self.panes:
            pane.canvas.set_image(image, keep_view=same_size)  # another size: fitted anew
        self.run()

    @property
    def device(self) -> str:
        return self.inference.device

    @property
    def max_size(self) -> int:
        return self.inference.max_size

    def _inference_changed(self, _choice: InferenceChoice) -> None:
        if self.isVisible():  # a hidden view runs nothing; it catches up when shown
            self._follow()

    def _follow(self) -> None:
        if (self.device, self.max_size) != self._ran_with:
            self.run()

    def _key(self, model: str) -> tuple | None:
        try:
            return result_key(self.path, self.service.identity(model), self.device, self.max_size)
        except FCNStudioError:
            return None

    def run(self) -> None:
        """Fill every pane: from known results at once, the others one model after another."""
        if self.path is None or self.rgb is None:
            return
        self._job += 1
        self._ran_with = (self.device, self.max_size)
        self.worker.cancel_all()
        for pane in self.panes:
            pane.result = None
            pane.overlay.set_result(None)
            if not pane.model_key:
                pane.title.setText(self.tr("no model"))
            elif not pane.installed():
                pane.title.setText(self.tr("not installed: Models → Download {id}").format(id=pane.model_key))
            else:
                key = self._key(pane.model_key)
                cached = self._results.get(key) if key is not None else None
                if cached is not None:
                    self._fill(pane, cached)
                    continue
                pane.title.setText(self.tr("waiting…"))
                self.worker.submit(
                    InferenceRequest(
                        self._job, str(self.path), pane.model_key, self.device, self.max_size, rgb=self.rgb
                    )
                )
        self._refresh_overlays()

    def _on_busy(self, text: str) -> None:
        self.progress.setText(text)

    def _on_result(self, job: int, path: str, result: SegmentationResult) -> None:
        self._results.put(result.cache_key(path), result)
        if job != self._job or self.path is None or path != str(self.path):
            return
        for pane in self.panes:
            if pane.model_key == result.model_key and pane.result is None:
                self._fill(pane, result)
        self._refresh_overlays()

    def _fill(self, pane: ComparePane, result: SegmentationResult) -> None:
        pane.result = result
        self._title(pane)

    def _title(self, pane: ComparePane) -> None:
        """Model (by its id: versions of one model share an architecture), architecture, time
        and, with a ground truth, its scores (recomputed, never re-run)."""
        r = pane.result
        title = f"{r.model_key}  ·  {arch_name(r.arch)}  ·  {r.seconds:.2f} s"
        if self.gt is not None and self.gt.shape == r.labels.shape:
            s = score_against(r.labels, self.gt, r.label_set.num_classes, pane.model_key)
            title += self.tr("  ·  acc {acc:.1f} %  mIoU {miou:.1f} %").format(
                acc=100 * s.pixel_accuracy, miou=100 * s.mean_iou
            )
        pane.title.setText(title)

    def _on_failed(self, job: int, path: str, message: str) -> None:
        if job == self._job:
            self.error.emit(message)

    # -- display -------------------------------------------------------------------------

    def _done(self) -> list[ComparePane]:
        return [p for p in self.panes if p.result is not None]

    def _highlights(self, done: list[ComparePane]) -> list[np.ndarray | None]:
        """What each pane shows besides the plain overlay: disagreement or its errors."""
        return highlights([p.result for p in done], self.show_mode.currentData(), self.gt)

    def _refresh_overlays(self) -> None:
        done = self._done()
        mode = self.show_mode.currentData()
        if mode == ERRORS and self.gt is None:
            self.agreement.setText(self.tr("No ground truth for this image: choose one to see errors."))
        for pane, highlight in zip(done, self._highlights(done), strict=True):
            if highlight is None:
                pane.overlay.mode = OverlayMode.FILLED
                pane.overlay.set_result(pane.result)
            else:
                image = indexed_image(highlight.astype(np.uint8))
                image.setColorTable(RED)
                pane.canvas.set_overlay(image)
            pane.canvas.set_overlay_opacity(0.6)
        if len(done) > 1 and not (mode == ERRORS and self.gt is None):
            text = agreement_pairs([p.result for p in done])
            self.agreement.setText(self.tr("Agreement  {pairs}").format(pairs=text))
        elif len(done) <= 1 and not (mode == ERRORS and self.gt is None):
            self.agreement.setText("")

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
        self.gt, problems = read_ground_truth(self.gt_path, self.rgb.shape if self.rgb is not None else None)
        for problem in problems:
            self.error.emit(problem)
        self.gt_label.setText(ground_truth_line(self.gt_path, self.gt))
        self.gt_label.setToolTip(str(self.gt_path) if self.gt is not None else "")  # the whole path

    def _choose_gt(self) -> None:
        start = str(self.path.parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Ground-truth mask"), start, self.tr("Masks (*.png *.gif *.bmp *.tif)")
        )
        if path:
            self.gt_path = Path(path)
            self._load_gt()
            for pane in self._done():  # score what is there; the models do not run again
                self._title(pane)
            self._refresh_overlays()

    def export(self) -> None:
        done = self._done()
        if self.rgb is None or not done:
            QMessageBox.information(
                self, self.tr("Export comparison"), self.tr("Nothing to export yet: wait for the panes to fill in.")
            )
            return
        folder = Path((self.settings.read(keys.EXPORT_DIR) if self.settings else "") or self.path.parent)
        suggested = folder / f"{self.path.stem}_compare.png"
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export comparison"), str(suggested), "PNG (*.png);;JPEG (*.jpg)"
        )
        if not path:
            return
        panes = self.export_panes()
        rgb = self.rgb
        columns = 2 if len(panes) == 4 else None
        task = BackgroundTask(
            lambda _p, _c: save_rgb(compose_grid(rgb, panes, columns=columns), path),
            self,
            self.tr("Export comparison"),
            self.tr("Writing {path}…").format(path=path),
        )
        task.failed.connect(self.error)
        task.succeeded.connect(lambda _r: self.saved.emit(Path(path)))
        self.runner.start(task)

    def export_panes(self) -> list[tuple[str, np.ndarray, LabelSet]]:
        """The panes as the screen shows them: overlays, or the highlighted pixels in the
        Disagreement and Errors views; the ground truth last when there is one."""
        done = self._done()
        titles = [p.title.text().replace("  ·  ", "  ") for p in done]
        panes = export_layers(titles, [p.result for p in done], self._highlights(done))
        if self.gt is not None:
            panes.append((self.tr("ground truth"), self.gt, done[0].result.label_set))
        return panes

    def shutdown(self) -> None:
        self._thread.stop()

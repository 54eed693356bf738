"""File > Export Labels As...: the open image's folder's labels written as a VOC dataset,
one COCO file or labelme JSON files, on a background thread (data/formats/export.py)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMainWindow, QMessageBox

from fcn_studio.gui.shared.tasks import BackgroundTask
from fcn_studio.messages import fill

translate = QCoreApplication.translate
FORMATS = (
    ("voc", QT_TRANSLATE_NOOP("LabelExport", "VOC (JPEGImages, SegmentationClass, class_names.txt, ImageSets)")),
    ("coco", QT_TRANSLATE_NOOP("LabelExport", "COCO (annotations.json, RLE)")),
    ("labelme", QT_TRANSLATE_NOOP("LabelExport", "labelme (JSON polygons per image)")),
)


class LabelExport(QObject):
    """The action and what it runs; the window keeps one."""

    def __init__(self, win: QMainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.task: BackgroundTask | None = None
        self.message: QMessageBox | None = None
        self.action = QAction(translate("LabelExport", "Export &Labels As…"), win)
        self.action.setStatusTip(
            translate("LabelExport", "Write the labelled images of this folder as VOC, COCO or labelme")
        )
        self.action.triggered.connect(self.run)
        file_menu = win.menuBar().actions()[0].menu() if win.menuBar().actions() else None
        if file_menu is not None:
            file_menu.insertAction(_after(file_menu, "export_video", win), self.action)

    def folder(self) -> Path | None:
        path = self.win.workspace.current_path
        return None if path is None else path.parent

    def run(self) -> None:
        folder = self.folder()
        if folder is None:
            self.win.show_error(translate("LabelExport", "Open an image of the labelled folder first."))
            return
        names = [translate("LabelExport", label) for _, label in FORMATS]
        choice, ok = QInputDialog.getItem(
            self.win, translate("LabelExport", "Export Labels As"), translate("LabelExport", "Format:"), names, 0, False
        )
        if not ok:
            return
        fmt = FORMATS[names.index(choice)][0]
        out = QFileDialog.getExistingDirectory(
            self.win, translate("LabelExport", "An empty folder for the exported labels"), str(folder.parent)
        )
        if out:
            self.export(folder, fmt, Path(out))

    def export(self, folder: Path, fmt: str, out: Path) -> BackgroundTask:
        session = getattr(self.win.label_mode, "session", None)
        if session is not None:
            session.save(wait=True)  # what was just painted is part of the export

        def work(progress, _cancelled):
            from fcn_studio.data.formats.export import export_labels
            from fcn_studio.labelling.label_store import LabelStore

            store = LabelStore(folder)
            return export_labels(
                store.labelled_masks(),
                store.label_set(),
                out,
                fmt,
                progress=lambda done, total: progress(done, total, ""),
            )

        self.task = BackgroundTask(work, self.win, translate("LabelExport", "Exporting labels"), str(out))
        self.task.succeeded.connect(self._done)
        self.task.failed.connect(self.win.show_error)
        return self.task.start(getattr(self.win, "tasks", None))

    def _done(self, report) -> None:
        text = fill(
            translate("LabelExport", "{n} labelled {n:image|images} written to {out}."), n=report.images, out=report.out
        )
        if report.notes:
            text += "\n\n" + "\n".join(map(str, report.notes))  # core Messages, in the interface language
        self.message = QMessageBox(
            QMessageBox.Icon.Information,
            translate("LabelExport", "Export Labels As"),
            text,
            QMessageBox.StandardButton.Ok,
            self.win,
        )
        self.message.open()  # not modal to the event loop: the window goes on


def _after(menu, name: str, win) -> QAction | None:
    """The action after ``win.actions_.<name>`` in ``menu`` (None: at the end)."""
    target = getattr(getattr(win, "actions_", None), name, None)
    actions = menu.actions()
    if target in actions and actions.index(target) + 1 < len(actions):
        return actions[actions.index(target) + 1]
    return None

"""The window's actions, menus and toolbar, declared in one place (labelme-style)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from fcn_studio.gui.shared.overlay import OverlayMode


@dataclass
class Actions:
    open: QAction
    open_folder: QAction
    save_mask: QAction
    export_overlay: QAction
    export_stats: QAction
    segment_folder: QAction
    quit: QAction
    next: QAction
    previous: QAction
    zoom_in: QAction
    zoom_out: QAction
    fit: QAction
    actual_size: QAction
    modes: dict[OverlayMode, QAction]
    manage_models: QAction
    import_weights: QAction
    fine_tune: QAction
    play_pause: QAction
    frame_back: QAction
    frame_forward: QAction
    export_video: QAction
    open_camera: QAction
    about: QAction
    shortcuts: QAction
    recent_menu: QMenu


def _action(win: QMainWindow, text: str, shortcuts=(), tip: str = "") -> QAction:
    action = QAction(text, win)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    return action


def build_actions(win: QMainWindow) -> Actions:
    std = QKeySequence.StandardKey
    modes = {}
    group = QActionGroup(win)
    for mode, text, key in (
        (OverlayMode.FILLED, "Filled", "F"),
        (OverlayMode.CONTOUR, "Contours", "C"),
        (OverlayMode.UNCERTAINTY, "Uncertainty (1 − confidence)", "U"),
        (OverlayMode.OFF, "Off", "O"),
    ):
        a = _action(win, text, (key,), f"Overlay: {text.lower()} ({key})")
        a.setIconText(text.split(" (")[0])
        a.setCheckable(True)
        group.addAction(a)
        modes[mode] = a
    return Actions(
        open=_action(win, "&Open…", (std.Open,), "Open images (Ctrl+O)"),
        open_folder=_action(win, "Open &Folder…", ("Ctrl+Shift+O",), "Open a folder of images"),
        save_mask=_action(win, "&Save Mask…", (std.Save,), "Save the mask as a palette PNG"),
        export_overlay=_action(win, "Export &Overlay…", ("Ctrl+E",), "Save the image with its overlay"),
        export_stats=_action(win, "Export Class &Statistics (CSV)…", (), "Pixels per class as CSV"),
        segment_folder=_action(win, "Segment F&older…", ("Ctrl+B",), "Segment every image in a folder"),
        quit=_action(win, "&Quit", (std.Quit,)),
        next=_action(win, "&Next Image", ("Right", "D", "PgDown"), "Next image in the folder"),
        previous=_action(win, "&Previous Image", ("Left", "A", "PgUp"), "Previous image in the folder"),
        zoom_in=_action(win, "Zoom &In", (std.ZoomIn, "Ctrl+="), "Zoom in"),
        zoom_out=_action(win, "Zoom &Out", (std.ZoomOut,), "Zoom out"),
        fit=_action(win, "&Fit to Window", ("Ctrl+0",), "Fit the image to the window"),
        actual_size=_action(win, "&Actual Size (1:1)", ("Ctrl+1",), "One image pixel per screen pixel"),
        modes=modes,
        manage_models=_action(win, "&Models…", ("Ctrl+M",), "Download, import or remove weights"),
        import_weights=_action(win, "&Import Weights File…", (), "Install a .pth or .safetensors file"),
        fine_tune=_action(
            win, "&Fine-tune on Your Data…", ("Ctrl+T",), "Train a model on a folder of images and masks"
        ),
        about=_action(win, "&About FCN Studio"),
        shortcuts=_action(win, "&Keyboard Shortcuts", ("F1", "Ctrl+/"), "Every key the app understands"),
        play_pause=_action(win, "&Play / Pause", ("Space",), "Play or pause the video"),
        frame_back=_action(win, "Previous &Frame", (",",), "One frame back"),
        frame_forward=_action(win, "Next F&rame", (".",), "One frame forward"),
        export_video=_action(
            win, "Export Segmented &Video…", ("Ctrl+Shift+E",), "Write the video with its segmentation"
        ),
        open_camera=_action(win, "Open &Camera", (), "Segment the webcam live"),
        recent_menu=QMenu("Open &Recent", win),
    )


def build_menus(win: QMainWindow, a: Actions) -> None:
    bar = win.menuBar()
    file = bar.addMenu("&File")
    file.addActions([a.open, a.open_folder, a.open_camera])
    file.addMenu(a.recent_menu)
    file.addSeparator()
    file.addActions([a.save_mask, a.export_overlay, a.export_stats, a.export_video])
    file.addSeparator()
    file.addAction(a.segment_folder)
    file.addSeparator()
    file.addAction(a.quit)
    view = bar.addMenu("&View")
    view.addActions([a.previous, a.next])
    view.addSeparator()
    view.addActions([a.zoom_in, a.zoom_out, a.fit, a.actual_size])
    view.addSeparator()
    video = view.addMenu("Vi&deo")
    video.addActions([a.play_pause, a.frame_back, a.frame_forward])
    overlay = view.addMenu("&Overlay")
    overlay.addActions(list(a.modes.values()))
    models = bar.addMenu("&Models")
    models.addActions([a.manage_models, a.import_weights])
    models.addSeparator()
    models.addAction(a.fine_tune)
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a.shortcuts, a.about])

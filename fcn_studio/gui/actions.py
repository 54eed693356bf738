"""The window's actions, menus and toolbar, declared in one place (labelme-style)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from fcn_studio.gui.i18n import build_language_menu
from fcn_studio.gui.shared.overlay import OverlayMode

translate = QCoreApplication.translate
_MNEMONIC = re.compile(r"\(&\w\)|&(?=\w)")  # "(&O)" (Chinese style) or "&" before the key


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
    fast_mode: QAction
    play_pause: QAction
    frame_back: QAction
    frame_forward: QAction
    export_video: QAction
    open_camera: QAction
    about: QAction
    show_log: QAction
    shortcuts: QAction
    recent_menu: QMenu
    language_menu: QMenu
    languages: dict[str, QAction]


def _action(win: QMainWindow, text: str, shortcuts=(), tip: str = "") -> QAction:
    action = QAction(text, win)
    action.setIconText(_MNEMONIC.sub("", text).rstrip("…"))  # toolbar text: "打开(&O)…" -> "打开"
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    return action


def _overlay_modes(win: QMainWindow) -> dict[OverlayMode, QAction]:
    modes = {}
    group = QActionGroup(win)
    for mode, text, key in (
        (OverlayMode.FILLED, translate("Actions", "Filled"), "F"),
        (OverlayMode.CONTOUR, translate("Actions", "Contours"), "C"),
        (OverlayMode.UNCERTAINTY, translate("Actions", "Uncertainty (1 − confidence)"), "U"),
        (OverlayMode.OFF, translate("Actions", "Off"), "O"),
    ):
        a = _action(
            win, text, (key,), translate("Actions", "Overlay: {mode} ({key})").format(mode=text.lower(), key=key)
        )
        a.setIconText(text.split(" (")[0])
        a.setCheckable(True)
        group.addAction(a)
        modes[mode] = a
    return modes


def _file_actions(win: QMainWindow) -> dict[str, QAction]:
    std = QKeySequence.StandardKey
    return {
        "open": _action(win, translate("Actions", "&Open…"), (std.Open,), translate("Actions", "Open images (Ctrl+O)")),
        "open_folder": _action(
            win,
            translate("Actions", "Open &Folder…"),
            ("Ctrl+Shift+O",),
            translate("Actions", "Open a folder of images"),
        ),
        "save_mask": _action(
            win,
            translate("Actions", "&Save Mask…"),
            (std.Save,),
            translate("Actions", "Save the mask as a palette PNG"),
        ),
        "export_overlay": _action(
            win,
            translate("Actions", "Export Overla&y…"),
            ("Ctrl+E",),
            translate("Actions", "Save the image with its overlay"),
        ),
        "export_stats": _action(
            win,
            translate("Actions", "Export Class S&tatistics (CSV)…"),
            (),
            translate("Actions", "Pixels per class as CSV"),
        ),
        "segment_folder": _action(
            win,
            translate("Actions", "Se&gment Folder…"),
            ("Ctrl+B",),
            translate("Actions", "Segment every image in a folder"),
        ),
        "quit": _action(win, translate("Actions", "&Quit"), (std.Quit,)),
    }


def _view_actions(win: QMainWindow) -> dict[str, QAction]:
    std = QKeySequence.StandardKey
    return {
        "next": _action(
            win,
            translate("Actions", "&Next Image"),
            ("Right", "D", "PgDown"),
            translate("Actions", "Next image in the folder"),
        ),
        "previous": _action(
            win,
            translate("Actions", "&Previous Image"),
            ("Left", "A", "PgUp"),
            translate("Actions", "Previous image in the folder"),
        ),
        "zoom_in": _action(
            win, translate("Actions", "Zoom &In"), (std.ZoomIn, "Ctrl+="), translate("Actions", "Zoom in")
        ),
        "zoom_out": _action(win, translate("Actions", "Zoom O&ut"), (std.ZoomOut,), translate("Actions", "Zoom out")),
        "fit": _action(
            win,
            translate("Actions", "&Fit to Window"),
            ("Ctrl+0",),
            translate("Actions", "Fit the image to the window"),
        ),
        "actual_size": _action(
            win,
            translate("Actions", "&Actual Size (1:1)"),
            ("Ctrl+1",),
            translate("Actions", "One image pixel per screen pixel"),
        ),
    }


def _model_and_help_actions(win: QMainWindow) -> dict[str, QAction]:
    return {
        "manage_models": _action(
            win,
            translate("Actions", "&Models…"),
            ("Ctrl+M",),
            translate("Actions", "Download, import or remove weights"),
        ),
        "import_weights": _action(
            win,
            translate("Actions", "&Import Weights File…"),
            (),
            translate("Actions", "Install a .pth or .safetensors file"),
        ),
        "fine_tune": _action(
            win,
            translate("Actions", "&Fine-tune on Your Data…"),
            ("Ctrl+T",),
            translate("Actions", "Train a model on a folder of images and masks"),
        ),
        "fast_mode": _fast_mode_action(win),
        "about": _action(win, translate("Actions", "&About FCN Studio")),
        "show_log": _action(
            win,
            translate("Actions", "Show &Log"),
            (),
            translate("Actions", "The app's log file, and where crash reports go"),
        ),
        "shortcuts": _action(
            win,
            translate("Actions", "&Keyboard Shortcuts"),
            ("F1", "Ctrl+/"),
            translate("Actions", "Every key the app understands"),
        ),
    }


def _video_actions(win: QMainWindow) -> dict[str, QAction]:
    return {
        "play_pause": _action(
            win, translate("Actions", "&Play / Pause"), ("Space",), translate("Actions", "Play or pause the video")
        ),
        "frame_back": _action(
            win, translate("Actions", "Previous &Frame"), (",",), translate("Actions", "One frame back")
        ),
        "frame_forward": _action(
            win, translate("Actions", "Next F&rame"), (".",), translate("Actions", "One frame forward")
        ),
        "export_video": _action(
            win,
            translate("Actions", "Export Segmented &Video…"),
            ("Ctrl+Shift+E",),
            translate("Actions", "Write the video with its segmentation"),
        ),
        "open_camera": _action(
            win, translate("Actions", "Open &Camera"), (), translate("Actions", "Segment the webcam live")
        ),
    }


def build_actions(win: QMainWindow) -> Actions:
    language_menu, languages = build_language_menu(win)
    return Actions(
        **_file_actions(win),
        **_view_actions(win),
        modes=_overlay_modes(win),
        **_model_and_help_actions(win),
        **_video_actions(win),
        recent_menu=QMenu(translate("Actions", "Open &Recent"), win),
        language_menu=language_menu,
        languages=languages,
    )


def _fast_mode_action(win: QMainWindow) -> QAction:
    action = _action(
        win,
        translate("Actions", "F&ast Mode (int8, Approximate)"),
        (),
        translate(
            "Actions",
            "On a CPU: an int8 model, about 1.8x faster, with approximate labels, for images and video playback. "
            "It is calibrated on a few of the open images (or video frames) once per model; the status bar shows "
            "its measured agreement with the exact model.",
        ),
    )
    action.setCheckable(True)
    return action


def build_menus(win: QMainWindow, a: Actions) -> None:
    bar = win.menuBar()
    file = bar.addMenu(translate("Actions", "&File"))
    file.addActions([a.open, a.open_folder, a.open_camera])
    file.addMenu(a.recent_menu)
    file.addSeparator()
    file.addActions([a.save_mask, a.export_overlay, a.export_stats, a.export_video])
    file.addSeparator()
    file.addAction(a.segment_folder)
    file.addSeparator()
    file.addAction(a.quit)
    view = bar.addMenu(translate("Actions", "&View"))
    view.addActions([a.previous, a.next])
    view.addSeparator()
    view.addActions([a.zoom_in, a.zoom_out, a.fit, a.actual_size])
    view.addSeparator()
    video = view.addMenu(translate("Actions", "Vi&deo"))
    video.addActions([a.play_pause, a.frame_back, a.frame_forward])
    overlay = view.addMenu(translate("Actions", "&Overlay"))
    overlay.addActions(list(a.modes.values()))
    view.addSeparator()
    view.addMenu(a.language_menu)
    models = bar.addMenu(translate("Actions", "&Models"))
    models.addActions([a.manage_models, a.import_weights])
    models.addSeparator()
    models.addAction(a.fast_mode)
    models.addSeparator()
    models.addAction(a.fine_tune)
    help_menu = bar.addMenu(translate("Actions", "&Help"))
    help_menu.addActions([a.shortcuts, a.show_log, a.about])

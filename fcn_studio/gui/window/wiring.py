"""The main window's controllers (files, exports, the Models menu) and the wiring of its
menus' actions and its parts' signals to them (as labelme's ``_setup_actions``): the
window builds its parts, this connects them, so neither grows into the other."""

from __future__ import annotations

from fcn_studio.gui import crash
from fcn_studio.gui.window.exports import Exporter
from fcn_studio.gui.window.files import FileOpener
from fcn_studio.gui.window.model_actions import ModelActions


def build_controllers(w) -> None:
    """File opening, exports and the Models menu, each over the window's state."""
    w.files = FileOpener(w, w.settings, w.workspace, w.actions_.recent_menu)
    w.exporter = Exporter(
        w,
        w.settings,
        w.workspace,
        w.video,
        w.overlay,
        lambda: w.opacity.value() / 100.0,
        w.inference,
        w.service,
        w.tasks,
        w.status,
        w.show_error,
        w.files.last_dir,
    )
    w.model_actions = ModelActions(
        w,
        w.settings,
        w.service,
        w.inference,
        w.models,
        w.banner,
        w.status,
        w.show_error,
        w.files.last_dir,
        w.compare.refresh_models,
        w._current_folder,
        lambda: [p.model_key for p in w.compare.panes],
    )


def connect_window(w) -> None:
    """The menus' actions to their slots, and each part's signals to the parts that follow."""
    _connect_actions(w)
    ws, f, x = w.workspace, w.files, w.exporter
    f.opening.connect(w.messages.forget_notes)  # a note about what was open goes with it
    f.video_requested.connect(w._open_video)
    ws.opened.connect(lambda _p: w.video.deactivate())
    w.video.opened.connect(f.remember_video)
    w.video.error.connect(w.show_error)
    w.video.engine.device_ready.connect(w.status.set_device)
    w.video.engine.note.connect(w.show_note)
    w.video_controls.export_requested.connect(x.video_file)
    w.opacity.valueChanged.connect(w._opacity_changed)
    w.legend.visibility_changed.connect(w.overlay.set_hidden)
    w.document.changed.connect(lambda _doc: w._update_enabled())  # Previous and Next follow what is open
    ws.image_shown.connect(lambda *_: w.video.active or w._feed_compare())
    ws.error.connect(w.show_error)
    ws.busy.connect(lambda text: w.status.showMessage(text) if text else w.status.clearMessage())
    ws.model_ready.connect(w._model_ready)
    w.inference.changed.connect(lambda _c: w._update_enabled())
    w.tabs.currentChanged.connect(lambda _i: w._feed_compare())
    w.compare.error.connect(w.show_error)
    w.compare.saved.connect(x.remember)


def _connect_actions(w) -> None:
    a, ws, f, x, m = w.actions_, w.workspace, w.files, w.exporter, w.model_actions
    for action, slot in (
        (a.open, f.open_dialog),
        (a.open_folder, f.open_folder_dialog),
        (a.open_camera, f.open_camera),
        (a.save_mask, x.save_mask),
        (a.export_overlay, x.overlay_image),
        (a.export_stats, x.stats),
        (a.segment_folder, x.segment_folder),
        (a.export_video, x.video_file),
        (a.quit, w.close),
        (a.next, ws.next),
        (a.previous, ws.previous),
        (a.fit, w.canvas.fit),
        (a.actual_size, w.canvas.actual_size),
        (a.manage_models, m.manage),
        (a.import_weights, m.import_weights),
        (a.fine_tune, m.fine_tune),
        (a.play_pause, w.video.toggle),
        (a.about, w._about),
        (a.show_log, lambda: crash.show_log(w)),
        (a.shortcuts, w.show_shortcuts),
    ):
        action.triggered.connect(slot)
    a.zoom_in.triggered.connect(lambda: w.canvas.zoom_by(1.25, anchor_under_mouse=False))
    a.zoom_out.triggered.connect(lambda: w.canvas.zoom_by(0.8, anchor_under_mouse=False))
    a.frame_back.triggered.connect(lambda: w.video.step(-1))
    a.frame_forward.triggered.connect(lambda: w.video.step(1))
    for mode, action in a.modes.items():
        action.triggered.connect(lambda _c=False, mode=mode: w.set_overlay_mode(mode))

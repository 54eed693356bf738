"""What Label mode works with, handed over by the window: never the window itself.

Each part of Label mode reads what it needs from here (the open image and its result,
the canvas to paint on, where to say things) and calls back through the two commands it
may give the window: show an error, and make a model version the one every view uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QMainWindow, QStatusBar

from fcn_studio.gui.image.workspace import Workspace
from fcn_studio.gui.settings import Settings
from fcn_studio.gui.shared.canvas import ImageCanvas
from fcn_studio.gui.shared.legend import LegendDock
from fcn_studio.gui.shared.overlay_layer import OverlayLayer
from fcn_studio.gui.shared.tasks import TaskRunner
from fcn_studio.inference.model_service import ModelService
from fcn_studio.state.inference_choice import InferenceSettings


@dataclass(frozen=True)
class LabelContext:
    host: QMainWindow  # where the panel, the ranking dock, the menu and the toolbar go
    workspace: Workspace  # the open image and its result
    inference: InferenceSettings  # the model, device and size every view segments with
    canvas: ImageCanvas
    overlay: OverlayLayer  # the model's prediction (live mode replaces it for a while)
    legend: LegendDock
    status: QStatusBar
    service: ModelService  # the window's: one copy of each model for every view
    runner: TaskRunner  # owns Label mode's background work (live updates, saves, rankings)
    settings: Settings  # the tool settings are remembered here
    show_error: Callable[[str], None]
    use_model: Callable[[str], None]  # a new or chosen version becomes current in every view
    video_opened: SignalInstance  # labels are for images: Label mode steps aside
    video_active: Callable[[], bool]

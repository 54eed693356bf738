"""Label mode's tool state between sessions: the Qt-free model (state/label_tools.py)
restored from the window's settings and each change written back to them."""

from __future__ import annotations

from fcn_studio.gui import settings as keys
from fcn_studio.gui.settings import Settings
from fcn_studio.state.label_tools import LabelState


def remember(state: LabelState, settings: Settings) -> None:
    """Restore the brush radius, fill source, view and live mode from ``settings`` and
    write each change back: what the user set up once is there at the next start."""
    state.set_radius(settings.read(keys.LABEL_RADIUS))
    try:
        state.set_fill_source(settings.read(keys.LABEL_FILL_SOURCE))
        state.set_view(settings.read(keys.LABEL_VIEW))
    except ValueError:  # an edited or older settings file: the defaults stay
        pass
    state.set_live(settings.read(keys.LABEL_LIVE))
    state.radius_changed.connect(lambda r: settings.write(keys.LABEL_RADIUS, r))
    state.fill_source_changed.connect(lambda s: settings.write(keys.LABEL_FILL_SOURCE, s.value))
    state.view_changed.connect(lambda v: settings.write(keys.LABEL_VIEW, v.value))
    state.live_changed.connect(lambda on: settings.write(keys.LABEL_LIVE, on))

"""The app's state as Qt-free evented models: what the GUI shows and binds its widgets to
(psygnal signals, as napari's models), so the state is tested without Qt and one object
holds each choice instead of widgets copying it around."""

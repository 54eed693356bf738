"""The main window's parts: each view binding, controller and worker in its own module;
gui/main_window.py composes them."""

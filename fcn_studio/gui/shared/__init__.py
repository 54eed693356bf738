"""Widgets and helpers every part of the app uses: canvas, overlay, legend, status bar,
plots, background tasks and segmentation results."""

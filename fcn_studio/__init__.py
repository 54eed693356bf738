"""FCN Studio: semantic segmentation with the FCN family, on the desktop and the command line."""

__version__ = "0.1.0"

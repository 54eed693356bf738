"""The image workspace: files, the inference worker and exports of the image on screen."""

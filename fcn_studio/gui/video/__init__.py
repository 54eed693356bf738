"""Video: the playback engine, its controls, the session that ties them to the canvas, export."""

"""The Qt desktop app. Imports the core; the core never imports this."""

"""Storage: the weights registry, checkpoint formats, downloads, locks and atomic file writes."""

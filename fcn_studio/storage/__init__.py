"""Storage: the weights registry, checkpoint and head formats, conversions and downloads."""

"""Data: datasets and their layouts, label sets and palettes, image reading and writing, metrics."""

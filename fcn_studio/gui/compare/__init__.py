"""Compare models: FCN-32s/16s/8s side by side on one image."""

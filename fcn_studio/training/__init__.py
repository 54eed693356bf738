"""Training: one engine for full fine-tunes, cached-feature head rounds and torchrun, its config, state and process."""

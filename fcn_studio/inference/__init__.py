"""Inference: image in, labels out (predictor, runtimes, the model service, batch, video, compare)."""

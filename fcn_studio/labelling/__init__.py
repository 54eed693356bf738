"""Label mode's core (no Qt): label storage, editing tools with undo, cached backbone
features, head-only retraining with model versions, and uncertainty ranking."""

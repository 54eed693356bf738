"""Fine-tuning from the app."""

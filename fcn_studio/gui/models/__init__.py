"""The model library: installed and downloadable weights, the model picker, the first-run banner."""

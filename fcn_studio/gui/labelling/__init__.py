"""Label mode: painting labels over the image, saving them as data, retraining on them."""

"""The application layer: operations that span several core packages (a retrain round, cleanup).

It sits above inference, training, storage and labelling and below cli/ and gui/; both front
ends call it and listen to its events, so the decision each operation makes lives in one place.
"""

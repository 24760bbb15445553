import os

# Keras 3 runs on the torch backend here; TensorFlow is not needed
os.environ.setdefault("KERAS_BACKEND", "torch")

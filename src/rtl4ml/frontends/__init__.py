"""Frontends: source models (ONNX, QONNX, Keras, PyTorch) to the IR."""

from .layout import Layout
from .model import ImportedModel

__all__ = ["ImportedModel", "Layout"]

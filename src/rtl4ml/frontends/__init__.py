"""Frontends: source models (ONNX now; Keras and PyTorch next) to the IR."""

from .layout import Layout
from .model import ImportedModel

__all__ = ["ImportedModel", "Layout"]

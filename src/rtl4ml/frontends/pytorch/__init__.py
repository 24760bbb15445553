"""The PyTorch frontend: :func:`load_torch` turns a ``torch.nn.Module`` (or a ``.pt``
file) into an rtl4ml IR graph.

The module is traced with ``torch.fx``; each supported module or function is imported
through the ONNX frontend's handler for the equivalent ONNX operation, so channels-first
tensors map onto the channels-last IR exactly as they do for an ONNX export of the same
network. Files are read with ``torch.load(weights_only=True)``; a fully pickled module,
whose loading runs code, is opened only with ``allow_pickle``.
"""

from .functions import supported_functions
from .importer import load_torch
from .modules import supported_modules

__all__ = ["load_torch", "supported_functions", "supported_modules"]

"""The ONNX frontend: :func:`load_onnx` turns an ONNX model into an rtl4ml IR graph.

Opsets 7 to 21 of the default domain are read. Channels-first ONNX tensors are mapped
onto channels-last IR tensors through layouts (see :mod:`rtl4ml.frontends.layout`),
constant subgraphs are folded, and every unsupported op is reported at once.

QONNX quantizers (Quant, BipolarQuant, Trunc with power-of-two scales) become the
fixed-point types the model was trained with, returned as per-layer settings in
``ImportedModel.layer_configs``.
"""

from .loader import MAX_OPSET, MIN_OPSET, load_onnx
from .registry import supported_ops

__all__ = ["MAX_OPSET", "MIN_OPSET", "load_onnx", "supported_ops"]

"""Graph passes. Each is ``run(graph, ctx) -> (graph, changed)``; compose with Pipeline."""

from .argmax_output import argmax_output
from .base import Pass, PassContext, Pipeline
from .fold_batchnorm import fold_batchnorm
from .fuse_activations import fuse_activations
from .infer_precision import infer_precision
from .remove_identity import remove_identity

OPTIMIZE = Pipeline((argmax_output, remove_identity, fold_batchnorm, fuse_activations))
DEFAULT_FLOW = Pipeline((OPTIMIZE, infer_precision))

__all__ = [
    "DEFAULT_FLOW", "OPTIMIZE", "Pass", "PassContext", "Pipeline", "argmax_output", "fold_batchnorm",
    "fuse_activations", "infer_precision", "remove_identity",
]

"""Hardware mapping: per-node implementations, folding and the exact cycle model."""

from .adder_graph import AdderGraph, AddNode, Ref, build_adder_graph, csd_digits
from .cycles import DEFAULT_ADDER_LEVELS, cycle_of, stages
from .linear import LinearArith, linear_arith
from .plan import plan
from .records import DenseImpl, HwPlan, Impl, PointwiseImpl, Stream, WireImpl

__all__ = [
    "DEFAULT_ADDER_LEVELS",
    "AddNode",
    "AdderGraph",
    "DenseImpl",
    "HwPlan",
    "Impl",
    "LinearArith",
    "PointwiseImpl",
    "Ref",
    "Stream",
    "WireImpl",
    "build_adder_graph",
    "csd_digits",
    "cycle_of",
    "linear_arith",
    "plan",
    "stages",
]

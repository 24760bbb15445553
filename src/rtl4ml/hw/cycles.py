"""The exact cycle model: where pipeline registers go, from adder levels.

A fully parallel engine is a combinational network cut into register stages. Each
value has a *depth* in adder levels (inputs: 0; one two-input adder: +1). With ``L``
levels per register stage, a value of depth ``d`` is computed in cycle
``cycle_of(d) = (d - 1) // L`` (inputs: cycle 0); a value used in a later cycle is
carried there through registers, and the outputs are registered at the end of the
last cycle. So an engine whose outputs have depth at most ``d`` has latency
``cycle_of(d) + 1`` and takes a new sample every cycle. The emitter places its
registers with these same functions, so the model equals what simulation measures.
"""

from __future__ import annotations

from ..ir import Activation, ActivationKind
from .adder_graph import csd_digits, tree_depth

DEFAULT_ADDER_LEVELS = 2  # adder levels per register stage
ROUND_LEVELS = 1  # a requantization: rounding adder, then saturation

_ACT_LEVELS = {
    ActivationKind.LINEAR: 1,
    ActivationKind.RELU: 1,
    ActivationKind.CLIP: 1,
    ActivationKind.LEAKY_RELU: 2,  # a constant product, then the conversion
    ActivationKind.HARD_SIGMOID: 2,
    ActivationKind.TANH: 1,  # a ROM read (index: a bit slice and a clamp)
    ActivationKind.SIGMOID: 1,
}


def cycle_of(depth: int, levels_per_stage: int) -> int:
    return 0 if depth <= 0 else (depth - 1) // levels_per_stage


def stages(depth: int, levels_per_stage: int) -> int:
    """Register stages (= latency in cycles) of an engine whose outputs have ``depth``."""
    return cycle_of(depth, levels_per_stage) + 1


def multiply_depth(levels_per_stage: int) -> int:
    """Depth of a DSP product of an input: it ends its own stage (registered after)."""
    return levels_per_stage


def constant_product_depth(value: int) -> int:
    """Depth of ``x * value`` built from the canonical signed digits of ``value``."""
    digits = csd_digits(value)
    if len(digits) <= 1:
        return int(bool(digits) and digits[0][1])  # a lone negative digit: a negation
    return tree_depth([0] * len(digits))


def activation_levels(act: Activation | None) -> int:
    """Levels of an activation together with the conversion to the result type."""
    kind = ActivationKind.LINEAR if act is None else act.kind
    if kind not in _ACT_LEVELS:
        raise KeyError(kind)
    return _ACT_LEVELS[kind]

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

from dataclasses import dataclass

from ..ir import Activation, ActivationKind
from .adder_graph import csd_digits, tree_depth

DEFAULT_ADDER_LEVELS = 2  # adder levels per register stage
ROUND_LEVELS = 1  # a requantization: rounding adder, then saturation
TABLE_LEVELS = 1  # a ROM read (index: a bit slice and a clamp)

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


@dataclass(frozen=True)
class SoftmaxDepths:
    """Depths (adder levels) of the softmax engine's steps, as the emitter builds them:
    the max tree, the differences, the exp ROM reads, the sum tree, the 1/sum ROM read,
    the products (a multiplier with a register stage of its own), the conversion."""

    max: int
    diff: int
    exp: int
    sum: int
    inv: int
    product: int
    out: int


def softmax_depths(group: int, levels_per_stage: int) -> SoftmaxDepths:
    tree = tree_depth([0] * group)
    top = tree  # one compare-select per level
    diff = top + 1
    exp = diff + TABLE_LEVELS
    total = exp + tree
    inv = total + TABLE_LEVELS
    product = (cycle_of(inv, levels_per_stage) + 2) * levels_per_stage
    return SoftmaxDepths(top, diff, exp, total, inv, product, product + ROUND_LEVELS)


def argmax_levels(group: int) -> int:
    """A compare-select tree carrying (value, index) pairs."""
    return max(tree_depth([0] * group), 1)

"""Trained types: where a model's quantizers put their fixed-point types in the IR.

A quantizer on a computed tensor becomes the ``result`` type of the IR node producing
that tensor when nothing else reads it (the ``input`` type of a graph input), else an
``Activation(LINEAR)`` node of its own: a pure conversion. A quantizer on a constant
makes a typed constant, and the Gemm/MatMul/Conv using it takes the type as its
``weight`` or ``bias`` type. :func:`trained_configs` turns what was recorded into
per-layer settings and keeps the optimization passes from merging across them.
"""

from __future__ import annotations

import numpy as np
import onnx

from ...config import LayerConfig
from ...errors import UnsupportedError
from ...fixed import FixedType, Overflow
from ...ir import Activation, ActivationKind, Conv, Dense, Dropout, Identity, Input, Node
from .builder import SHAPE_READERS, Builder, Tensor, where

#: Constant-only ONNX ops that move values without changing them: a quantized
#: constant keeps its type through them.
VALUE_PRESERVING = frozenset({"Identity", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"})


def _effective_range(t: FixedType) -> tuple[float, float]:
    lo = -t.max if t.signed and t.overflow is Overflow.SAT_SYM else t.min
    return lo, t.max


def holds(t: FixedType, values) -> bool:
    """True if every value is exactly a value of ``t``."""
    v = np.asarray(values, dtype=np.float64)
    return bool(np.all(np.isfinite(v))) and np.array_equal(t.round_trip(v), v)


def _produced_type(b: Builder, t: Tensor) -> FixedType | None:
    types = b.trained.get(t.ir, {})
    return types.get("input", types.get("result"))


def _no_op(b: Builder, t: Tensor, target: FixedType) -> bool:
    """True if ``t`` already holds only values of ``target`` (a quantizer repeated)."""
    have = _produced_type(b, t)
    if have is None or have.frac_bits > target.frac_bits:
        return False
    (lo, hi), (tlo, thi) = _effective_range(have), _effective_range(target)
    return tlo <= lo and hi <= thi


def _attachable(b: Builder, t: Tensor, node: onnx.NodeProto) -> str | None:
    """The IR node whose result ``t`` is, if ``node`` is the only thing reading it (directly
    or through layout views already taken) and the result has no trained type yet."""
    ir = t.ir
    if ir not in b.position or b.ir_users.get(ir, 0):
        return None
    producer = b.ir_node(ir)
    if isinstance(producer.op, (Identity, Dropout)):  # removed by a pass, with their type
        return None
    if _produced_type(b, t) is not None:
        return None
    for name in b.aliases.get(ir, ()):
        if name in b.graph_outputs:
            return None
        for user in b.users.get(name, ()):
            if user is node or user.op_type in SHAPE_READERS:
                continue
            view = b.values.get(user.output[0]) if user.output else None
            if not (isinstance(view, Tensor) and view.ir == ir):
                return None
    return ir


def _with_clip(op, lo: float, hi: float):
    """``op`` followed by ``clip(lo, hi)`` as one op, or None if it cannot take it."""
    clip = Activation(ActivationKind.CLIP, min_value=lo, max_value=hi)
    if isinstance(op, Dense) and op.activation is None:
        return Dense(op.weight, op.bias, clip)
    if isinstance(op, Conv) and op.activation is None:
        return Conv(op.weight, op.bias, op.strides, op.pads, clip)
    if isinstance(op, Activation) and op.kind in (ActivationKind.RELU, ActivationKind.LINEAR) and lo == 0:
        return clip  # clip(relu(x), 0, hi) == clip(x, 0, hi)
    return None


def _merge_clip(b: Builder, ir: str, lo: float, hi: float) -> bool:
    """Clamp to [lo, hi] inside the node producing ``ir``, if its op can take it."""
    op = _with_clip(b.ir_node(ir).op, lo, hi)
    if op is not None:
        b.replace_op(ir, op)
    return op is not None


def convert(
    b: Builder, node: onnx.NodeProto, t: Tensor, target: FixedType, hint: str | None = None,
    clip: tuple[float, float] | None = None,
) -> Tensor:
    """``t`` converted to ``target`` (after clamping to ``clip``, for ranges no type has).

    Types the producer of ``t`` when it can (see :func:`_attachable`), else emits an
    Activation (LINEAR, or CLIP) node named ``hint`` (default: after ``node``).
    """
    if clip is None and _no_op(b, t, target):
        return Tensor(t.ir, t.layout)
    ir = _attachable(b, t, node)
    if ir is not None:
        key = "input" if isinstance(b.ir_node(ir).op, Input) else "result"
        if clip is None or _merge_clip(b, ir, *clip):
            b.trained[ir][key] = target
            if clip is not None:
                b.trained[ir]["param"] = target
            return Tensor(t.ir, t.layout)  # not fresh: nothing may fold into it any more
        b.trained[ir][key] = target.with_modes(overflow=Overflow.SAT)
    if clip is None:
        op = Activation(ActivationKind.LINEAR)
    else:
        op = Activation(ActivationKind.CLIP, min_value=clip[0], max_value=clip[1])
    out = b.emit(hint or b.hint(node), op, [t.ir], node)
    b.trained[out]["result"] = target
    if clip is not None:
        b.trained[out]["param"] = target
    return Tensor(out, t.layout, fresh=True)


# ---- typed constants ---------------------------------------------------------------------
def propagate_constant_types(b: Builder, node: onnx.NodeProto, outputs: dict[str, np.ndarray]) -> None:
    """A folded constant op that only moves a quantized constant's values keeps its type."""
    types = {b.constant_types[i] for i in node.input if i in b.constant_types}
    if node.op_type not in VALUE_PRESERVING or len(types) != 1:
        return
    (t,) = types
    for name, value in outputs.items():
        if holds(t, value):
            b.constant_types[name] = t


def constant_type(b: Builder, node: onnx.NodeProto, i: int, values, what: str) -> FixedType | None:
    """The trained type of constant input ``i`` if it has one; ``values`` (what the IR op
    uses, perhaps scaled by an attribute) must be values of that type."""
    t = b.constant_type(node, i)
    if t is None or holds(t, values):
        return t
    raise UnsupportedError(
        f"{where(node)}: its {what} '{node.input[i]}' was quantized to {t}, but the op scales it to values that "
        "type does not hold; only an unscaled quantized constant keeps its trained type"
    )


def record_linear(b: Builder, node: onnx.NodeProto, weight: FixedType | None, bias: FixedType | None) -> None:
    """Give the IR node just built for ``node`` its trained weight and bias types."""
    ir = b.values[node.output[0]].ir
    for key, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            b.trained[ir][key] = t


def record_folded_bias(b: Builder, ir: str, added: FixedType | None, bias: np.ndarray) -> None:
    """A constant was added to the bias of ``ir``: keep a trained bias type that holds the sum."""
    old = b.trained[ir].pop("bias", None)
    for t in (old, added):
        if t is not None and holds(t, bias):
            b.trained[ir]["bias"] = t
            return


# ---- the per-layer settings ---------------------------------------------------------------
def trained_configs(b: Builder, live: list[Node]) -> dict[str, LayerConfig]:
    """The recorded types of the live nodes as per-layer settings. (The passes keep
    them: a fused node still rounds at its producer's set result type, and a BatchNorm
    is not folded into weights whose type is set.)"""
    nodes = {n.name for n in live}
    return {name: LayerConfig(**types) for name, types in b.trained.items() if name in nodes and types}

"""Getting a runtime tensor into the element order an IR op needs.

IR ops work on channels-last tensors; ONNX ops see a :class:`Layout` view of them.
When the order an op needs differs from what the IR holds, the helpers here either
insert an IR Reshape (same order, other shape), reorder the columns of the Dense that
produced the tensor (when nothing else reads it), or report that they cannot.
"""

from __future__ import annotations

import numpy as np
import onnx

from ...errors import UnsupportedError
from ...ir.ops import Activation, BatchNorm, Dense, Dropout, Flatten, Identity, Reshape, Shape
from ..layout import Layout
from .builder import Builder, Tensor, where


def layout_text(layout: Layout, ir_shape: Shape) -> str:
    """A short description of how a source tensor sits in its IR tensor."""
    ir = "x".join(map(str, ir_shape))
    if layout.is_identity():
        return f"IR tensor {ir} in source order"
    perm = layout.axis_permutation(ir_shape)
    if perm is not None:
        return f"IR tensor {ir} with axes permuted by {perm}"
    return f"IR tensor {ir} with elements reordered"


def reshape_to(b: Builder, ir: str, shape: Shape, node: onnx.NodeProto) -> str:
    """``ir`` itself if it already has ``shape``, else a new IR Reshape of it."""
    if b.shapes[ir] == tuple(shape):
        return ir
    return b.emit(f"{b.hint(node)}/reshape", Reshape(tuple(shape)), [ir], node)


def conform(b: Builder, t: Tensor, ir_shape: Shape, target: Layout, node: onnx.NodeProto, reorder: bool = False):
    """The name of an IR tensor of ``ir_shape`` in which ``t`` has layout ``target``, or None.

    With ``reorder``, a producing Dense read by nothing else may get its columns permuted
    (this changes the IR tensor in place, so ``t`` must not be used afterwards).
    """
    if t.layout.shape != target.shape:
        return None
    if np.array_equal(t.layout.index, target.index) or (reorder and _reorder_producer(b, t, target)):
        return reshape_to(b, t.ir, ir_shape, node)
    return None


def channels_first(b: Builder, t: Tensor, node: onnx.NodeProto) -> str:
    """An IR tensor (*spatial, C) whose channels-first view is ``t`` (C, *spatial)."""
    s = t.shape
    if len(s) < 1:
        raise UnsupportedError(f"{where(node)}: needs a (channels, ...) input, got per-sample shape {s}")
    ir_shape = tuple(s[1:]) + (s[0],)
    name = conform(b, t, ir_shape, Layout.channels_first(ir_shape), node, reorder=True)
    if name is None:
        raise UnsupportedError(
            f"{where(node)}: needs its input in channels-first order over a channels-last IR tensor, "
            f"but input '{node.input[0]}' (shape {s}) is stored as {layout_text(t.layout, b.shapes[t.ir])}; "
            "only a Dense read by nothing else can be reordered to fit"
        )
    return name


def flat_rows(b: Builder, t: Tensor, node: onnx.NodeProto) -> tuple[str, np.ndarray]:
    """A 1-D IR tensor holding ``t`` (a 1-D source tensor) and, per source element, its
    position there: a Dense weight ``w`` on ``t`` is ``w_ir[rows] = w`` on the IR tensor."""
    ir = t.ir
    if len(b.shapes[ir]) != 1:
        ir = b.emit(f"{b.hint(node)}/flatten", Flatten(), [ir], node)
    return ir, t.layout.index.reshape(-1)


def flat_view(b: Builder, t: Tensor, node: onnx.NodeProto) -> Tensor:
    """``t`` over a 1-D IR tensor (adding an IR Flatten if needed), where every element is
    its own channel; used for per-feature constants on 1-D source tensors."""
    if len(b.shapes[t.ir]) == 1:
        return t
    return Tensor(b.emit(f"{b.hint(node)}/flatten", Flatten(), [t.ir], node), t.layout)


def ir_vector(b: Builder, const: np.ndarray, t: Tensor) -> np.ndarray | None:
    """``const`` (broadcast against the batch of ``t``) as one value per channel of the
    IR tensor holding ``t``, or None if it does not broadcast that way."""
    s = t.shape
    c = np.asarray(const, dtype=np.float64)
    if c.ndim > len(s) + 1:
        return None
    if c.ndim == len(s) + 1:
        if c.shape[0] != 1:
            return None
        c = c[0]
    try:
        full = np.broadcast_to(c, s)
    except ValueError:
        return None
    ir_shape = b.shapes[t.ir]
    flat = np.empty(t.layout.size)
    flat[t.layout.index.reshape(-1)] = full.reshape(-1)
    rows = flat.reshape(-1, ir_shape[-1])
    if not np.array_equal(rows, np.broadcast_to(rows[0], rows.shape)):
        return None
    return rows[0].copy()


def _single_use(b: Builder, ir: str, ir_users: int) -> bool:
    """``ir`` has ``ir_users`` IR readers and each ONNX tensor it holds is read exactly once."""
    if b.ir_users.get(ir, 0) != ir_users:
        return False
    return all(name not in b.graph_outputs and b.onnx_uses(name) == 1 for name in b.aliases.get(ir, ()))


def _reorder_producer(b: Builder, t: Tensor, target: Layout) -> bool:
    """Permute the columns of the Dense (through elementwise ops) producing ``t`` so the
    IR tensor holds ``t`` in ``target`` order. False, changing nothing, if not possible."""
    chain, name = [], t.ir
    while True:
        if name not in b.position or len(b.shapes[name]) != 1 or not _single_use(b, name, 1 if chain else 0):
            return False
        node = b.ir_node(name)
        chain.append(node)
        op = node.op
        if isinstance(op, Dense):
            break
        if not isinstance(op, (Activation, Dropout, Identity, BatchNorm)):
            return False
        name = node.inputs[0]
    perm = np.empty(t.layout.size, dtype=np.int64)
    perm[target.index.reshape(-1)] = t.layout.index.reshape(-1)
    for node in chain:
        op = node.op
        if isinstance(op, Dense):
            b.replace_op(node.name, Dense(op.weight[:, perm], op.bias[perm], op.activation))
        elif isinstance(op, BatchNorm):
            b.replace_op(node.name, BatchNorm(op.scale[perm], op.shift[perm]))
    return True


def softmax_input(b: Builder, t: Tensor, groups: np.ndarray, node: onnx.NodeProto) -> str:
    """An IR tensor whose last-axis rows are the softmax groups of ``t``.

    ``groups`` is ``t.layout.index`` rearranged to (n_groups, group_size); softmax does
    not care about the order inside a group, only that each group is one IR row.
    """
    size = groups.shape[1]
    rows = groups // size
    if not np.array_equal(rows, np.broadcast_to(rows[:, :1], rows.shape)):
        raise UnsupportedError(
            f"{where(node)}: the softmax axis of input '{node.input[0]}' (shape {t.shape}) is not contiguous in "
            f"its {layout_text(t.layout, b.shapes[t.ir])}; only a softmax over the IR last axis is supported"
        )
    if b.shapes[t.ir][-1] == size:
        return t.ir
    shape = (size,) if groups.shape[0] == 1 else (groups.shape[0], size)
    return reshape_to(b, t.ir, shape, node)

"""Functions and tensor methods met in a traced ``forward``, and size arithmetic.

Each converter takes the context, the fx node and the call's own arguments (so the
Python signature doubles as the argument parser), with fx nodes replaced by a
:class:`~.context.Ref` (runtime tensors, constants) or their Python value (sizes).
A converter returns the value of a size computation, or None once it has recorded
a tensor.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx

from ...errors import UnsupportedError
from ..onnx import handlers_dense as dense_h
from ..onnx import handlers_elementwise as ew
from ..onnx import handlers_shape as shape_h
from . import views
from .context import BATCH, Context, Ref
from .modules import Role, adaptive_pool, clip, dense, dropout, pool, softmax


@dataclass(frozen=True)
class FunctionSpec:
    """``on_tensors``: works on tensors; ``on_sizes``: also (or only) Python arithmetic
    on sizes; ``reads_shape``: reads only the shape of its tensor and gives a size;
    ``constant_args``: positions that must be constants (weights), not runtime tensors."""

    convert: Callable
    role: Role = Role.OTHER
    on_tensors: bool = True
    on_sizes: bool = False
    reads_shape: bool = False
    constant_args: tuple[int, ...] = ()


def _activation(handler, **attrs):
    def convert(c: Context, node: fx.Node, input, inplace=False):
        c.tensor(node, input)
        c.onnx(node, handler, [input], attrs)

    return convert


def _plain(handler):
    def convert(c: Context, node: fx.Node, input):
        c.tensor(node, input)
        c.onnx(node, handler, [input])

    return convert


def _leaky_relu(c: Context, node: fx.Node, input, negative_slope=0.01, inplace=False):
    c.tensor(node, input)
    c.onnx(node, ew.leaky_relu, [input], {"alpha": float(negative_slope)})


def _relu6(c: Context, node: fx.Node, input, inplace=False):
    c.tensor(node, input)
    clip(c, node, input, 0.0, 6.0)


def _hardtanh(c: Context, node: fx.Node, input, min_val=-1.0, max_val=1.0, inplace=False):
    c.tensor(node, input)
    clip(c, node, input, float(min_val), float(max_val))


def _softmax(c: Context, node: fx.Node, input, dim=None, _stacklevel=3, dtype=None):
    c.tensor(node, input)
    softmax(c, node, input, dim)


def _dropout(c: Context, node: fx.Node, input, p=0.5, training=True, inplace=False):
    c.tensor(node, input)
    if training:
        raise UnsupportedError(
            f"{c.where(node)}: dropout with training=True is random at inference; pass training=self.training"
        )
    dropout(c, node, input, float(p))


def _cat(c: Context, node: fx.Node, tensors, dim=0, *, axis=None):
    refs = list(tensors)
    for i, r in enumerate(refs):
        c.tensor(node, r, f"tensor {i}")
    c.onnx(node, shape_h.concat, refs, {"axis": int(dim if axis is None else axis)})


def _sizes(op: Callable, symbol: str):
    """Python arithmetic on sizes, folded now; the batch size cannot take part."""

    def convert(c: Context, node: fx.Node, a, b):
        if isinstance(a, Ref) or isinstance(b, Ref):
            raise UnsupportedError(f"{c.where(node)}: '{symbol}' on tensors is not supported")
        if a is BATCH or b is BATCH:
            raise UnsupportedError(
                f"{c.where(node)}: computes with the batch size ({a!r} {symbol} {b!r}); the batch size can only "
                "be passed on as the first size of a view or reshape, e.g. x.view(x.size(0), -1)"
            )
        return op(a, b)

    return convert


_add_sizes = _sizes(operator.add, "+")


def _add(c: Context, node: fx.Node, input, other, *, alpha=1):
    if not isinstance(input, Ref) and not isinstance(other, Ref):
        return _add_sizes(c, node, input, other)
    if alpha != 1:
        raise UnsupportedError(f"{c.where(node)}: add with alpha={alpha} is not supported; only alpha=1")
    operands = [x if isinstance(x, Ref) else np.asarray(x, dtype=np.float64) for x in (input, other)]
    c.onnx(node, ew.add, operands)


def _getitem(c: Context, node: fx.Node, obj, index):
    if isinstance(obj, Ref):
        raise UnsupportedError(f"{c.where(node)}: indexing or slicing a tensor (x[...]) is not supported")
    return obj[index]


def _constant(c: Context, node: fx.Node, ref, what: str) -> np.ndarray:
    if not (isinstance(ref, Ref) and not ref.is_tensor):
        raise UnsupportedError(f"{c.where(node)}: {what} must be a constant (a parameter or buffer of the module)")
    return np.asarray(ref.value, dtype=np.float64)


def _linear(c: Context, node: fx.Node, input, weight, bias=None):
    c.tensor(node, input)
    w = _constant(c, node, weight, "the weight")
    b = None if bias is None else _constant(c, node, bias, "the bias")
    dense(c, node, input, w, b)


def _matmul(c: Context, node: fx.Node, input, other):
    c.tensor(node, input)
    c.onnx(node, dense_h.matmul, [input, _constant(c, node, other, "the right operand")])


def _max_pool(n: int):
    def convert(c: Context, node: fx.Node, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False):
        c.tensor(node, input)
        if any(d != 1 for d in (dilation if isinstance(dilation, (tuple, list)) else (dilation,))):
            raise UnsupportedError(f"{c.where(node)}: dilation={dilation} is not supported; only 1")
        if return_indices:
            raise UnsupportedError(f"{c.where(node)}: return_indices=True is not supported")
        pool(c, node, input, n, False, kernel_size, stride, padding, ceil_mode)

    return convert


def _avg_pool(n: int):
    def convert(c: Context, node: fx.Node, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None):
        c.tensor(node, input)
        if divisor_override is not None:
            raise UnsupportedError(f"{c.where(node)}: divisor_override={divisor_override} is not supported")
        pool(c, node, input, n, True, kernel_size, stride, padding, ceil_mode, count_include_pad)

    return convert


def _adaptive(n: int, average: bool):
    def convert(c: Context, node: fx.Node, input, output_size, return_indices=False):
        if return_indices:
            raise UnsupportedError(f"{c.where(node)}: return_indices=True is not supported")
        adaptive_pool(c, node, input, n, average, output_size)

    return convert


# ---- tensor methods and size queries ------------------------------------------------------
def _view(c: Context, node: fx.Node, input, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    if any(isinstance(d, torch.dtype) for d in shape):
        raise UnsupportedError(f"{c.where(node)}: viewing a tensor as another dtype is not supported")
    views.reshape(c, node, input, shape)


def _reshape(c: Context, node: fx.Node, input, shape):
    views.reshape(c, node, input, shape)


def _contiguous(c: Context, node: fx.Node, input, memory_format=None):
    c.relayout(node, input, c.tensor(node, input).layout)


EW = Role.ELEMENTWISE
CF = Role.CHANNELS_FIRST
_relu = FunctionSpec(_activation(ew.relu), EW)
_tanh = FunctionSpec(_plain(ew.tanh), EW)
_sigmoid = FunctionSpec(_plain(ew.sigmoid), EW)
_softmax_spec = FunctionSpec(_softmax)
_add_spec = FunctionSpec(_add, EW, on_sizes=True)
_flatten = FunctionSpec(views.flatten)
_size_query = dict(on_tensors=False, reads_shape=True)

FUNCTIONS: dict[Callable, FunctionSpec] = {
    F.relu: _relu,
    torch.relu: _relu,
    F.leaky_relu: FunctionSpec(_leaky_relu, EW),
    F.relu6: FunctionSpec(_relu6, EW),
    F.hardtanh: FunctionSpec(_hardtanh, EW),
    F.hardsigmoid: FunctionSpec(_activation(ew.hard_sigmoid, alpha=1 / 6, beta=0.5), EW),
    torch.tanh: _tanh,
    torch.sigmoid: _sigmoid,
    F.softmax: _softmax_spec,
    torch.softmax: _softmax_spec,
    F.dropout: FunctionSpec(_dropout, EW),
    torch.cat: FunctionSpec(_cat, EW),
    torch.concat: FunctionSpec(_cat, EW),
    operator.add: _add_spec,
    torch.add: _add_spec,
    torch.flatten: _flatten,
    torch.reshape: FunctionSpec(_reshape),
    torch.permute: FunctionSpec(views.permute),
    torch.transpose: FunctionSpec(views.transpose),
    torch.squeeze: FunctionSpec(views.squeeze),
    torch.unsqueeze: FunctionSpec(views.unsqueeze),
    F.linear: FunctionSpec(_linear, constant_args=(1, 2)),
    torch.matmul: FunctionSpec(_matmul, constant_args=(1,)),
    operator.matmul: FunctionSpec(_matmul, constant_args=(1,)),
    F.max_pool1d: FunctionSpec(_max_pool(1), CF),
    F.max_pool2d: FunctionSpec(_max_pool(2), CF),
    F.avg_pool1d: FunctionSpec(_avg_pool(1), CF),
    F.avg_pool2d: FunctionSpec(_avg_pool(2), CF),
    F.adaptive_avg_pool1d: FunctionSpec(_adaptive(1, True), CF),
    F.adaptive_avg_pool2d: FunctionSpec(_adaptive(2, True), CF),
    F.adaptive_max_pool1d: FunctionSpec(_adaptive(1, False), CF),
    F.adaptive_max_pool2d: FunctionSpec(_adaptive(2, False), CF),
    builtins.getattr: FunctionSpec(views.shape_attribute, **_size_query),
    operator.getitem: FunctionSpec(_getitem, on_tensors=False, on_sizes=True),
    operator.mul: FunctionSpec(_sizes(operator.mul, "*"), on_tensors=False, on_sizes=True),
    operator.sub: FunctionSpec(_sizes(operator.sub, "-"), on_tensors=False, on_sizes=True),
    operator.floordiv: FunctionSpec(_sizes(operator.floordiv, "//"), on_tensors=False, on_sizes=True),
}
"""Supported functions, by identity (as recorded by torch.fx)."""

METHODS: dict[str, FunctionSpec] = {
    "relu": FunctionSpec(_plain(ew.relu), EW),
    "tanh": _tanh,
    "sigmoid": _sigmoid,
    "softmax": _softmax_spec,
    "add": _add_spec,
    "matmul": FunctionSpec(_matmul, constant_args=(1,)),
    "view": FunctionSpec(_view),
    "reshape": FunctionSpec(_view),
    "flatten": _flatten,
    "permute": FunctionSpec(views.permute),
    "transpose": FunctionSpec(views.transpose),
    "squeeze": FunctionSpec(views.squeeze),
    "unsqueeze": FunctionSpec(views.unsqueeze),
    "contiguous": FunctionSpec(_contiguous, EW),
    "size": FunctionSpec(views.size, **_size_query),
    "dim": FunctionSpec(views.ndim, **_size_query),
}
"""Supported tensor methods, by name."""


def function_name(fn) -> str:
    """How messages name a function: ``torch.cat``, ``F.relu``, ``operator.add``."""
    if fn is builtins.getattr:
        return "Tensor.shape"
    try:
        name = fx.node._get_qualified_name(fn)
    except Exception:  # not a plain function: fall back to its repr
        return repr(fn)
    for prefix, short in (("_operator.", "operator."), ("torch.nn.functional.", "F."), ("torch._C._nn.", "F.")):
        if name.startswith(prefix):
            return short + name[len(prefix):]
    return name


def supported_functions() -> list[str]:
    """Display names; arithmetic that is folded on sizes only is marked so."""

    def shown(name: str, spec: FunctionSpec) -> str:
        return name if spec.on_tensors or spec.reads_shape else f"{name} (on sizes)"

    names = {shown(function_name(f), s) for f, s in FUNCTIONS.items()}
    return sorted(names | {shown(f"Tensor.{m}", s) for m, s in METHODS.items()})

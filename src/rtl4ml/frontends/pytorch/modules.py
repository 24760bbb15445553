"""torch.nn modules: attribute checks and import, each through the ONNX handler for
the equivalent ONNX operation (see :mod:`.context`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np
from torch import fx, nn

from ...errors import UnsupportedError
from ..onnx import handlers_conv as conv_h
from ..onnx import handlers_dense as dense_h
from ..onnx import handlers_elementwise as ew
from .context import Context, Ref, as_array
from .views import flatten


class Role(Enum):
    """How a call treats its first input, for choosing the model input's layout."""

    OTHER = "other"
    ELEMENTWISE = "elementwise"  # keeps the layout: the input layout is looked for beyond it
    CHANNELS_FIRST = "channels_first"  # reads (C, *spatial): the input is best stored channels-last


@dataclass(frozen=True)
class ModuleSpec:
    """How one module class is imported: ``check`` lists settings that cannot be (found
    before importing anything), ``convert`` adds the module's call to the IR."""

    convert: Callable[[Context, fx.Node, nn.Module, Ref], None]
    check: Callable[[nn.Module], list[str]] = lambda m: []
    role: Role = Role.OTHER


def _ints(value, n: int) -> tuple[int, ...]:
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * n


# ---- linear and convolution ---------------------------------------------------------------
def dense(c: Context, node: fx.Node, x: Ref, weight: np.ndarray, bias: np.ndarray | None) -> None:
    """``x @ weight.T + bias`` over the last axis (PyTorch's ``(out, in)`` weight)."""
    t = c.tensor(node, x)
    if len(t.shape) == 1:
        c.onnx(node, dense_h.gemm, [x, weight, bias], {"transB": 1})
    elif bias is None:
        c.onnx(node, dense_h.matmul, [x, weight.T])
    else:  # as exported to ONNX: MatMul, then an Add that becomes its bias
        inner = f"{node.name}:matmul"
        product = c.onnx(node, dense_h.matmul, [x, weight.T], output=inner)
        c.onnx(node, ew.add, [Ref(inner, product), bias], name=f"{c.hint(node)}/bias")


def _linear(c: Context, node: fx.Node, m: nn.Linear, x: Ref) -> None:
    dense(c, node, x, as_array(m.weight), None if m.bias is None else as_array(m.bias))


def _conv_check(m) -> list[str]:
    problems = []
    if m.groups != 1:
        problems.append(f"groups={m.groups} (only groups=1)")
    if any(d != 1 for d in m.dilation):
        problems.append(f"dilation={tuple(m.dilation)} (only 1)")
    if m.padding_mode != "zeros":
        problems.append(f"padding_mode='{m.padding_mode}' (only 'zeros')")
    return problems


def conv_pads(padding, kernel: tuple[int, ...]) -> list[int]:
    """ONNX ``pads`` (all befores, then all afters) for a PyTorch ``padding``."""
    n = len(kernel)
    if padding == "valid":
        return [0] * (2 * n)
    if padding == "same":  # PyTorch puts the odd extra pad after, like SAME_UPPER
        totals = [k - 1 for k in kernel]
        return [t // 2 for t in totals] + [t - t // 2 for t in totals]
    p = list(_ints(padding, n))
    return p + p


def _conv(c: Context, node: fx.Node, m, x: Ref) -> None:
    kernel = tuple(m.kernel_size)
    n = len(kernel)
    attrs = {
        "kernel_shape": list(kernel),
        "strides": list(_ints(m.stride, n)),
        "pads": conv_pads(m.padding, kernel),
    }
    bias = None if m.bias is None else as_array(m.bias)
    c.onnx(node, conv_h.conv, [x, as_array(m.weight), bias], attrs)


# ---- pooling ------------------------------------------------------------------------------
def pool(c: Context, node: fx.Node, x: Ref, n: int, average: bool, kernel_size, stride, padding, ceil_mode,
         count_include_pad=False) -> None:
    """Max or average pooling over ``n`` spatial axes, with PyTorch's arguments."""
    kernel = _ints(kernel_size, n)
    strides = kernel if stride is None or stride == [] or stride == () else _ints(stride, n)
    pads = list(_ints(padding, n))
    attrs = {"kernel_shape": list(kernel), "strides": list(strides), "pads": pads + pads, "ceil_mode": int(ceil_mode)}
    if average:
        attrs["count_include_pad"] = int(count_include_pad)
    c.onnx(node, conv_h.average_pool if average else conv_h.max_pool, [x], attrs)


def adaptive_pool(c: Context, node: fx.Node, x: Ref, n: int, average: bool, output_size) -> None:
    """Adaptive pooling: global pooling for output size 1 (the result keeps its (C, 1, ...)
    shape), else plain pooling when every output size divides the input size."""
    t = c.tensor(node, x)
    if len(t.shape) != n + 1:
        raise UnsupportedError(f"{c.where(node)}: needs a (channels, {n} spatial) input, got per-sample {t.shape}")
    spatial = t.shape[1:]
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * n
    out = tuple(s if o is None else int(o) for s, o in zip(spatial, sizes))
    if all(o == 1 for o in out):
        handler = conv_h.global_average_pool if average else conv_h.global_max_pool
        c.onnx(node, handler, [x])
        return
    if any(s % o for s, o in zip(spatial, out)):
        raise UnsupportedError(
            f"{c.where(node)}: output size {out} does not divide the input size {spatial}; adaptive pooling is "
            "supported for output size 1 and for output sizes that divide the input (equal windows)"
        )
    kernel = tuple(s // o for s, o in zip(spatial, out))
    pool(c, node, x, n, average, kernel, kernel, 0, False)


def _pool_module(n: int, average: bool):
    def convert(c, node, m, x):
        extra = {"count_include_pad": m.count_include_pad} if average else {}
        pool(c, node, x, n, average, m.kernel_size, m.stride, m.padding, m.ceil_mode, **extra)

    return convert


def _max_pool_check(m) -> list[str]:
    problems = []
    if any(d != 1 for d in _ints(m.dilation, 1)):
        problems.append(f"dilation={m.dilation} (only 1)")
    if m.return_indices:
        problems.append("return_indices=True")
    return problems


def _avg_pool_check(m) -> list[str]:
    if getattr(m, "divisor_override", None) is not None:
        return [f"divisor_override={m.divisor_override} (only None)"]
    return []


def _adaptive_module(n: int, average: bool):
    return lambda c, node, m, x: adaptive_pool(c, node, x, n, average, m.output_size)


def _adaptive_max_check(m) -> list[str]:
    return ["return_indices=True"] if m.return_indices else []


# ---- normalization, activations, shapes -------------------------------------------------
def _batch_norm_check(m) -> list[str]:
    if m.running_mean is None or m.running_var is None:
        return ["no running statistics (track_running_stats=False)"]
    return []


def _batch_norm(c: Context, node: fx.Node, m, x: Ref) -> None:
    n = m.num_features
    gamma = np.ones(n) if m.weight is None else as_array(m.weight)
    beta = np.zeros(n) if m.bias is None else as_array(m.bias)
    inputs = [x, gamma, beta, as_array(m.running_mean), as_array(m.running_var)]
    c.onnx(node, dense_h.batch_normalization, inputs, {"epsilon": float(m.eps)})


def clip(c: Context, node: fx.Node, x: Ref, low: float, high: float) -> None:
    c.onnx(node, ew.clip, [x, np.float64(low), np.float64(high)])


def softmax(c: Context, node: fx.Node, x: Ref, dim) -> None:
    """Softmax over ``dim`` (counted with the batch axis; None: PyTorch's legacy choice)."""
    if dim is None:
        rank = len(c.tensor(node, x).shape) + 1
        dim = 0 if rank in (0, 1, 3) else 1
    c.onnx(node, ew.softmax, [x], {"axis": int(dim)})


def dropout(c: Context, node: fx.Node, x: Ref, p: float) -> None:
    c.onnx(node, ew.dropout, [x, np.float64(p)])


def _simple(handler, **attrs):
    return lambda c, node, m, x: c.onnx(node, handler, [x], attrs)


def _leaky(c, node, m, x):
    c.onnx(node, ew.leaky_relu, [x], {"alpha": float(m.negative_slope)})


ELEMENTWISE = Role.ELEMENTWISE
CHANNELS_FIRST = Role.CHANNELS_FIRST

MODULES: dict[type, ModuleSpec] = {
    nn.Linear: ModuleSpec(_linear),
    nn.Conv1d: ModuleSpec(_conv, _conv_check, CHANNELS_FIRST),
    nn.Conv2d: ModuleSpec(_conv, _conv_check, CHANNELS_FIRST),
    nn.MaxPool1d: ModuleSpec(_pool_module(1, False), _max_pool_check, CHANNELS_FIRST),
    nn.MaxPool2d: ModuleSpec(_pool_module(2, False), _max_pool_check, CHANNELS_FIRST),
    nn.AvgPool1d: ModuleSpec(_pool_module(1, True), _avg_pool_check, CHANNELS_FIRST),
    nn.AvgPool2d: ModuleSpec(_pool_module(2, True), _avg_pool_check, CHANNELS_FIRST),
    nn.AdaptiveAvgPool1d: ModuleSpec(_adaptive_module(1, True), role=CHANNELS_FIRST),
    nn.AdaptiveAvgPool2d: ModuleSpec(_adaptive_module(2, True), role=CHANNELS_FIRST),
    nn.AdaptiveMaxPool1d: ModuleSpec(_adaptive_module(1, False), _adaptive_max_check, CHANNELS_FIRST),
    nn.AdaptiveMaxPool2d: ModuleSpec(_adaptive_module(2, False), _adaptive_max_check, CHANNELS_FIRST),
    nn.BatchNorm1d: ModuleSpec(_batch_norm, _batch_norm_check, CHANNELS_FIRST),
    nn.BatchNorm2d: ModuleSpec(_batch_norm, _batch_norm_check, CHANNELS_FIRST),
    nn.ReLU: ModuleSpec(_simple(ew.relu), role=ELEMENTWISE),
    nn.LeakyReLU: ModuleSpec(_leaky, role=ELEMENTWISE),
    nn.ReLU6: ModuleSpec(lambda c, node, m, x: clip(c, node, x, 0.0, 6.0), role=ELEMENTWISE),
    nn.Hardtanh: ModuleSpec(lambda c, node, m, x: clip(c, node, x, m.min_val, m.max_val), role=ELEMENTWISE),
    nn.Tanh: ModuleSpec(_simple(ew.tanh), role=ELEMENTWISE),
    nn.Sigmoid: ModuleSpec(_simple(ew.sigmoid), role=ELEMENTWISE),
    nn.Hardsigmoid: ModuleSpec(_simple(ew.hard_sigmoid, alpha=1 / 6, beta=0.5), role=ELEMENTWISE),
    nn.Softmax: ModuleSpec(lambda c, node, m, x: softmax(c, node, x, m.dim)),
    nn.Flatten: ModuleSpec(lambda c, node, m, x: flatten(c, node, x, m.start_dim, m.end_dim)),
    nn.Dropout: ModuleSpec(lambda c, node, m, x: dropout(c, node, x, m.p), role=ELEMENTWISE),
    nn.Dropout1d: ModuleSpec(lambda c, node, m, x: dropout(c, node, x, m.p), role=ELEMENTWISE),
    nn.Dropout2d: ModuleSpec(lambda c, node, m, x: dropout(c, node, x, m.p), role=ELEMENTWISE),
    nn.Identity: ModuleSpec(_simple(ew.identity), role=ELEMENTWISE),
}
"""Supported module classes (exact types: a subclass is traced through, not read)."""


def module_name(cls: type) -> str:
    """``torch.nn.Conv2d`` for PyTorch's classes, the qualified name for others."""
    if cls.__module__.startswith("torch.nn"):
        return f"torch.nn.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def supported_modules() -> list[str]:
    return sorted([cls.__name__ for cls in MODULES] + ["Sequential"])



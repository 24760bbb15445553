"""Conv, MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool (1-D and 2-D)."""

from __future__ import annotations

import numpy as np
import onnx

from ...errors import ModelLoadError, UnsupportedError
from ...ir.ops import Conv, GlobalPool, Pool, PoolKind, Shape, same_pads
from ..layout import Layout
from .builder import Builder, Tensor, attributes, where
from .layouts import channels_first
from .trained import constant_type, record_linear


def _spatial_rank(node: onnx.NodeProto, n: int) -> None:
    if n not in (1, 2):
        raise UnsupportedError(f"{where(node)}: {n}-D windows are not supported; only 1-D and 2-D")


def _no_dilation(node: onnx.NodeProto, a: dict, n: int) -> None:
    dil = tuple(a.get("dilations", (1,) * n))
    if any(d != 1 for d in dil):
        raise UnsupportedError(f"{where(node)}: dilations {dil} are not supported; only 1")


def resolve_pads(node: onnx.NodeProto, a: dict, spatial: Shape, kernel: Shape, strides: Shape):
    """Explicit (before, after) pads per spatial axis from ``auto_pad``/``pads``."""
    n = len(spatial)
    auto = a.get("auto_pad", "NOTSET") or "NOTSET"
    if auto == "NOTSET":
        p = tuple(int(v) for v in a.get("pads", (0,) * (2 * n)))
        if len(p) != 2 * n:
            raise ModelLoadError(f"{where(node)}: pads {p} must have {2 * n} values")
        return tuple(zip(p[:n], p[n:]))
    if auto == "VALID":
        return ((0, 0),) * n
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = tuple(same_pads(size, k, s) for size, k, s in zip(spatial, kernel, strides))
        return pads if auto == "SAME_UPPER" else tuple((after, before) for before, after in pads)
    raise ModelLoadError(f"{where(node)}: unknown auto_pad '{auto}'")


def _strides(node: onnx.NodeProto, a: dict, n: int) -> Shape:
    strides = tuple(int(s) for s in a.get("strides", (1,) * n))
    if len(strides) != n:
        raise ModelLoadError(f"{where(node)}: strides {strides} must have {n} values")
    return strides


def conv(b: Builder, node: onnx.NodeProto) -> None:
    """Conv with constant weights (and bias), group 1, no dilation."""
    a = attributes(node)
    t = b.runtime(node, 0)
    w = np.asarray(b.constant(node, 1), dtype=np.float64)
    n = w.ndim - 2
    _spatial_rank(node, n)
    group = int(a.get("group", 1))
    if group != 1:
        raise UnsupportedError(
            f"{where(node)}: grouped/depthwise convolution (group={group}) is not supported; only group=1"
        )
    _no_dilation(node, a, n)
    if len(t.shape) != n + 1 or t.shape[0] != w.shape[1]:
        raise ModelLoadError(f"{where(node)}: input of per-sample shape {t.shape} does not fit weight {w.shape}")
    bias = b.constant(node, 2, np.zeros(w.shape[0]))
    x = channels_first(b, t, node)
    kernel = w.shape[2:]
    strides = _strides(node, a, n)
    pads = resolve_pads(node, a, b.shapes[x][:-1], kernel, strides)
    weight = np.transpose(w, tuple(range(2, n + 2)) + (1, 0))
    out = b.emit(b.hint(node), Conv(weight, np.asarray(bias, dtype=np.float64), strides, pads), [x], node)
    b.set(node.output[0], Tensor(out, Layout.channels_first(b.shapes[out]), fresh=True))
    w_type = constant_type(b, node, 1, w, "weight")
    b_type = constant_type(b, node, 2, bias, "bias") if len(node.input) > 2 and node.input[2] else None
    record_linear(b, node, w_type, b_type)


def _pool(b: Builder, node: onnx.NodeProto, kind: PoolKind) -> None:
    a = attributes(node)
    b.refuse_extra_outputs(node, 1, "argmax indices")
    t = b.runtime(node, 0)
    kernel = tuple(int(k) for k in a.get("kernel_shape", ()))
    n = len(kernel)
    _spatial_rank(node, n)
    _no_dilation(node, a, n)
    if len(t.shape) != n + 1:
        raise ModelLoadError(f"{where(node)}: input of per-sample shape {t.shape} does not fit kernel {kernel}")
    x = channels_first(b, t, node)
    spatial = b.shapes[x][:-1]
    strides = _strides(node, a, n)
    pads = resolve_pads(node, a, spatial, kernel, strides)
    if a.get("ceil_mode", 0) and (a.get("auto_pad", "NOTSET") or "NOTSET") == "NOTSET":
        for size, k, s, (pb, pa) in zip(spatial, kernel, strides, pads):
            if (size + pb + pa - k) % s:
                raise UnsupportedError(
                    f"{where(node)}: ceil_mode=1 adds a partial window here (size {size}, kernel {k}, stride {s}, "
                    f"pads {pb}/{pa}); only ceil_mode that changes nothing is supported"
                )
    include = bool(a.get("count_include_pad", 0)) if kind is PoolKind.AVG else False
    out = b.emit(b.hint(node), Pool(kind, kernel, strides, pads, include), [x], node)
    b.set(node.output[0], Tensor(out, Layout.channels_first(b.shapes[out]), fresh=True))


def max_pool(b: Builder, node: onnx.NodeProto) -> None:
    """MaxPool (the optional Indices output must be unused)."""
    _pool(b, node, PoolKind.MAX)


def average_pool(b: Builder, node: onnx.NodeProto) -> None:
    """AveragePool, with or without counting padded positions."""
    _pool(b, node, PoolKind.AVG)


def _global_pool(b: Builder, node: onnx.NodeProto, kind: PoolKind) -> None:
    t = b.runtime(node, 0)
    if len(t.shape) < 2:
        raise ModelLoadError(f"{where(node)}: needs a (channels, *spatial) input, got {t.shape}")
    x = channels_first(b, t, node)
    out = b.emit(b.hint(node), GlobalPool(kind), [x], node)
    c = b.shapes[out][0]
    layout = Layout.identity((c,)).reshape((c,) + (1,) * (len(t.shape) - 1))
    b.set(node.output[0], Tensor(out, layout, fresh=True))


def global_average_pool(b: Builder, node: onnx.NodeProto) -> None:
    """GlobalAveragePool: (C, *spatial) -> (C, 1, ...)."""
    _global_pool(b, node, PoolKind.AVG)


def global_max_pool(b: Builder, node: onnx.NodeProto) -> None:
    """GlobalMaxPool: (C, *spatial) -> (C, 1, ...)."""
    _global_pool(b, node, PoolKind.MAX)

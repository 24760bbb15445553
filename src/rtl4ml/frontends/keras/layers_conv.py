"""Conv1D/2D, MaxPooling and AveragePooling 1D/2D, global pooling (channels-last)."""

from __future__ import annotations

import numpy as np

from ...errors import ModelLoadError, UnsupportedError
from ...ir import Conv, GlobalPool, Padding, Pool, PoolKind, Reshape
from ...ir.ops import resolve_pads
from .activations import apply_activation
from .builder import Builder, channels_last, ints
from .spec import LayerCall


def _rank(call: LayerCall) -> int:
    """1 or 2 from the class name (Conv1D, MaxPooling2D, ...)."""
    return 1 if "1D" in call.class_name else 2


def _check_input_rank(b: Builder, call: LayerCall, x: str, n: int) -> None:
    shape = b.shape(x)
    if len(shape) != n + 1:
        raise ModelLoadError(f"{call.where}: needs a rank-{n + 1} input (*spatial, channels), got {shape}")


def _pads(call: LayerCall, spatial, kernel, strides, causal_ok: bool):
    padding = str(call.config.get("padding", "valid")).lower()
    if padding == "causal" and causal_ok:
        return tuple((k - 1, 0) for k in kernel)
    if padding not in ("same", "valid"):
        accepted = "same, valid" + (", causal" if causal_ok else "")
        raise UnsupportedError(f"{call.where}: padding '{padding}' is not supported; accepted: {accepted}")
    return resolve_pads(Padding(padding), spatial, kernel, strides)


def conv(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """Conv1D/Conv2D with stride, same/valid (Conv1D also causal) padding, dilation 1, groups 1."""
    n = _rank(call)
    channels_last(call)
    (x,) = ins
    _check_input_rank(b, call, x, n)
    dilation = ints(call, "dilation_rate", n, 1)
    if any(d != 1 for d in dilation):
        raise UnsupportedError(f"{call.where}: dilation_rate {dilation} is not supported; only 1")
    groups = int(call.config.get("groups", 1) or 1)
    if groups != 1:
        raise UnsupportedError(f"{call.where}: grouped convolution (groups={groups}) is not supported; only 1")
    use_bias = bool(call.config.get("use_bias", True))
    w = b.weights(call, ["kernel", "bias"] if use_bias else ["kernel"])
    kernel = w[0]
    if kernel.ndim != n + 2:
        raise ModelLoadError(f"{call.where}: kernel must be (*kernel_size, in, filters), got shape {kernel.shape}")
    bias = w[1] if use_bias else np.zeros(kernel.shape[-1])
    strides = ints(call, "strides", n, 1)
    pads = _pads(call, b.shape(x)[:-1], kernel.shape[:n], strides, causal_ok=n == 1)
    return apply_activation(b, call, b.emit(call, Conv(kernel, bias, strides, pads), ins))


def _pool(kind: PoolKind):
    def pool(b: Builder, call: LayerCall, ins: list[str]) -> str:
        n = _rank(call)
        channels_last(call)
        (x,) = ins
        _check_input_rank(b, call, x, n)
        size = ints(call, "pool_size", n, 2)
        strides = ints(call, "strides", n, size)  # None: the pool size
        pads = _pads(call, b.shape(x)[:-1], size, strides, causal_ok=False)
        # Keras leaves padded positions out of an average (TensorFlow's SAME pooling)
        return b.emit(call, Pool(kind, size, strides, pads, count_include_pad=False), ins)

    pool.__doc__ = f"{kind.value} pooling 1D/2D, same or valid padding."
    return pool


max_pooling = _pool(PoolKind.MAX)
average_pooling = _pool(PoolKind.AVG)


def _global_pool(kind: PoolKind):
    def global_pool(b: Builder, call: LayerCall, ins: list[str]) -> str:
        n = _rank(call)
        channels_last(call)
        (x,) = ins
        _check_input_rank(b, call, x, n)
        y = b.emit(call, GlobalPool(kind), ins)
        if not call.config.get("keepdims", False):
            return y
        return b.emit(call, Reshape((1,) * n + b.shape(y)), [y], suffix="keepdims")

    global_pool.__doc__ = f"global {kind.value} pooling 1D/2D (keepdims adds a reshape)."
    return global_pool


global_max_pooling = _global_pool(PoolKind.MAX)
global_average_pooling = _global_pool(PoolKind.AVG)

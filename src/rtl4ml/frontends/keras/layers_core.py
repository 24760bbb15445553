"""InputLayer, Dense, BatchNormalization, merges, reshapes and inference-time no-ops."""

from __future__ import annotations

import numpy as np

from ...errors import ModelLoadError, UnsupportedError
from ...ir import Add, BatchNorm, Concat, Dense, Dropout, Flatten, Identity, Input, Reshape
from .activations import apply_activation
from .builder import Builder, axis_is_last, channels_last
from .spec import BATCH_SHAPE_KEYS, LayerCall


def input_layer(b: Builder, call: LayerCall, ins: list[str]) -> str:
    cfg = call.config
    batch_shape = next((cfg[k] for k in BATCH_SHAPE_KEYS if cfg.get(k) is not None), None)
    if batch_shape is not None:
        shape = list(batch_shape)[1:]
    elif cfg.get("shape") is not None:
        shape = list(cfg["shape"])
    else:
        raise ModelLoadError(f"{call.where}: no input shape in its config")
    if not shape or any(d is None for d in shape):
        raise UnsupportedError(
            f"{call.where}: per-sample shape {tuple(shape)} must be static (no None axes) and not scalar"
        )
    return b.emit(call, Input(tuple(int(d) for d in shape)), [])


def dense(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """Dense over the last axis, then its ``activation`` as a separate node."""
    use_bias = bool(call.config.get("use_bias", True))
    w = b.weights(call, ["kernel", "bias"] if use_bias else ["kernel"])
    if w[0].ndim != 2:
        raise ModelLoadError(f"{call.where}: kernel must be 2-D (inputs, units), got shape {w[0].shape}")
    bias = w[1] if use_bias else np.zeros(w[0].shape[1])
    return apply_activation(b, call, b.emit(call, Dense(w[0], bias), ins))


def batch_normalization(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """Inference-form BatchNormalization over the last axis (moving statistics)."""
    cfg = call.config
    rank = len(b.shape(ins[0]))
    axis = cfg.get("axis", -1)
    if not axis_is_last(call, axis, rank):
        raise UnsupportedError(f"{call.where}: normalization over axis {axis} is not supported; only the last axis")
    if cfg.get("renorm"):
        raise UnsupportedError(f"{call.where}: batch renormalization (renorm=True) is not supported")
    scale, center = bool(cfg.get("scale", True)), bool(cfg.get("center", True))
    names = (["gamma"] if scale else []) + (["beta"] if center else []) + ["moving_mean", "moving_variance"]
    w = dict(zip(names, b.weights(call, names)))
    channels = w["moving_mean"].shape[0]
    gamma = w.get("gamma", np.ones(channels))
    beta = w.get("beta", np.zeros(channels))
    eps = float(cfg.get("epsilon", 1e-3))
    return b.emit(call, BatchNorm.from_statistics(gamma, beta, w["moving_mean"], w["moving_variance"], eps), ins)


def add(b: Builder, call: LayerCall, ins: list[str]) -> str:
    return b.emit(call, Add(), ins)


def concatenate(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """Concatenate: Keras counts axes of the batched tensor; the IR those of one sample."""
    axis = call.config.get("axis", -1)
    if not isinstance(axis, int) or axis == 0:
        raise UnsupportedError(f"{call.where}: concatenation along axis {axis!r} is not supported (batch axis)")
    rank = len(b.shape(ins[0]))  # the IR's canonical form counts axes from 0
    return b.emit(call, Concat(axis % (rank + 1) - 1 if axis < 0 else axis - 1), ins)


def flatten(b: Builder, call: LayerCall, ins: list[str]) -> str:
    if len(b.shape(ins[0])) > 1:
        channels_last(call)
    return b.emit(call, Flatten(), ins)


def reshape(b: Builder, call: LayerCall, ins: list[str]) -> str:
    target = call.config.get("target_shape")
    if target is None:
        raise ModelLoadError(f"{call.where}: no target_shape in its config")
    return b.emit(call, Reshape(tuple(int(d) for d in target)), ins)


def dropout(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """Dropout and noise layers: the identity at inference."""
    rate = call.config.get("rate", 0.0)
    return b.emit(call, Dropout(float(rate) if isinstance(rate, (int, float)) else 0.0), ins)


def identity(b: Builder, call: LayerCall, ins: list[str]) -> str:
    return b.emit(call, Identity(), ins)

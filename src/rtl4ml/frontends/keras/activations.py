"""Keras activation functions (by name) and activation layers as IR ops."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ...errors import UnsupportedError
from ...ir import Activation, ActivationKind, Identity, Op, Softmax
from .builder import Builder, axis_is_last
from .spec import LayerCall

#: Activation names accepted in an ``activation`` argument or an Activation layer.
ACTIVATIONS = ("linear", "relu", "relu6", "leaky_relu", "tanh", "sigmoid", "hard_sigmoid", "hard_tanh", "softmax")


def activation_name(value) -> str:
    """The name of a serialized activation: a string, or a dict for a registered function."""
    if value is None:
        return "linear"
    if isinstance(value, Mapping):
        inner = value.get("config")
        value = inner if isinstance(inner, str) else value.get("class_name", "")
    return str(value)


def activation_op(name: str, keras_major: int) -> Op | None:
    """The IR op of a Keras activation function; None for ``linear``.

    ``hard_sigmoid`` changed in Keras 3: Keras 2 computes ``clip(0.2 x + 0.5, 0, 1)``,
    Keras 3 ``relu6(x + 3) / 6``, i.e. ``clip(x / 6 + 0.5, 0, 1)``.
    """
    if name == "linear":
        return None
    if name == "relu":
        return Activation(ActivationKind.RELU)
    if name == "relu6":
        return Activation.relu6()
    if name == "hard_tanh":
        return Activation.hard_tanh()
    if name == "leaky_relu":  # keras.activations.leaky_relu's default slope
        return Activation(ActivationKind.LEAKY_RELU, alpha=0.2)
    if name == "tanh":
        return Activation(ActivationKind.TANH)
    if name == "sigmoid":
        return Activation(ActivationKind.SIGMOID)
    if name == "hard_sigmoid":
        alpha = 0.2 if keras_major < 3 else 1.0 / 6.0
        return Activation(ActivationKind.HARD_SIGMOID, alpha=alpha, beta=0.5)
    if name == "softmax":
        return Softmax()
    raise UnsupportedError(f"activation '{name}' is not supported; supported: {', '.join(ACTIVATIONS)}")


def apply_activation(b: Builder, call: LayerCall, x: str) -> str:
    """Follow the output of ``call`` with its ``activation`` argument (a node ``<layer>_<name>``)."""
    name = activation_name(call.config.get("activation"))
    op = activation_op(name, b.spec.keras_major)
    return x if op is None else b.emit(call, op, [x], suffix=name)


# ---- activation layers ------------------------------------------------------------------


def activation_layer(b: Builder, call: LayerCall, ins: list[str]) -> str:
    op = activation_op(activation_name(call.config.get("activation")), b.spec.keras_major)
    return b.emit(call, Identity() if op is None else op, ins)


def softmax_layer(b: Builder, call: LayerCall, ins: list[str]) -> str:
    axis = call.config.get("axis", -1)
    if not axis_is_last(call, axis, len(b.shape(ins[0]))):
        raise UnsupportedError(f"{call.where}: softmax over axis {axis} is not supported; only the last axis")
    return b.emit(call, Softmax(), ins)


def _number(call: LayerCall, key: str, default):
    value = call.config.get(key, default)
    return default if value is None else float(value)


def relu_layer(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """ReLU(max_value, negative_slope, threshold=0): RELU, LEAKY_RELU, CLIP, or LEAKY_RELU + CLIP."""
    max_value = _number(call, "max_value", math.inf)
    slope = _number(call, "negative_slope", 0.0)
    threshold = _number(call, "threshold", 0.0)
    if threshold != 0.0:
        raise UnsupportedError(f"{call.where}: threshold {threshold:g} is not supported; only 0")
    if slope == 0.0:
        op = Activation(ActivationKind.RELU) if math.isinf(max_value) else Activation.hard_tanh(0.0, max_value)
        return b.emit(call, op, ins)
    x = b.emit(call, Activation(ActivationKind.LEAKY_RELU, alpha=slope), ins)
    if math.isinf(max_value):
        return x
    return b.emit(call, Activation.hard_tanh(-math.inf, max_value), [x], suffix="clip")


def leaky_relu_layer(b: Builder, call: LayerCall, ins: list[str]) -> str:
    """LeakyReLU: the slope is ``negative_slope`` in Keras 3 and ``alpha`` in Keras 2."""
    key = "negative_slope" if "negative_slope" in call.config else "alpha"
    return b.emit(call, Activation(ActivationKind.LEAKY_RELU, alpha=_number(call, key, 0.3)), ins)

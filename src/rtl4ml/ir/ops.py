"""IR operations: frozen dataclasses with typed attributes, validated when built.

Shapes are per sample (no batch axis) and channels-last. Each op infers its output
shape from its input shapes and raises ``ValueError`` with a plain reason; the graph
adds the node's name to that message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

Shape = tuple[int, ...]


class Padding(Enum):
    SAME = "same"  # Keras/TensorFlow "same": the extra pad goes after
    VALID = "valid"


class PoolKind(Enum):
    MAX = "max"
    AVG = "avg"


class ActivationKind(Enum):
    LINEAR = "linear"
    RELU = "relu"
    LEAKY_RELU = "leaky_relu"  # x >= 0 ? x : alpha * x
    CLIP = "clip"  # min(max(x, min_value), max_value); ReLU6 and HardTanh are clips
    TANH = "tanh"
    SIGMOID = "sigmoid"
    HARD_SIGMOID = "hard_sigmoid"  # clip(alpha * x + beta, 0, 1)


LOOKUP_ACTIVATIONS = (ActivationKind.TANH, ActivationKind.SIGMOID)


def _array(x) -> np.ndarray:
    a = np.array(x, dtype=np.float64)
    a.setflags(write=False)
    return a


class Op:
    """Base of all ops. ``arity`` is the number of inputs (None: two or more)."""

    arity: int | None = 1

    @property
    def label(self) -> str:
        return type(self).__name__

    def infer_shape(self, shapes: list[Shape]) -> Shape:
        return shapes[0]

    def describe(self) -> str:
        """Short attribute summary for the graph table."""
        return ""

    @property
    def n_params(self) -> int:
        return 0

    def macs(self, shapes: list[Shape], out: Shape) -> int:
        return 0


@dataclass(frozen=True, eq=False)
class Input(Op):
    shape: Shape
    arity = 0

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        if not self.shape or min(self.shape) < 1:
            raise ValueError(f"input shape {self.shape} must have at least one axis, all >= 1")

    def infer_shape(self, shapes):
        return self.shape

    def describe(self):
        return "x".join(map(str, self.shape))


@dataclass(frozen=True, eq=False)
class Activation(Op):
    kind: ActivationKind
    alpha: float = 0.0  # LeakyReLU slope; HardSigmoid slope
    beta: float = 0.0  # HardSigmoid offset
    min_value: float = 0.0  # Clip bounds
    max_value: float = 0.0

    def __post_init__(self):
        if not isinstance(self.kind, ActivationKind):
            raise ValueError(f"activation kind must be an ActivationKind, got {self.kind!r}")
        if self.kind is ActivationKind.CLIP and not self.min_value < self.max_value:
            raise ValueError(f"clip needs min < max, got [{self.min_value}, {self.max_value}]")
        if self.kind is ActivationKind.HARD_SIGMOID and self.alpha <= 0:
            raise ValueError(f"hard sigmoid slope must be > 0, got {self.alpha}")

    @staticmethod
    def relu6() -> Activation:
        return Activation(ActivationKind.CLIP, min_value=0.0, max_value=6.0)

    @staticmethod
    def hard_tanh(min_value: float = -1.0, max_value: float = 1.0) -> Activation:
        return Activation(ActivationKind.CLIP, min_value=min_value, max_value=max_value)

    @property
    def label(self):
        return self.kind.value

    def describe(self):
        k = self.kind
        if k is ActivationKind.LEAKY_RELU:
            return f"alpha={self.alpha:g}"
        if k is ActivationKind.CLIP:
            return f"[{self.min_value:g}, {self.max_value:g}]"
        if k is ActivationKind.HARD_SIGMOID:
            return f"{self.alpha:g}*x+{self.beta:g}"
        return ""


def _check_fused(activation):
    if activation is not None and not isinstance(activation, Activation):
        raise ValueError(f"fused activation must be an Activation, got {activation!r}")


def _fused_text(activation) -> str:
    if activation is None:
        return ""
    extra = activation.describe()
    return f" +{activation.label}" + (f"({extra})" if extra else "")


@dataclass(frozen=True, eq=False)
class Dense(Op):
    """``y = x @ weight + bias`` over the last axis; weight is (inputs, units)."""

    weight: np.ndarray
    bias: np.ndarray
    activation: Activation | None = None

    def __post_init__(self):
        object.__setattr__(self, "weight", _array(self.weight))
        object.__setattr__(self, "bias", _array(self.bias))
        if self.weight.ndim != 2:
            raise ValueError(f"dense weight must be 2-D (inputs, units), got shape {self.weight.shape}")
        if self.bias.shape != (self.weight.shape[1],):
            raise ValueError(f"dense bias shape {self.bias.shape} does not match {self.weight.shape[1]} units")
        _check_fused(self.activation)

    @property
    def units(self) -> int:
        return self.weight.shape[1]

    def infer_shape(self, shapes):
        (s,) = shapes
        if s[-1] != self.weight.shape[0]:
            raise ValueError(f"input has {s[-1]} features but the weight expects {self.weight.shape[0]}")
        return s[:-1] + (self.units,)

    def describe(self):
        return f"{self.weight.shape[0]}->{self.units}" + _fused_text(self.activation)

    @property
    def n_params(self):
        return self.weight.size + self.bias.size

    def macs(self, shapes, out):
        return math.prod(out[:-1]) * self.weight.size


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras "same" padding for one axis: (before, after), extra pad after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _window_shape(op, spatial: Shape) -> Shape:
    out = []
    for size, k, s, (pb, pa) in zip(spatial, op.kernel_size, op.strides, op.pads):
        n = (size + pb + pa - k) // s + 1
        if n < 1:
            raise ValueError(f"window {k} with padding ({pb},{pa}) does not fit input size {size}")
        out.append(n)
    return tuple(out)


def _normalize_window(op, ndim: int):
    """Tuple-ize and check strides and explicit pads."""
    object.__setattr__(op, "strides", tuple(int(s) for s in op.strides))
    if len(op.strides) != ndim or min(op.strides) < 1:
        raise ValueError(f"strides {op.strides} must be {ndim} positive integers")
    if not isinstance(op.pads, Padding):
        pads = tuple((int(a), int(b)) for a, b in op.pads)
        if len(pads) != ndim or min(min(p) for p in pads) < 0:
            raise ValueError(f"pads {op.pads} must be {ndim} (before, after) pairs >= 0")
        object.__setattr__(op, "pads", pads)


def resolve_pads(padding: Padding, spatial: Shape, kernel: Shape, strides: Shape):
    if padding is Padding.VALID:
        return tuple((0, 0) for _ in spatial)
    return tuple(same_pads(n, k, s) for n, k, s in zip(spatial, kernel, strides))


def _pads_text(pads) -> str:
    if all(p == (0, 0) for p in pads):
        return "valid"
    return "pads=" + ",".join(f"{a}/{b}" for a, b in pads)


@dataclass(frozen=True, eq=False)
class Conv(Op):
    """1-D or 2-D convolution, channels-last. weight is (*kernel, in_channels, filters).

    ``pads`` holds explicit (before, after) zero padding per spatial axis; build with
    :meth:`with_padding` to get Keras "same"/"valid" for a given input size.
    """

    weight: np.ndarray
    bias: np.ndarray
    strides: Shape
    pads: tuple[tuple[int, int], ...]
    activation: Activation | None = None

    def __post_init__(self):
        object.__setattr__(self, "weight", _array(self.weight))
        object.__setattr__(self, "bias", _array(self.bias))
        if self.weight.ndim not in (3, 4):
            raise ValueError(f"conv weight must be (*kernel, in, filters) for 1-D or 2-D, got {self.weight.shape}")
        if self.bias.shape != (self.filters,):
            raise ValueError(f"conv bias shape {self.bias.shape} does not match {self.filters} filters")
        _normalize_window(self, self.ndim)
        if isinstance(self.pads, Padding):
            raise ValueError("conv pads must be explicit; use Conv.with_padding for same/valid")
        _check_fused(self.activation)

    @staticmethod
    def with_padding(weight, bias, strides, padding: Padding, input_spatial: Shape, activation=None) -> Conv:
        kernel = np.shape(weight)[:-2]
        pads = resolve_pads(padding, input_spatial, kernel, tuple(strides))
        return Conv(weight, bias, tuple(strides), pads, activation)

    @property
    def ndim(self) -> int:
        return self.weight.ndim - 2

    @property
    def kernel_size(self) -> Shape:
        return self.weight.shape[:-2]

    @property
    def filters(self) -> int:
        return self.weight.shape[-1]

    @property
    def label(self):
        return f"Conv{self.ndim}D"

    def infer_shape(self, shapes):
        (s,) = shapes
        if len(s) != self.ndim + 1:
            raise ValueError(f"{self.label} needs a rank-{self.ndim + 1} input (*spatial, channels), got {s}")
        if s[-1] != self.weight.shape[-2]:
            raise ValueError(f"input has {s[-1]} channels but the kernel expects {self.weight.shape[-2]}")
        return _window_shape(self, s[:-1]) + (self.filters,)

    def describe(self):
        k = "x".join(map(str, self.kernel_size))
        st = "x".join(map(str, self.strides))
        return f"{k}/{st} {_pads_text(self.pads)} ->{self.filters}" + _fused_text(self.activation)

    @property
    def n_params(self):
        return self.weight.size + self.bias.size

    def macs(self, shapes, out):
        return math.prod(out[:-1]) * self.weight.size


@dataclass(frozen=True, eq=False)
class Pool(Op):
    """Max or average pooling over 1 or 2 spatial axes, channels-last.

    Padded positions never win a max; an average divides by the window size when
    ``count_include_pad`` and by the number of real inputs in the window otherwise.
    """

    kind: PoolKind
    kernel_size: Shape
    strides: Shape
    pads: tuple[tuple[int, int], ...]
    count_include_pad: bool = False

    def __post_init__(self):
        if not isinstance(self.kind, PoolKind):
            raise ValueError(f"pool kind must be a PoolKind, got {self.kind!r}")
        object.__setattr__(self, "kernel_size", tuple(int(k) for k in self.kernel_size))
        if len(self.kernel_size) not in (1, 2) or min(self.kernel_size) < 1:
            raise ValueError(f"pool size {self.kernel_size} must be 1 or 2 positive integers")
        _normalize_window(self, self.ndim)
        if isinstance(self.pads, Padding):
            raise ValueError("pool pads must be explicit; use Pool.with_padding for same/valid")

    @staticmethod
    def with_padding(kind, kernel_size, strides, padding: Padding, input_spatial: Shape, count_include_pad=False):
        pads = resolve_pads(padding, input_spatial, tuple(kernel_size), tuple(strides))
        return Pool(kind, tuple(kernel_size), tuple(strides), pads, count_include_pad)

    @property
    def ndim(self) -> int:
        return len(self.kernel_size)

    @property
    def label(self):
        return f"{'Max' if self.kind is PoolKind.MAX else 'Avg'}Pool{self.ndim}D"

    def infer_shape(self, shapes):
        (s,) = shapes
        if len(s) != self.ndim + 1:
            raise ValueError(f"{self.label} needs a rank-{self.ndim + 1} input (*spatial, channels), got {s}")
        for (pb, pa), k in zip(self.pads, self.kernel_size):
            if max(pb, pa) >= k:
                raise ValueError(f"padding ({pb},{pa}) must be smaller than the window {k}")
        return _window_shape(self, s[:-1]) + (s[-1],)

    def describe(self):
        k = "x".join(map(str, self.kernel_size))
        st = "x".join(map(str, self.strides))
        return f"{k}/{st} {_pads_text(self.pads)}"


@dataclass(frozen=True, eq=False)
class GlobalPool(Op):
    """Max or average over every spatial axis: (*spatial, C) -> (C,)."""

    kind: PoolKind

    def __post_init__(self):
        if not isinstance(self.kind, PoolKind):
            raise ValueError(f"pool kind must be a PoolKind, got {self.kind!r}")

    @property
    def label(self):
        return f"Global{'Max' if self.kind is PoolKind.MAX else 'Avg'}Pool"

    def infer_shape(self, shapes):
        (s,) = shapes
        if len(s) < 2:
            raise ValueError(f"global pooling needs (*spatial, channels), got {s}")
        return (s[-1],)


@dataclass(frozen=True, eq=False)
class BatchNorm(Op):
    """Per-channel ``y = x * scale + shift`` on the last axis (inference form)."""

    scale: np.ndarray
    shift: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "scale", _array(self.scale))
        object.__setattr__(self, "shift", _array(self.shift))
        if self.scale.ndim != 1 or self.scale.shape != self.shift.shape:
            raise ValueError(f"batchnorm scale {self.scale.shape} and shift {self.shift.shape} must be equal 1-D")

    @staticmethod
    def from_statistics(gamma, beta, mean, variance, epsilon) -> BatchNorm:
        scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(variance, np.float64) + epsilon)
        return BatchNorm(scale, np.asarray(beta, np.float64) - np.asarray(mean, np.float64) * scale)

    def infer_shape(self, shapes):
        (s,) = shapes
        if s[-1] != self.scale.size:
            raise ValueError(f"input has {s[-1]} channels but batchnorm has {self.scale.size}")
        return s

    @property
    def n_params(self):
        return self.scale.size + self.shift.size

    def macs(self, shapes, out):
        return math.prod(out)


@dataclass(frozen=True, eq=False)
class Softmax(Op):
    """Softmax over the last axis."""

    def infer_shape(self, shapes):
        (s,) = shapes
        if s[-1] < 2:
            raise ValueError("softmax over a single element")
        return s


@dataclass(frozen=True, eq=False)
class ArgMax(Op):
    """The index of the largest element over the last axis (the first one on ties), kept
    as an axis of size 1."""

    def infer_shape(self, shapes):
        (s,) = shapes
        return s[:-1] + (1,)


@dataclass(frozen=True, eq=False)
class Add(Op):
    arity = None

    def infer_shape(self, shapes):
        if len(set(shapes)) != 1:
            raise ValueError(f"add needs equal input shapes, got {shapes}")
        return shapes[0]


@dataclass(frozen=True, eq=False)
class Concat(Op):
    """Concatenation along ``axis`` of the per-sample shape (negative counts from the end)."""

    axis: int = -1
    arity = None

    def infer_shape(self, shapes):
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(f"concat axis {self.axis} does not fit input shapes {shapes}")
        ax = self.axis % rank
        rest = {s[:ax] + s[ax + 1 :] for s in shapes}
        if len(rest) != 1:
            raise ValueError(f"concat inputs differ off axis {self.axis}: {shapes}")
        return shapes[0][:ax] + (sum(s[ax] for s in shapes),) + shapes[0][ax + 1 :]

    def describe(self):
        return f"axis={self.axis}"


@dataclass(frozen=True, eq=False)
class Flatten(Op):
    def infer_shape(self, shapes):
        return (math.prod(shapes[0]),)


@dataclass(frozen=True, eq=False)
class Reshape(Op):
    shape: Shape

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    def infer_shape(self, shapes):
        n = math.prod(shapes[0])
        shape = list(self.shape)
        if shape.count(-1) == 1:
            known = math.prod(d for d in shape if d != -1)
            shape[shape.index(-1)] = n // known if known and n % known == 0 else -1
        if math.prod(shape) != n or min(shape) < 1:
            raise ValueError(f"cannot reshape {shapes[0]} ({n} elements) to {self.shape}")
        return tuple(shape)

    def describe(self):
        return "x".join(map(str, self.shape))


@dataclass(frozen=True, eq=False)
class Dropout(Op):
    rate: float = 0.0

    def describe(self):
        return f"rate={self.rate:g}"


@dataclass(frozen=True, eq=False)
class Identity(Op):
    pass


ALL_OPS: tuple[type[Op], ...] = (
    Input, Dense, Conv, Pool, GlobalPool, BatchNorm, Activation, Softmax, ArgMax,
    Add, Concat, Flatten, Reshape, Dropout, Identity,
)

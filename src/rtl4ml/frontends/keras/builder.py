"""Import state: the IR nodes emitted so far and the IR tensor of every Keras tensor."""

from __future__ import annotations

import numpy as np

from ...errors import GraphError, ModelLoadError, UnsupportedError
from ...ir import Node, Op
from ...ir.ops import Shape
from .spec import KerasModelSpec, LayerCall
from ..naming import unique_name


class Builder:
    """Collects IR nodes while the layer calls are converted in topological order.

    The node a call computes is named after its layer (``<layer>_call<k>`` for the
    k-th further call of a shared layer); helper nodes a call needs beyond that (the
    activation of a Dense, say) are named ``<layer>_<suffix>``.
    """

    def __init__(self, spec: KerasModelSpec):
        self.spec = spec
        self.nodes: list[Node] = []
        self.shapes: dict[str, Shape] = {}
        self.taken: set[str] = set(spec.layers())
        self._primary: dict[tuple[str, int], str] = {}

    # ---- names ------------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        return unique_name(hint, self.taken)

    def primary(self, call: LayerCall) -> str:
        """The IR name of what ``call`` computes."""
        if call.key not in self._primary:
            self._primary[call.key] = call.layer if call.node == 0 else self.unique(f"{call.layer}_call{call.node}")
        return self._primary[call.key]

    # ---- nodes ------------------------------------------------------------------------
    def emit(self, call: LayerCall, op: Op, inputs: list[str], suffix: str | None = None) -> str:
        """Append an IR node for ``call``; returns its name. Shape errors name the layer."""
        name = self.primary(call) if suffix is None else self.unique(f"{self.primary(call)}_{suffix}")
        try:
            shape = op.infer_shape([self.shapes[i] for i in inputs])
        except ValueError as e:
            raise GraphError(f"{call.where}: {e}") from None
        self.nodes.append(Node(name, op, tuple(inputs)))
        self.shapes[name] = tuple(int(d) for d in shape)
        return name

    def shape(self, name: str) -> Shape:
        return self.shapes[name]

    # ---- weights ----------------------------------------------------------------------
    def weights(self, call: LayerCall, expected: list[str]) -> list[np.ndarray]:
        """The layer's weights, which must be ``expected`` (Keras order) in number."""
        got = self.spec.weights.get(call.layer, ())
        if len(got) != len(expected):
            found = [n for n, _ in got] or "none"
            raise ModelLoadError(f"{call.where}: expected weights {expected}, found {found}")
        return [np.asarray(a, dtype=np.float64) for _, a in got]


# ---- reading layer configs -------------------------------------------------------------


def ints(call: LayerCall, key: str, n: int, default=None) -> tuple[int, ...]:
    """An int or a list of ints from the config, as ``n`` ints."""
    value = call.config.get(key, default)
    if value is None:
        value = default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value),) * n
    try:
        out = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ModelLoadError(f"{call.where}: {key} must be an integer or {n} integers, got {value!r}") from None
    if len(out) != n:
        raise ModelLoadError(f"{call.where}: {key} must have {n} values, got {value!r}")
    return out


def channels_last(call: LayerCall) -> None:
    fmt = call.config.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise UnsupportedError(f"{call.where}: data_format '{fmt}' is not supported; only channels_last")


def axis_is_last(call: LayerCall, axis, rank: int) -> bool:
    """Does a Keras axis (of the batched tensor) name the last axis of a rank-``rank`` sample?"""
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            return False
        axis = axis[0]
    return isinstance(axis, int) and axis in (-1, rank)

"""Infer every node's number formats from the config, the weights and calibration data.

Fills ``node.precision`` (:class:`NodePrecision`) for every node. Rules:

* a type key set for a layer wins, then that layer's ``precision``, then the model's
  key, then the model's ``precision`` (``accumulator``, ``param`` and table keys fall
  back only to their own model-level setting);
* ``fixed<W,auto>`` picks integer bits from the data: the weights themselves for
  ``weight``/``bias``, the float outputs on calibration inputs for ``result``/``input``;
* ``accumulator: auto`` is exact: wide enough for every input in range;
* ops that only move data (max pooling, flatten, reshape, concat of equal types,
  dropout, identity) keep their input's type unless the layer sets ``result``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..config import Auto, AutoBits, Config, LayerConfig
from ..errors import ConfigError, FixedTypeError, PrecisionWarning
from ..fixed import FixedType, Overflow
from ..ir import Graph, Node, NodePrecision, Table
from ..ir import ops as O
from .base import PassContext
from .ranges import exact_type, int_bits_for, linear_bounds

TABLE_DEFAULT = FixedType(18, 1, signed=False)  # Softmax exp and 1/sum entries lie in (0, 1]
TABLE_RANGES = {  # default table_range per function: inputs covered
    O.ActivationKind.TANH: 4.0,  # [-4, 4)
    O.ActivationKind.SIGMOID: 8.0,  # [-8, 8)
}
SOFTMAX_RANGE = 8.0  # max - x in [0, 8)
PASS_THROUGH = (O.Flatten, O.Reshape, O.Dropout, O.Identity)


class _Resolver:
    """Answers "which type does this node use for key k" for one graph."""

    def __init__(self, graph: Graph, ctx: PassContext):
        self.graph = graph
        self.config: Config = ctx.config
        self.calibration = ctx.calibration
        self._ranges: dict[str, tuple[float, float]] | None = None

    def layer(self, node: Node) -> tuple[LayerConfig, LayerConfig]:
        return self.config.layer(node.name, node.aliases)

    def spec(self, node: Node, key: str, fallback=True):
        layer, model = self.layer(node)
        chain = [getattr(layer, key)]
        if fallback:
            chain.append(layer.precision)
        chain.append(getattr(model, key))
        if fallback:
            chain.append(model.precision)
        return next((s for s in chain if s is not None), None)

    def pre_activation(self, node: Node) -> FixedType | None:
        """The producer's own result type when an activation was fused into it and the
        producer's own settings give one: the fused node must still round there."""
        own = self.config.layers.get(node.name)
        if getattr(node.op, "activation", None) is None or not node.aliases or own is None:
            return None
        spec = own.result or own.precision
        return None if spec is None else self.from_calibration(node, "result", spec)

    def output_result(self, node: Node) -> FixedType:
        """The result type from the merged-in nodes' settings and the model defaults only."""
        model = self.config.defaults
        out = self.config.alias_output(node.aliases)
        return self.from_calibration(node, "result", out.result or model.result or model.precision)

    def explicit_result(self, node: Node) -> bool:
        layer, _ = self.layer(node)
        return layer.result is not None or layer.precision is not None

    def from_values(self, node: Node, key: str, values: np.ndarray) -> FixedType:
        spec = self.spec(node, key)
        if isinstance(spec, AutoBits):
            lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
            return spec.with_int_bits(int_bits_for(lo, hi, spec.signed))
        return spec

    def from_calibration(self, node: Node, key: str, spec=None) -> FixedType:
        spec = self.spec(node, key) if spec is None else spec
        if not isinstance(spec, AutoBits):
            return spec
        if self.calibration is None:
            raise ConfigError(
                f"layer '{node.name}': {key} type {spec} picks its integer bits from data; "
                "give calibration inputs (calibration= in Python, --calibration on the command line)"
            )
        lo, hi = self.ranges()[node.name]
        return spec.with_int_bits(int_bits_for(lo, hi, spec.signed))

    def ranges(self) -> dict[str, tuple[float, float]]:
        if self._ranges is None:
            from ..emulate.run import run_float

            values = run_float(self.graph, self.calibration, keep_all=True)
            self._ranges = {k: (float(v.min()), float(v.max())) for k, v in values.items()}
        return self._ranges

    def table(self, node: Node, key: str, default_type: FixedType, start: float, span: float) -> Table:
        layer, model = self.layer(node)
        spec = getattr(layer, key) or getattr(model, key) or default_type
        if isinstance(spec, AutoBits):
            raise ConfigError(f"layer '{node.name}': {key} type must have explicit integer bits, got {spec}")
        size = layer.table_size or model.table_size
        try:
            return Table(size, start, span, spec)
        except ValueError as e:
            raise ConfigError(f"layer '{node.name}': {key}: {e}") from None

    def table_range(self, node: Node, default: float) -> float:
        layer, model = self.layer(node)
        return layer.table_range or model.table_range or default

    def param(self, node: Node) -> FixedType:
        spec = self.spec(node, "param", fallback=False)
        if isinstance(spec, AutoBits):
            raise ConfigError(f"layer '{node.name}': param type must have explicit integer bits, got {spec}")
        return spec


def _activation_extras(r: _Resolver, node: Node, act: O.Activation | None, result: FixedType) -> dict:
    if act is None:
        return {}
    if act.kind in (O.ActivationKind.LEAKY_RELU, O.ActivationKind.CLIP, O.ActivationKind.HARD_SIGMOID):
        return {"param": r.param(node)}
    if act.kind in TABLE_RANGES:
        rng = r.table_range(node, TABLE_RANGES[act.kind])
        table = r.table(node, "table", result, -rng, 2 * rng)
        if act.kind is O.ActivationKind.TANH and result.signed and not table.precision.signed:
            raise ConfigError(
                f"layer '{node.name}': tanh is negative for negative inputs but its table type "
                f"{table.precision} is unsigned while its result {result} is signed; give it a signed table type"
            )
        return {"table": table}
    return {}


def _linear(r: _Resolver, node: Node, tin: FixedType, weight, bias, result: FixedType) -> dict:
    """Weight, bias and accumulator types of a Dense/Conv/BatchNorm node."""
    wt = r.from_values(node, "weight", weight)
    bt = r.from_values(node, "bias", bias)
    spec = r.spec(node, "accumulator", fallback=False)
    if spec is Auto.EXACT:
        frac = max(tin.frac_bits + wt.frac_bits, bt.frac_bits)
        w2 = wt.quantize(weight).reshape(-1, bias.size)
        lo, hi = linear_bounds(
            w2, bt.quantize(bias), tin.raw_min, tin.raw_max,
            frac - tin.frac_bits - wt.frac_bits, frac - bt.frac_bits,
        )
        acc = exact_type(lo, hi, frac, f"layer '{node.name}'")
        return {"weight": wt, "bias": bt, "accumulator": acc, "exact_accumulator": True}
    elif isinstance(spec, AutoBits):
        raise ConfigError(f"layer '{node.name}': accumulator must be 'auto' or a full type, got {spec}")
    else:
        acc = spec
    return {"weight": wt, "bias": bt, "accumulator": acc}


def _node_precision(r: _Resolver, node: Node, types: dict[str, FixedType]) -> NodePrecision:
    op = node.op
    ins = [types[i] for i in node.inputs]
    if isinstance(op, O.Input):
        layer, model = r.layer(node)
        chain = [layer.input, layer.result, layer.precision, model.input, model.precision]
        spec = next(s for s in chain if s is not None)
        return NodePrecision(r.from_calibration(node, "input", spec))
    keeps_type = isinstance(op, PASS_THROUGH) or (
        isinstance(op, (O.Pool, O.GlobalPool)) and op.kind is O.PoolKind.MAX
    ) or (isinstance(op, O.Concat) and len(set(ins)) == 1)
    if keeps_type and not r.explicit_result(node):
        return NodePrecision(ins[0])
    if isinstance(op, O.ArgMax):
        bits = max((r.graph.shapes[node.inputs[0]][-1] - 1).bit_length(), 1)
        return NodePrecision(FixedType(bits, bits, signed=False))
    result = r.from_calibration(node, "result")
    if isinstance(op, (O.Dense, O.Conv)):
        extras = _linear(r, node, ins[0], op.weight, op.bias, result)
        pre = r.pre_activation(node)
        if pre is not None:
            result = r.output_result(node)
        act_extras = _activation_extras(r, node, op.activation, result)
        return NodePrecision(result, **extras, **act_extras, pre_activation=pre)
    if isinstance(op, O.BatchNorm):
        w = op.scale[None, :]
        return NodePrecision(result, **_linear(r, node, ins[0], w, op.shift, result))
    if isinstance(op, O.Activation):
        return NodePrecision(result, **_activation_extras(r, node, op, result))
    if isinstance(op, O.Softmax):
        classes = r.graph.shapes[node.name][-1]
        span = r.table_range(node, SOFTMAX_RANGE)
        return NodePrecision(
            result,
            table=r.table(node, "table", TABLE_DEFAULT, 0.0, span),
            # the sum of exps lies in [1, classes]: the table covers [1, 1 + 2**ceil(log2(classes)))
            inv_table=r.table(node, "inv_table", TABLE_DEFAULT, 1.0, float(2 ** math.ceil(math.log2(classes)))),
        )
    return NodePrecision(result)


_FATE = {Overflow.WRAP: "wrap around", Overflow.SAT: "saturate", Overflow.SAT_SYM: "saturate", Overflow.SAT_ZERO: "become 0"}


def _warn_if_outside(node: Node, what: str, values: np.ndarray, t: FixedType) -> None:
    """Constants beyond a type's range lose their value silently in hardware: say so."""
    finite = values[np.isfinite(values)]
    outside = (finite > t.max + t.lsb / 2) | (finite < t.min - t.lsb / 2)
    if outside.any() or finite.size != values.size:
        worst = float(np.max(np.abs(values)))
        warnings.warn(
            f"layer '{node.name}': {int(outside.sum()) + values.size - finite.size} {what} value(s) do not fit "
            f"{t} (range [{t.min:g}, {t.max:g}], largest magnitude {worst:g}); they {_FATE[t.overflow]}. "
            f"Give more integer bits, or fixed<{t.width},auto>",
            PrecisionWarning,
            stacklevel=4,
        )


def _check_constants(node: Node, p: NodePrecision) -> None:
    op = node.op
    if isinstance(op, (O.Dense, O.Conv)):
        _warn_if_outside(node, "weight", op.weight, p.weight)
        _warn_if_outside(node, "bias", op.bias, p.bias)
    elif isinstance(op, O.BatchNorm):
        _warn_if_outside(node, "scale", op.scale, p.weight)
        _warn_if_outside(node, "shift", op.shift, p.bias)
    act = op if isinstance(op, O.Activation) else getattr(op, "activation", None)
    if act is not None and p.param is not None:
        consts = {
            O.ActivationKind.LEAKY_RELU: [act.alpha],
            O.ActivationKind.CLIP: [v for v in (act.min_value, act.max_value) if np.isfinite(v)],
            O.ActivationKind.HARD_SIGMOID: [act.alpha, act.beta],
        }[act.kind]
        _warn_if_outside(node, "activation parameter", np.array(consts, dtype=float), p.param)


def infer_precision(graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
    r = _Resolver(graph, ctx)
    types: dict[str, FixedType] = {}
    nodes = []
    for node in graph.nodes:
        try:
            p = _node_precision(r, node, types)
        except FixedTypeError as e:
            raise ConfigError(f"layer '{node.name}' ({node.op.label}): {e}") from None
        _check_constants(node, p)
        types[node.name] = p.result
        nodes.append(node.with_(precision=p))
    return graph.with_nodes(nodes), True

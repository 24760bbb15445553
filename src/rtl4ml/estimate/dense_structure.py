"""The structure of a Dense engine (and of a convolution's matrix-vector unit),
registered on :func:`rtl4ml.estimate.structure.structure`: fully parallel as an adder
graph or as products and their sums, or folded by a reuse factor; counted as
``backends/verilog/pipeline.py`` and ``folded.py`` build them."""

from __future__ import annotations

import numpy as np

from ..backends.verilog.netlist import bits_for
from ..config import Strategy
from ..fixed import FixedType
from ..hw.adder_graph import AdderGraph, csd_digit_counts
from ..hw.cycles import ROUND_LEVELS, cycle_of
from ..hw.fold import fold_schedule
from ..hw.linear import folded_rounding
from ..hw.records import DenseImpl
from ..ir import ActivationKind
from .structure import (
    Memory,
    Structure,
    conversion,
    lowest_one,
    pipeline,
    relu_conversion,
    shift_right,
    structure,
    tree_registers,
)

_GRAPH_WIDTHS: dict[tuple, tuple[AdderGraph, tuple[np.ndarray, np.ndarray, int]]] = {}
_SIGNS: dict[tuple, tuple[AdderGraph, tuple]] = {}
_SUBTRACTED: dict[tuple, tuple[AdderGraph, int]] = {}


def _per_graph(store: dict, key: tuple, graph: AdderGraph, make):
    """``make()`` cached in ``store`` under ``key`` (which starts with ``id(graph)``; the
    graph is kept with the entry, so its id is not reused while it is there)."""
    hit = store.get(key)
    if hit is not None and hit[0] is graph:
        return hit[1]
    if len(store) >= 256:
        store.clear()
    value = make()
    store[key] = (graph, value)
    return value


def graph_widths(graph: AdderGraph, x_lo: int, x_hi: int) -> tuple[np.ndarray, int]:
    """Width of every value of ``graph`` (inputs first) from its exact range over inputs
    in [x_lo, x_hi], and the adder bits of its nodes: a node adding a shifted operand
    passes the other operand's bits below the shift through without an adder. Cached per
    graph (graphs are themselves cached per weight matrix)."""
    widths, _, adder_bits = _graph_values(graph, x_lo, x_hi)
    return widths, adder_bits


def _graph_values(graph: AdderGraph, x_lo: int, x_hi: int) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`graph_widths` with each value's exponent (value = integer * 2**exponent)."""
    return _per_graph(_GRAPH_WIDTHS, (id(graph), x_lo, x_hi), graph, lambda: _values(graph, x_lo, x_hi))


def _values(graph: AdderGraph, x_lo: int, x_hi: int) -> tuple[np.ndarray, np.ndarray, int]:
    matrix = graph.coefficient_matrix()  # value = c.x * 2**e
    x_max = max(abs(x_lo), abs(x_hi), 1)
    if matrix is not None and int(np.abs(matrix[0]).max(initial=0)) * x_max * max(graph.n_in, 1) < 2**62:
        coeffs, exps = matrix
    else:  # exact integers
        values = graph.coefficients()
        coeffs, exps = np.array([c for c, _ in values], dtype=object), np.array([e for _, e in values])
    lo = np.minimum(coeffs * x_lo, coeffs * x_hi).sum(axis=1)
    hi = np.maximum(coeffs * x_lo, coeffs * x_hi).sum(axis=1)
    widths = np.array([bits_for(int(a), int(b)) for a, b in zip(lo, hi)], dtype=np.int64)
    adder_bits = 0
    for k, node in enumerate(graph.nodes):
        through = abs(int(exps[node.a.idx]) + node.a.shift - int(exps[node.b.idx]) - node.b.shift)
        adder_bits += max(int(widths[graph.n_in + k]) - through, 1)
    return widths, np.asarray(exps, dtype=np.int64), adder_bits


def _signs(graph: AdderGraph, biases) -> tuple[list[bool], list[tuple[bool, bool]]]:
    """:meth:`AdderGraph.signs`, cached per graph and the outputs' zero biases."""
    return _per_graph(_SIGNS, (id(graph), tuple(bool(b) for b in biases)), graph, lambda: graph.signs(biases))


def subtracted_bits(graph: AdderGraph, x_lo: int, x_hi: int, biases) -> int:
    """Bits of the values the graph's nodes subtract, each value counted once, as the
    emitter writes the nodes (:meth:`AdderGraph.signs`): the subtrahend's bits
    inside the node's width, from its shift up. An output that subtracts a value from its
    bias is not counted: there Yosys mostly folds the inversion into the sum's LUTs.
    Cached like :func:`graph_widths`."""
    key = (id(graph), x_lo, x_hi, tuple(bool(b) for b in biases))
    return _per_graph(_SUBTRACTED, key, graph, lambda: _subtracted_bits(graph, x_lo, x_hi, biases))


def _subtracted_bits(graph: AdderGraph, x_lo: int, x_hi: int, biases) -> int:
    widths, exps, _ = _graph_values(graph, x_lo, x_hi)
    _, negated_terms = _signs(graph, biases)
    inverted: dict[int, int] = {}  # value -> its bits some node subtracts
    for k, node in enumerate(graph.nodes):
        neg_a, neg_b = negated_terms[k]
        if not (neg_a or neg_b):
            continue  # a sum
        idx = graph.n_in + k
        sub, other = (node.a, node.b) if neg_a else (node.b, node.a)
        es, eo = int(exps[sub.idx]) + sub.shift, int(exps[other.idx]) + other.shift
        bits = min(int(widths[sub.idx]), int(widths[idx]) - (es - min(es, eo)))
        inverted[sub.idx] = max(inverted.get(sub.idx, 0), bits)
    return sum(inverted.values())


def _graph_registers(graph: AdderGraph, widths: np.ndarray, levels: int, last_cycle: int) -> int:
    """Bits of the registers carrying each value from the cycle that makes it to the last
    cycle that reads it (outputs: to the engine's last cycle)."""
    depths = graph.depths
    last_use = list(depths)
    for k, node in enumerate(graph.nodes):
        d = depths[graph.n_in + k]
        for ref in (node.a, node.b):
            last_use[ref.idx] = max(last_use[ref.idx], d)
    made = np.array([cycle_of(d, levels) for d in depths])
    used = np.array([cycle_of(d, levels) for d in last_use])
    for ref in graph.outputs:
        if ref is not None:
            used[ref.idx] = last_cycle
    return int(np.sum((used - made) * widths))


def _column_ranges(impl: DenseImpl) -> tuple[np.ndarray, np.ndarray]:
    """Each output's sum of products over the input range (before the bias): (lo, hi)."""
    a = impl.arith
    w = a.weight
    return np.minimum(w * a.x_lo, w * a.x_hi).sum(axis=0), np.maximum(w * a.x_lo, w * a.x_hi).sum(axis=0)


def _acc_bits(lo: np.ndarray, hi: np.ndarray) -> int:
    return max(bits_for(int(lo.min()), int(hi.max())), 1)


@structure.register
def _(impl: DenseImpl) -> Structure:
    a, s = impl.arith, Structure()
    ranges = _column_ranges(impl)
    acc = _acc_bits(*ranges)
    x_bits = impl.input.type.width
    w_bits = a.precision.weight.width
    if impl.strategy is Strategy.RESOURCE:
        _folded(impl, s, x_bits, w_bits, acc)
        _output_conversion(s, impl, ranges, a.bias, a.precision.result)
        s.reg_bits += impl.output.bits
        return s
    biases, result = folded_rounding(a)
    if impl.graph is not None:
        widths, adder_bits = graph_widths(impl.graph, a.x_lo, a.x_hi)
        s.adder_bits += adder_bits + _bias_adder_bits(impl, ranges, biases)
        s.subtracted_bits += subtracted_bits(impl.graph, a.x_lo, a.x_hi, biases)
        s.reg_bits += _graph_registers(impl.graph, widths, impl.adder_levels, impl.latency - 1)
    else:
        nonzero = np.count_nonzero(a.weight, axis=0)
        products = int(nonzero.sum())
        sums = int(np.maximum(nonzero - 1, 0).sum())  # two-operand adders of the column sums
        if impl.use_dsp:
            # a power-of-two weight is a shift; the others are multipliers (synthesis
            # shares equal products of one input), whose product registers and one
            # following addition each a DSP block can hold
            # each product ends its own register stage (a DSP block's own register)
            multiplied = 0
            for i in range(a.n_in):
                for w in {int(v) for v in a.weight[i] if v}:
                    key = _product(a.x_lo, a.x_hi, (w,))
                    if abs(w) & (abs(w) - 1):
                        s.multipliers[key] += 1
                        s.product_regs[key] += 1
                        multiplied += 1
                    else:
                        s.reg_bits += key[2]  # a shift, registered
            s.dsp = True
            s.dsp_adder_bits += min(multiplied, sums) * acc
            sums -= min(multiplied, sums)
            L = impl.adder_levels
            for k in nonzero:  # the column sums (the products' own registers are counted above)
                regs = tree_registers(int(k), acc, L, ROUND_LEVELS, start=L)[0]
                s.reg_bits += max(regs - int(k) * (cycle_of(L + 1, L) - cycle_of(L, L)) * acc, 0)
        else:
            digits = int(csd_digit_counts(a.weight).sum())
            s.adder_bits += max(digits - products, 0) * (x_bits + w_bits)
            s.reg_bits += a.n_out * acc * max(impl.latency - 1, 0)
        s.adder_bits += sums * acc
        s.adder_bits += sum(1 for b in biases if b) * acc  # the biases' adders
    _output_conversion(s, impl, ranges, biases, result)
    pipeline(s, impl.latency, impl.output)
    return s


def _bias_adder_bits(impl: DenseImpl, ranges: tuple[np.ndarray, np.ndarray], biases) -> int:
    """The adders that add each output's bias to its graph value, or negate the value, as
    the emitter writes them: ``±(value << shift) + bias``, the value's bits below
    ``shift`` zeros. Below the bias's lowest one bit or the value's lowest bit, whichever
    is higher, one operand is zero: no carry, no adder; a bias that only fills the
    value's zero bits, added to the value as it is, needs none at all. An output a ReLU
    makes constant has no adder (Yosys removes it)."""
    a, g = impl.arith, impl.graph
    _, exps, _ = _graph_values(g, a.x_lo, a.x_hi)
    kept, _ = _signs(g, biases)
    sums = _sums(impl, ranges, biases)
    relu = _relu_of_exact_sums(impl)
    total = 0
    for j, ref in enumerate(g.outputs):
        b = int(biases[j])
        if ref is None or (relu and sums[j][1] <= 0):
            continue  # a constant
        neg = kept[ref.idx] ^ ref.neg
        shift = max(int(exps[ref.idx]) + ref.shift + a.product_shift, 0)
        if not neg and b >> shift == 0:
            continue
        start = shift if b >> shift == 0 else max(shift, lowest_one(b))
        total += max(bits_for(*sums[j]) - start, 1)
    return total


def _sums(impl: DenseImpl, ranges: tuple[np.ndarray, np.ndarray], biases) -> list[tuple[int, int]]:
    """Each output's sum in the accumulator's steps (``ranges`` of the products, then
    the bias): its smallest and largest value."""
    shift, (lo, hi) = impl.arith.product_shift, ranges
    return [(shift_right(int(lo[j]), -shift) + int(biases[j]), shift_right(int(hi[j]), -shift) + int(biases[j]))
            for j in range(impl.arith.n_out)]


def _relu_of_exact_sums(impl: DenseImpl) -> bool:
    """Whether a ReLU reads the sums as they are (a sum never above zero is then 0)."""
    a = impl.arith
    return a.activation is not None and a.activation.kind is ActivationKind.RELU and a.exact


def _output_conversion(s: Structure, impl: DenseImpl, ranges: tuple[np.ndarray, np.ndarray], biases,
                       result: FixedType) -> None:
    """Each output's activation and conversion to ``result``: from its sum's exact range
    (``ranges`` of the products, then the bias) when the accumulator is exact and the
    activation a ReLU or none, else for any value."""
    a = impl.arith
    kind = None if a.activation is None else a.activation.kind
    if not a.exact or a.precision.pre_activation is not None or \
            kind not in (None, ActivationKind.LINEAR, ActivationKind.RELU):
        conversion(s, a.n_out, impl.output.type.width)
        return
    for lo, hi in _sums(impl, ranges, biases):
        relu_conversion(s, 1, lo, hi, a.acc.frac_bits, kind is ActivationKind.RELU, result)


def _folded(impl: DenseImpl, s: Structure, x_bits: int, w_bits: int, acc: int) -> None:
    """A folded Dense: per multiplier, the weights it uses cycle by cycle decide whether
    it is a multiplier (of the bits those weights need), a shift or nothing."""
    R = impl.reuse_factor
    s.dsp = True  # '*' operators: the tool maps them to DSP blocks
    s.reg_bits += impl.input.bits + impl.n_out * acc + max(R - 1, 1).bit_length() + 2
    sched = fold_schedule(impl)
    rows, cols = sched.slots()
    w = impl.arith.weight[rows, cols]  # (multiplier, cycle) -> raw weight
    used = np.any(w != 0, axis=1)
    lo, hi = w.min(axis=1), w.max(axis=1)
    varying = used & (lo != hi)
    magnitude = np.abs(w[:, 0])
    shift = ~varying & (magnitude & (magnitude - 1) == 0)  # one power-of-two weight: a shift
    # each output adds its products (and its running sum) in one expression, which Yosys
    # builds as a carry-save tree of full adders when no DSP block takes the additions
    x_lo, x_hi = impl.arith.x_lo, impl.arith.x_hi
    ends = np.stack([lo * x_lo, lo * x_hi, hi * x_lo, hi * x_hi])
    product_bits = _bits(np.minimum(ends.min(axis=0), -1), ends.max(axis=0))
    # a multiplier serves each of its outputs in one run of cycles: a run starts where
    # the output changes; per output, the working multipliers serving it
    starts = np.ones(cols.shape, dtype=bool)
    starts[:, 1:] = cols[:, 1:] != cols[:, :-1]
    serving = np.bincount(cols[starts & used[:, None]], minlength=impl.arith.n_out)
    s.carry_save_bits += int(np.maximum(serving + (R > 1) - 2, 0).sum()) * acc
    # a multiplier working for several outputs (each in part of the cycles): its product
    # gated into each one's sum
    runs = starts.sum(axis=1)
    shared = used & (runs > 1)
    s.gate_bits += int((product_bits[shared] * runs[shared]).sum())
    if R > 1:  # the operand for this cycle: an R:1 multiplexer per distinct sequence of inputs
        # (equal ones are one: synthesis merges them; a multiplier reading one input has none)
        selecting = rows[used & np.any(rows != rows[:, :1], axis=1)]
        s.select_bits += len({r.tobytes() for r in selecting}) * x_bits * (R - 1)
    a, b = lo[used & ~shift], hi[used & ~shift]
    ends = np.stack([a * x_lo, a * x_hi, b * x_lo, b * x_hi])
    w_bits_ranged, y_bits = _bits(np.minimum(a, -1), b), _bits(np.minimum(ends.min(axis=0), -1), ends.max(axis=0))
    x_bits_ranged = bits_for(min(x_lo, -1), x_hi)
    # each working multiplier's product into its output's sum (the bias or the running sum
    # plus the products in order): a DSP block may take the addition of a product it
    # holds when the product comes to the sum as it is, neither gated nor shifted
    direct: list[tuple | None] = [None] * len(used)  # the multiplier's key where it does
    for mi, wb, yb in zip(np.flatnonzero(used & ~shift).tolist(), w_bits_ranged.tolist(), y_bits.tolist()):
        key = (x_bits_ranged, wb, yb, True)
        s.multipliers[key] += 1
        if runs[mi] == 1 and impl.arith.product_shift == 0:
            direct[mi] = key
    for mi in np.flatnonzero(used).tolist():
        s.product_adder_bits[direct[mi]] += acc
    if R > 1:  # each output's first term, after the choice of the bias or the running sum
        for j in range(impl.arith.n_out):
            mi = next((mi for mi, _, _ in sched.uses(j) if used[mi]), None)
            if mi is not None:
                s.base_select_bits[direct[mi]] += acc
    if varying.any():
        s.roms[Memory(int(varying.sum()) * w_bits, R, _uses_rom(impl))] += 1


def _bits(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """:func:`bits_for` of arrays of bounds (values below 2**52)."""
    def length(v):
        return np.where(v > 0, np.floor(np.log2(np.maximum(v, 1))).astype(np.int64) + 1, 0)

    signed = np.maximum(length(hi), length(-lo - 1)) + 1
    return np.where(lo < 0, signed, np.maximum(length(hi), 1))


def _product(x_lo: int, x_hi: int, weights) -> tuple[int, int, int, bool]:
    """A multiplier of inputs in [x_lo, x_hi] by these weights: (input bits, weight bits,
    product bits), as synthesis sees it after narrowing the operands to their ranges."""
    ends = [x * w for x in (x_lo, x_hi) for w in (min(weights), max(weights))]
    return (bits_for(min(x_lo, -1), x_hi), bits_for(min(min(weights), -1), max(weights)),
            bits_for(min(min(ends), -1), max(ends)), True)


def _uses_rom(impl: DenseImpl) -> bool:
    from ..backends.verilog.weight_rom import uses_rom

    return uses_rom(impl)

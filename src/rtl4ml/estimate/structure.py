"""What each engine of a hardware plan is built from, counted without generating it:
adders and their widths, multiplexers, comparators, registers, multipliers, ROM and RAM
bits. Family-independent; :mod:`.mapping` turns it into LUT/FF/DSP/BRAM of a family.

The counts follow the engines the Verilog backend generates (``hw.records`` documents
them): the adder graph's nodes with the widths of their exact ranges, the register
stages the cycle model places, line buffers and FIFOs with their depth and width.
What synthesis removes or moves is counted where it is known: register bits that stay
constant or repeat another (:mod:`.live_bits`), bits nothing reads, tables and registers
that go into block RAM or DSP blocks (decided in :mod:`.mapping`). The rest is the
learned correction's job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from functools import singledispatch

import numpy as np

from ..backends.verilog.netlist import bits_for
from ..config import Strategy
from ..emulate.tables import TABLE_ACTIVATIONS, TableFunction, index_scaling
from ..errors import UnsupportedError
from ..fixed import FixedType, Overflow, Rounding
from ..hw.adder_graph import AdderGraph, combine_tree, csd_digits
from ..hw.cycles import ROUND_LEVELS, cycle_of
from ..hw.divide import ConstDivision
from ..hw.fold import fold_schedule
from ..hw.linear import folded_rounding
from ..hw.records import (
    ArgMaxImpl,
    DenseImpl,
    JoinImpl,
    JoinKind,
    PointwiseImpl,
    SoftmaxImpl,
    Stream,
    WireImpl,
)
from ..ir import ActivationKind, Table
from .live_bits import output_bits, table_lanes, table_values


@dataclass(frozen=True)
class Memory:
    """A RAM or ROM of ``depth`` words of ``width`` bits; ``block``: marked for block RAM.

    A table ROM is read over part of its range: ``width`` and ``depth`` are the bits and
    entries its reads reach (what its logic costs), ``seen_width`` and ``seen_depth``
    the ROM synthesis sees when it chooses logic or block RAM (all entries, lanes
    constant over all of them removed; 0: as read). ``out_reg``: its output register,
    inside the block RAM when the ROM maps to one, flip-flops otherwise. ``read_in_cycle``:
    its output is also used in the cycle of the read, so a block RAM can take only an
    address register: ``address_reg`` bits straight before it (0: none, the ROM stays in
    logic, as no block RAM reads asynchronously).
    """

    width: int
    depth: int
    block: bool
    seen_width: int = 0
    seen_depth: int = 0
    out_reg: bool = False
    address_luts: int = 0  # logic on its address outside a block RAM (a logic ROM absorbs it)
    read_in_cycle: bool = False
    address_reg: int = 0

    @property
    def seen(self) -> Memory:
        return Memory(self.seen_width or self.width, self.seen_depth or self.depth, self.block)


@dataclass
class Structure:
    """Counts of primitive operators (bits are summed over operators)."""

    adder_bits: int = 0  # two-operand adders and subtractors
    mux_bits: int = 0  # 2:1 multiplexer bits
    gate_bits: int = 0  # two-input gates (a ReLU's sign ? 0 : x): a LUT each, never shared
    adder_gate_bits: int = 0  # such gates right before a rounding adder (in its LUTs on AMD/Xilinx)
    increment_bits: int = 0  # adders of one operand and a carry-in (roundings)
    select_bits: int = 0  # wide multiplexers, counted as 2:1 multiplexer bits (an R:1 one is R - 1)
    compare_bits: int = 0  # magnitude comparators
    const_compare_bits: int = 0  # comparators of a value against a constant (a clip's bounds, a table's clamp)
    reduce_bits: int = 0  # inputs beyond the first of wide AND/OR reductions (saturation checks)
    max_bits: int = 0  # a max pool's compare-and-select of two values (a comparator and a multiplexer)
    reg_bits: int = 0  # flip-flops
    multipliers: Counter = field(default_factory=Counter)  # (a bits, b bits, product bits, signed) -> how many
    product_regs: Counter = field(default_factory=Counter)  # multipliers (keys as above) whose product is registered
    dsp_side_regs: int = 0  # register bits next to DSP multipliers (operands' last stages, products) a DSP can hold
    dsp: bool = False  # multipliers map to DSP blocks
    const_products: Counter = field(default_factory=Counter)  # (x bits, digits, width) -> how many
    dsp_adder_bits: int = 0  # adders right after a DSP product (inside the block where it has an adder)
    carry_save_bits: int = 0  # operand bits beyond the first two of one-cycle sums of many products
    roms: Counter = field(default_factory=Counter)  # Memory -> how many: constant tables
    rams: Counter = field(default_factory=Counter)  # Memory -> how many: line buffers, FIFOs

    def __iadd__(self, other: Structure) -> Structure:
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, a or b if f.name == "dsp" else a + b)
        return self


def shift_right(value: int, shift: int) -> int:
    """``value * 2**-shift`` rounded down: a right shift, or a left one when ``shift`` < 0."""
    return value >> shift if shift >= 0 else value << -shift


def conversion(s: Structure, elements: int, out_bits: int) -> None:
    """Rounding and saturation to a result type, the values unknown: an increment and a
    clamp per element."""
    s.increment_bits += elements * out_bits
    s.compare_bits += elements * out_bits
    s.mux_bits += elements * out_bits


def _rounds(frac: int, y: FixedType) -> bool:
    """Whether converting a value of ``frac`` fraction bits to ``y`` adds a rounding carry."""
    return frac > y.frac_bits and y.rounding is not Rounding.TRN


def known_conversion(s: Structure, elements: int, lo: int, hi: int, frac: int, y: FixedType) -> None:
    """The conversion of values in [lo, hi] (raw, ``frac`` fraction bits) to ``y``: a
    rounding adder only where bits are dropped by a rounding mode, a clamp only where the
    range exceeds the type and the type saturates."""
    shift = y.frac_bits - frac
    lo, hi = shift_right(lo, -shift), shift_right(hi, -shift)
    if _rounds(frac, y):
        s.increment_bits += elements * bits_for(lo, hi + 1)  # the kept bits plus the rounding bit
    if (lo < y.raw_min or hi > y.raw_max) and y.overflow is not Overflow.WRAP:
        saturation(s, elements, lo, hi, y)


def saturation(s: Structure, elements: int, lo: int, hi: int, y: FixedType) -> None:
    """Saturating values in [lo, hi] to ``y`` as the backend writes it: above the range,
    an OR of the bits above the type's top bit (and the sign); below the natural range of
    a signed type, the sign and an AND of those bits; below a symmetric range, a
    comparator; then the multiplexer of the bound or the value."""
    inputs = bits_for(lo, hi) - y.width + y.signed  # the bits from the type's top bit up (and the sign)
    lo_t = -y.raw_max if (y.overflow is Overflow.SAT_SYM and y.signed) else y.raw_min
    if hi > y.raw_max:
        s.reduce_bits += elements * max(inputs - 1, 0)
    if lo < lo_t:
        if lo_t != y.raw_min:
            s.compare_bits += elements * bits_for(lo, hi)
        elif y.signed:  # unsigned: the sign bit alone
            s.reduce_bits += elements * max(inputs - 1, 0)
    s.mux_bits += elements * y.width


def relu_conversion(s: Structure, elements: int, lo: int, hi: int, frac: int, relu: bool, y: FixedType) -> None:
    """A ReLU (if ``relu``) of values in [lo, hi] (raw, ``frac`` fraction bits), then
    their conversion to ``y``: the ReLU's gate only where the conversion reads the bits
    (from the rounding bit up), inside the rounding adder's LUTs when there is one."""
    if relu and lo < 0:
        lo, hi = 0, max(hi, 0)
        dropped = max(frac - y.frac_bits - 1, 0)  # below the rounding bit
        gates = elements * bits_for(0, hi >> dropped)  # sign ? 0 : x
        if _rounds(frac, y):
            s.adder_gate_bits += gates  # into the rounding adder
        else:
            s.gate_bits += gates
    known_conversion(s, elements, lo, hi, frac, y)


def division(s: Structure, elements: int, lo: int, hi: int, div: ConstDivision, y: FixedType) -> None:
    """An average's division of sums in [lo, hi] by a constant, as the backend writes it:
    the offset that makes the sum non-negative, the quotient from a constant product, the
    remainder in the bits below the divisor, the rounding decision against it, the
    quotient plus its rounding carry, the overflow mode."""
    lo, hi = lo << div.shift_left, hi << div.shift_left
    pos_hi = hi + div.offset
    pos_bits = bits_for(0, pos_hi)
    if div.offset:
        s.adder_bits += elements * pos_bits
    q_lo, q_hi = (lo + div.offset) // div.den, pos_hi // div.den
    if q_hi:
        s.const_products[pos_bits, len(csd_digits(div.mult)), bits_for(0, pos_hi * div.mult)] += elements
    q_bits = bits_for(0, q_hi)
    s.const_products[q_bits, len(csd_digits(div.den)), bits_for(0, q_hi * div.den)] += elements
    r_bits = bits_for(0, div.den - 1)
    s.adder_bits += elements * r_bits  # the remainder: only the bits below the divisor
    rounds = y.rounding is not Rounding.TRN
    if rounds:
        s.compare_bits += elements * (r_bits + 1)  # twice the remainder against the divisor
    base = div.offset // div.den
    y_lo, y_hi = q_lo - base, q_hi - base + rounds
    s.adder_bits += elements * bits_for(y_lo, y_hi) * (rounds or bool(base))
    if (y_lo < y.raw_min or y_hi > y.raw_max) and y.overflow is not Overflow.WRAP:
        saturation(s, elements, y_lo, y_hi, y)


def pipeline(s: Structure, latency: int, out: Stream) -> None:
    """The output register and the valid shift register of a pipelined engine."""
    s.reg_bits += out.bits + latency


def tree_registers(n: int, width: int, levels: int, use_depth_after: int, start: int = 0) -> tuple[int, int]:
    """(register bits, depth) of a least-depth tree of two-input operations over ``n``
    values at depth ``start`` with ``levels`` per register stage: each operand is carried
    from the cycle that makes it to the cycle that uses it; the total is then used
    ``use_depth_after`` levels later."""
    if n < 1:
        return 0, start
    regs = 0

    def combine(a, b, depth):
        nonlocal regs
        regs += sum(cycle_of(depth, levels) - cycle_of(d, levels) for d in (a, b)) * width
        return depth

    depth, _ = combine_tree([(start, start)] * n, combine) if n > 1 else (start, start)
    regs += (cycle_of(depth + use_depth_after, levels) - cycle_of(depth, levels)) * width
    return regs, depth


# ---- Dense ------------------------------------------------------------------------------
_GRAPH_WIDTHS: dict[tuple[int, int, int], tuple[AdderGraph, np.ndarray, int]] = {}


def graph_widths(graph: AdderGraph, x_lo: int, x_hi: int) -> tuple[np.ndarray, int]:
    """Width of every value of ``graph`` (inputs first) from its exact range over inputs
    in [x_lo, x_hi], and the adder bits of its nodes: a node adding a shifted operand
    passes the other operand's bits below the shift through without an adder. Cached per
    graph (graphs are themselves cached per weight matrix)."""
    key = (id(graph), x_lo, x_hi)
    hit = _GRAPH_WIDTHS.get(key)
    if hit is not None and hit[0] is graph:  # the graph is kept: its id is not reused
        return hit[1], hit[2]
    if len(_GRAPH_WIDTHS) >= 256:
        _GRAPH_WIDTHS.clear()
    values = graph.coefficients()  # value = c.x * 2**e
    coeffs = np.array([c for c, _ in values], dtype=object)
    lo = np.minimum(coeffs * x_lo, coeffs * x_hi).sum(axis=1)
    hi = np.maximum(coeffs * x_lo, coeffs * x_hi).sum(axis=1)
    widths = np.array([bits_for(int(a), int(b)) for a, b in zip(lo, hi)], dtype=np.int64)
    adder_bits = 0
    for k, node in enumerate(graph.nodes):
        through = abs(values[node.a.idx][1] + node.a.shift - values[node.b.idx][1] - node.b.shift)
        adder_bits += max(int(widths[graph.n_in + k]) - through, 1)
    _GRAPH_WIDTHS[key] = (graph, widths, adder_bits)
    return widths, adder_bits


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


def _acc_bits(impl: DenseImpl) -> int:
    a = impl.arith
    w = a.weight
    lo = np.minimum(w * a.x_lo, w * a.x_hi).sum(axis=0)
    hi = np.maximum(w * a.x_lo, w * a.x_hi).sum(axis=0)
    return max(bits_for(int(lo.min()), int(hi.max())), 1)


@singledispatch
def structure(impl) -> Structure:
    raise UnsupportedError(f"layer '{getattr(impl, 'node', '?')}': the estimator has no resource model for "
                           f"{type(impl).__name__}")


@structure.register
def _(impl: DenseImpl) -> Structure:
    a, s = impl.arith, Structure()
    out_bits = impl.output.type.width
    acc = _acc_bits(impl)
    x_bits = impl.input.type.width
    w_bits = a.precision.weight.width
    if impl.strategy is Strategy.RESOURCE:
        _folded(impl, s, x_bits, w_bits, acc)
        _output_conversion(s, impl, a.bias, a.precision.result)
        s.reg_bits += impl.output.bits
        return s
    if impl.graph is not None:
        widths, adder_bits = graph_widths(impl.graph, a.x_lo, a.x_hi)
        s.adder_bits += adder_bits
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
            digits = int(_csd_digit_counts(a.weight).sum())
            s.adder_bits += max(digits - products, 0) * (x_bits + w_bits)
            s.reg_bits += a.n_out * acc * max(impl.latency - 1, 0)
        s.adder_bits += sums * acc
    biases, result = folded_rounding(a)
    s.adder_bits += sum(1 for b in biases if b) * acc
    _output_conversion(s, impl, biases, result)
    pipeline(s, impl.latency, impl.output)
    return s


def _output_conversion(s: Structure, impl: DenseImpl, biases, result: FixedType) -> None:
    """Each output's activation and conversion to ``result``: from its sum's exact range
    when the accumulator is exact and the activation a ReLU or none, else for any value."""
    a = impl.arith
    kind = None if a.activation is None else a.activation.kind
    if not a.exact or a.precision.pre_activation is not None or \
            kind not in (None, ActivationKind.LINEAR, ActivationKind.RELU):
        conversion(s, a.n_out, impl.output.type.width)
        return
    w, shift = a.weight, a.product_shift
    lo = np.minimum(w * a.x_lo, w * a.x_hi).sum(axis=0)
    hi = np.maximum(w * a.x_lo, w * a.x_hi).sum(axis=0)
    for j in range(a.n_out):
        c_lo, c_hi = (int(lo[j]) << shift, int(hi[j]) << shift) if shift >= 0 else \
            (shift_right(int(lo[j]), -shift), shift_right(int(hi[j]), -shift))
        relu_conversion(s, 1, c_lo + biases[j], c_hi + biases[j], a.acc.frac_bits, kind is ActivationKind.RELU,
                        result)


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
    n_used = int(used.sum())
    s.dsp_adder_bits += n_used * acc  # each product into its output's running sum
    # each output adds its products (and its running sum) in one expression, which Yosys
    # builds as a carry-save tree of full adders when no DSP block takes the additions
    working = set(np.flatnonzero(used).tolist())
    for j in range(impl.arith.n_out):
        terms = sum(1 for mi, _, _ in sched.uses(j) if mi in working) + (R > 1)
        s.carry_save_bits += max(terms - 2, 0) * acc
    if R > 1:  # the operand for this cycle: an R:1 multiplexer per distinct sequence of inputs
        s.select_bits += len(np.unique(cols[used], axis=0)) * x_bits * (R - 1)
    x_lo, x_hi = impl.arith.x_lo, impl.arith.x_hi
    a, b = lo[used & ~shift], hi[used & ~shift]
    ends = np.stack([a * x_lo, a * x_hi, b * x_lo, b * x_hi])
    keys = np.stack([_bits(np.minimum(a, -1), b), _bits(np.minimum(ends.min(axis=0), -1), ends.max(axis=0))], axis=1)
    x_bits_ranged = bits_for(min(x_lo, -1), x_hi)
    for (wb, yb), n in zip(*np.unique(keys, axis=0, return_counts=True)) if len(keys) else ():
        s.multipliers[x_bits_ranged, int(wb), int(yb), True] += int(n)
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


def _csd_digit_counts(weight: np.ndarray) -> np.ndarray:
    """Nonzero canonical signed digits of each weight (the non-adjacent form's weight)."""
    w = np.abs(weight.astype(np.int64))
    x = (w ^ (3 * w)) >> 1
    count = np.zeros_like(w)
    while np.any(x):
        count += x & 1
        x >>= 1
    return count


def _uses_rom(impl: DenseImpl) -> bool:
    from ..backends.verilog.weight_rom import uses_rom

    return uses_rom(impl)


# ---- per-element and joining engines ----------------------------------------------------
@structure.register
def _(impl: PointwiseImpl) -> Structure:
    s, n = Structure(), impl.output.elements
    kind = None if impl.activation is None else impl.activation.kind
    live = output_bits(impl)
    registers = live * impl.latency
    table = impl.table if kind in TABLE_ACTIVATIONS else None
    if table is not None:
        lo, hi = _scaled_index(impl)
        if hi >= 0 and lo < table.size:  # else the whole range reads one entry: a constant
            # a ROM of the entries the input reaches, in the output bits that vary, with its
            # output register (in the block RAM when it maps to one); the index is clamped
            # to the table on each side the input's range leaves it
            lanes = table_lanes(TABLE_ACTIVATIONS[kind], table, impl.output.type)
            reachable = min(min(hi, table.size - 1) - max(lo, 0) + 1, impl.input.raw_hi - impl.input.raw_lo + 1)
            s.roms[Memory(live, reachable, False, lanes, table.size, out_reg=True, address_luts=1)] += n
            registers -= live
            s.const_compare_bits += n * ((lo < 0) + (hi >= table.size)) * bits_for(lo, hi)
    elif kind in (None, ActivationKind.LINEAR, ActivationKind.RELU):
        relu_conversion(s, n, impl.input.raw_lo, impl.input.raw_hi, impl.input.type.frac_bits,
                        kind is ActivationKind.RELU, impl.output.type)
    elif kind is ActivationKind.CLIP and impl.param is not None:
        _clip(s, n, impl)
    else:
        conversion(s, n, live)
        if kind in (ActivationKind.LEAKY_RELU, ActivationKind.HARD_SIGMOID) and impl.param is not None:
            # x * alpha as shifts and adds of alpha's canonical signed digits (+ beta)
            alpha = int(impl.param.quantize(impl.activation.alpha))
            width = impl.input.type.width + max(abs(alpha).bit_length(), 1)
            s.const_products[impl.input.type.width, len(csd_digits(alpha)), width] += n
            s.mux_bits += n * width
    s.reg_bits += n * registers + impl.latency
    return s


def _clip(s: Structure, n: int, impl: PointwiseImpl) -> None:
    """numpy's clip as the backend writes it: the input aligned to the bounds' fraction
    bits, a comparator and a multiplexer for each bound the input's range crosses, then
    the conversion of the clipped range to the result type."""
    x, act, param = impl.input, impl.activation, impl.param
    f = x.type.frac_bits
    common = max(f, param.frac_bits)
    lo, hi = x.raw_lo << (common - f), x.raw_hi << (common - f)
    b_lo, b_hi = (int(param.quantize(v)) << (common - param.frac_bits) if np.isfinite(v) else None
                  for v in (act.min_value, act.max_value))
    new_lo = lo if b_lo is None else max(lo, b_lo)
    new_hi = hi if b_hi is None else min(hi, b_hi)
    if new_lo > new_hi:
        return  # every input lies beyond one bound: a constant
    crossed = (b_lo is not None and lo < b_lo) + (b_hi is not None and hi > b_hi)
    # the alignment's zero bits drop out: of the comparators, and of the clipped value
    # when the bounds have them too (then the conversion rounds nothing there)
    s.const_compare_bits += n * crossed * bits_for(x.raw_lo, x.raw_hi)
    zeros = common - f
    if all(b is None or b % (1 << zeros) == 0 for b in (b_lo, b_hi)):
        new_lo, new_hi, common = new_lo >> zeros, new_hi >> zeros, f
    dropped = max(common - impl.output.type.frac_bits - 1, 0)  # below the rounding bit: unread
    muxes = n * bool(crossed) * bits_for(new_lo >> dropped, new_hi >> dropped)  # x or a bound: one level
    if _rounds(common, impl.output.type):
        s.adder_gate_bits += muxes  # into the rounding adder
    else:
        s.mux_bits += muxes
    known_conversion(s, n, new_lo, new_hi, common, impl.output.type)


def _scaled_index(impl: PointwiseImpl) -> tuple[int, int]:
    """The table index of the input's range before it is clamped to the table."""
    x = impl.input
    shift, first = index_scaling(x.type.frac_bits, impl.table)
    return shift_right(x.raw_lo, shift) - first, shift_right(x.raw_hi, shift) - first


@structure.register
def _(impl: WireImpl) -> Structure:
    return Structure()


@structure.register
def _(impl: JoinImpl) -> Structure:
    s, out = Structure(), impl.output
    if impl.kind is JoinKind.ADD:
        s.adder_bits += (len(impl.inputs) - 1) * out.elements * (out.type.width + 1)
    conversion(s, out.elements, out.type.width)
    pipeline(s, impl.latency, out)
    s.reg_bits += out.bits * max(impl.latency - 1, 0)
    return s


@structure.register
def _(impl: SoftmaxImpl) -> Structure:
    s, n, g = Structure(), impl.input.elements, impl.group
    x_bits, y_bits = impl.input.type.width, impl.output.type.width
    t_bits = impl.exp_table.precision.width
    groups = n // g
    s.compare_bits += groups * (g - 1) * x_bits  # the max tree
    s.mux_bits += groups * (g - 1) * x_bits
    s.adder_bits += n * (x_bits + 1)  # the differences
    s.adder_bits += groups * (g - 1) * (t_bits + g.bit_length())  # the sum tree
    t_inv = impl.inv_table.precision.width
    s.multipliers[t_bits, t_inv, t_bits + t_inv, False] += n  # unsigned
    s.dsp = True  # '*' operators: the tool maps them to DSP blocks
    conversion(s, n, y_bits)
    regs = _softmax_registers(impl)
    reads = ((TableFunction.EXP_NEG, impl.exp_table, groups * regs.exp_summed_later, regs.exp_read, False),
             (TableFunction.EXP_NEG, impl.exp_table, n - groups * regs.exp_summed_later, regs.exp_read, True),
             (TableFunction.INVERSE, impl.inv_table, groups, regs.inv_read, False))
    exp_last = _exp_index_last(impl)
    for fn, table, count, registered, in_cycle in reads:
        lo, hi = _table_range(fn, table)
        depth = seen = table.size
        if fn is TableFunction.EXP_NEG:
            depth = _exp_entries_read(impl)
            if exp_last is not None:  # the address's upper bits constant
                seen = 1 << exp_last.bit_length()
        address_reg = regs.exp_address_bits if fn is TableFunction.EXP_NEG else 0
        rom = Memory(bits_for(lo, hi), depth, False, table_lanes(fn, table, table.precision), seen,
                     out_reg=registered, read_in_cycle=in_cycle or not registered, address_reg=address_reg)
        if count:
            s.roms[rom] += count
    s.reg_bits += groups * regs.logic + impl.output.bits + impl.latency
    s.dsp_side_regs += groups * regs.beside_dsp
    return s


def _table_range(fn: TableFunction, table: Table) -> tuple[int, int]:
    """The smallest and largest raw entry of a table, in its own precision."""
    values = table_values(fn, table, table.precision)
    return int(values.min()), int(values.max())


@dataclass(frozen=True)
class SoftmaxRegisters:
    """Register bits of one softmax group beyond its output register: ``logic`` in
    flip-flops, ``beside_dsp`` next to the multipliers (the exponentials' last two stages
    and the products), which a DSP block can hold; whether each table's read is
    registered (the table's own output register); how many of a group's exponentials
    the sum tree first adds in a later cycle than their read (the others are added in
    the read's cycle); the bits of the register the exp table's address comes straight
    from (0: logic between them)."""

    logic: int
    beside_dsp: int
    exp_read: bool
    inv_read: bool
    exp_summed_later: int
    exp_address_bits: int


def _softmax_registers(impl: SoftmaxImpl) -> SoftmaxRegisters:
    """As the emitter's stages place them: each value is carried from the cycle that
    makes it to the last cycle that reads it, in the bits a later table index or
    conversion reads (synthesis removes the others)."""
    d, g, levels = impl.depths, impl.group, impl.adder_levels

    def stages(made: int, used: int) -> int:
        return cycle_of(used, levels) - cycle_of(made, levels)

    x_lo, x_hi = impl.input.raw_lo, impl.input.raw_hi
    x_bits = bits_for(x_lo, x_hi)
    te, ti = impl.exp_table.precision, impl.inv_table.precision
    e_lo, e_hi = _table_range(TableFunction.EXP_NEG, impl.exp_table)
    i_lo, i_hi = _table_range(TableFunction.INVERSE, impl.inv_table)
    shift, _ = index_scaling(te.frac_bits, impl.inv_table)  # the inverse table's index of the total
    index_bits = bits_for(shift_right(g * e_lo, shift), shift_right(g * e_hi, shift))
    drop = te.frac_bits + ti.frac_bits - impl.output.type.frac_bits - 1  # product bits below the rounding bit
    product_bits = bits_for(shift_right(e_lo * i_lo, drop), shift_right(e_hi * i_hi, drop))
    e_bits, e_stages, inv_stages = bits_for(e_lo, e_hi), stages(d.exp, d.product), stages(d.inv, d.product)
    logic = g * stages(0, d.diff) * x_bits  # the inputs, read again by the differences
    logic += tree_registers(g, x_bits, levels, d.diff - d.max)[0]  # the max tree and its result
    logic += g * stages(d.diff, d.exp) * bits_for(0, x_hi - x_lo)  # the differences
    logic += tree_registers(g, index_bits, levels, d.inv - d.sum, start=d.exp)[0]  # the sum tree and its total
    logic += max(inv_stages - 1, 0) * bits_for(i_lo, i_hi)
    logic += g * max(e_stages - 3, 0) * e_bits  # the exponentials beyond the table's and the DSP's registers
    beside = g * (min(max(e_stages - 1, 0), 2) * e_bits + stages(d.product, d.out) * product_bits)
    later = sum(cycle_of(d.inv if depth is None else depth, levels) > cycle_of(d.exp, levels)
                for depth in first_use_depths(g, d.exp))  # a lone one: read by the inverse's index
    bare = _exp_index_last(impl) is not None  # the difference's register: the table's address register
    return SoftmaxRegisters(logic, beside, e_stages > 0, inv_stages > 0, later,
                            bits_for(0, x_hi - x_lo) if bare and stages(d.diff, d.exp) > 0 else 0)


def _exp_index_last(impl: SoftmaxImpl) -> int | None:
    """The largest exp table index when the index is a bit slice of the difference (no
    offset, no clamp); None otherwise."""
    shift, first = index_scaling(impl.input.type.frac_bits, impl.exp_table)
    last = shift_right(impl.input.raw_hi - impl.input.raw_lo, shift)
    return last if first == 0 and last < impl.exp_table.size else None


def _exp_entries_read(impl: SoftmaxImpl) -> int:
    """How many of the exp table's entries the differences reach: every one up to the
    largest index, or every ``2**k``-th when the index is the difference shifted left by
    ``k`` (and the last entry when the index is clamped)."""
    size = impl.exp_table.size
    shift, first = index_scaling(impl.input.type.frac_bits, impl.exp_table)
    if first != 0:
        return size
    last = shift_right(impl.input.raw_hi - impl.input.raw_lo, shift)
    step = 1 << max(-shift, 0)
    return min(last, size - 1) // step + 1 + (last >= size and (size - 1) % step != 0)


def first_use_depths(n: int, start: int) -> list[int | None]:
    """For each of ``n`` values at depth ``start``, the depth of the node of the least-depth
    tree over them (:func:`combine_tree`, as the emitters build it) that first reads it;
    None for a lone value (read by what follows the tree)."""
    if n < 2:
        return [None] * n
    first: dict[int, int] = {}

    def combine(a, b, depth):
        for leaf in (a, b):
            if isinstance(leaf, int):
                first[leaf] = depth
        return None

    combine_tree([(start, k) for k in range(n)], combine)
    return [first[k] for k in range(n)]


@structure.register
def _(impl: ArgMaxImpl) -> Structure:
    s, n, g = Structure(), impl.input.elements, impl.group
    x_bits, idx = impl.input.type.width, impl.output.type.width
    pairs = (n // g) * (g - 1)
    s.compare_bits += pairs * x_bits
    s.mux_bits += pairs * (x_bits + idx)
    s.reg_bits += impl.latency * (impl.input.bits // 2 + impl.output.bits) + impl.latency
    return s

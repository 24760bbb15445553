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
from ..emulate.tables import TABLE_ACTIVATIONS, index_scaling
from ..errors import UnsupportedError
from ..fixed import FixedType, Overflow, Rounding
from ..hw.adder_graph import combine_tree, csd_digits
from ..hw.cycles import cycle_of
from ..hw.divide import ConstDivision
from ..hw.records import (
    ArgMaxImpl,
    JoinImpl,
    JoinKind,
    PointwiseImpl,
    Stream,
    WireImpl,
)
from ..hw.table_read import rotated, selects_ends
from ..ir import ActivationKind
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
    logic, as no block RAM reads asynchronously). ``summed_in_cycle``: an adder adds its
    words in the cycle of the read. ``clamp_bits``: its index is clamped to the table from
    that many more bits (synthesis may merge clamp and ROM into one function of them all).
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
    contents: tuple[int, ...] = ()  # a table's words as its ROM holds them (raw integers; empty: unknown)
    summed_in_cycle: bool = False
    clamp_bits: int = 0

    @property
    def seen(self) -> Memory:
        return Memory(self.seen_width or self.width, self.seen_depth or self.depth, self.block)


@dataclass
class Structure:
    """Counts of primitive operators (bits are summed over operators)."""

    adder_bits: int = 0  # two-operand adders and subtractors
    subtracted_bits: int = 0  # bits of the values the shift-and-add graphs' subtractors subtract, each value
    # once: an inverter each where the carry chain takes its operands straight from the nets (iCE40 SB_CARRY)
    mux_bits: int = 0  # 2:1 multiplexer bits
    gate_bits: int = 0  # two-input gates (a ReLU's sign ? 0 : x): a LUT each, never shared
    adder_gate_bits: int = 0  # such gates right before a rounding adder (in its LUTs on AMD/Xilinx)
    increment_bits: int = 0  # adders of one operand and a carry-in (roundings)
    select_bits: int = 0  # wide multiplexers, counted as 2:1 multiplexer bits (an R:1 one is R - 1)
    reset_bits: int = 0  # of the gate and multiplexer bits, those choosing a constant straight before the output
    # register (a ReLU's zero with no clamp after it, a clamp's bound): its synchronous set or reset where
    # the family's flip-flop has one that the clock enable gates (iCE40 SB_DFFESR, SB_DFFESS)
    stall_enables: int = 0  # pipelined engines' stall enable (~m_valid | m_ready): a LUT each, two where the
    # flip-flop's reset obeys the enable (as for reset_bits), since the valid register's reset must override it
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
    product_adder_bits: Counter = field(default_factory=Counter)  # multiplier key (None: a shift, or a product
    # gated or shifted on its way) -> adder bits adding such a product to a folded layer's sum
    base_select_bits: Counter = field(default_factory=Counter)  # the same keys, of each folded sum's first
    # term -> bits of the sum's choice of its bias or its running sum
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


def lowest_one(value: int) -> int:
    """The position of the lowest one bit of a nonzero ``value``: below it, an adder with
    this operand passes the other operand's bits through."""
    return (value & -value).bit_length() - 1


def conversion(s: Structure, elements: int, out_bits: int) -> None:
    """Rounding and saturation to a result type, the values unknown: an increment and a
    clamp per element."""
    s.increment_bits += elements * out_bits
    s.compare_bits += elements * out_bits
    s.mux_bits += elements * out_bits


def _rounds(frac: int, y: FixedType) -> bool:
    """Whether converting a value of ``frac`` fraction bits to ``y`` adds a rounding carry."""
    return frac > y.frac_bits and y.rounding is not Rounding.TRN


def known_conversion(s: Structure, elements: int, lo: int, hi: int, frac: int, y: FixedType) -> bool:
    """The conversion of values in [lo, hi] (raw, ``frac`` fraction bits) to ``y``: a
    rounding adder only where bits are dropped by a rounding mode, a clamp only where the
    range exceeds the type and the type saturates. Returns whether it clamps."""
    shift = y.frac_bits - frac
    lo, hi = shift_right(lo, -shift), shift_right(hi, -shift)
    if _rounds(frac, y):
        s.increment_bits += elements * bits_for(lo, hi + 1)  # the kept bits plus the rounding bit
    clamps = (lo < y.raw_min or hi > y.raw_max) and y.overflow is not Overflow.WRAP
    if clamps:
        saturation(s, elements, lo, hi, y)
    return clamps


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
    if (hi > y.raw_max) != (lo < lo_t):  # one bound: its choice (of two, one stays a LUT's)
        s.reset_bits += elements * y.width


def relu_conversion(s: Structure, elements: int, lo: int, hi: int, frac: int, relu: bool, y: FixedType) -> None:
    """A ReLU (if ``relu``) of values in [lo, hi] (raw, ``frac`` fraction bits), then
    their conversion to ``y``: the ReLU's gate only where the conversion reads the bits
    (from the rounding bit up), inside the rounding adder's LUTs when there is one."""
    rounds, gates = _rounds(frac, y), 0
    if relu and lo < 0:
        lo, hi = 0, max(hi, 0)
        dropped = max(frac - y.frac_bits - 1, 0)  # below the rounding bit
        gates = elements * bits_for(0, hi >> dropped)  # sign ? 0 : x
        if rounds:
            s.adder_gate_bits += gates  # into the rounding adder
        else:
            s.gate_bits += gates
    if not known_conversion(s, elements, lo, hi, frac, y) and not rounds:
        s.reset_bits += gates  # the zero straight before the register


def division(s: Structure, elements: int, lo: int, hi: int, div: ConstDivision, y: FixedType) -> None:
    """An average's division of sums in [lo, hi] by a constant, as the backend writes it:
    the offset that makes the sum non-negative, the quotient from a constant product, the
    remainder in the bits below the divisor, the rounding decision against it, the
    quotient plus its rounding carry, the overflow mode."""
    lo, hi = lo << div.shift_left, hi << div.shift_left
    pos_hi = hi + div.offset
    pos_bits = bits_for(0, pos_hi)
    if div.offset:  # below the offset's lowest one bit (or the sum's) one operand is zero: no adder
        s.adder_bits += elements * max(pos_bits - max(lowest_one(div.offset), div.shift_left), 0)
    q_lo, q_hi = (lo + div.offset) // div.den, pos_hi // div.den
    if q_hi:
        s.const_products[pos_bits, len(csd_digits(div.mult)), bits_for(0, pos_hi * div.mult)] += elements
    q_bits = bits_for(0, q_hi)
    r_bits = bits_for(0, div.den - 1)
    # q * den: the remainder reads only its bits below the divisor's (Yosys drops the rest)
    s.const_products[q_bits, len(csd_digits(div.den)), min(bits_for(0, q_hi * div.den), r_bits)] += elements
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
    """The output register, the valid shift register and the stall enable of a pipelined engine."""
    s.reg_bits += out.bits + latency
    s.stall_enables += 1


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


@singledispatch
def structure(impl) -> Structure:
    raise UnsupportedError(f"layer '{getattr(impl, 'node', '?')}': the estimator has no resource model for "
                           f"{type(impl).__name__}")


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
            # output register (in the block RAM when it maps to one); on each side the
            # input's range leaves the table, a comparator clamps the index, or (a small
            # table, hw.table_read) selects the end entry, whose ROM is counted from its words
            fn = TABLE_ACTIVATIONS[kind]
            lanes = table_lanes(fn, table, impl.output.type)
            reachable = min(min(hi, table.size - 1) - max(lo, 0) + 1, impl.input.raw_hi - impl.input.raw_lo + 1)
            words = _selected_ends_words(impl, fn, lo, hi) if selects_ends(table) else ()
            # (a selected end follows the ROM in its cycle: an asynchronous read, never a block RAM)
            s.roms[Memory(live, reachable, False, lanes, table.size, out_reg=True, address_luts=1,
                          read_in_cycle=bool(words), contents=words)] += n
            registers -= live
            ends = (lo < 0) + (hi >= table.size)
            s.const_compare_bits += n * ends * bits_for(lo, hi)
            if words and ends:  # an end entry or the ROM's word: a 2:1 multiplexer per output bit
                s.mux_bits += n * live
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
    s.stall_enables += 1
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
    rounds = _rounds(common, impl.output.type)
    if rounds:
        s.adder_gate_bits += muxes  # into the rounding adder
    else:
        s.mux_bits += muxes
    if not known_conversion(s, n, new_lo, new_hi, common, impl.output.type) and not rounds and crossed == 1:
        s.reset_bits += muxes  # the one bound straight before the register


def _selected_ends_words(impl: PointwiseImpl, fn, lo: int, hi: int) -> tuple[int, ...]:
    """The words of a table read at the low bits of its unclamped index (``hw.table_read``),
    as a function of the bits that address it: all of them, or, when the index (range
    ``lo .. hi``, before the table's offset) has fewer bits than the ROM's address, the
    words its bit patterns reach (the address's upper bits copy its sign)."""
    table = impl.table
    first = index_scaling(impl.input.type.frac_bits, table)[1]
    rom = rotated([int(v) for v in table_values(fn, table, impl.output.type)], first)
    s_lo, s_hi = lo + first, hi + first
    width = bits_for(s_lo, s_hi)
    if (1 << width) >= len(rom):
        return tuple(rom)
    top = 1 << width
    signed = s_lo < 0
    return tuple(rom[(p - top if signed and p >= top >> 1 else p) % len(rom)] for p in range(top))


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
def _(impl: ArgMaxImpl) -> Structure:
    s, n, g = Structure(), impl.input.elements, impl.group
    x_bits, idx = impl.input.type.width, impl.output.type.width
    pairs = (n // g) * (g - 1)
    s.compare_bits += pairs * x_bits
    s.mux_bits += pairs * (x_bits + idx)
    s.reg_bits += impl.latency * (impl.input.bits // 2 + impl.output.bits) + impl.latency
    return s

"""Activations in logic, exactly as ``emulate.fixed_activation.activate``: applied to
raw integers with ``f`` fraction bits, then converted to the result type."""

from __future__ import annotations

import numpy as np

from ...emulate.tables import (
    TABLE_ACTIVATIONS,
    TableFunction,
    index_scaling,
    table_entries,
)
from ...errors import UnsupportedError
from ...fixed import FixedType, Overflow, Rounding
from ...hw.adder_graph import csd_digits
from ...hw.table_read import rotated, selects_ends, single_entry
from ...ir import Activation, ActivationKind, Table
from .netlist import Module, Sig, Term, bits_for, literal
from .requant import _above, overflow, requantize, round_shift


def const_product(m: Module, x: Sig, c: int, hint: str, x_range: tuple[int, int] | None = None) -> Sig:
    """``x * c`` as shifts and adds of the canonical signed digits of ``c``; exact for
    ``x`` in ``x_range`` (default: its whole range)."""
    terms = [Term(x, k, neg) for k, neg in csd_digits(c)]
    lo, hi = x_range or (x.lo, x.hi)
    a, b = lo * c, hi * c
    return m.linear(hint, terms, bounds=(min(a, b), max(a, b)))


def multiply(m: Module, x: Sig, c: int, hint: str) -> Sig:
    """``x * c`` with a ``*`` operator (a DSP multiplier, or the tool's choice)."""
    if c == 0 or x.constant is not None:
        return m.const(c * (x.constant or 0))
    a, b = x.lo * c, x.hi * c
    lo, hi = min(a, b), max(a, b)
    width = bits_for(min(lo, -1), hi)
    expr = f"$signed({m.ref(x, width)}) * $signed({literal(c, width)})"
    return m.wire(hint, width, expr, lo, hi)


def clamp(m: Module, x: Sig, lo: int | None, hi: int | None, hint: str) -> Sig:
    """``min(max(x, lo), hi)`` (numpy's clip; a None bound clips nothing)."""
    if lo is not None and hi is not None and lo > hi:
        return m.const(hi)
    under = lo is not None and x.lo < lo
    over = hi is not None and x.hi > hi
    if not under and not over:
        return x
    new_lo = max(x.lo, lo) if lo is not None else x.lo
    new_hi = min(x.hi, hi) if hi is not None else x.hi
    if new_lo > new_hi:  # every input lies beyond one bound
        return m.const(new_lo if under else new_hi)
    width = bits_for(new_lo, new_hi)
    expr = m.ref(x, width)
    if under:
        expr = f"{m.compare(x, '<', lo)} ? {literal(lo, width)} : {expr}"
    if over:
        expr = f"{m.compare(x, '>', hi)} ? {literal(hi, width)} : {expr}"
    return m.wire(hint, width, expr, new_lo, new_hi)


def relu(m: Module, x: Sig, hint: str) -> Sig:
    if x.lo >= 0:
        return x
    if x.hi <= 0:
        return m.const(0)
    width = bits_for(0, x.hi)
    return m.wire(hint, width, f"{m.bit(x, x.width - 1)} ? {literal(0, width)} : {m.ref(x, width)}", 0, x.hi)


def _entries(fn: TableFunction, table: Table, result: FixedType) -> list[int]:
    """A table's entries converted to ``result`` (raw integers): the words of its ROM."""
    return [int(v) for v in result.requantize(table_entries(fn, table), table.precision)]


def _scaled_index(m: Module, x: Sig, f: int, table: Table, hint: str) -> tuple[Sig, int, int | None]:
    """``x`` (``f`` fraction bits) in the table's index steps (a bit slice), the index of
    the table's first entry in those steps, and the entry the whole range of ``x`` reads
    if it reads only one (else None)."""
    shift, first = index_scaling(f, table)
    scaled = round_shift(m, x, shift, Rounding.TRN, f"{hint}_t")
    return scaled, first, single_entry(scaled.lo - first, scaled.hi - first, table.size)


def clamped_index(m: Module, x: Sig, f: int, table: Table, hint: str) -> Sig:
    """The entry of ``table`` that ``x`` (``f`` fraction bits) reads: a bit slice of ``x``
    less the table's first index, clamped to the table; a constant where the whole
    range of ``x`` reads one entry."""
    scaled, first, one = _scaled_index(m, x, f, table, hint)
    if one is not None:
        return m.const(one)
    return clamp(m, m.linear(f"{hint}_i", [Term(scaled)], const=-first), 0, table.size - 1, f"{hint}_idx")


def rom_read(m: Module, idx: Sig, fn: TableFunction, table: Table, result: FixedType, hint: str) -> Sig:
    """The entry of ``table`` at ``idx`` (:func:`clamped_index`), converted to ``result``:
    a ROM of the table's words read at the index's bits."""
    entries = _entries(fn, table, result)
    if idx.constant is not None:
        return m.const(entries[idx.constant])
    bits = (table.size - 1).bit_length()
    used = entries[idx.lo: idx.hi + 1]
    rom = m.rom_function((fn, table, result), f"{fn.name.lower()}_rom", bits, result.width, entries)
    return m.wire(hint, result.width, f"{rom}({m.ref(idx, bits)})", min(used), max(used))


def table_lookup(m: Module, x: Sig, f: int, fn: TableFunction, table: Table, result: FixedType, hint: str,
                 select_ends: bool = False) -> Sig:
    """``result.requantize(table entry)`` of the entry ``x`` reads (``emulate.tables``):
    the index is a bit slice of ``x``, clamped to the table, the entries a ROM holding
    the values already converted to ``result``. With ``select_ends`` the ROM is read at
    the index's low bits instead, and its first or last entry is selected where the
    index lies before or past the table (``hw.table_read``)."""
    if not select_ends:
        return rom_read(m, clamped_index(m, x, f, table, hint), fn, table, result, hint)
    entries = _entries(fn, table, result)
    scaled, first, one = _scaled_index(m, x, f, table, hint)
    if one is not None:
        return m.const(entries[one])
    lo, hi = scaled.lo - first, scaled.hi - first
    bits = (table.size - 1).bit_length()
    used = entries[max(lo, 0): min(hi, table.size - 1) + 1]
    rom = m.rom_function((fn, table, result, first % table.size), f"{fn.name.lower()}_rom", bits, result.width,
                         rotated(entries, first))
    expr = f"{rom}({m.ref(scaled, bits)})"
    if lo < 0:
        expr = f"{m.compare(scaled, '<', first)} ? {literal(entries[0], result.width)} : {expr}"
    if hi > table.size - 1:
        expr = f"{m.compare(scaled, '>', first + table.size - 1)} ? {literal(entries[-1], result.width)} : {expr}"
    return m.wire(hint, result.width, expr, min(used), max(used))


def activate(m: Module, x: Sig, f: int, act: Activation | None, result: FixedType, param: FixedType | None,
             hint: str, table: Table | None = None) -> Sig:
    """The activation of ``x`` (``f`` fraction bits), converted to ``result``."""
    kind = ActivationKind.LINEAR if act is None else act.kind
    if kind in TABLE_ACTIVATIONS:
        if table is None:
            raise UnsupportedError(f"{kind.value} needs a table")
        return table_lookup(m, x, f, TABLE_ACTIVATIONS[kind], table, result, hint,
                            select_ends=selects_ends(table))
    if kind is ActivationKind.LINEAR:
        return requantize(m, x, f, result, hint)
    if kind is ActivationKind.RELU:
        if result.overflow is Overflow.WRAP or x.lo >= 0:
            return requantize(m, relu(m, x, f"{hint}_relu"), f, result, hint)
        # saturating: max(convert(x), 0) (the emulator's identity), with the ReLU folded
        # into the saturation's multiplexer: round, then sign ? 0 : too big ? max : value
        r = round_shift(m, x, f - result.frac_bits, result.rounding, hint)
        if r.hi <= 0 or r.lo >= 0:
            return overflow(m, relu(m, r, f"{hint}_relu"), result, hint)
        # the result is never negative: its wire has no sign bit, so a register or a
        # port of the result type holds a constant zero there that synthesis removes
        hi = min(r.hi, result.raw_max)
        w = bits_for(0, hi)
        big = 0 if result.overflow is Overflow.SAT_ZERO else result.raw_max
        expr = m.ref(r, w)
        if r.hi > result.raw_max:
            pos = Sig(r.name, r.width, 0, r.hi)  # the same bits, read where the sign is clear
            expr = f"{_above(m, pos, result)} ? {literal(big, w)} : {expr}"
        expr = f"{m.bit(r, r.width - 1)} ? {literal(0, w)} : {expr}"
        return m.wire(f"{hint}_q", w, expr, 0, hi)
    if param is None:
        raise UnsupportedError(f"{kind.value} needs a param type")
    pf = param.frac_bits
    if kind is ActivationKind.LEAKY_RELU:
        alpha = int(param.quantize(act.alpha))
        if pf < 0:
            raise UnsupportedError(f"leaky_relu with a param type of {pf} fraction bits")
        if x.hi < 0:
            y = const_product(m, x, alpha, f"{hint}_neg")
        else:
            # each branch is exact only where the sign bit selects it
            pos = m.linear(f"{hint}_pos", [Term(x, pf)], bounds=(0, x.hi << pf))
            if x.lo >= 0:
                y = pos
            else:
                neg = const_product(m, x, alpha, f"{hint}_neg", (x.lo, -1))
                y = m.mux(f"{hint}_leaky", m.bit(x, x.width - 1), neg, pos)
        return requantize(m, y, f + pf, result, hint)
    if kind is ActivationKind.CLIP:
        common = max(f, pf)
        bounds = [
            int(param.quantize(v)) << (common - pf) if np.isfinite(v) else None
            for v in (act.min_value, act.max_value)
        ]
        xs = m.linear(f"{hint}_al", [Term(x, common - f)])
        return requantize(m, clamp(m, xs, bounds[0], bounds[1], f"{hint}_clip"), common, result, hint)
    if kind is ActivationKind.HARD_SIGMOID:
        if f < 0:
            raise UnsupportedError("hard_sigmoid on a type with negative fraction bits")
        slope, offset = (int(v) for v in param.quantize([act.alpha, act.beta]))
        prod = const_product(m, x, slope, f"{hint}_slope")
        y = m.linear(f"{hint}_lin", [Term(prod)], const=offset << f)
        return requantize(m, clamp(m, y, 0, 1 << (f + pf), f"{hint}_clip"), f + pf, result, hint)
    raise UnsupportedError(f"the Verilog backend does not implement {kind.value} yet")

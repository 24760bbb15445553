"""The structure of a softmax engine, registered on
:func:`rtl4ml.estimate.structure.structure`: the max tree, the differences, the exp
table reads, their sum tree, the inverse table, the products, counted as
``backends/verilog/softmax.py`` builds them."""

from __future__ import annotations

from dataclasses import dataclass

from ..backends.verilog.netlist import bits_for
from ..emulate.tables import TableFunction, index_scaling
from ..hw.adder_graph import combine_tree
from ..hw.cycles import cycle_of
from ..hw.records import SoftmaxImpl
from ..hw.table_read import single_entry
from ..ir import Table
from .live_bits import table_lanes, table_values
from .structure import (
    Memory,
    Structure,
    conversion,
    shift_right,
    structure,
    tree_registers,
)


@structure.register
def _(impl: SoftmaxImpl) -> Structure:
    s, n, g = Structure(), impl.input.elements, impl.group
    x_bits, y_bits = impl.input.type.width, impl.output.type.width
    t_bits = impl.exp_table.precision.width
    groups = n // g
    s.max_bits += groups * (g - 1) * x_bits  # the max tree: a max pool's compare-and-select
    s.adder_bits += n * (x_bits + 1)  # the differences
    s.adder_bits += groups * (g - 1) * (t_bits + g.bit_length())  # the sum tree
    t_inv = impl.inv_table.precision.width
    s.multipliers[t_bits, t_inv, t_bits + t_inv, False] += n  # unsigned
    s.dsp = True  # '*' operators: the tool maps them to DSP blocks
    conversion(s, n, y_bits)
    index, inv = _exp_index(impl), _inverse_index(impl)
    regs = _softmax_registers(impl, index.bare, inv)
    later = groups * regs.exp_summed_later
    for count, in_cycle in ((later, False), (n - later, True)):
        if count:
            s.roms[_table_memory(TableFunction.EXP_NEG, impl.exp_table, index.entries, index.seen,
                                 out_reg=regs.exp_read, read_in_cycle=in_cycle or not regs.exp_read,
                                 address_reg=regs.exp_address_bits, summed_in_cycle=in_cycle,
                                 clamp_bits=index.clamp_bits)] += count
    if inv.bits:  # else every total reads one entry: a constant
        # a ROM of the words the index's bits address, read at its register (if any)
        words = tuple(int(v) for v in table_values(TableFunction.INVERSE, impl.inv_table,
                                                   impl.inv_table.precision)[:1 << inv.bits])
        s.roms[_table_memory(TableFunction.INVERSE, impl.inv_table, len(words), len(words), out_reg=regs.inv_read,
                             read_in_cycle=not regs.inv_read, address_reg=regs.inv_address_bits,
                             contents=words)] += groups
    s.reg_bits += groups * regs.logic + impl.output.bits + impl.latency
    s.dsp_side_regs += groups * regs.beside_dsp
    return s


def _table_memory(fn: TableFunction, table: Table, depth: int, seen: int, **reads) -> Memory:
    """A table's ROM: the bits its entries take, ``depth`` entries read, ``seen`` entries
    synthesis sees."""
    lo, hi = _table_range(fn, table)
    return Memory(bits_for(lo, hi), depth, False, table_lanes(fn, table, table.precision), seen, **reads)


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
    the read's cycle); the bits of the registers the exp and the inverse tables' addresses
    come straight from (0: logic between them)."""

    logic: int
    beside_dsp: int
    exp_read: bool
    inv_read: bool
    exp_summed_later: int
    exp_address_bits: int
    inv_address_bits: int


def _softmax_registers(impl: SoftmaxImpl, bare_exp_index: bool, inv: InverseIndex) -> SoftmaxRegisters:
    """As the emitter's stages place them: each value is carried from the cycle that
    makes it to the last cycle that reads it, in the bits a later table index or
    conversion reads (synthesis removes the others). ``bare_exp_index``: the exp table's
    index is a bit slice of the difference (:class:`ExpIndex`); ``inv``: the inverse
    table's index, registered in place of the total."""
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
    logic += tree_registers(g, index_bits, levels, 0, start=d.exp)[0]  # the sum tree
    logic += stages(d.sum, d.inv) * inv.bits  # the inverse table's index, made in the total's cycle
    logic += max(inv_stages - 1, 0) * bits_for(i_lo, i_hi)
    logic += g * max(e_stages - 3, 0) * e_bits  # the exponentials beyond the table's and the DSP's registers
    beside = g * (min(max(e_stages - 1, 0), 2) * e_bits + stages(d.product, d.out) * product_bits)
    later = sum(cycle_of(d.inv if depth is None else depth, levels) > cycle_of(d.exp, levels)
                for depth in first_use_depths(g, d.exp))  # a lone one: read by the inverse's index
    # a bare index: the difference's register is the table's address register
    return SoftmaxRegisters(logic, beside, e_stages > 0, inv_stages > 0, later,
                            bits_for(0, x_hi - x_lo) if bare_exp_index and stages(d.diff, d.exp) > 0 else 0,
                            inv.bits if stages(d.sum, d.inv) > 0 else 0)


@dataclass(frozen=True)
class InverseIndex:
    """The range of the inverse table's clamped index, as the backend's ``clamped_index``
    makes it from the total, and the bits of its wire (0: a constant, every total reads
    one entry)."""

    lo: int
    hi: int

    @property
    def bits(self) -> int:
        return bits_for(self.lo, self.hi) if self.hi > self.lo else 0


def _inverse_index(impl: SoftmaxImpl) -> InverseIndex:
    size, g = impl.inv_table.size, impl.group
    shift, first = index_scaling(impl.exp_table.precision.frac_bits, impl.inv_table)
    e_lo, e_hi = _table_range(TableFunction.EXP_NEG, impl.exp_table)
    lo, hi = shift_right(g * e_lo, shift) - first, shift_right(g * e_hi, shift) - first
    one = single_entry(lo, hi, size)
    return InverseIndex(one, one) if one is not None else InverseIndex(max(lo, 0), min(hi, size - 1))


@dataclass(frozen=True)
class ExpIndex:
    """How the differences address the exp table: ``entries`` it reaches (every one up to
    the largest index, or every ``2**k``-th when the index is the difference shifted left
    by ``k``, and the last entry when it is clamped); ``seen``, the entries synthesis sees
    (below the address's constant upper bits); ``bare``, the index is a bit slice of the
    difference (no offset, no clamp); ``clamp_bits``, the bits of the difference's index
    above the table's address that its clamp reads."""

    entries: int
    seen: int
    bare: bool
    clamp_bits: int = 0


def _exp_index(impl: SoftmaxImpl) -> ExpIndex:
    size = impl.exp_table.size
    shift, first = index_scaling(impl.input.type.frac_bits, impl.exp_table)
    if first != 0:
        return ExpIndex(size, size, False)  # not a bit slice: the clamp reads the whole difference
    last = shift_right(impl.input.raw_hi - impl.input.raw_lo, shift)
    step = 1 << max(-shift, 0)
    entries = min(last, size - 1) // step + 1 + (last >= size and (size - 1) % step != 0)
    bare = last < size
    clamp_bits = 0 if bare else max(last.bit_length() - (size - 1).bit_length(), 0)
    return ExpIndex(entries, 1 << last.bit_length() if bare else size, bare, clamp_bits)


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

    combine_tree([(start, k) for k in range(n)], combine)
    return [first[k] for k in range(n)]

"""Softmax and ArgMax engines, exactly as ``emulate.fixed_ops.softmax`` / ``argmax``.

Softmax per group of ``group`` consecutive elements: the largest input (a compare-select
tree), the differences ``d_k = max - x_k``, ``e_k`` from the exp ROM, their exact sum
``S``, ``1/S`` from the inverse ROM, the products ``e_k * (1/S)`` on multipliers of a
register stage of their own, and the conversion to the result type. Register stages sit
where :func:`rtl4ml.hw.cycles.softmax_depths` puts them.
"""

from __future__ import annotations

from ...emulate.tables import TableFunction
from ...hw.adder_graph import combine_tree
from ...hw.records import ArgMaxImpl, SoftmaxImpl
from .activation import clamped_index, rom_read, table_lookup
from .netlist import Module, Sig, Term, bits_for
from .pipeline import Stages, pipelined_module
from .requant import requantize


def greater(m: Module, a: Sig, b: Sig, op: str = ">") -> str:
    """Text of ``a <op> b`` for two signals, compared as the integers they hold."""
    width = bits_for(min(a.lo, b.lo), max(a.hi, b.hi))
    if min(a.lo, b.lo) < 0:
        return f"($signed({m.ref(a, width)}) {op} $signed({m.ref(b, width)}))"
    return f"({m.ref(a, width)} {op} {m.ref(b, width)})"


def product(m: Module, a: Sig, b: Sig, hint: str) -> Sig:
    """``a * b`` of two signals (a multiplier). Exact: both operands are taken modulo
    2**width, and the product fits in ``width`` bits."""
    ends = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
    lo, hi = min(ends), max(ends)
    if lo == hi:
        return m.const(lo)
    width = bits_for(lo, hi)
    return m.wire(hint, width, f"{m.ref(a, width)} * {m.ref(b, width)}", lo, hi)


def _largest(m: Module, st: Stages, xs: list[Sig], hint: str) -> tuple[int, Sig]:
    def pick(a: Sig, b: Sig, depth: int) -> Sig:
        a, b = st.for_depth(a, depth), st.for_depth(b, depth)
        return st.put(m.mux(hint, greater(m, b, a), b, a), depth)

    return combine_tree([(0, x) for x in xs], pick)


def _in_order(items: list, combine) -> tuple[int, object]:
    """Reduce ``items`` ((depth, payload), all of depth 0) pairwise, neighbours first, so
    ``combine(a, b, depth)`` always gets ``a`` from lower indices than ``b``. Its depth
    is ``ceil(log2(n))``, the same as :func:`combine_tree`'s."""
    level, depth = [p for _, p in items], 0
    while len(level) > 1:
        depth += 1
        nxt = [combine(level[i], level[i + 1], depth) for i in range(0, len(level) - 1, 2)]
        level = nxt + level[len(level) - len(level) % 2:]
    return depth, level[0]


def softmax_module(name: str, impl: SoftmaxImpl) -> str:
    d = impl.depths
    f = impl.input.type.frac_bits
    te, ti = impl.exp_table.precision, impl.inv_table.precision

    def build(m: Module, st: Stages, xs: list[Sig]):
        outs = []
        for g in range(0, len(xs), impl.group):
            group = xs[g:g + impl.group]
            depth, top = _largest(m, st, group, f"max{g}")
            assert depth == d.max
            es = []
            for k, x in enumerate(group):
                j = g + k
                top_k, x_k = st.for_depth(top, d.diff), st.for_depth(x, d.diff)
                diff = st.put(m.linear(f"d{j}", [Term(top_k), Term(x_k, neg=True)], bounds=(0, top.hi - x.lo)), d.diff)
                e = table_lookup(m, st.for_depth(diff, d.exp), f, TableFunction.EXP_NEG, impl.exp_table, te, f"e{j}")
                es.append(st.put(e, d.exp))

            def add(a: Sig, b: Sig, depth: int, g=g) -> Sig:
                return st.put(m.linear(f"s{g}", [Term(st.for_depth(a, depth)), Term(st.for_depth(b, depth))]), depth)

            depth, total = combine_tree([(d.exp, e) for e in es], add)
            assert depth == d.sum
            # the index in the total's cycle: the register after it holds the index, and
            # the ROM is read at a register (behind the offset and clamp, synthesis maps
            # them and the ROM as one function, several times larger)
            idx = st.put(clamped_index(m, total, te.frac_bits, impl.inv_table, f"inv{g}"), d.sum)
            inv = rom_read(m, st.for_depth(idx, d.inv), TableFunction.INVERSE, impl.inv_table, ti, f"inv{g}")
            inv = st.put(inv, d.inv)
            for k, e in enumerate(es):
                j = g + k
                p = st.put(product(m, st.for_depth(e, d.product), st.for_depth(inv, d.product), f"p{j}"), d.product)
                y = requantize(m, st.for_depth(p, d.out), te.frac_bits + ti.frac_bits, impl.output.type, f"y{j}")
                outs.append((st.put(y, d.out), d.out))
        return outs

    return pipelined_module(name, impl.input, impl.output, impl.latency, impl.adder_levels, build)


def argmax_module(name: str, impl: ArgMaxImpl) -> str:
    """Per group, a tree of (value, index) pairs: the right one wins only when strictly
    greater, so ties keep the first index, as ``numpy.argmax``."""
    iw = impl.output.type.width

    def build(m: Module, st: Stages, xs: list[Sig]):
        outs = []
        for g in range(0, len(xs), impl.group):
            items = [(0, (x, m.const(k, iw))) for k, x in enumerate(xs[g:g + impl.group])]

            def pick(a, b, depth: int, g=g):
                (va, ia), (vb, ib) = ((st.for_depth(v, depth), st.for_depth(i, depth)) for v, i in (a, b))
                cond = m.wire(f"gt{g}", 1, greater(m, vb, va), 0, 1)
                v = st.put(m.mux(f"v{g}", m.bit(cond, 0), vb, va), depth)
                i = st.put(m.mux(f"i{g}", m.bit(cond, 0), ib, ia), depth)
                return v, i

            depth, (_, idx) = _in_order(items, pick)
            depth = max(depth, 1)
            outs.append((st.put(idx, depth), depth))
        return outs

    return pipelined_module(name, impl.input, impl.output, impl.latency, impl.adder_levels, build)

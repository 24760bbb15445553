"""Add and Concat engines: several input streams, one pipelined engine (a sample is
taken when every input has one), exactly as ``emulate.fixed_ops.add`` / ``concat``."""

from __future__ import annotations

from ...hw.adder_graph import combine_tree
from ...hw.cycles import ROUND_LEVELS
from ...hw.records import JoinImpl, JoinKind
from .netlist import Module, Sig, Term
from .pipeline import Stages, pipelined_module
from .requant import requantize


def _add(m: Module, st: Stages, impl: JoinImpl, xs: list[list[Sig]]) -> list[tuple[Sig, int]]:
    fracs = [s.type.frac_bits for s in impl.inputs]
    frac = max(fracs)
    outs = []
    for j in range(impl.output.elements):
        items = [(0, Term(x[j], frac - f)) for x, f in zip(xs, fracs)]

        def add(a: Term, b: Term, depth: int, j=j) -> Term:
            s = m.linear(f"sum{j}", [Term(st.for_depth(a.sig, depth), a.shift), Term(st.for_depth(b.sig, depth), b.shift)])
            return Term(st.put(s, depth))

        depth, total = combine_tree(items, add)
        v = st.put(m.linear(f"sum{j}", [total]), depth) if total.shift else total.sig
        depth += ROUND_LEVELS
        y = requantize(m, st.for_depth(v, depth), frac, impl.output.type, f"y{j}")
        outs.append((st.put(y, depth), depth))
    return outs


def _concat(m: Module, st: Stages, impl: JoinImpl, xs: list[list[Sig]]) -> list[tuple[Sig, int]]:
    outs = []
    for j, (k, i) in enumerate(impl.order):
        depth = ROUND_LEVELS
        f = impl.inputs[k].type.frac_bits
        y = requantize(m, st.for_depth(xs[k][i], depth), f, impl.output.type, f"y{j}")
        outs.append((st.put(y, depth), depth))
    return outs


def join_module(name: str, impl: JoinImpl) -> str:
    build = _add if impl.kind is JoinKind.ADD else _concat
    return pipelined_module(name, impl.inputs, impl.output, impl.latency, impl.adder_levels,
                            lambda m, st, xs: build(m, st, impl, xs))

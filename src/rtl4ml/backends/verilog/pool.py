"""Pooling engines, exactly as ``emulate.fixed_ops.pool`` / ``global_pool``, and the
collector that turns a pixel stream into one beat (Flatten).

Window pooling is pipelined (:func:`.pipeline.pipelined_module`): per channel a
compare-select tree (max) or an exact sum tree (average), then the conversion to the
result type (an average: a rounding shift for a power-of-two count, else the division of
:mod:`.divide`). The collector takes one beat per cycle; only the last beat
of a sample needs its output register free (the rule :mod:`rtl4ml.hw.timing` models).
"""

from __future__ import annotations

from ...hw.adder_graph import combine_tree
from ...hw.cycles import ROUND_LEVELS
from ...hw.records import CollectImpl, PoolImpl
from ...ir import PoolKind
from .divide import Unstaged, divide
from .netlist import Module, Sig, Term, bits_for, literal
from .pipeline import CLK_RST, Stages, pack, pipelined_module, stream_ports, unpack
from .requant import requantize
from .softmax import greater
from .streams import address_bits


def _larger(m: Module, a: Sig, b: Sig, hint: str) -> Sig:
    return m.mux(hint, greater(m, b, a), b, a)


def _sum(m: Module, a: Sig, b: Sig, hint: str) -> Sig:
    return m.linear(hint, [Term(a), Term(b)])


def pool_module(name: str, impl: PoolImpl) -> str:
    f = impl.input.type.frac_bits
    combine = _larger if impl.kind is PoolKind.MAX else _sum

    def build(m: Module, st: Stages, xs: list[Sig]):
        outs = []
        for c in range(impl.channels):
            def pick(a: Sig, b: Sig, depth: int, c=c) -> Sig:
                return st.put(combine(m, st.for_depth(a, depth), st.for_depth(b, depth), f"r{c}"), depth)

            depth, v = combine_tree([(0, xs[k * impl.channels + c]) for k in range(impl.size)], pick)
            if impl.division:
                outs.append(divide(m, st, v, depth, impl.division, impl.output.type, f"y{c}"))
                continue
            depth += ROUND_LEVELS
            y = requantize(m, st.for_depth(v, depth), f + impl.shift, impl.output.type, f"y{c}")
            outs.append((st.put(y, depth), depth))
        return outs

    return pipelined_module(name, impl.input, impl.output, impl.latency, impl.adder_levels, build)


def collect_module(name: str, impl: CollectImpl) -> str:
    """Flatten: beats 0..B-2 wait in registers; the last one loads the output register
    with all of them (beat 0 in the low bits). Global pooling: a running max or sum per
    channel, converted to the result type with the last beat."""
    x = impl.input
    beats = x.beats
    m = Module(name)
    ports = stream_ports(m, x, impl.output)
    kw = address_bits(beats)
    k = m.reg("k", kw, 0, beats - 1)
    out_valid = m.reg("out_valid", 1, 0, 1)
    last = m.wire("last", 1, m.compare(k, "==", beats - 1), 0, 1)
    en = m.wire("en", 1, f"~{m.bit(out_valid, 0)} | {m.bit(ports['m_ready'], 0)}", 0, 1)
    ready = m.wire("ready", 1, f"~{m.bit(last, 0)} | {m.bit(en, 0)}", 0, 1)
    accept = m.wire("accept", 1, f"{m.bit(ports['s_valid'], 0)} & {m.bit(ready, 0)}", 0, 1)
    finish = m.wire("finish", 1, f"{m.bit(accept, 0)} & {m.bit(last, 0)}", 0, 1)
    seq = []
    if impl.kind is None:
        held = [m.reg(f"b{i}", x.bits, 0, (1 << x.bits) - 1) for i in range(beats - 1)]
        for i, b in enumerate(held):
            seq.append(f"if ({m.bit(accept, 0)} && {m.compare(k, '==', i)}) {b.name} <= {m.ref(ports['s_data'])};")
        whole = "{" + ", ".join([m.ref(ports["s_data"])] + [m.ref(b) for b in reversed(held)]) + "}"
        y_reg = m.reg("y", impl.output.bits, 0, (1 << impl.output.bits) - 1)
        seq.append(f"if ({m.bit(finish, 0)}) {y_reg.name} <= {whole};")
        m.drive(ports["m_data"], m.ref(y_reg))
    else:
        first = m.wire("first", 1, m.compare(k, "==", 0), 0, 1)
        xs = unpack(m, ports["s_data"], x)
        ys = []
        for c, v in enumerate(xs):
            if impl.kind is PoolKind.MAX:
                lo, hi = v.lo, v.hi
            else:  # every running sum of 1..B beats
                lo, hi = min(v.lo, v.lo * beats), max(v.hi, v.hi * beats)
            acc = m.reg(f"acc{c}", bits_for(lo, hi), lo, hi)
            if impl.kind is PoolKind.MAX:
                both = _larger(m, acc, v, f"n{c}")
            else:
                both = m.linear(f"n{c}", [Term(acc), Term(v)], bounds=(lo, hi))
            nxt = m.mux(f"next{c}", m.bit(first, 0), v, both)
            seq.append(f"if ({m.bit(accept, 0)}) {acc.name} <= {m.ref(nxt, acc.width)};")
            if impl.division:
                ys.append(divide(m, Unstaged(), nxt, 0, impl.division, impl.output.type, f"y{c}")[0])
            else:
                ys.append(requantize(m, nxt, x.type.frac_bits + impl.shift, impl.output.type, f"y{c}"))
        w = impl.output.type.width
        regs = [m.reg(f"y{c}_r", w, y.lo, y.hi) for c, y in enumerate(ys)]
        seq += [f"if ({m.bit(finish, 0)}) {r.name} <= {m.ref(y, w)};" for r, y in zip(regs, ys)]
        m.drive(ports["m_data"], pack(m, regs, w))
    m.drive(ports["s_ready"], m.ref(ready))
    m.drive(ports["m_valid"], m.ref(out_valid))
    for s in (accept, finish, out_valid):
        m.mark(s, 0, 0)
    always = ["always @(posedge clk) begin", "    if (rst) begin", f"        k <= {literal(0, kw)};",
              "        out_valid <= 1'b0;", "    end else begin",
              f"        if (accept) k <= last ? {literal(0, kw)} : k + {literal(1, kw)};",
              "        if (finish) out_valid <= 1'b1;",
              f"        else if ({m.bit(ports['m_ready'], 0)}) out_valid <= 1'b0;", "    end"]
    always += [f"    {s}" for s in seq] + ["end"]
    m.mark(k, kw - 1, 0)
    return m.text(CLK_RST, always)


"""The fully parallel engines: a combinational network cut into register stages by the
cycle model (:mod:`rtl4ml.hw.cycles`), with a valid pipeline and one global enable.

Flow control: ``en = !m_axis_tvalid || m_axis_tready``; every register (data and
valid) loads only when ``en``, and ``s_axis_tready = en``. A stalled output therefore
freezes the whole engine, so no sample is lost or duplicated, and with the output
always ready the engine takes a sample every cycle.
"""

from __future__ import annotations

from ...fixed import Overflow, Rounding
from ...hw.adder_graph import combine_tree
from ...hw.cycles import (
    ROUND_LEVELS,
    activation_levels,
    constant_product_depth,
    cycle_of,
    multiply_depth,
    stages,
)
from ...hw.linear import folded_rounding
from ...hw.records import DenseImpl, PointwiseImpl, Stream
from .activation import activate, const_product, multiply
from .netlist import Module, Sig, Term, literal
from .requant import overflow, requantize, round_shift


class Stages:
    """Depths of values and the registers that carry them to later cycles."""

    def __init__(self, m: Module, levels_per_stage: int):
        self.m = m
        self.levels = levels_per_stage
        self.depth: dict[str, int] = {}
        self._delayed: dict[tuple[str, int], Sig] = {}

    def put(self, sig: Sig, depth: int) -> Sig:
        if sig.constant is None:
            self.depth.setdefault(sig.name, depth)
        return sig

    def cycle(self, depth: int) -> int:
        return cycle_of(depth, self.levels)

    def at(self, sig: Sig, cycle: int) -> Sig:
        """``sig`` as seen in ``cycle`` (through registers if it was made earlier)."""
        if sig.constant is not None:
            return sig
        own = self.cycle(self.depth[sig.name])
        if cycle < own:
            raise AssertionError(f"{sig.name} is made in cycle {own}, needed in cycle {cycle}")
        out = sig
        for c in range(own + 1, cycle + 1):
            key = (sig.name, c)
            if key not in self._delayed:
                reg = self.m.register(f"{sig.name}_c{c}", out)
                self._delayed[key] = reg
                self.depth[reg.name] = c * self.levels + 1
            out = self._delayed[key]
        return out

    def for_depth(self, sig: Sig, depth: int) -> Sig:
        """``sig`` as an operand of an operation of ``depth``."""
        return self.at(sig, self.cycle(depth))


def stream_ports(m: Module, x: Stream, y: Stream) -> dict[str, Sig]:
    ((s_data, s_valid, s_ready),) = input_ports(m, [x])
    return {
        "s_data": s_data,
        "s_valid": s_valid,
        "s_ready": s_ready,
        "m_data": m.port("output", "m_axis_tdata", y.bits),
        "m_valid": m.port("output", "m_axis_tvalid", 1),
        "m_ready": m.port("input", "m_axis_tready", 1),
    }


def input_stem(k: int, count: int) -> str:
    """Port name stem of input stream ``k`` of ``count``: ``s_axis`` for one, ``s<k>_axis``
    for several."""
    return "s_axis" if count == 1 else f"s{k}_axis"


def input_ports(m: Module, xs: list[Stream]) -> list[tuple[Sig, Sig, Sig]]:
    """(data, valid, ready) ports of each input stream (named by :func:`input_stem`)."""
    ports = []
    for k, x in enumerate(xs):
        stem = input_stem(k, len(xs))
        ports.append((m.port("input", f"{stem}_tdata", x.bits), m.port("input", f"{stem}_tvalid", 1),
                      m.port("output", f"{stem}_tready", 1)))
    return ports


def unpack(m: Module, data: Sig, stream: Stream, hint: str = "x") -> list[Sig]:
    t = stream.type
    w = t.width
    return [m.wire(f"{hint}{i}", w, m.slice(data, (i + 1) * w - 1, i * w), stream.raw_lo, stream.raw_hi)
            for i in range(stream.elements)]


def pack(m: Module, values: list[Sig], width: int) -> str:
    return "{" + ", ".join(m.ref(v, width) for v in reversed(values)) + "}" if len(values) > 1 else m.ref(values[0], width)


CLK_RST = ["input  wire clk", "input  wire rst"]


def pipelined_module(name: str, x: Stream | tuple[Stream, ...], y: Stream, latency: int, levels_per_stage: int,
                     build) -> str:
    """A pipelined engine: ``build(m, stages, inputs)`` returns (output, depth) pairs.
    ``x``: one input stream (``inputs`` its elements) or a tuple of them (``inputs``: a
    list of element lists; the engine takes a sample when every input has one)."""
    m = Module(name)
    xs = list(x) if isinstance(x, tuple) else [x]
    ports = input_ports(m, xs)
    m_data = m.port("output", "m_axis_tdata", y.bits)
    m_valid = m.port("output", "m_axis_tvalid", 1)
    m_ready = m.port("input", "m_axis_tready", 1)
    en = m.wire("en", 1, f"~{m.bit(m_valid, 0)} | {m.bit(m_ready, 0)}", 0, 1)
    assert en.name == "en"
    st = Stages(m, levels_per_stage)
    values = [[st.put(v, 0) for v in unpack(m, data, s)] for (data, _, _), s in zip(ports, xs)]
    outs = build(m, st, values if isinstance(x, tuple) else values[0])
    deepest = max((d for _, d in outs), default=0)
    if stages(deepest, levels_per_stage) != latency:
        raise AssertionError(f"{name}: the network has {stages(deepest, levels_per_stage)} stages, the plan {latency}")
    last = latency - 1
    regs = [m.register(f"y{j}", st.at(v, last)) for j, (v, _) in enumerate(outs)]
    m.drive(m_data, pack(m, regs, y.type.width))
    if len(ports) == 1:
        taken = m.bit(ports[0][1], 0)
        m.drive(ports[0][2], "en")
    else:
        taken = m.wire("all_valid", 1, " & ".join(m.bit(v, 0) for _, v, _ in ports), 0, 1).name
        for _, _, ready in ports:
            m.drive(ready, f"en & {taken}")
        m.mark(Sig(taken, 1, 0, 1), 0, 0)
    valid = m.reg("valid", latency, 0, (1 << latency) - 1)
    shift = taken if latency == 1 else f"{{{m.slice(valid, latency - 2, 0)}, {taken}}}"
    m.drive(m_valid, m.bit(valid, latency - 1))
    m.mark(en, 0, 0)
    always = [
        "always @(posedge clk) begin",
        f"    if (rst) valid <= {literal(0, latency)};",
        f"    else if (en) valid <= {shift};",
        "end",
    ]
    return m.text(CLK_RST, always)


# ---- Dense, fully parallel ------------------------------------------------------------
def _column_bounds(impl: DenseImpl, j: int) -> tuple[int, int]:
    a = impl.arith
    lo = hi = 0
    for i in range(a.n_in):
        w = int(a.weight[i, j])
        lo += min(w * a.x_lo, w * a.x_hi)
        hi += max(w * a.x_lo, w * a.x_hi)
    return lo, hi


def _graph_sums(m: Module, st: Stages, impl: DenseImpl, xs: list[Sig]) -> list[tuple[Sig, int]]:
    """Accumulator values from the shift-and-add graph (exact products)."""
    a, g = impl.arith, impl.graph
    coeffs = g.coefficients()
    vals: list[tuple[Sig, int]] = [(x, 0) for x in xs]  # (signal, exponent)
    biases, _ = folded_rounding(a)
    kept, negated_terms = g.signs(biases)  # kept: the value is built negated
    for k, node in enumerate(g.nodes):
        idx = g.n_in + k
        (sa, ea), (sb, eb) = vals[node.a.idx], vals[node.b.idx]
        ea, eb = ea + node.a.shift, eb + node.b.shift
        e = min(ea, eb)
        depth = g.depths[idx]
        sa, sb = st.for_depth(sa, depth), st.for_depth(sb, depth)
        pol = kept[idx]
        c, ec = coeffs[idx]
        scale = 1 << (ec - e)
        lo = sum(min(v * a.x_lo, v * a.x_hi) for v in c) * scale
        hi = sum(max(v * a.x_lo, v * a.x_hi) for v in c) * scale
        if pol:
            lo, hi = -hi, -lo
        neg_a, neg_b = negated_terms[k]
        terms = [Term(sa, ea - e, neg_a), Term(sb, eb - e, neg_b)]
        vals.append((st.put(m.linear(f"t{k}", terms, bounds=(lo, hi)), depth), e))
    sums = []
    for j, ref in enumerate(g.outputs):
        b = biases[j]
        if ref is None:
            sums.append((m.const(b), 0))
            continue
        v, e = vals[ref.idx]
        depth = g.depths[ref.idx]
        shift = e + ref.shift + a.product_shift
        neg = kept[ref.idx] ^ ref.neg
        if shift < 0:  # low bits known to be zero
            v = st.put(round_shift(m, v, -shift, Rounding.TRN, f"s{j}"), depth)  # exact
            shift = 0
        lo, hi = _column_bounds(impl, j)
        bounds = ((lo << a.product_shift) + b, (hi << a.product_shift) + b)
        if b or neg:
            depth += 1
            v = st.for_depth(v, depth)
        sums.append((st.put(m.linear(f"acc{j}", [Term(v, shift, neg)], const=b, bounds=bounds), depth), depth))
    return sums


def _product_sums(m: Module, st: Stages, impl: DenseImpl, xs: list[Sig]) -> list[tuple[Sig, int]]:
    """Accumulator values from individual products (multipliers, or per-product rounding)."""
    a = impl.arith
    biases, _ = folded_rounding(a)
    sums = []
    for j in range(a.n_out):
        items = []
        for i in range(a.n_in):
            w = int(a.weight[i, j])
            if not w:
                continue
            if impl.use_dsp:
                depth = multiply_depth(impl.adder_levels)
                p = multiply(m, st.for_depth(xs[i], depth), w, f"p{i}_{j}")
            else:
                depth = constant_product_depth(w)
                p = const_product(m, st.for_depth(xs[i], depth), w, f"p{i}_{j}")
            st.put(p, depth)
            if a.product_shift < 0:
                depth += ROUND_LEVELS
                p = round_shift(m, st.for_depth(p, depth), -a.product_shift, a.acc.rounding, f"p{i}_{j}")
            elif a.product_shift > 0:
                p = m.linear(f"p{i}_{j}_al", [Term(p, a.product_shift)])
            items.append((depth, st.put(p, depth)))
        if not items:
            sums.append((m.const(biases[j]), 0))
            continue
        if biases[j]:
            items.append((0, m.const(biases[j])))

        def add(x: Sig, y: Sig, depth: int, j=j) -> Sig:
            s = m.linear(f"sum{j}", [Term(st.for_depth(x, depth)), Term(st.for_depth(y, depth))])
            return st.put(s, depth)

        depth, total = combine_tree(items, add)
        sums.append((total, depth))
    return sums


def _post_sum(m: Module, st: Stages, impl: DenseImpl, j: int, v: Sig, depth: int) -> tuple[Sig, int]:
    """Accumulator overflow, the producer's own conversion, activation, result type."""
    a = impl.arith
    p = a.precision
    f = a.acc.frac_bits
    if v.constant is not None:
        depth = 0
    hint = f"y{j}"
    if not a.exact:
        if a.acc.overflow is not Overflow.WRAP and v.constant is None:
            depth += ROUND_LEVELS
        v = st.put(overflow(m, st.for_depth(v, depth), a.acc, f"{hint}_acc"), depth)
    if p.pre_activation is not None:
        if v.constant is None:
            depth += ROUND_LEVELS
        v = st.put(requantize(m, st.for_depth(v, depth), f, p.pre_activation, f"{hint}_pre"), depth)
        f = p.pre_activation.frac_bits
    if v.constant is None:
        depth += activation_levels(a.activation)
    _, result = folded_rounding(a)  # RND's half LSB may sit in the bias: then TRN here
    y = activate(m, st.for_depth(v, depth), f, a.activation, result, p.param, hint, p.table)
    return st.put(y, depth), depth


def dense_latency_module(name: str, impl: DenseImpl) -> str:
    def build(m: Module, st: Stages, xs: list[Sig]):
        if impl.graph is not None:
            sums = _graph_sums(m, st, impl, xs)
        else:
            sums = _product_sums(m, st, impl, xs)
        return [_post_sum(m, st, impl, j, v, d) for j, (v, d) in enumerate(sums)]

    return pipelined_module(name, impl.input, impl.output, impl.latency, impl.adder_levels, build)


def pointwise_module(name: str, impl: PointwiseImpl) -> str:
    f = impl.input.type.frac_bits

    def build(m: Module, st: Stages, xs: list[Sig]):
        outs = []
        for j, x in enumerate(xs):
            depth = impl.levels
            y = activate(m, st.for_depth(x, depth), f, impl.activation, impl.output.type, impl.param, f"y{j}",
                         impl.table)
            outs.append((st.put(y, depth), depth))
        return outs

    return pipelined_module(name, impl.input, impl.output, impl.latency, impl.adder_levels, build)

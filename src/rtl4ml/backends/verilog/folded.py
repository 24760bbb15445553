"""The folded Dense engine (strategy resource, reuse factor R).

``M = n_in * n_out / R`` multipliers; which product each computes in which cycle ``r``
is the engine's :class:`~rtl4ml.hw.fold.FoldSchedule` (reuse factor, or PE x SIMD). Its
weight comes from word ``r`` of a weight ROM (:mod:`.weight_rom`): a memory initialized by
``$readmemh``, marked for block RAM (``rom_style``) and read synchronously as block RAM
needs; a multiplier whose weight never changes uses the constant, and ROMs too small
for a block RAM (:func:`.weight_rom.uses_rom`) are a case statement on the cycle counter
(LUT logic). Per-output accumulators start from the bias.

Timing: the sample is registered when it is accepted; cycles 0..R-1 then use ROM words
0..R-1, and the last one writes the result register, so latency is R + 1. A memory is
read one cycle ahead: the clock edge that sets the counter to r also registers word r
(the edge that accepts a sample reads word 0, each advance the next one; a stall reads
nothing and keeps the word). A new sample is accepted only when the engine is free:
while idle, or in the cycle its last ROM word completes and the result register can
take the result (so back to back the interval is R).
"""

from __future__ import annotations

from ...hw.fold import fold_schedule
from ...hw.records import DenseImpl
from .activation import activate
from .netlist import Module, Sig, Term, bits_for, literal
from .pipeline import CLK_RST, pack, stream_ports, unpack
from .requant import overflow, requantize, round_shift
from .weight_rom import WeightRom, multiplier_weights, rom_file, uses_rom, weight_rom


def _product_range(a, w: int) -> tuple[int, int]:
    """Extremes of one product ``x * w`` at the accumulator's LSB."""
    lo, hi = min(w * a.x_lo, w * a.x_hi), max(w * a.x_lo, w * a.x_hi)
    s = a.product_shift
    if s < 0:
        return lo >> -s, -((-hi) >> -s)
    return lo << s, hi << s


def dense_folded_module(name: str, impl: DenseImpl) -> str:
    a = impl.arith
    p = a.precision
    n_in, n_out, R = a.n_in, a.n_out, impl.reuse_factor
    sched = fold_schedule(impl)
    M = sched.multipliers
    m = Module(name)
    ports = stream_ports(m, impl.input, impl.output)
    xt = a.x_type
    cw = max((R - 1).bit_length(), 1)

    busy = m.reg("busy", 1, 0, 1)
    out_valid = m.reg("out_valid", 1, 0, 1)
    x_reg = m.reg("x_reg", impl.input.bits, 0, (1 << impl.input.bits) - 1)
    cnt = m.reg("cnt", cw, 0, R - 1) if R > 1 else None
    last = m.wire("last", 1, m.compare(cnt, "==", R - 1), 0, 1) if R > 1 else m.const(1, 1)
    first = m.wire("first", 1, m.compare(cnt, "==", 0), 0, 1) if R > 1 else m.const(1, 1)
    out_free = m.wire("out_free", 1, f"~{m.bit(out_valid, 0)} | {m.bit(ports['m_ready'], 0)}", 0, 1)
    finish = m.wire("finish", 1, f"{m.bit(busy, 0)} & {m.ref(last)} & {m.bit(out_free, 0)}", 0, 1)
    ready = m.wire("ready", 1, f"~{m.bit(busy, 0)} | {m.bit(finish, 0)}", 0, 1)
    accept = m.wire("accept", 1, f"{m.bit(ports['s_valid'], 0)} & {m.bit(ready, 0)}", 0, 1)
    advance = m.wire("advance", 1, f"{m.bit(busy, 0)} & ~{m.ref(last)}", 0, 1) if R > 1 else None
    xs = unpack(m, x_reg, impl.input)

    rom = weight_rom(impl) if uses_rom(impl) else None
    word, rom_lines = _rom_read(m, rom_file(name), rom, cnt, accept, advance) if rom else (None, [])

    # multipliers: operand selected by the cycle counter, weight read from the ROM
    case_lines: dict[int, list[str]] = {r: [] for r in range(R)}
    products: list[Sig | None] = []
    for mi in range(M):
        ws = multiplier_weights(impl, mi)
        if not any(ws):
            products.append(None)
            continue
        rows = [sched.slot(mi, r)[0] for r in range(R)]
        if len(set(rows)) == 1:
            xsel = xs[rows[0]]
        else:
            xsel = m.reg(f"xs{mi}", xt.width, a.x_lo, a.x_hi)
            for r in range(R):
                case_lines[r].append(f"{xsel.name} = {m.ref(xs[rows[r]])};")
            m.mark(xsel, xt.width - 1, 0)
        wsel = _weight(m, mi, ws, rom, word, case_lines)
        ends = [v * u for v in (xsel.lo, xsel.hi) for u in (wsel.lo, wsel.hi)]
        lo, hi = min(ends), max(ends)
        pw = bits_for(min(lo, -1), hi)
        prod = m.wire(f"p{mi}", pw, f"$signed({m.ref(xsel, pw)}) * $signed({m.ref(wsel, pw)})", lo, hi)
        if a.product_shift < 0:
            prod = round_shift(m, prod, -a.product_shift, a.acc.rounding, f"p{mi}")
        elif a.product_shift > 0:
            prod = m.linear(f"p{mi}_al", [Term(prod, a.product_shift)])
        products.append(prod)

    # per output: the bias (first cycle) or the running sum, plus this cycle's products
    accs, totals = [], []
    for j in range(n_out):
        terms = []
        for mi, r_lo, r_hi in sched.uses(j):
            prod = products[mi]
            if prod is None:
                continue
            conds = []
            if r_lo > 0:
                conds.append(m.compare(cnt, ">=", r_lo))
            if r_hi < R - 1:
                conds.append(m.compare(cnt, "<=", r_hi))
            if conds:
                prod = m.wire(f"c{j}_{mi}", prod.width, f"({' & '.join(conds)}) ? {m.ref(prod)} : {literal(0, prod.width)}",
                              min(prod.lo, 0), max(prod.hi, 0))
            terms.append(Term(prod))
        b = a.bias[j]
        # every partial sum is the bias plus some of the column's products
        ends = [_product_range(a, int(a.weight[i, j])) for i in range(n_in)]
        lo = b + sum(min(e[0], 0) for e in ends)
        hi = b + sum(max(e[1], 0) for e in ends)
        if R > 1:
            acc = m.reg(f"acc{j}", bits_for(lo, hi), lo, hi)
            base = m.mux(f"base{j}", m.ref(first), m.const(b), acc)
            accs.append(acc)
            total = m.linear(f"sum{j}", [Term(base)] + terms, bounds=(lo, hi))
        else:
            total = m.linear(f"sum{j}", terms, const=b, bounds=(lo, hi))
        totals.append(total)

    ys = []
    for j, v in enumerate(totals):
        f = a.acc.frac_bits
        if not a.exact:
            v = overflow(m, v, a.acc, f"y{j}_acc")
        if p.pre_activation is not None:
            v = requantize(m, v, f, p.pre_activation, f"y{j}_pre")
            f = p.pre_activation.frac_bits
        ys.append(activate(m, v, f, a.activation, p.result, p.param, f"y{j}", p.table))
    y_regs = [m.reg(f"y{j}_r", impl.output.type.width, y.lo, y.hi) for j, y in enumerate(ys)]

    m.drive(ports["s_ready"], m.ref(ready))
    m.drive(ports["m_valid"], m.ref(out_valid))
    m.drive(ports["m_data"], pack(m, y_regs, impl.output.type.width))

    always = []
    if any(case_lines.values()):
        always += ["always @(*) begin", f"    case ({cnt.name})"]
        for r in range(R):
            if case_lines[r]:
                always.append(f"        {literal(r, cw)}: begin {' '.join(case_lines[r])} end")
        always.append(f"        default: begin {' '.join(case_lines[0])} end")
        always += ["    endcase", "end"]
        m.mark(cnt, cw - 1, 0)
    seq = ["always @(posedge clk) begin", "    if (rst) begin", "        busy <= 1'b0;", "        out_valid <= 1'b0;"]
    if R > 1:
        seq.append(f"        cnt <= {literal(0, cw)};")
    seq += ["    end else begin", "        if (accept) busy <= 1'b1;", "        else if (finish) busy <= 1'b0;"]
    if R > 1:
        seq += [
            f"        if (accept) cnt <= {literal(0, cw)};",
            f"        else if (advance) cnt <= {m.ref(cnt)} + {literal(1, cw)};",
        ]
    seq += [
        "        if (finish) out_valid <= 1'b1;",
        f"        else if ({m.bit(ports['m_ready'], 0)}) out_valid <= 1'b0;",
        "    end",
        f"    if (accept) x_reg <= {m.ref(ports['s_data'])};",
    ]
    if accs:
        seq.append("    if (advance) begin")
        seq += [f"        {acc.name} <= {m.ref(t, acc.width)};" for acc, t in zip(accs, totals)]
        seq.append("    end")
    seq.append("    if (finish) begin")
    seq += [f"        {r.name} <= {m.ref(y, r.width)};" for r, y in zip(y_regs, ys)]
    seq += ["    end", "end"]
    for r in (busy, out_valid, accept, finish):
        m.mark(r, 0, 0)
    if advance is not None:
        m.mark(advance, 0, 0)
    return m.text(CLK_RST, rom_lines + always + seq)


def _rom_read(m: Module, file: str, rom: WeightRom, cnt: Sig, accept: Sig, advance: Sig) -> tuple[Sig, list[str]]:
    """The ROM (loaded from ``file``) and its registered read port: the word of the
    cycle the counter is in. The edge that accepts a sample reads word 0, each advance
    the next word (the address is the counter's next value); otherwise the word holds."""
    cw = cnt.width
    mem = m.memory("rom", rom.width, rom.depth, {"rom_style": "block"})
    word = m.reg("rom_word", rom.width, 0, (1 << rom.width) - 1)
    addr = m.wire("rom_addr", cw, f"{m.bit(accept, 0)} ? {literal(0, cw)} : {m.ref(cnt)} + {literal(1, cw)}",
                  0, rom.depth - 1)
    load = m.wire("rom_load", 1, f"{m.bit(accept, 0)} | {m.bit(advance, 0)}", 0, 1)
    lines = [
        "initial begin",
        f'    $readmemh("{file}", {mem});',
        "end",
        "always @(posedge clk) begin",
        f"    if ({m.bit(load, 0)}) {word.name} <= {mem}[{m.ref(addr)}];",
        "end",
    ]
    return word, lines


def _weight(m: Module, mi: int, ws: list[int], rom: WeightRom | None, word: Sig | None,
            case_lines: dict[int, list[str]]) -> Sig:
    """Multiplier ``mi``'s weight in the current cycle (``ws``: its weight per cycle): a
    constant, its field of the registered ROM word, or a case on the cycle counter."""
    if len(set(ws)) == 1:
        return m.const(ws[0])
    lo, hi = min(ws), max(ws)
    if rom is not None:
        low = mi * rom.slot_bits
        return m.wire(f"ws{mi}", rom.slot_bits, m.slice(word, low + rom.slot_bits - 1, low), lo, hi)
    wsel = m.reg(f"ws{mi}", bits_for(lo, hi), lo, hi)
    for r, w in enumerate(ws):
        case_lines[r].append(f"{wsel.name} = {literal(w, wsel.width)};")
    return wsel

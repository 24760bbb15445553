"""An average's division by a constant (:mod:`rtl4ml.hw.divide` has the method and the
depths of its steps)."""

from __future__ import annotations

from ...fixed import FixedType, Rounding
from ...hw.cycles import constant_product_depth
from ...hw.divide import ConstDivision
from .activation import const_product
from .netlist import Module, Sig, Term, literal
from .requant import overflow


class Unstaged:
    """Stand-in for :class:`.pipeline.Stages` where everything is one combinational step."""

    def put(self, sig: Sig, depth: int) -> Sig:
        return sig

    def for_depth(self, sig: Sig, depth: int) -> Sig:
        return sig


def _bit(m: Module, sig: Sig, i: int) -> str:
    if sig.constant is not None:
        return "1'b1" if (sig.constant >> i) & 1 else "1'b0"
    return m.bit(sig, min(i, sig.width - 1))


def divide(m: Module, st, x: Sig, d0: int, div: ConstDivision, t: FixedType, hint: str) -> tuple[Sig, int]:
    """``x / den`` rounded with ``t.rounding``, then ``t.overflow``: (value, depth) from
    ``x`` at depth ``d0``; ``st`` places the steps (a Stages, or :class:`Unstaged`)."""
    den = div.den
    num = x if not div.shift_left else st.put(m.linear(f"{hint}_num", [Term(x, div.shift_left)]), d0)
    pos = num
    if div.offset:
        at = d0 + div.pos_depth
        pos = st.put(m.linear(f"{hint}_pos", [Term(st.for_depth(num, at))], const=div.offset), at)
    q_lo, q_hi = pos.lo // den, pos.hi // den
    at = d0 + div.quot_depth
    if q_hi == 0:
        quot = m.const(0)
    else:
        prod = const_product(m, st.for_depth(pos, at), div.mult, f"{hint}_prod")
        qw = q_hi.bit_length()
        quot = st.put(m.wire(f"{hint}_q", qw, m.slice(prod, div.k + qw - 1, div.k), q_lo, q_hi), at)
    at_t = d0 + div.quot_depth + constant_product_depth(den)
    times = st.put(const_product(m, st.for_depth(quot, at_t), den, f"{hint}_qd"), at_t)
    at = d0 + div.rem_depth
    rem = st.put(m.linear(f"{hint}_rem", [Term(st.for_depth(pos, at)), Term(st.for_depth(times, at), neg=True)],
                          bounds=(0, den - 1)), at)
    up = _round_up(m, st, num, quot, rem, den, div, t.rounding, d0 + div.up_depth, hint)
    at = d0 + div.out_depth
    terms = [Term(st.for_depth(quot, at))] + ([Term(st.for_depth(up, at))] if up is not None else [])
    base = div.offset // den
    y = st.put(m.linear(f"{hint}_div", terms, const=-base, bounds=(q_lo - base, q_hi - base + 1)), at)
    at = d0 + div.levels
    return st.put(overflow(m, st.for_depth(y, at), t, f"{hint}_ovf"), at), at


def _round_up(m: Module, st, num: Sig, quot: Sig, rem: Sig, den: int, div: ConstDivision, rounding: Rounding,
              depth: int, hint: str) -> Sig | None:
    """Whether to add one to the floor quotient (``fixed.rounding`` semantics)."""
    if rounding is Rounding.TRN:
        return None
    r = st.for_depth(rem, depth)
    twice = f"{{{m.ref(r)}, 1'b0}}"
    width = r.width + 1
    above = f"({twice} > {literal(den, width)})"
    tie = f"({twice} == {literal(den, width)})" if den % 2 == 0 else "1'b0"

    def negative() -> str:  # marks the sign bit read only where a mode reads it
        return _bit(m, st.for_depth(num, depth), num.width - 1) if num.lo < 0 else "1'b0"

    if rounding is Rounding.TRN_ZERO:
        expr = f"{negative()} & (|{m.ref(r)})"
    elif rounding is Rounding.RND:
        expr = f"{above} | {tie}"
    elif rounding is Rounding.RND_ZERO:
        expr = f"{above} | ({tie} & {negative()})"
    elif rounding is Rounding.RND_MIN_INF:
        expr = above
    elif rounding is Rounding.RND_INF:
        expr = f"{above} | ({tie} & ~{negative()})"
    else:  # RND_CONV: ties to an even quotient (the true quotient q' - offset/den)
        odd = _bit(m, st.for_depth(quot, depth), 0)
        if (div.offset // den) % 2:
            odd = f"~{odd}"
        expr = f"{above} | ({tie} & {odd})"
    return st.put(m.wire(f"{hint}_up", 1, expr, 0, 1), depth)

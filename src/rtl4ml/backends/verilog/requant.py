"""Requantization in logic: exactly ``FixedType.from_raw`` for every rounding and
overflow mode (docs/numerics.md), on a signal with any number of fraction bits."""

from __future__ import annotations

import numpy as np

from ...fixed import FixedType, Overflow, Rounding
from .netlist import Module, Sig, Term


def _and(*xs):
    if any(x is False for x in xs):
        return False
    xs = [x for x in xs if x is not True]
    if not xs:
        return True
    return xs[0] if len(xs) == 1 else "(" + " & ".join(xs) + ")"


def _or(*xs):
    if any(x is True for x in xs):
        return True
    xs = [x for x in xs if x is not False]
    if not xs:
        return False
    return xs[0] if len(xs) == 1 else "(" + " | ".join(xs) + ")"


def _not(x):
    return (not x) if isinstance(x, bool) else f"~{x}"


def _const_round(value: int, shift: int, rounding: Rounding) -> int:
    wide = FixedType(62, 62, True, rounding, Overflow.WRAP)
    return int(wide.from_raw(np.array([value], dtype=object), shift)[0])


def round_shift(m: Module, sig: Sig, shift: int, rounding: Rounding, hint: str) -> Sig:
    """``sig * 2**-shift`` rounded to an integer with ``rounding`` (a left shift when
    ``shift`` < 0, exact)."""
    if shift == 0:
        return sig
    if shift < 0:
        return m.linear(f"{hint}_shl", [Term(sig, -shift)])
    if sig.constant is not None:
        return m.const(_const_round(sig.constant, shift, rounding))
    if not sig.signed and shift > sig.width:  # below half an LSB: every mode gives 0
        return m.const(0)
    lo = sig.lo >> shift
    hi = sig.hi >> shift if rounding is Rounding.TRN else -((-sig.hi) >> shift)

    def bit(i: int):  # bit i of sig sign- or zero-extended to any width
        if i < sig.width:
            return m.bit(sig, i)
        return m.bit(sig, sig.width - 1) if sig.signed else False

    if sig.width > shift:
        floor = m.wire(f"{hint}_floor", sig.width - shift, m.slice(sig, sig.width - 1, shift), lo, sig.hi >> shift)
    elif sig.signed:  # only the sign is left: -1 or 0
        floor = m.wire(f"{hint}_floor", 1, m.bit(sig, sig.width - 1), -1, 0)
    else:
        floor = m.const(0)
    # each piece marks the bits it reads, so build only the pieces the mode uses
    neg = (lambda: bit(sig.width - 1)) if sig.signed else (lambda: False)

    def half():
        return bit(shift - 1)

    def rest():  # any bit below the half bit set
        low = min(shift - 1, sig.width)  # of those, the real bits of sig
        r = False
        if low > 0:
            r = f"(|{m.slice(sig, low - 1, 0)})" if low > 1 else m.bit(sig, 0)
        if shift - 1 > sig.width and sig.signed:
            r = _or(r, neg())
        return r

    if rounding is Rounding.TRN:
        up = False
    elif rounding is Rounding.TRN_ZERO:
        up = _and(neg(), _or(half(), rest())) if sig.signed else False
    elif rounding is Rounding.RND:
        up = half()
    elif rounding is Rounding.RND_ZERO:
        up = _and(half(), _or(rest(), neg()))
    elif rounding is Rounding.RND_MIN_INF:
        up = _and(half(), rest())
    elif rounding is Rounding.RND_INF:
        up = _and(half(), _or(rest(), _not(neg()))) if sig.signed else half()
    else:  # RND_CONV
        up = _and(half(), _or(rest(), bit(shift)))
    if up is False:
        return floor
    carry = m.wire(f"{hint}_up", 1, "1'b1" if up is True else up, 0, 1)
    return m.linear(f"{hint}_rnd", [Term(floor), Term(carry)], bounds=(lo, hi))


def overflow(m: Module, v: Sig, t: FixedType, hint: str) -> Sig:
    """Bring the integer ``v`` into ``t``'s range with ``t.overflow``: a signal of
    exactly ``t.width`` bits holding ``t``'s raw encoding."""
    width = t.width
    if t.overflow is Overflow.WRAP:
        if t.raw_min <= v.lo and v.hi <= t.raw_max:
            return m.resize(f"{hint}_q", v, width) if v.width != width or v.constant is not None else v
        return m.wire(f"{hint}_q", width, m.ref(v, width), t.raw_min, t.raw_max)
    lo_t = -t.raw_max if (t.overflow is Overflow.SAT_SYM and t.signed) else t.raw_min
    hi_t = t.raw_max
    if v.constant is not None:
        c = v.constant
        c = (hi_t if c > hi_t else max(c, lo_t)) if t.overflow is not Overflow.SAT_ZERO else (
            0 if not lo_t <= c <= hi_t else c
        )
        return m.wire(f"{hint}_q", width, m.ref(m.const(c), width), c, c)
    over = _above(m, v, t) if v.hi > hi_t else None
    if v.lo >= lo_t:
        under = None
    elif v.signed and lo_t == t.raw_min:  # below a natural range: the sign and the bits cut off
        under = m.bit(v, v.width - 1) if not t.signed or v.width <= t.width else _not_all_ones(m, v, t.width - 1)
    else:
        under = m.compare(v, "<", lo_t)
    lo, hi = max(v.lo, lo_t), min(v.hi, hi_t)
    if over is None and under is None:
        return m.resize(f"{hint}_q", v, width) if v.width != width else v
    inner = m.ref(v, width)
    if t.overflow is Overflow.SAT_ZERO:
        cond = " | ".join(c for c in (over, under) if c is not None)
        return m.wire(f"{hint}_q", width, f"({cond}) ? {width}'h0 : {inner}", min(lo, 0), max(hi, 0))
    expr = inner
    if under is not None:
        expr = f"{under} ? {m.ref(m.const(lo_t), width)} : {expr}"
    if over is not None:
        expr = f"{over} ? {m.ref(m.const(hi_t), width)} : {expr}"
    return m.wire(f"{hint}_q", width, expr, lo, hi)


def _reduce_or(m: Module, v: Sig, hi: int, lo: int) -> str:
    return m.bit(v, hi) if hi == lo else f"(|{m.slice(v, hi, lo)})"


def _not_all_ones(m: Module, v: Sig, lo: int) -> str:
    """Sign set but some bit in [width-2 : lo] clear: ``v`` below ``-2**lo``."""
    top = v.width - 1
    rest = f"~{m.bit(v, top - 1)}" if top - 1 == lo else f"~(&{m.slice(v, top - 1, lo)})"
    return f"({m.bit(v, top)} & {rest})"


def _above(m: Module, v: Sig, t: FixedType) -> str:
    """``v > t.raw_max`` from the bits above the target's top bit (cheaper than a
    comparator): nonnegative with any of them set."""
    lo = t.width - 1 if t.signed else t.width
    top = v.width - 2 if v.signed else v.width - 1
    if top < lo:  # only a sign bit above: cannot exceed (the caller checked the range)
        return m.compare(v, ">", t.raw_max)
    bits = _reduce_or(m, v, top, lo)
    return f"(~{m.bit(v, v.width - 1)} & {bits})" if v.signed else bits


def requantize(m: Module, sig: Sig, frac_bits: int, t: FixedType, hint: str = "rq") -> Sig:
    """Raw integers ``sig`` with ``frac_bits`` fraction bits converted to ``t``: first
    rounded at ``t``'s LSB, then brought into range (``FixedType.from_raw`` exactly).
    The result has exactly ``t.width`` bits."""
    v = round_shift(m, sig, frac_bits - t.frac_bits, t.rounding, hint)
    return overflow(m, v, t, hint)

"""Parsing fixed-point type strings: the only place where such strings are read."""

from __future__ import annotations

import re

from ..errors import FixedTypeError
from .modes import Overflow, Rounding
from .types import FixedType

_FIXED = re.compile(
    r"^(?P<ap>ap_)?(?P<u>u)?fixed\s*<\s*(?P<w>[+-]?\d+)\s*,\s*(?P<i>[+-]?\d+)"
    r"(?:\s*,\s*(?P<q>\w+))?(?:\s*,\s*(?P<o>\w+))?(?:\s*,\s*(?P<n>\d+))?\s*>$",
    re.IGNORECASE,
)
_INT = re.compile(r"^(?P<ap>ap_)?(?P<u>u)?int\s*<\s*(?P<w>[+-]?\d+)\s*>$", re.IGNORECASE)

EXAMPLES = "fixed<16,6>, ufixed<8,0>, fixed<16,6,RND,SAT>, ap_fixed<16,6,AP_RND,AP_SAT>, ap_ufixed<8,4>, ap_int<8>, ap_uint<4>, int<8>"


def _mode(text: str | None, enum, default, source: str):
    if text is None:
        return default
    key = text.upper().removeprefix("AP_")
    try:
        return enum[key]
    except KeyError:
        accepted = ", ".join(m.name for m in enum)
        raise FixedTypeError(
            f"unknown {enum.__name__.lower()} mode {text!r} in fixed-point type {source!r}: accepted {accepted}"
        ) from None


def parse_fixed(text: str) -> FixedType:
    """Parse a type string; see :meth:`FixedType.parse` for the accepted forms."""
    if isinstance(text, FixedType):
        return text
    if not isinstance(text, str):
        raise FixedTypeError(f"expected a fixed-point type string, got {text!r}; accepted forms: {EXAMPLES}")
    s = text.strip()
    m = _FIXED.match(s)
    if m:
        int_bits = int(m["i"])
    else:
        m = _INT.match(s)
        if not m:
            raise FixedTypeError(f"cannot parse fixed-point type {text!r}; accepted forms: {EXAMPLES}")
        int_bits = int(m["w"])
    is_ap = m["ap"] is not None
    default_q, default_o = (Rounding.TRN, Overflow.WRAP) if is_ap else (Rounding.RND, Overflow.SAT)
    groups = m.groupdict()
    if groups.get("n") not in (None, "0"):
        raise FixedTypeError(
            f"saturation bits N={groups['n']} in {text!r} are not supported: use N=0 or leave it out"
        )
    rounding = _mode(groups.get("q"), Rounding, default_q, text)
    overflow = _mode(groups.get("o"), Overflow, default_o, text)
    try:
        return FixedType(int(m["w"]), int_bits, m["u"] is None, rounding, overflow)
    except FixedTypeError as e:
        raise FixedTypeError(f"invalid fixed-point type {text!r}: {e}") from None

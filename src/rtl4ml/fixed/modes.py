"""Rounding and overflow modes, with the semantics of the ap_fixed headers."""

from enum import Enum


class Rounding(Enum):
    """How bits below the target's LSB are discarded (ap_fixed quantization modes)."""

    TRN = "TRN"  # floor: toward minus infinity
    TRN_ZERO = "TRN_ZERO"  # toward zero
    RND = "RND"  # to nearest, ties toward plus infinity
    RND_ZERO = "RND_ZERO"  # to nearest, ties toward zero
    RND_MIN_INF = "RND_MIN_INF"  # to nearest, ties toward minus infinity
    RND_INF = "RND_INF"  # to nearest, ties away from zero
    RND_CONV = "RND_CONV"  # to nearest, ties to even (convergent)


class Overflow(Enum):
    """What happens to a value outside the target's range (ap_fixed overflow modes)."""

    WRAP = "WRAP"  # keep the low bits (two's complement wrap-around)
    SAT = "SAT"  # clamp to the minimum or maximum
    SAT_ZERO = "SAT_ZERO"  # set to zero
    SAT_SYM = "SAT_SYM"  # signed: clamp to [-max, max]; unsigned: as SAT

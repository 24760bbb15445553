"""Fixed-point types against an exact reference of the ap_fixed semantics.

``ref_convert`` below uses only ``Fraction`` and Python ints and shares no code with
``rtl4ml.fixed``: value = raw * 2**-frac_bits; a value is first rounded at the LSB, then
the rounded integer is brought into range by the overflow mode.
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtl4ml.errors import FixedTypeError
from rtl4ml.fixed import MAX_WIDTH, FixedType, Overflow, Rounding, parse_fixed, requantize

R, O = Rounding, Overflow
MODES = list(itertools.product(Rounding, Overflow))  # all 28 combinations
PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- exact reference ----------------------------------------------------------------
def ref_round(q: Fraction, rounding: Rounding) -> int:
    """Round the exact rational ``q`` to an integer."""
    lower = math.floor(q)
    upper = lower + 1
    if q == lower:
        return lower
    if rounding is R.TRN:
        return lower
    if rounding is R.TRN_ZERO:
        return lower if q > 0 else upper
    if q - lower != Fraction(1, 2):
        return lower if q - lower < Fraction(1, 2) else upper
    tie_goes_to = {  # q is exactly halfway between lower and upper
        R.RND: upper,
        R.RND_ZERO: lower if q > 0 else upper,
        R.RND_MIN_INF: lower,
        R.RND_INF: upper if q > 0 else lower,
        R.RND_CONV: lower if lower % 2 == 0 else upper,
    }
    return tie_goes_to[rounding]


def ref_overflow(n: int, width: int, signed: bool, overflow: Overflow) -> int:
    lo, hi = (-(2 ** (width - 1)), 2 ** (width - 1) - 1) if signed else (0, 2**width - 1)
    if overflow is O.SAT_SYM and signed:
        lo = -hi
    if lo <= n <= hi:
        return n
    if overflow is O.WRAP:
        n %= 2**width
        return n - 2**width if signed and n >= 2 ** (width - 1) else n
    if overflow is O.SAT_ZERO:
        return 0
    return lo if n < lo else hi  # SAT, and SAT_SYM with lo = -hi when signed


def ref_convert(value: Fraction, t: FixedType) -> int:
    """The raw integer of type ``t`` that the exact real ``value`` converts to."""
    frac_bits = t.width - t.int_bits
    return ref_overflow(ref_round(value * Fraction(2) ** frac_bits, t.rounding), t.width, t.signed, t.overflow)


def exact_value(raw: int, frac_bits: int) -> Fraction:
    return Fraction(raw) / Fraction(2) ** frac_bits


def raw_range(t: FixedType) -> tuple[int, int]:
    return (-(2 ** (t.width - 1)), 2 ** (t.width - 1) - 1) if t.signed else (0, 2**t.width - 1)


# ---- strategies -----------------------------------------------------------------------
@st.composite
def fixed_types(draw, rounding=st.sampled_from(Rounding), overflow=st.sampled_from(Overflow), max_width=MAX_WIDTH):
    """Widths mostly 1..48, about one in nine wider (up to ``max_width``)."""
    width = draw(st.integers(1, min(48, max_width)) | st.integers(1, max_width))
    int_bits = draw(st.integers(-8, width + 8))
    return FixedType(width, int_bits, draw(st.booleans()), draw(rounding), draw(overflow))


def nudged(values: st.SearchStrategy) -> st.SearchStrategy:
    """A float, or its neighbour one ulp below or above."""
    step = st.sampled_from([None, -math.inf, math.inf])
    return st.tuples(values, step).map(lambda vs: vs[0] if vs[1] is None else float(np.nextafter(vs[0], vs[1])))


def real_values(t: FixedType) -> st.SearchStrategy:
    """Floats in and around the range of ``t``, with weight on every rounding and range boundary."""
    lo, hi = raw_range(t)
    lsb = Fraction(2) ** -(t.width - t.int_bits)
    span = 2.0**t.int_bits
    anchors = st.sampled_from([lo, hi, 0, -1, 1, lo + 1, hi - 1]) | st.integers(lo - 4, hi + 4)
    offsets = st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(-1, 2), Fraction(1, 4), Fraction(3, 4)])
    on_grid = st.builds(lambda k, off: float((k + off) * lsb), anchors, offsets)  # exact values and ties
    beyond = st.builds(lambda s, bits: s * (float(max(abs(lo), hi) * lsb) + 2.0 ** (t.int_bits - bits)),
                       st.sampled_from([-1.0, 1.0]), st.integers(1, 70))  # just outside, by a bit
    far = st.builds(lambda s, m: s * m * span, st.sampled_from([-1.0, 1.0]), st.sampled_from([1e6, 3.7e9, 2.0**70]))
    return st.one_of(
        nudged(on_grid),
        beyond,
        far,
        st.floats(-4 * span, 4 * span),
        st.sampled_from([0.0, -0.0, 5e-324, -5e-324]),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def raw_values(source: FixedType, target: FixedType) -> st.SearchStrategy:
    """Raw integers across the range of ``source``, with weight on its extremes and on target ties."""
    lo, hi = raw_range(source)
    shift = (source.width - source.int_bits) - (target.width - target.int_bits)
    extremes = st.sampled_from([lo, hi, 0, 1, lo + 1, hi - 1, -1 if source.signed else 2])
    choices = [st.integers(lo, hi), extremes]
    if shift > 0:  # source raws just at and around the target's rounding ties
        step, half = 2**shift, 2 ** (shift - 1)
        ties = st.builds(lambda k, d: k * step + half + d, st.integers(lo // step, hi // step), st.integers(-1, 1))
        choices.append(ties)
    return st.one_of(choices).map(lambda r: min(max(r, lo), hi))


def check_requantize(source: FixedType, target: FixedType, raws: list[int]) -> None:
    """Raw integers of ``source`` converted to ``target``, on every carrier, match the reference."""
    expected = [ref_convert(exact_value(r, source.frac_bits), target) for r in raws]
    out = target.requantize(np.array(raws, dtype=np.int64), source)
    assert out.dtype == np.int64 and out.tolist() == expected
    assert requantize(np.array(raws, dtype=np.int64), source, target).tolist() == expected
    assert target.from_raw(np.array(raws, dtype=object), source.frac_bits).tolist() == expected
    # float64 arrays holding integers below 2**52 in magnitude are a supported carrier of raw
    # integers (faster float kernels); every source of width <= 50 fits in it. The result
    # stays in that carrier when the target is at most 52 bits wide, and moves to int64
    # (exactly) for wider targets; either way it is the exact integer.
    if source.width <= 50:
        out = target.from_raw(np.array(raws, dtype=np.float64), source.frac_bits)
        assert out.dtype == (np.float64 if target.width <= 52 else np.int64)
        assert out.tolist() == expected


# ---- properties ------------------------------------------------------------------------
@pytest.mark.parametrize(("rounding", "overflow"), MODES)
@PROPERTY
@given(data=st.data())
def test_quantize_matches_reference(rounding, overflow, data):
    t = data.draw(fixed_types(st.just(rounding), st.just(overflow)), label="type")
    xs = data.draw(st.lists(real_values(t), min_size=1, max_size=12), label="values")
    with np.errstate(all="ignore"):  # x * 2**frac_bits may overflow to inf for huge x
        raw = t.quantize(np.array(xs))
        scalar = t.quantize(xs[0])
    assert raw.dtype == np.int64 and raw.shape == (len(xs),)
    assert raw.tolist() == [ref_convert(Fraction(x), t) for x in xs]
    assert scalar.shape == () and scalar == raw[0]


@pytest.mark.parametrize(("rounding", "overflow"), MODES)
@PROPERTY
@given(data=st.data())
def test_requantize_matches_reference(rounding, overflow, data):
    source = data.draw(fixed_types(), label="source")
    target = data.draw(fixed_types(st.just(rounding), st.just(overflow)), label="target")
    raws = data.draw(st.lists(raw_values(source, target), min_size=1, max_size=12), label="raws")
    check_requantize(source, target, raws)


CORNER_TYPES = [FixedType(w, i, s) for w in (1, 50, 62) for i in (-8, w + 8) for s in (True, False)]


@pytest.mark.parametrize(("rounding", "overflow"), MODES)
def test_requantize_between_extreme_types(rounding, overflow):
    """Shifts of up to 78 bits either way, on every carrier."""
    for source, target in itertools.product(CORNER_TYPES, CORNER_TYPES):
        lo, hi = raw_range(source)
        raws = sorted(r for r in {lo, lo + 1, lo // 2, -1, 0, 1, hi // 2, hi - 1, hi} if lo <= r <= hi)
        check_requantize(source, target.with_modes(rounding, overflow), raws)


@PROPERTY
@given(data=st.data())
def test_round_to_nearest_is_within_half_lsb(data):
    t = data.draw(fixed_types(st.just(R.RND), st.sampled_from([O.WRAP, O.SAT, O.SAT_ZERO]), max_width=53))
    xs = data.draw(st.lists(st.floats(t.min, t.max) | st.sampled_from([t.min, t.max]), min_size=1, max_size=12))
    back = t.round_trip(np.array(xs))
    for x, b in zip(xs, back.tolist()):
        assert abs(Fraction(b) - Fraction(x)) <= Fraction(2) ** -t.frac_bits / 2


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_to_float_is_exact_up_to_53_bits(data):
    t = data.draw(fixed_types())
    raws = data.draw(st.lists(raw_values(t, t), min_size=1, max_size=12))
    exact = [exact_value(r, t.frac_bits) for r in raws]
    values = t.to_float(np.array(raws, dtype=np.int64))
    assert values.dtype == np.float64
    assert values.tolist() == [float(e) for e in exact]  # correctly rounded in every case
    if t.width <= 53:
        assert [Fraction(v) for v in values.tolist()] == exact


@settings(max_examples=200, deadline=None)
@given(t=fixed_types())
def test_str_and_to_ap_round_trip_through_parse(t):
    assert parse_fixed(str(t)) == t
    assert FixedType.parse(t.to_ap()) == t
    assert repr(t) == f"FixedType('{t}')"


# ---- parsing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fixed<16,6>", FixedType(16, 6, True, R.RND, O.SAT)),
        ("ufixed<8,0>", FixedType(8, 0, False, R.RND, O.SAT)),
        ("fixed<16,6,RND,SAT>", FixedType(16, 6, True, R.RND, O.SAT)),
        ("fixed<16,-3,TRN_ZERO,SAT_SYM>", FixedType(16, -3, True, R.TRN_ZERO, O.SAT_SYM)),
        ("ap_fixed<16,6,AP_RND,AP_SAT>", FixedType(16, 6, True, R.RND, O.SAT)),
        ("ap_fixed<16,6>", FixedType(16, 6, True, R.TRN, O.WRAP)),
        ("ap_fixed<18, 8, AP_RND_CONV, AP_SAT_ZERO, 0>", FixedType(18, 8, True, R.RND_CONV, O.SAT_ZERO)),
        ("ap_ufixed<8,4>", FixedType(8, 4, False, R.TRN, O.WRAP)),
        ("ap_int<8>", FixedType(8, 8, True, R.TRN, O.WRAP)),
        ("ap_uint<4>", FixedType(4, 4, False, R.TRN, O.WRAP)),
        ("int<8>", FixedType(8, 8, True, R.RND, O.SAT)),
        ("uint<4>", FixedType(4, 4, False, R.RND, O.SAT)),
    ],
)
def test_parse_accepted_forms(text, expected):
    assert parse_fixed(text) == expected  # compares every field


@pytest.mark.parametrize(
    ("text", "quoted", "accepted"),
    [
        ("fixd<16,6>", "'fixd<16,6>'", "fixed<16,6>"),
        ("fixed<16>", "'fixed<16>'", "fixed<16,6>"),
        ("fixed<0,0>", "'fixed<0,0>'", "1 to 62"),
        ("fixed<99,2>", "'fixed<99,2>'", "1 to 62"),
        ("fixed<16,6,FOO>", "'FOO'", "RND_CONV"),
        ("fixed<16,6,RND,BAR>", "'BAR'", "SAT_SYM"),
        ("ap_fixed<16,6,AP_RND,AP_SAT,3>", "'ap_fixed<16,6,AP_RND,AP_SAT,3>'", "N=0"),
    ],
)
def test_parse_rejects_bad_strings(text, quoted, accepted):
    with pytest.raises(FixedTypeError) as info:
        parse_fixed(text)
    assert quoted in str(info.value) and accepted in str(info.value)


# ---- hand-checked values -----------------------------------------------------------------
TIES = [2.5, -2.5, 3.5, -3.5, 2.25, -2.25, 2.75, -2.75]


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        (R.TRN, [2, -3, 3, -4, 2, -3, 2, -3]),
        (R.TRN_ZERO, [2, -2, 3, -3, 2, -2, 2, -2]),
        (R.RND, [3, -2, 4, -3, 2, -2, 3, -3]),
        (R.RND_ZERO, [2, -2, 3, -3, 2, -2, 3, -3]),
        (R.RND_MIN_INF, [2, -3, 3, -4, 2, -2, 3, -3]),
        (R.RND_INF, [3, -3, 4, -4, 2, -2, 3, -3]),
        (R.RND_CONV, [2, -2, 4, -4, 2, -2, 3, -3]),
    ],
)
def test_rounding_modes_by_hand(rounding, expected):
    assert FixedType(16, 16, True, rounding, O.SAT).quantize(TIES).tolist() == expected
    t = FixedType(16, 14, True, rounding, O.SAT)  # the same ties, two fraction bits below the LSB
    assert t.requantize((np.array(TIES) * 4).astype(np.int64), FixedType(16, 12)).tolist() == expected


@pytest.mark.parametrize(
    ("type_text", "x", "expected"),
    [
        ("ap_fixed<8,3>", 3.99, 3.96875),  # TRN: 127.68 lsb -> 127
        ("ap_fixed<8,3>", 4.0, -4.0),  # WRAP
        ("fixed<8,3,RND,SAT>", 3.99, 3.96875),
        ("fixed<8,3,RND,WRAP>", 3.99, -4.0),  # rounds up to 128 lsb, then wraps
        ("fixed<8,3,RND,SAT_ZERO>", 3.99, 0.0),
        ("fixed<8,3,RND,SAT>", -9.0, -4.0),
        ("fixed<8,8,TRN,SAT_SYM>", -1e9, -127.0),
        ("fixed<8,8,TRN,SAT_SYM>", -128.0, -127.0),  # the most negative code never appears
        ("ufixed<8,8,TRN,SAT_SYM>", -5.0, 0.0),
        ("ap_uint<4>", 17.0, 1.0),
        ("ap_uint<4>", -1.0, 15.0),
        ("fixed<8,-2,RND_CONV,SAT>", 2.5 * 2**-10, 2 * 2**-10),
        ("fixed<8,-2,RND_CONV,SAT>", 3.5 * 2**-10, 4 * 2**-10),
        ("fixed<4,10,TRN,WRAP>", -1.0, -64.0),  # LSB is 64: floor(-1/64) = -1
        ("fixed<4,10,TRN_ZERO,WRAP>", -1.0, 0.0),
        ("ap_fixed<62,2>", -(2.0**-60), -(2.0**-60)),
        ("fixed<8,8,RND_MIN_INF,SAT>", -0.49999999999999994, 0.0),  # one ulp above a tie
        ("fixed<8,8,RND_INF,SAT>", -0.49999999999999994, 0.0),
        ("fixed<4,12,TRN,SAT>", -5e-324, -256.0),  # LSB 256: floor of a tiny negative is -1
    ],
)
def test_quantize_by_hand(type_text, x, expected):
    assert parse_fixed(type_text).round_trip(x) == expected


@pytest.mark.parametrize(
    ("source", "target", "raw", "expected"),
    [
        ("fixed<8,0>", "fixed<62,54,TRN,WRAP>", -1, -1),  # wide WRAP on the float64 carrier
        ("ufixed<1,-8>", "fixed<62,-8,TRN,SAT_ZERO>", 1, 0),  # 2**61 is out of range
        ("fixed<1,9>", "fixed<62,-8,TRN,SAT>", -1, -(2**61)),  # a left shift by 78 bits
        ("fixed<16,12>", "fixed<16,14,RND_CONV,SAT>", 10, 2),  # 2.5 LSB
    ],
)
def test_requantize_by_hand(source, target, raw, expected):
    source, target = parse_fixed(source), parse_fixed(target)
    for carrier in (np.int64, np.float64, object):
        assert target.from_raw(np.array([raw], dtype=carrier), source.frac_bits).tolist() == [expected]


def test_quantize_rejects_nan():
    for t in (FixedType(8, 3), FixedType(8, 3, False, R.TRN, O.WRAP)):
        with pytest.raises(FixedTypeError, match="NaN"):
            t.quantize(np.array([1.0, np.nan]))


@pytest.mark.parametrize("signed", [True, False])
def test_quantize_infinities(signed):
    x = np.array([np.inf, -np.inf, 1.0])
    t = FixedType(8, 3, signed, R.RND, O.SAT)
    lo, hi = raw_range(t)
    assert t.quantize(x).tolist() == [hi, lo, 32]
    assert t.with_modes(overflow=O.SAT_ZERO).quantize(x).tolist() == [0, 0, 32]
    assert t.with_modes(overflow=O.SAT_SYM).quantize(x).tolist() == [hi, -hi if signed else 0, 32]
    with pytest.raises(FixedTypeError, match="WRAP"):
        t.with_modes(overflow=O.WRAP).quantize(x)

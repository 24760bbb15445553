"""The bit-exact emulator against an independent exact reference, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest

import rtl4ml
import reference as ref
from rtl4ml.emulate import fast_linear, run_fixed, run_float
from rtl4ml.fixed import FixedType
from rtl4ml.ir import (
    Activation, ActivationKind, Add, BatchNorm, Concat, Conv, Dense, Flatten, GlobalPool, Graph,
    Input, Node, Padding, Pool, PoolKind, Softmax,
)

K = ActivationKind
ACTIVATIONS = [
    None,
    Activation(K.RELU),
    Activation(K.LEAKY_RELU, alpha=0.1),
    Activation.relu6(),
    Activation.hard_tanh(),
    Activation(K.CLIP, min_value=-np.inf, max_value=0.75),
    Activation(K.HARD_SIGMOID, alpha=0.2, beta=0.5),
    Activation(K.TANH),
    Activation(K.SIGMOID),
]
RESULT_TYPES = ["fixed<16,6>", "fixed<10,3,TRN,WRAP>", "fixed<12,2,RND_CONV,SAT_SYM>", "ufixed<8,2,RND_ZERO,SAT>"]


def chain(*ops, shape=(6,)) -> Graph:
    nodes = [Node("x", Input(shape))]
    for i, op in enumerate(ops):
        nodes.append(Node(f"n{i}", op, (nodes[-1].name,)))
    return Graph(nodes, [nodes[-1].name])


def emulate(graph, x, config=None, calibration=None):
    design = rtl4ml.convert(graph, config, calibration)
    out = run_fixed(design.graph, {"x": x}, keep_all=True)
    return design, out


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")  # saturating weights are part of it
@pytest.mark.parametrize("act", ACTIVATIONS, ids=lambda a: a.label if a else "none")
@pytest.mark.parametrize("result", RESULT_TYPES)
def test_dense_with_fused_activation_matches_reference(act, result, rng):
    w, b = rng.normal(0, 0.8, (6, 5)), rng.normal(0, 0.5, 5)
    graph = chain(Dense(w, b, act))
    x = rng.normal(0, 2, (40, 6))
    design, out = emulate(graph, x, {"model": {"result": result, "weight": "fixed<8,2>", "table_size": 64}})
    node = design.graph["n0"]
    expected = ref.dense(out["x"].raw.astype(np.int64), out["x"].type, w, b, node.precision, act)
    np.testing.assert_array_equal(out["n0"].raw, expected)


@pytest.mark.parametrize("act", ACTIVATIONS[1:], ids=lambda a: a.label)
def test_standalone_activation_equals_fused_when_types_allow(act, rng):
    """Unfused, the Dense result is rounded once more before the activation; with a
    result type as fine as the accumulator both orders must agree exactly."""
    w, b = rng.normal(0, 0.8, (6, 5)), rng.normal(0, 0.5, 5)
    x = rng.normal(0, 2, (50, 6))
    graph = chain(Dense(w, b), act)
    fused = rtl4ml.convert(graph, {"model": {"table_size": 64}})
    cfg = {"model": {"table_size": 64}, "layers": {"n0": {"result": "fixed<30,10>"}}, "passes": {"fuse_activations": False}}
    unfused = rtl4ml.convert(graph, cfg)
    assert len(fused.graph) == 2 and len(unfused.graph) == 3
    assert unfused.graph["n0"].precision.accumulator.frac_bits <= 20
    np.testing.assert_array_equal(fused.predict_raw(x), unfused.predict_raw(x))


@pytest.mark.parametrize("result", ["fixed<16,6>", "fixed<12,4,TRN,SAT>", "fixed<14,5,RND,SAT_SYM>", "fixed<9,9,RND,SAT>"])
@pytest.mark.parametrize("relu", [False, True])
def test_fast_linear_path_equals_general_path(result, relu, rng, monkeypatch):
    act = Activation(K.RELU) if relu else None
    graph = chain(
        Dense(rng.normal(0, 1, (16, 24)), rng.normal(0, 1, 24), act),
        Dense(rng.normal(0, 1, (24, 5)), rng.normal(0, 1, 5)),
        shape=(16,),
    )
    x = rng.normal(0, 3, (500, 16))
    design = rtl4ml.convert(graph, {"model": {"result": result}})
    assert fast_linear.applies(np.zeros(1), design.graph["n0"].precision, act, 40)
    fast = design.predict_raw(x)
    monkeypatch.setattr(fast_linear, "ENABLED", False)
    np.testing.assert_array_equal(fast, design.predict_raw(x))


def test_wide_types_use_the_int64_carrier_exactly(rng):
    """A 58-bit accumulator leaves the float64 carrier: results must still be exact."""
    w, b = rng.normal(0, 0.8, (6, 3)), rng.normal(0, 0.5, 3)
    graph = chain(Dense(w, b))
    x = rng.normal(0, 2, (20, 6))
    cfg = {"model": {"input": "fixed<30,6>", "weight": "fixed<28,2>", "result": "fixed<40,8>"}}
    design, out = emulate(graph, x, cfg)
    p = design.graph["n0"].precision
    assert p.accumulator.width > 52
    np.testing.assert_array_equal(out["n0"].raw, ref.dense(out["x"].raw, out["x"].type, w, b, p))


def test_explicit_narrow_accumulator_rounds_products_and_wraps(rng):
    w, b = rng.normal(0, 0.8, (4, 3)), rng.normal(0, 0.5, 3)
    graph = chain(Dense(w, b), shape=(4,))
    x = rng.normal(0, 3, (30, 4))
    acc = FixedType.parse("fixed<10,3,TRN,WRAP>")
    design, out = emulate(graph, x, {"model": {"accumulator": str(acc), "result": "fixed<16,6>"}})
    p = design.graph["n0"].precision
    assert p.accumulator == acc and not p.exact_accumulator
    xr, wr, br = out["x"].raw.astype(np.int64), p.weight.quantize(w), p.bias.quantize(b)
    wide = FixedType(40, 40 - acc.frac_bits, True, acc.rounding)
    for s in range(len(x)):
        for j in range(3):
            # each product rounded to the accumulator's LSB, the sum wrapped once
            products = [ref.value(xr[s, i], out["x"].type) * ref.value(wr[i, j], p.weight) for i in range(4)]
            total = sum(ref.value(ref.convert(v, wide), wide) for v in products) + ref.value(br[j], p.bias)
            acc_raw = ref.convert(total, acc)
            assert out["n0"].raw[s, j] == ref.convert(ref.value(acc_raw, acc), p.result)


def test_softmax_matches_reference_and_keeps_close_logits_apart(rng):
    graph = chain(Softmax(), shape=(5,))
    x = rng.normal(0, 2, (60, 5))
    x[0] = [0.10, 0.20, 0.15, 0.12, 0.18]  # close logits: must stay distinct and ordered
    design, out = emulate(graph, x)
    p = design.graph["n0"].precision
    np.testing.assert_array_equal(out["n0"].raw, ref.softmax(out["x"].raw, out["x"].type, p))
    first = out["n0"].raw[0]
    assert len(set(first.tolist())) == 5
    assert list(np.argsort(first)) == list(np.argsort(x[0]))


def test_softmax_exp_table_reads_one_for_the_largest_logit():
    design = rtl4ml.convert(chain(Softmax(), shape=(3,)))
    y = design.predict(np.array([[2.0, -30.0, -30.0]]))
    assert y[0, 0] == pytest.approx(1.0, abs=2**-10) and y[0, 1] == 0


def _conv_reference(x, w, b, strides, pads):
    """Float convolution written with explicit loops (channels-last)."""
    xp = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    kh, kw = w.shape[:2]
    oh = (xp.shape[1] - kh) // strides[0] + 1
    ow = (xp.shape[2] - kw) // strides[1] + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[-1]))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, i * strides[0] : i * strides[0] + kh, j * strides[1] : j * strides[1] + kw, :]
            out[:, i, j, :] = np.tensordot(patch, w, axes=([1, 2, 3], [0, 1, 2])) + b
    return out


@pytest.mark.parametrize("strides,padding", [((1, 1), Padding.SAME), ((2, 2), Padding.SAME), ((2, 1), Padding.VALID)])
def test_conv2d_float_and_fixed(strides, padding, rng):
    w, b = rng.normal(0, 0.5, (3, 3, 2, 4)), rng.normal(0, 0.1, 4)
    op = Conv.with_padding(w, b, strides, padding, (7, 6))
    graph = chain(op, shape=(7, 6, 2))
    x = rng.normal(0, 1, (5, 7, 6, 2))
    expected = _conv_reference(x, w, b, strides, op.pads)
    np.testing.assert_allclose(run_float(graph, {"x": x})["n0"], expected, atol=1e-12)
    design = rtl4ml.convert(graph, {"model": {"precision": "fixed<20,8>", "result": "fixed<24,8>"}})
    xq = design.graph["x"].precision.result.round_trip(x)
    wq = design.graph["n0"].precision.weight.round_trip(w)
    bq = design.graph["n0"].precision.bias.round_trip(b)
    exact = _conv_reference(xq, wq, bq, strides, op.pads)  # products of quantized values
    assert np.max(np.abs(design.predict(x) - exact)) <= 2.0**-16 / 2  # one RND step


def test_pooling_matches_numpy_windows(rng):
    x = rng.normal(0, 2, (4, 6, 6, 3))
    maxp = Pool.with_padding(PoolKind.MAX, (2, 2), (2, 2), Padding.VALID, (6, 6))
    avgp = Pool.with_padding(PoolKind.AVG, (3, 3), (2, 2), Padding.SAME, (6, 6))
    design = rtl4ml.convert(chain(maxp, shape=(6, 6, 3)))
    xq = design.graph["x"].precision.result.round_trip(x)
    expected = xq.reshape(4, 3, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(design.predict(x), expected)
    design = rtl4ml.convert(chain(avgp, shape=(6, 6, 3)), {"model": {"result": "fixed<20,6,TRN,SAT>"}})
    got = design.predict(x)
    exact = run_float(design.graph, {"x": xq})["n0"]  # excludes padding from the count
    lsb = 2.0**-14
    assert np.all(got <= exact + 1e-12) and np.all(exact - got < lsb)  # TRN: floor of the exact mean


def test_average_by_non_power_of_two_rounds_the_exact_quotient():
    graph = chain(GlobalPool(PoolKind.AVG), shape=(3, 1))
    design = rtl4ml.convert(graph, {"model": {"input": "fixed<8,8>", "result": "fixed<8,8,RND,SAT>"}})
    # (1 + 1 + 0) / 3 = 0.667 -> 1 ; (1 + 0 + 0) / 3 = 0.333 -> 0 ; (-1 -1 + 0)/3 -> -1
    x = np.array([[[1], [1], [0]], [[1], [0], [0]], [[-1], [-1], [0]]], dtype=float)
    np.testing.assert_array_equal(design.predict(x), [[1], [0], [-1]])


def test_batchnorm_add_concat_against_quantized_float(rng):
    nodes = [
        Node("x", Input((4,))),
        Node("bn", BatchNorm(rng.normal(1, 0.2, 4), rng.normal(0, 0.3, 4)), ("x",)),
        Node("a", Activation(K.RELU), ("x",)),
        Node("add", Add(), ("bn", "a")),
        Node("cat", Concat(-1), ("add", "x")),
    ]
    graph = Graph(nodes, ["cat"])
    x = rng.normal(0, 1, (30, 4))
    wide = "fixed<30,8>"
    design = rtl4ml.convert(graph, {"model": {"precision": wide, "input": "fixed<10,4>"}})
    xq = design.graph["x"].precision.result.round_trip(x)
    p = design.graph["bn"].precision
    bn = xq * p.weight.round_trip(nodes[1].op.scale) + p.bias.round_trip(nodes[1].op.shift)
    expected = np.concatenate([bn + np.maximum(xq, 0), xq], axis=1)
    np.testing.assert_allclose(design.predict(x), expected, atol=2.0**-22)


def test_flatten_keeps_raw_values(rng):
    graph = chain(Flatten(), shape=(2, 3))
    design = rtl4ml.convert(graph)
    x = rng.normal(0, 1, (3, 2, 3))
    np.testing.assert_array_equal(design.predict(x), FixedType(16, 6).round_trip(x).reshape(3, 6))


def test_defaults_are_fixed16_6_round_and_saturate():
    design = rtl4ml.convert(chain(Dense(np.eye(2), np.zeros(2)), shape=(2,)))
    p = design.graph["n0"].precision
    assert p.result == FixedType.parse("fixed<16,6,RND,SAT>") == p.weight == p.bias
    assert p.exact_accumulator
    y = design.predict(np.array([[100.0, 2**-11 + 2**-13]]))  # saturates; rounds half-up
    assert y[0, 0] == FixedType(16, 6).max and y[0, 1] == 2**-10


def test_batch_is_vectorized_and_chunked_consistently(rng):
    graph = chain(Dense(rng.normal(0, 1, (6, 3)), np.zeros(3), Activation(K.TANH)))
    design = rtl4ml.convert(graph)
    x = rng.normal(0, 1, (40000, 6))  # more than one chunk
    whole = design.predict(x)
    parts = np.concatenate([design.predict(x[i : i + 7]) for i in range(0, 70, 7)])
    np.testing.assert_array_equal(whole[:70], parts)


# ---- regressions: carriers, wide types, product rounding, errors that name the layer ----


def test_unfolded_batchnorm_rounds_each_product_to_a_narrow_accumulator():
    g = chain(BatchNorm([0.3, 1.7, -0.9], [0.1, 0.2, 0.3]), shape=(3,))
    cfg = {"model": {"accumulator": "fixed<24,10,TRN,WRAP>", "result": "fixed<24,7>"}}
    design, out = emulate(g, np.array([[1.2345, -2.5, 3.14159]]), cfg)
    p = design.graph["n0"].precision
    x_raw, xt = out["x"].raw[0].astype(np.int64), out["x"].type
    acc = p.accumulator
    wide = FixedType(40, 40 - acc.frac_bits, True, acc.rounding)
    for c in range(3):
        prod = ref.value(x_raw[c], xt) * ref.value(p.weight.quantize(g["n0"].op.scale)[c], p.weight)
        total = ref.value(ref.convert(prod, wide), wide) + ref.value(p.bias.quantize(g["n0"].op.shift)[c], p.bias)
        assert out["n0"].raw[0, c] == ref.convert(ref.value(ref.convert(total, acc), acc), p.result)
    assert np.all(out["n0"].raw == np.round(out["n0"].raw))


def test_large_bias_keeps_partial_sums_exact(monkeypatch):
    bias = 2.0**42 + 2.0**-10
    g = chain(Dense([[2.0**-7]], [bias]), shape=(1,))
    cfg = {"model": {"input": "fixed<8,1>", "weight": "fixed<8,1>", "bias": "fixed<60,44>", "result": "fixed<60,44>"}}
    design = rtl4ml.convert(g, cfg)
    p = design.graph["n0"].precision
    expected = int(p.bias.quantize(bias)) + 4  # 2**-7 * 2**-7 = 4 LSBs of 2**-16
    for fast in (True, False):
        monkeypatch.setattr(fast_linear, "ENABLED", fast)
        assert int(design.predict_raw(np.array([[2.0**-7]]))[0, 0]) == expected


@pytest.mark.parametrize("result,x,expected", [("fixed<60,2>", 31.0, 2**59 - 1), ("ufixed<60,50,TRN,WRAP>", -(2.0**-10), 2**60 - 1)])
def test_wide_results_from_the_float_carrier_stay_in_range(result, x, expected):
    g = chain(Flatten(), shape=(1,))
    design = rtl4ml.convert(g, {"layers": {"n0": {"result": result}}})
    assert int(design.predict_raw(np.array([[x]]))[0, 0]) == expected


def test_softmax_with_wide_tables_does_not_overflow():
    g = chain(Softmax(), shape=(4,))
    x = np.array([[0.1, 0.2, 0.3, 2.0]])
    narrow = rtl4ml.convert(g, {"model": {"table": "ufixed<18,1>", "inv_table": "ufixed<18,1>"}}).predict(x)
    wide = rtl4ml.convert(g, {"model": {"table": "ufixed<40,1>", "inv_table": "ufixed<40,1>"}}).predict(x)
    np.testing.assert_allclose(wide, narrow, atol=2**-9)
    assert wide.sum() > 0.95


def test_table_index_of_wide_integer_inputs():
    from rtl4ml.emulate.tables import table_index

    design = rtl4ml.convert(chain(Activation(K.TANH), shape=(1,)))
    table = design.graph["n0"].precision.table
    np.testing.assert_array_equal(table_index(np.array([2**57, -(2**57), 0]), 0, table), [1023, 0, 512])


@pytest.mark.parametrize("act", [Activation(K.LEAKY_RELU, alpha=0.1), Activation(K.HARD_SIGMOID, alpha=0.2, beta=0.5)], ids=lambda a: a.label)
def test_fused_activation_on_a_wide_accumulator_runs_and_matches_unfused(act, rng):
    k = 2048
    g = chain(Dense(rng.uniform(-8, 8, (k, 3)), np.zeros(3)), act, shape=(k,))
    x = rng.normal(size=(2, k))
    fused = rtl4ml.convert(g)
    unfused = rtl4ml.convert(g, {"passes": {"fuse_activations": False}, "layers": {"n0": {"result": "fixed<62,22>"}}})
    assert fused.graph["n0"].precision.accumulator.width + 24 > 62  # needs Python ints
    np.testing.assert_array_equal(fused.predict_raw(x), unfused.predict_raw(x))


def test_nan_in_weights_or_inputs_names_the_layer():
    from rtl4ml.errors import Rtl4mlError

    with pytest.raises(Rtl4mlError, match="layer 'n0'.*NaN"):
        rtl4ml.convert(chain(Dense(np.array([[np.nan]]), [0.0]), shape=(1,)))
    design = rtl4ml.convert(chain(Dense(np.eye(2), np.zeros(2)), shape=(2,)))
    with pytest.raises(Rtl4mlError, match="node 'x'.*NaN"):
        design.predict(np.array([[1.0, np.nan]]))


def test_constants_that_do_not_fit_warn():
    from rtl4ml.errors import PrecisionWarning

    with pytest.warns(PrecisionWarning, match="layer 'n0'.*weight.*fixed<16,6>.*saturate"):
        rtl4ml.convert(chain(Dense(np.array([[100.0]]), [0.0]), shape=(1,)))
    with pytest.warns(PrecisionWarning, match="layer 'n0'.*activation parameter.*fixed<24,8>"):
        rtl4ml.convert(chain(Activation(K.CLIP, min_value=0, max_value=300), shape=(1,)))

"""Each pass: the graph before and after, and float outputs unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import rtl4ml
from rtl4ml.config import Config, config_from_dict
from rtl4ml.emulate import run_float
from rtl4ml.errors import ConfigError, GraphError, PrecisionWarning
from rtl4ml.fixed import FixedType
from rtl4ml.ir import (
    Activation, ActivationKind, BatchNorm, Conv, Dense, Dropout, Flatten, Graph, Identity, Input,
    Node, Padding, Pool, PoolKind, Softmax,
)
from rtl4ml.passes import (
    PassContext, Pipeline, fold_batchnorm, fuse_activations, infer_precision, remove_identity,
)

RELU = Activation(ActivationKind.RELU)


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def ops_of(graph):
    return [type(n.op).__name__ for n in graph.nodes]


def assert_same_float(before: Graph, after: Graph, rng, shape):
    x = rng.normal(0, 1, (16,) + shape)
    a = run_float(before, {"x": x})
    b = run_float(after, {"x": x})
    for out_a, out_b in zip(before.outputs, after.outputs):
        np.testing.assert_allclose(b[out_b], a[out_a], rtol=1e-12, atol=1e-12)


def mlp_with_everything(rng) -> Graph:
    return Graph(
        [
            Node("x", Input((8,))),
            Node("drop", Dropout(0.2), ("x",)),
            Node("d1", Dense(rng.normal(size=(8, 6)), rng.normal(size=6)), ("drop",)),
            Node("bn1", BatchNorm(rng.uniform(0.5, 2, 6), rng.normal(size=6)), ("d1",)),
            Node("r1", Activation(ActivationKind.RELU), ("bn1",)),
            Node("id", Identity(), ("r1",)),
            Node("bn2", BatchNorm(rng.uniform(0.5, 2, 6), rng.normal(size=6)), ("id",)),
            Node("d2", Dense(rng.normal(size=(6, 3)), rng.normal(size=3)), ("bn2",)),
            Node("sm", Softmax(), ("d2",)),
        ],
        ["sm"],
    )


def test_remove_identity(rng):
    g = mlp_with_everything(rng)
    after, changed = remove_identity(g, PassContext())
    assert changed and "drop" not in after and "id" not in after
    assert after["d1"].inputs == ("x",) and after["bn2"].inputs == ("r1",)
    assert_same_float(g, after, rng, (8,))
    off = PassContext(config_from_dict({"passes": {"remove_identity": False}}))
    assert remove_identity(g, off) == (g, False)


def test_fold_batchnorm_into_dense_and_keep_the_unfoldable_one(rng):
    g, _ = remove_identity(mlp_with_everything(rng), PassContext())
    after, changed = fold_batchnorm(g, PassContext())
    assert changed and "bn1" not in after
    assert "bn2" in after  # follows a ReLU: no Dense/Conv to fold into, stays scale-and-shift
    assert after["d1"].aliases == ("bn1",) and after["r1"].inputs == ("d1",)
    assert_same_float(g, after, rng, (8,))
    off = PassContext(config_from_dict({"passes": {"fold_batchnorm": False}}))
    assert fold_batchnorm(g, off)[1] is False


def test_fold_batchnorm_into_conv(rng):
    conv = Conv.with_padding(rng.normal(size=(3, 3, 2, 4)), rng.normal(size=4), (1, 1), Padding.SAME, (5, 5))
    g = Graph(
        [
            Node("x", Input((5, 5, 2))),
            Node("c", conv, ("x",)),
            Node("bn", BatchNorm.from_statistics(rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2, 4), 1e-3), ("c",)),
        ],
        ["bn"],
    )
    after, changed = fold_batchnorm(g, PassContext())
    assert changed and ops_of(after) == ["Input", "Conv"] and after.outputs == ("c",)
    assert_same_float(g, after, rng, (5, 5, 2))


def test_no_fold_when_the_dense_output_is_used_twice(rng):
    g = Graph(
        [
            Node("x", Input((4,))),
            Node("d", Dense(rng.normal(size=(4, 4)), np.zeros(4)), ("x",)),
            Node("bn", BatchNorm(np.full(4, 2.0), np.ones(4)), ("d",)),
            Node("r", Activation(ActivationKind.RELU), ("d",)),
        ],
        ["bn", "r"],
    )
    assert fold_batchnorm(g, PassContext())[1] is False
    assert fuse_activations(g, PassContext())[1] is False


def test_fuse_activations_into_dense_and_conv(rng):
    conv = Conv.with_padding(rng.normal(size=(3, 2, 4)), rng.normal(size=4), (1,), Padding.VALID, (9,))
    g = Graph(
        [
            Node("x", Input((9, 2))),
            Node("c", conv, ("x",)),
            Node("cr", Activation(ActivationKind.RELU), ("c",)),
            Node("p", Pool.with_padding(PoolKind.MAX, (2,), (2,), Padding.VALID, (7,)), ("cr",)),
            Node("f", Flatten(), ("p",)),
            Node("d", Dense(rng.normal(size=(12, 3)), rng.normal(size=3)), ("f",)),
            Node("t", Activation(ActivationKind.TANH), ("d",)),
        ],
        ["t"],
    )
    after, changed = fuse_activations(g, PassContext())
    assert changed and ops_of(after) == ["Input", "Conv", "Pool", "Flatten", "Dense"]
    assert after["c"].op.activation.kind is ActivationKind.RELU and after["c"].aliases == ("cr",)
    assert after["d"].op.activation.kind is ActivationKind.TANH and after.outputs == ("d",)
    assert_same_float(g, after, rng, (9, 2))
    off = PassContext(config_from_dict({"passes": {"fuse_activations": False}}))
    assert fuse_activations(g, off) == (g, False)


def test_fusion_is_visible_in_the_converted_design_and_can_be_switched_off(rng):
    g = mlp_with_everything(rng)
    on = rtl4ml.convert(g)
    off = rtl4ml.convert(g, {"passes": {"fuse_activations": False}})
    assert ops_of(on.graph) == ["Input", "Dense", "BatchNorm", "Dense", "Softmax"]
    assert ops_of(off.graph) == ["Input", "Dense", "Activation", "BatchNorm", "Dense", "Softmax"]
    x = rng.normal(size=(10, 8))
    np.testing.assert_allclose(on.predict_float(x), off.predict_float(x), atol=1e-12)


def test_pipeline_until_fixpoint_and_plain(rng):
    g = mlp_with_everything(rng)
    once, changed = Pipeline((remove_identity, fold_batchnorm, fuse_activations))(g, PassContext())
    assert changed and ops_of(once) == ["Input", "Dense", "BatchNorm", "Dense", "Softmax"]
    again, changed2 = Pipeline((remove_identity, fold_batchnorm, fuse_activations), until_fixpoint=True)(once, PassContext())
    assert not changed2 and ops_of(again) == ops_of(once)
    assert_same_float(g, once, rng, (8,))


# ---- precision inference ---------------------------------------------------------


def infer(graph, cfg=None, calibration=None):
    ctx = PassContext(config_from_dict(cfg) if isinstance(cfg, dict) else (cfg or Config()), calibration)
    return infer_precision(graph, ctx)[0]


def one_dense(w, b, shape=(2,)):
    return Graph([Node("x", Input(shape)), Node("d", Dense(w, b), ("x",))], ["d"])


def test_exact_accumulator_from_actual_weights():
    # x in fixed<8,3> (raw -128..127, 5 frac bits); w = [1.5, -0.25] in fixed<8,2> (6 frac)
    # raw w = [96, -16]; sum bounds: 96*127 + 16*128 = 14240, -(96*128 + 16*127) = -14320
    # bias 0.5 in fixed<8,4> (4 frac bits) aligned to 11 frac bits: 0.5 * 2**11 = 1024
    g = infer(one_dense(np.array([[1.5], [-0.25]]), np.array([0.5])), {
        "model": {"input": "fixed<8,3>", "weight": "fixed<8,2>", "bias": "fixed<8,4>"}})
    acc = g["d"].precision.accumulator
    assert acc.frac_bits == 11
    lo, hi = -14320 + 1024, 14240 + 1024  # [-13296, 15264] needs 15 bits signed
    assert acc.width == 15 and acc.raw_min <= lo and hi <= acc.raw_max
    assert g["d"].precision.exact_accumulator


def test_accumulator_width_follows_the_weights_not_just_their_type():
    small = infer(one_dense(np.full((2, 1), 0.01), np.zeros(1)))
    large = infer(one_dense(np.full((2, 1), 20.0), np.zeros(1)))
    assert small["d"].precision.accumulator.width < large["d"].precision.accumulator.width


def test_layer_overrides_and_fallback_order():
    g = Graph(
        [
            Node("x", Input((2,))),
            Node("d1", Dense(np.eye(2), np.zeros(2)), ("x",)),
            Node("d2", Dense(np.eye(2), np.zeros(2)), ("d1",)),
        ],
        ["d2"],
    )
    with pytest.warns(PrecisionWarning, match=r"layer 'd2': 2 weight value\(s\) do not fit fixed<6,1>.*saturate"):
        g = infer(g, {
            "model": {"precision": "fixed<18,8>", "weight": "fixed<8,1>"},
            "layers": {"d1": {"precision": "fixed<12,4>"}, "d2": {"weight": "fixed<6,1>", "accumulator": "fixed<20,8,TRN,SAT>"}},
        })
    assert g["x"].precision.result == FixedType(18, 8)
    assert g["d1"].precision.weight == FixedType(12, 4)  # layer precision beats model weight
    assert g["d1"].precision.result == FixedType(12, 4)
    assert g["d2"].precision.weight == FixedType(6, 1)
    assert g["d2"].precision.result == FixedType(18, 8)
    assert g["d2"].precision.accumulator == FixedType.parse("fixed<20,8,TRN,SAT>")
    assert not g["d2"].precision.exact_accumulator


def test_data_movement_keeps_its_input_type_unless_set():
    g = Graph(
        [
            Node("x", Input((4, 4, 1))),
            Node("p", Pool.with_padding(PoolKind.MAX, (2, 2), (2, 2), Padding.VALID, (4, 4)), ("x",)),
            Node("f", Flatten(), ("p",)),
            Node("s", Softmax(), ("f",)),
        ],
        ["s"],
    )
    g2 = infer(g, {"model": {"input": "fixed<9,2>"}, "layers": {"f": {"result": "fixed<7,2>"}}})
    assert g2["p"].precision.result == FixedType(9, 2)
    assert g2["f"].precision.result == FixedType(7, 2)
    assert g2["s"].precision.result == FixedType(16, 6)


def test_auto_integer_bits_from_weights_and_calibration(rng):
    w = np.array([[3.0, -0.5], [0.25, 1.0]])
    g = one_dense(w, np.array([0.0, 40.0]))
    cfg = {"model": {"weight": "fixed<8,auto>", "bias": "fixed<10,auto>", "result": "fixed<16,auto>"}}
    with pytest.raises(ConfigError, match="calibration"):
        infer(g, cfg)
    x = rng.uniform(-1, 1, (200, 2))
    g2 = infer(g, cfg, {"x": x})
    assert g2["d"].precision.weight == FixedType(8, 3)  # |3.0| needs 2 bits + sign
    assert g2["d"].precision.bias == FixedType(10, 7)  # 40 needs 6 bits + sign
    outs = x @ w + [0, 40]
    need = int(np.floor(np.log2(np.abs(outs).max()))) + 2
    assert g2["d"].precision.result == FixedType(16, need)
    assert g2["x"].precision.result == FixedType(16, 6)


def test_unknown_layer_names_and_keys_are_errors(rng):
    g = one_dense(np.eye(2), np.zeros(2))
    with pytest.raises(ConfigError, match=r"\['dense_9'\].*\['d', 'x'\]"):
        rtl4ml.convert(g, {"layers": {"dense_9": {"result": "fixed<8,2>"}}})
    with pytest.raises(ConfigError, match="wieght"):
        rtl4ml.convert(g, {"layers": {"d": {"wieght": "fixed<8,2>"}}})


def test_config_names_a_fused_activation_by_its_own_name(rng):
    g = Graph(
        [Node("x", Input((3,))), Node("d", Dense(rng.normal(size=(3, 3)), np.zeros(3)), ("x",)), Node("act", Activation(ActivationKind.RELU), ("d",))],
        ["act"],
    )
    design = rtl4ml.convert(g, {"layers": {"act": {"result": "ufixed<8,3>"}}})
    assert len(design.graph) == 2 and design.graph["d"].precision.result == FixedType(8, 3, signed=False)


def test_too_wide_exact_accumulator_names_the_layer():
    g = one_dense(np.full((2, 1), 1.0), np.zeros(1))
    with pytest.raises(GraphError, match="layer 'd'.*exact accumulator needs"):
        infer(g, {"model": {"input": "fixed<50,20>", "weight": "fixed<50,10>"}})


def test_infer_precision_annotates_every_node_and_changes_no_float_output(rng):
    g, _ = Pipeline((remove_identity, fold_batchnorm, fuse_activations))(mlp_with_everything(rng), PassContext())
    typed = infer(g)
    assert all(n.precision is not None for n in typed.nodes) and all(n.precision is None for n in g.nodes)
    assert [n.op for n in typed.nodes] == [n.op for n in g.nodes]
    assert_same_float(g, typed, rng, (8,))


def test_chains_of_mergeable_nodes_merge_one_after_another(rng):
    g = Graph(
        [
            Node("x", Input((4,))),
            Node("drop", Dropout(0.1), ("x",)),
            Node("id", Identity(), ("drop",)),
            Node("fc", Dense(rng.normal(size=(4, 4)), np.zeros(4)), ("id",)),
            Node("bn1", BatchNorm(np.full(4, 2.0), np.ones(4)), ("fc",)),
            Node("bn2", BatchNorm(np.full(4, 0.5), np.ones(4)), ("bn1",)),
            Node("relu", Activation(ActivationKind.RELU), ("bn2",)),
            Node("relu6", Activation.relu6(), ("relu",)),
        ],
        ["relu6"],
    )
    design = rtl4ml.convert(g)
    assert ops_of(design.graph) == ["Input", "Dense", "Activation"]
    assert design.graph["fc"].aliases == ("bn1", "bn2", "relu")
    x = rng.normal(size=(10, 4))
    np.testing.assert_allclose(design.predict_float(x), run_float(g, {"x": x})["relu6"], atol=1e-12)


def test_settings_of_a_fused_activation_reach_only_the_output_side(rng):
    g = Graph(
        [Node("x", Input((4,))), Node("fc", Dense(np.ones((4, 3)), np.zeros(3)), ("x",)), Node("relu", Activation(ActivationKind.RELU), ("fc",))],
        ["relu"],
    )
    layers = {"fc": {"precision": "fixed<8,2>"}, "relu": {"precision": "fixed<12,4>"}}
    for fuse in (False, True):
        design = rtl4ml.convert(g, {"layers": layers, "passes": {"fuse_activations": fuse}})
        p = design.graph["fc"].precision
        assert p.weight == p.bias == FixedType(8, 2)
        out = design.graph[design.graph.outputs[0]].precision.result
        assert out == FixedType(12, 4)


def test_unsigned_tanh_table_is_an_error_naming_the_layer():
    g = Graph([Node("x", Input((3,))), Node("t", Activation(ActivationKind.TANH), ("x",))], ["t"])
    with pytest.raises(ConfigError, match="layer 't'.*unsigned"):
        rtl4ml.convert(g, {"model": {"table": "ufixed<18,1>"}})


def test_fusion_keeps_a_producers_own_result_type_as_a_rounding_point(rng):
    g = Graph(
        [Node("x", Input((6,))), Node("fc", Dense(rng.normal(size=(6, 4)), rng.normal(size=4)), ("x",)), Node("t", Activation(ActivationKind.TANH), ("fc",))],
        ["t"],
    )
    cfg = {"layers": {"fc": {"result": "fixed<8,3,TRN,SAT>"}, "t": {"result": "fixed<12,2>"}}}
    fused = rtl4ml.convert(g, cfg)
    unfused = rtl4ml.convert(g, {**cfg, "passes": {"fuse_activations": False}})
    p = fused.graph["fc"].precision
    assert len(fused.graph) == 2 and p.pre_activation == FixedType.parse("fixed<8,3,TRN,SAT>")
    assert p.result == FixedType(12, 2)
    x = rng.normal(0, 2, (200, 6))
    np.testing.assert_array_equal(fused.predict_raw(x), unfused.predict_raw(x))


def test_batchnorm_is_not_folded_into_a_layer_with_set_weight_types(rng):
    g = Graph(
        [Node("x", Input((3,))), Node("fc", Dense(rng.normal(size=(3, 3)), np.zeros(3)), ("x",)), Node("bn", BatchNorm(np.full(3, 1.5), np.ones(3)), ("fc",))],
        ["bn"],
    )
    assert "bn" not in rtl4ml.convert(g).graph
    assert "bn" in rtl4ml.convert(g, {"layers": {"fc": {"weight": "fixed<8,4>"}}}).graph

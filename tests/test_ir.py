"""IR: validation errors that name the node, the text table, lossless JSON."""

from __future__ import annotations

import numpy as np
import pytest

import rtl4ml
from rtl4ml.emulate import run_fixed
from rtl4ml.errors import GraphError, ModelLoadError
from rtl4ml.ir import (
    Activation, ActivationKind, Add, BatchNorm, Concat, Conv, Dense, Dropout, Flatten, GlobalPool,
    Graph, Identity, Input, Node, Padding, Pool, PoolKind, Reshape, Softmax, TensorType,
)
from rtl4ml.ir.serialize import load_graph, save_graph


def every_op_graph(rng) -> Graph:
    c1 = Conv.with_padding(rng.normal(size=(3, 3, 2, 4)), rng.normal(size=4), (1, 1), Padding.SAME, (8, 8), Activation(ActivationKind.RELU))
    c2 = Conv.with_padding(rng.normal(size=(3, 4, 3)), rng.normal(size=3), (2,), Padding.VALID, (16,))
    return Graph(
        [
            Node("x", Input((8, 8, 2))),
            Node("c1", c1, ("x",)),
            Node("bn", BatchNorm(rng.uniform(0.5, 1.5, 4), rng.normal(size=4)), ("c1",)),
            Node("mp", Pool.with_padding(PoolKind.MAX, (2, 2), (2, 2), Padding.VALID, (8, 8)), ("bn",)),
            Node("ap", Pool.with_padding(PoolKind.AVG, (3, 3), (1, 1), Padding.SAME, (4, 4), True), ("mp",)),
            Node("rs", Reshape((16, 4)), ("ap",)),
            Node("c2", c2, ("rs",)),
            Node("gp", GlobalPool(PoolKind.AVG), ("c2",)),
            Node("gm", GlobalPool(PoolKind.MAX), ("c2",)),
            Node("add", Add(), ("gp", "gm")),
            Node("lk", Activation(ActivationKind.LEAKY_RELU, alpha=0.3), ("add",)),
            Node("cat", Concat(-1), ("lk", "gp")),
            Node("fl", Flatten(), ("cat",)),
            Node("dr", Dropout(0.5), ("fl",)),
            Node("id", Identity(), ("dr",)),
            Node("d", Dense(rng.normal(size=(6, 5)), rng.normal(size=5), Activation(ActivationKind.HARD_SIGMOID, alpha=0.2, beta=0.5)), ("id",)),
            Node("cl", Activation.relu6(), ("d",)),
            Node("sg", Activation(ActivationKind.SIGMOID), ("cl",)),
            Node("th", Activation(ActivationKind.TANH), ("sg",)),
            Node("sm", Softmax(), ("th",)),
        ],
        ["sm", "gm"],
        "every_op",
    )


def test_shapes_are_inferred_channels_last():
    g = every_op_graph(np.random.default_rng(0))
    assert g.shapes["c1"] == (8, 8, 4) and g.shapes["mp"] == (4, 4, 4) and g.shapes["ap"] == (4, 4, 4)
    assert g.shapes["c2"] == (7, 3) and g.shapes["gp"] == (3,) and g.shapes["cat"] == (6,)
    assert g.consumers["c2"] == ("gp", "gm")
    assert g.tensor("c1") == TensorType((8, 8, 4)) and g.tensor("c1").size == 256
    typed = rtl4ml.convert(g).graph
    assert str(typed.tensor("c1")) == "8x8x4 fixed<16,6>"


@pytest.mark.parametrize(
    "nodes,words",
    [
        ([Node("x", Input((4,))), Node("d", Dense(np.ones((5, 2)), np.zeros(2)), ("x",))], ["'d'", "Dense", "4 features", "5"]),
        ([Node("x", Input((4,))), Node("x", Flatten(), ("x",))], ["'x'", "duplicate"]),
        ([Node("x", Input((4,))), Node("f", Flatten(), ("y",))], ["'f'", "['y']"]),
        ([Node("x", Input((4,))), Node("a", Add(), ("x",))], ["'a'", "two or more"]),
        ([Node("x", Input((4,))), Node("c", Conv(np.ones((3, 4, 2)), np.zeros(2), (1,), ((0, 0),)), ("x",))], ["'c'", "Conv1D", "rank-2"]),
        ([Node("x", Input((2, 4))), Node("c", Concat(3), ("x", "x"))], ["'c'", "axis 3"]),
        ([Node("x", Input((6,))), Node("r", Reshape((4, 2)), ("x",))], ["'r'", "reshape"]),
        ([Node("x", Input((2, 3))), Node("p", Pool(PoolKind.MAX, (3,), (1,), ((0, 0),)), ("x",))], ["'p'", "does not fit"]),
    ],
)
def test_validation_errors_name_the_node(nodes, words):
    with pytest.raises(GraphError) as e:
        Graph(nodes, [nodes[-1].name])
    for w in words:
        assert w in str(e.value)


def test_ops_validate_their_attributes():
    with pytest.raises(ValueError, match="bias"):
        Dense(np.ones((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="clip"):
        Activation(ActivationKind.CLIP, min_value=1, max_value=0)
    with pytest.raises(ValueError, match="strides"):
        Conv(np.ones((3, 3, 1, 1)), np.zeros(1), (1,), ((0, 0), (0, 0)))
    d = Dense(np.ones((2, 2)), np.zeros(2))
    with pytest.raises(AttributeError):
        d.weight = np.zeros((2, 2))  # frozen
    with pytest.raises(ValueError):
        d.weight[0, 0] = 5  # read-only arrays


def test_print_graph_is_a_readable_table():
    text = str(every_op_graph(np.random.default_rng(0)))
    lines = text.splitlines()
    assert lines[0] == "Graph 'every_op'"
    assert lines[1].split()[:5] == ["name", "op", "attributes", "inputs", "shape"]
    assert any(line.startswith("c1 ") and "Conv2D" in line and "+relu" in line and "8x8x4" in line for line in lines)
    assert "parameters:" in lines[-1] and "MACs:" in lines[-1]


@pytest.mark.parametrize("weights", ["inline", "npz"])
def test_json_round_trip_is_lossless(tmp_path, weights):
    g = every_op_graph(np.random.default_rng(1))
    design = rtl4ml.convert(g, {"model": {"table_size": 256}})
    path = tmp_path / "g.json"
    save_graph(design.graph, path, weights=weights)
    assert (tmp_path / "g.npz").exists() == (weights == "npz")
    back = load_graph(path)
    assert str(back) == str(design.graph)
    for a, b in zip(design.graph.nodes, back.nodes):
        assert a.precision == b.precision and a.aliases == b.aliases and type(a.op) is type(b.op)
        for field in ("weight", "bias", "scale", "shift"):
            if hasattr(a.op, field):
                assert np.array_equal(getattr(a.op, field), getattr(b.op, field))
    x = np.random.default_rng(2).normal(size=(20, 8, 8, 2))
    a, b = run_fixed(design.graph, {"x": x}), run_fixed(back, {"x": x})
    for name in design.graph.outputs:
        np.testing.assert_array_equal(a[name].raw, b[name].raw)


def test_loading_a_bad_graph_file_names_it(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(ModelLoadError, match="bad.json"):
        load_graph(p)
    p.write_text('{"format": "something-else"}')
    with pytest.raises(ModelLoadError, match="not an rtl4ml-graph"):
        load_graph(p)


def test_duplicate_outputs_are_rejected():
    nodes = [Node("x", Input((2,))), Node("f", Flatten(), ("x",))]
    with pytest.raises(GraphError, match="output twice"):
        Graph(nodes, ["f", "f"])


def test_infinite_clip_bounds_survive_standard_json(tmp_path):
    import json

    g = Graph([Node("x", Input((2,))), Node("c", Activation(ActivationKind.CLIP, min_value=-np.inf, max_value=1.5), ("x",))], ["c"])
    save_graph(g, tmp_path / "g.json")
    json.loads((tmp_path / "g.json").read_text(), parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))
    assert load_graph(tmp_path / "g.json")["c"].op.min_value == -np.inf

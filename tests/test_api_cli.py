"""The public API and the command line on the bundled ONNX example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import rtl4ml
from rtl4ml.cli import app
from rtl4ml.emulate import run_fixed
from rtl4ml.errors import ModelLoadError, UnsupportedError

EXAMPLES = Path(__file__).parent.parent / "examples"
MODEL = EXAMPLES / "models" / "digits_mlp.onnx"
runner = CliRunner()


@pytest.fixture(scope="module")
def digits():
    return np.load(EXAMPLES / "digits_x.npy"), np.load(EXAMPLES / "digits_y.npy")


def test_trained_classifier_keeps_its_argmax_through_the_softmax(digits):
    x, labels = digits
    design = rtl4ml.convert(MODEL)
    float_pred = design.predict_float(x).argmax(axis=1)
    fixed = design.predict(x)
    assert np.mean(fixed.argmax(axis=1) == float_pred) >= 0.99
    assert np.mean(fixed.argmax(axis=1) == labels) >= 0.95
    # the softmax itself never moves the maximum away from the largest logit
    values = run_fixed(design.graph, {design.graph.inputs[0]: x}, keep_all=True)
    logits = values[design.graph[design.graph.outputs[0]].inputs[0]].raw
    probs = values[design.graph.outputs[0]].raw
    top = probs.max(axis=1, keepdims=True)
    assert np.all(probs[np.arange(len(x)), logits.argmax(axis=1)] == top[:, 0])
    assert np.mean((probs == top).sum(axis=1) > 1) < 0.01  # ties are rare
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0, atol=0.02)


def test_design_exposes_graph_config_and_three_predictions(digits):
    x, _ = digits
    design = rtl4ml.convert(str(MODEL), {"model": {"precision": "fixed<12,4>"}})
    assert isinstance(design.graph, rtl4ml.Graph) and design.config.model.precision == rtl4ml.FixedType(12, 4)
    raw = design.predict_raw(x[:5])
    assert raw.dtype == np.int64
    np.testing.assert_array_equal(design.predict(x[:5]), raw * 2.0**-8)
    assert design.predict(x[0]).shape == (1, 10)  # a single sample is accepted


def test_load_model_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="missing.onnx"):
        rtl4ml.convert(tmp_path / "missing.onnx")
    (tmp_path / "m.bin").write_bytes(b"x")
    with pytest.raises(UnsupportedError, match=r"unknown format '\.bin'.*\.onnx"):
        rtl4ml.convert(tmp_path / "m.bin")
    with pytest.raises(UnsupportedError, match="dict"):
        rtl4ml.convert({"not": "a model"})


def test_cli_inspect_lists_layers_types_params_and_macs():
    result = runner.invoke(app, ["inspect", str(MODEL), "--precision", "fixed<10,4>"])
    assert result.exit_code == 0, result.output
    out = result.output
    for word in ("Dense", "Softmax", "fixed<10,4>", "2,080", "parameters: 2,410", "MACs: 2,368"):
        assert word in out


def test_cli_predict_writes_bit_exact_outputs(tmp_path, digits):
    x, _ = digits
    np.save(tmp_path / "x.npy", x[:20])
    out = tmp_path / "sub" / "y.npy"
    result = runner.invoke(app, ["predict", str(MODEL), "-i", str(tmp_path / "x.npy"), "-o", str(out), "--weight-precision", "fixed<8,2>"])
    assert result.exit_code == 0, result.output
    expected = rtl4ml.convert(MODEL, {"model": {"weight": "fixed<8,2>"}}).predict(x[:20])
    np.testing.assert_array_equal(np.load(out), expected)
    result = runner.invoke(app, ["predict", str(MODEL), "-i", str(tmp_path / "x.npy"), "-o", str(out), "--float"])
    np.testing.assert_allclose(np.load(out), rtl4ml.convert(MODEL).predict_float(x[:20]))


def _fails(args, *words):
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("rtl4ml: error:"), result.output
    for w in words:
        assert w in lines[0]
    assert "Traceback" not in result.output


def test_cli_bad_input_gives_one_line_and_writes_nothing(tmp_path, digits):
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x00\x01 definitely not protobuf")
    _fails(["inspect", str(tmp_path / "nope.onnx")], "nope.onnx", "does not exist")
    _fails(["inspect", str(corrupt)], "corrupt.onnx")
    _fails(["inspect", str(MODEL), "--precision", "fixed<16>"], "fixed<16>", "accepted")
    bad_cfg = tmp_path / "c.yml"
    bad_cfg.write_text("layers:\n  fc9: {result: fixed<8,2>}\n")
    _fails(["inspect", str(MODEL), "--config", str(bad_cfg)], "fc9")
    out = tmp_path / "y.npy"
    _fails(["predict", str(MODEL), "-i", str(tmp_path / "none.npy"), "-o", str(out)], "none.npy")
    np.save(tmp_path / "wrong.npy", np.zeros((3, 7)))
    _fails(["predict", str(MODEL), "-i", str(tmp_path / "wrong.npy"), "-o", str(out)], "(64,)")
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_debug_shows_the_traceback(tmp_path):
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope.onnx"), "--debug"])
    assert result.exit_code != 0 and isinstance(result.exception, ModelLoadError)


def test_demo_script_runs(tmp_path, capsys):
    import runpy

    runpy.run_path(str(EXAMPLES / "demo.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "fixed<16,6>" in out and "fixed<8,3>" in out


def test_channels_first_cnn_predicts_in_its_own_layout():
    import onnxruntime as ort

    import onnx_models

    model = onnx_models.cnn2d(13)
    design = rtl4ml.convert(model, {"model": {"precision": "fixed<24,8>"}})
    name = model.graph.input[0].name
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim][1:]
    x = np.random.default_rng(0).uniform(-1, 1, (6, *dims)).astype(np.float32)
    expected = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]
    np.testing.assert_allclose(design.predict_float(x), expected, atol=1e-5)
    # softmax tables: exp step 1/128 (<0.8 %), 1/sum step 1/64 over [1, 17) (<1.6 %)
    assert np.max(np.abs(design.predict(x) - expected)) < 0.03
    np.testing.assert_array_equal(design.predict(x).argmax(axis=1), expected.argmax(axis=1))


def test_cli_calibration_picks_integer_bits(tmp_path, digits):
    x, _ = digits
    np.save(tmp_path / "cal.npy", x[:100])
    cfg = tmp_path / "c.yml"
    cfg.write_text("model:\n  result: fixed<12,auto>\n")
    result = runner.invoke(app, ["inspect", str(MODEL), "--config", str(cfg)])
    assert result.exit_code == 1 and "calibration" in result.output
    result = runner.invoke(app, ["inspect", str(MODEL), "--config", str(cfg), "--calibration", str(tmp_path / "cal.npy")])
    assert result.exit_code == 0, result.output
    design = rtl4ml.convert(MODEL, cfg, calibration=x[:100])
    bits = design.graph["/fc1/Gemm"].precision.result.int_bits
    assert f"fixed<12,{bits}>" in result.output and 2 <= bits <= 8


def test_settings_carried_by_the_model_yield_to_the_users_layer_settings():
    from rtl4ml.config import LayerConfig
    from rtl4ml.frontends import ImportedModel
    from rtl4ml.ir import Dense, Graph, Input, Node

    g = Graph([Node("x", Input((2,))), Node("d", Dense(np.eye(2) / 2, np.zeros(2)), ("x",))], ["d"])
    trained = ImportedModel.channels_last(g)
    trained = ImportedModel(g, trained.input_layouts, trained.output_layouts, "test", {"d": LayerConfig(weight=rtl4ml.FixedType(4, 1), result=rtl4ml.FixedType(8, 3))})
    design = rtl4ml.convert(trained, {"model": {"weight": "fixed<12,2>"}, "layers": {"d": {"result": "fixed<10,3>"}}})
    p = design.graph["d"].precision
    assert p.weight == rtl4ml.FixedType(4, 1)  # the model's layer setting beats a model-wide default
    assert p.result == rtl4ml.FixedType(10, 3)  # the user's layer setting beats the model's


def test_feeds_are_checked_against_the_model_inputs():
    from rtl4ml.ir import Add, Graph, Input, Node

    g = Graph([Node("a", Input((2,))), Node("b", Input((2,))), Node("s", Add(), ("a", "b"))], ["s"])
    design = rtl4ml.convert(g)
    x = np.ones((3, 2))
    np.testing.assert_array_equal(design.predict([x, x]), 2 * x)
    with pytest.raises(ValueError, match="2 inputs"):
        design.predict([x, x, x])
    with pytest.raises(ValueError, match=r"\['c'\].*not inputs"):
        design.predict({"a": x, "b": x, "c": x})


def test_argmax_output_replaces_the_softmax_by_the_class_index(tmp_path, digits):
    x, labels = digits
    plain = rtl4ml.convert(MODEL)
    design = rtl4ml.convert(MODEL, {"passes": {"argmax_output": True}})
    out = design.graph[design.graph.outputs[0]]
    assert type(out.op).__name__ == "ArgMax" and out.name == plain.graph.outputs[0]
    assert not any(type(n.op).__name__ == "Softmax" for n in design.graph.nodes)
    assert out.precision.result.width == 4 and not out.precision.result.signed  # 10 classes
    classes = design.predict(x)
    assert classes.shape == (len(x),)
    # the index of the largest logit, the first one on ties
    logits = run_fixed(design.graph, {design.graph.inputs[0]: x}, keep_all=True)[out.inputs[0]].raw
    np.testing.assert_array_equal(classes, logits.argmax(axis=1))
    np.testing.assert_array_equal(design.predict_float(x), plain.predict_float(x).argmax(axis=1))
    assert np.mean(classes == labels) >= 0.95
    # the command line's --argmax is the same switch
    np.save(tmp_path / "x.npy", x[:20])
    result = runner.invoke(app, ["predict", str(MODEL), "-i", str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy"),
                                 "--argmax"])
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), classes[:20])


def test_argmax_ties_pick_the_first_index():
    from rtl4ml.ir import ArgMax, Graph, Input, Node

    g = Graph([Node("x", Input((4,))), Node("a", ArgMax(), ("x",))], ["a"])
    design = rtl4ml.convert(g, {"model": {"precision": "fixed<4,2>"}})
    x = np.array([[0.5, 1.0, 1.0, -1.0], [1.9, 1.75, 3.0, 1.75], [0.0, 0.0, 0.0, 0.0]])  # 3.0 saturates to 1.75
    np.testing.assert_array_equal(design.predict(x), [1, 0, 0])

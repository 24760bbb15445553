"""The hardware flow end to end: build folder, verify (simulation vs emulator), synth."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import rtl4ml
from rtl4ml.cli import app
from rtl4ml.ir import Activation, ActivationKind, Dense, Graph, Input, Node
from rtl4ml.ir.serialize import save_graph

runner = CliRunner()
needs_verilator = pytest.mark.skipif(shutil.which("verilator") is None, reason="verilator not installed")
needs_yosys = pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
CONFIG = {"model": {"precision": "fixed<10,4>", "weight": "fixed<6,2>"}}


def mlp(seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    return Graph(
        [
            Node("x", Input((5,))),
            Node("dense 1", Dense(rng.uniform(-1.5, 1.5, (5, 6)), rng.uniform(-0.5, 0.5, 6)), ("x",)),
            Node("relu.1", Activation(ActivationKind.RELU), ("dense 1",)),
            Node("module", Dense(rng.uniform(-1.5, 1.5, (6, 3)), np.zeros(3)), ("relu.1",)),
        ],
        ["module"],
        "tiny mlp",
    )


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "tiny.json"
    save_graph(mlp(), path)
    cfg = path.parent / "c.yml"
    cfg.write_text("model:\n  precision: fixed<10,4>\n  weight: fixed<6,2>\n")
    return path, cfg


def build_folder(model_file, out):
    model, cfg = model_file
    result = runner.invoke(app, ["build", str(model), "-o", str(out), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    return out


def test_build_folder_is_complete_deterministic_and_atomic(tmp_path, model_file):
    model, cfg = model_file
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        result = runner.invoke(app, ["build", str(model), "-o", str(out), "--config", str(cfg), "--samples", "32"])
        assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    for must in ("README.md", "design.json", "model.json", "tb/tb.sv", "tb/input.hex", "tb/expected.hex", "scripts/synth_xc7.ys", "scripts/vivado.tcl"):
        assert must in files
    assert any(f.startswith("rtl/") and f.endswith(".v") for f in files)
    for f in files:  # byte-identical
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    summary = json.loads((a / "design.json").read_text())
    assert summary["top"] == "tiny_mlp" and summary["predicted_interval_cycles"] == 1
    # an existing folder is refused, and a failed build leaves nothing behind
    again = runner.invoke(app, ["build", str(model), "-o", str(a), "--config", str(cfg)])
    assert again.exit_code == 1 and "exists" in again.output
    bad = runner.invoke(app, ["build", str(model), "-o", str(tmp_path / "c"), "--config", str(cfg), "--reuse", "7"])
    assert bad.exit_code == 1 and not (tmp_path / "c").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.sim
@needs_verilator
def test_verify_passes_with_stalls_and_reports_json(tmp_path, model_file):
    out = build_folder(model_file, tmp_path / "b")
    result = runner.invoke(app, ["verify", str(out), "--samples", "120", "--stalls", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["samples"] == 120 and report["mismatches"] == 0
    assert report["latency_cycles"] == report["predicted_latency_cycles"]
    assert report["interval_cycles"] == report["predicted_interval_cycles"] == 1


@pytest.mark.sim
@needs_verilator
def test_verify_fails_on_a_tampered_design(tmp_path, model_file):
    out = build_folder(model_file, tmp_path / "b")
    graph = json.loads((out / "model.json").read_text())
    for node in graph["nodes"]:  # the emulator now expects different weights
        if node["name"] == "module":
            node["op"]["bias"]["array"] = [1.0, 1.0, 1.0]
    (out / "model.json").write_text(json.dumps(graph))
    result = runner.invoke(app, ["verify", str(out), "--samples", "40"])
    assert result.exit_code == 1 and "first mismatch" in result.output


@pytest.mark.synth
@needs_yosys
def test_synth_reports_resources(tmp_path, model_file):
    out = build_folder(model_file, tmp_path / "b")
    result = runner.invoke(app, ["synth", str(out), "--target", "ice40", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["lut"] > 0 and d["ff"] > 0 and d["latches"] == 0 and {"dsp", "bram", "carry"} <= set(d)


@pytest.mark.synth
@needs_yosys
def test_synth_that_runs_out_of_time_says_so(tmp_path, model_file):
    out = build_folder(model_file, tmp_path / "b")
    result = runner.invoke(app, ["synth", str(out), "--target", "xc7", "--timeout", "1"])
    assert result.exit_code == 1 and "did not finish within 1 s" in result.output


def test_synth_refuses_a_placer_without_pnr_or_an_unknown_one_before_synthesis(tmp_path, model_file):
    out = build_folder(model_file, tmp_path / "b")
    result = runner.invoke(app, ["synth", str(out), "--target", "ecp5", "--placer", "static"])
    assert result.exit_code == 1 and "give --pnr too" in result.output
    result = runner.invoke(app, ["synth", str(out), "--target", "ecp5", "--pnr", "--router", "router3"])
    assert result.exit_code == 1 and "unknown nextpnr router 'router3'" in result.output


def test_verify_of_a_folder_that_is_not_a_build(tmp_path):
    result = runner.invoke(app, ["verify", str(tmp_path)])
    assert result.exit_code == 1 and "not an rtl4ml build folder" in result.output


@pytest.mark.sim
@needs_verilator
def test_design_simulate_api():
    report = rtl4ml.convert(mlp(1), CONFIG).simulate(samples=60, stalls=True)
    assert report.ok and report.mismatches == 0


@pytest.mark.sim
@pytest.mark.skipif(shutil.which("iverilog") is None, reason="icarus verilog not installed")
def test_folder_with_weights_in_block_ram(tmp_path):
    rng = np.random.default_rng(3)
    graph = Graph([Node("x", Input((32,))), Node("fc", Dense(rng.uniform(-1.5, 1.5, (32, 32)), np.zeros(32)), ("x",))],
                  ["fc"], "rom net")
    save_graph(graph, tmp_path / "rom.json")
    (tmp_path / "c.yml").write_text("model: {precision: 'fixed<10,4>', weight: 'fixed<8,2>'}\nlayers: {fc: {reuse_factor: 256}}\n")
    out = build_folder((tmp_path / "rom.json", tmp_path / "c.yml"), tmp_path / "b")
    assert (out / "rtl" / "rom_net_fc_w.mem").is_file()
    assert "read_mem [list {rtl/rom_net_fc_w.mem}]" in (out / "scripts" / "vivado.tcl").read_text()
    assert "rtl/rom_net_fc_w.mem" in (out / "scripts" / "synth_xc7.ys").read_text()
    assert "copy `rtl/*.mem` into `tb/`" in (out / "README.md").read_text()
    result = runner.invoke(app, ["verify", str(out), "--samples", "12", "--stalls", "--simulator", "icarus", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["mismatches"] == 0 and report["latency_cycles"] == report["predicted_latency_cycles"] == 257


@pytest.mark.synth
@needs_yosys
def test_branched_network_with_softmax_synthesizes_without_latches():
    from rtl4ml.ir import Add, Softmax

    rng = np.random.default_rng(8)
    nodes = [Node("x", Input((4,))),
             Node("fc1", Dense(rng.normal(0, 0.7, (4, 4)), np.zeros(4), Activation(ActivationKind.RELU)), ("x",)),
             Node("fc2", Dense(rng.normal(0, 0.7, (4, 4)), np.zeros(4)), ("fc1",)),
             Node("res", Add(), ("x", "fc2")),
             Node("sm", Softmax(), ("res",))]
    design = rtl4ml.convert(Graph(nodes, ["sm"], "res net"),
                            {"model": {"precision": "fixed<8,3>", "weight": "fixed<6,2>", "table_size": 32}})
    r = design.synthesize("xc7", dsp=True).as_dict()
    assert r["latches"] == 0 and r["lut"] > 0 and r["ff"] > 0
    assert r["lutram"] > 0  # the residual path's FIFO


@pytest.mark.sim
@needs_verilator
def test_cnn_example_streams_pixels_through_build_and_verify(tmp_path):
    """The digits Conv1D example (Conv1D, AvgPool, Conv1D, GlobalAvgPool, Dense) with the
    command line: 8 beats of 8 pixels in, one class index out, bit-exact under stalls."""
    from pathlib import Path

    model = Path(__file__).resolve().parent.parent / "examples" / "models" / "digits_conv1d.onnx"
    out = tmp_path / "cnn"
    result = runner.invoke(app, ["build", str(model), "-o", str(out), "--precision", "fixed<8,3>", "--argmax",
                                 "--samples", "64"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "design.json").read_text())
    assert (summary["input"]["beats"], summary["input"]["elements"]) == (8, 8)
    assert summary["output"]["beats"] == 1
    conv = next(layer for layer in summary["layers"] if layer["op"] == "Conv1D")
    assert [p["part"] for p in conv["parts"]] == ["PadImpl", "WindowImpl", "DenseImpl"]
    result = runner.invoke(app, ["verify", str(out), "--samples", "64", "--stalls", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["mismatches"] == 0
    assert report["latency_cycles"] == summary["predicted_latency_cycles"]
    assert report["interval_cycles"] == summary["predicted_interval_cycles"] == 10  # the padded row of 10

"""rtl4ml.estimate and ``rtl4ml estimate``: the grid, exact cycles (against the plan and
against Verilator), the totals of the resources, rows the models do not cover (the
resource models themselves: test_estimate_resources.py)."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest
from cnn_models import conv
from hw_models import K, chain, dense
from typer.testing import CliRunner

import rtl4ml
from rtl4ml.cli import app
from rtl4ml.devices import DEVICES, Family, device
from rtl4ml.errors import ConfigError
from rtl4ml.estimate import DESIGN_ROW, estimate
from rtl4ml.estimate.mapping import cost
from rtl4ml.estimate.structure import Structure
from rtl4ml.hw import plan
from rtl4ml.ir import Activation, Flatten, Graph, Input, Node, Padding, Pool, PoolKind

MLP = "examples/models/jet_mlp.onnx"
needs_verilator = pytest.mark.skipif(shutil.which("verilator") is None, reason="verilator not installed")


def small_mlp(seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    return chain(dense(rng, 8, 6, Activation(K.RELU)), dense(rng, 6, 4), shape=(8,))


def small_cnn(seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    c1 = conv(rng, (6, 6, 2), 3, 3, 1, Padding.SAME)
    pool = Pool(PoolKind.MAX, (2, 2), (2, 2), ((0, 0), (0, 0)))
    nodes = [Node("x", Input((6, 6, 2))), Node("c1", c1, ("x",)), Node("p", pool, ("c1",)),
             Node("f", Flatten(), ("p",)), Node("d", dense(rng, 27, 3), ("f",))]
    return Graph(nodes, ["d"], "cnn")


CNN_CONFIG = {"model": {"precision": "fixed<10,4>", "weight": "fixed<6,2>"}}


def test_the_grid_is_the_cross_product_with_one_row_per_configuration() -> None:
    table = estimate(MLP, precision=["fixed<16,6>", "fixed<8,3>"], reuse_factor=[1, 2, 4],
                     device=["xc7z020", "ecp5-45"], clock_mhz=[100, 250])
    assert len(table) == 2 * 3 * 2 * 2
    for key in ("precision", "reuse_factor", "device", "clock_mhz", "lut", "ff", "dsp", "bram", "latency_cycles",
                "interval_cycles", "latency_ns", "throughput_per_s", "lut_pct", "ff_pct", "dsp_pct", "bram_pct"):
        assert key in table.columns, key
    row = table[(table.reuse_factor == 4) & (table.clock_mhz == 250) & (table.device == "ecp5-45")].iloc[0]
    assert row.interval_cycles == 4
    assert row.latency_ns == pytest.approx(row.latency_cycles * 4.0)
    assert row.throughput_per_s == pytest.approx(250e6 / 4)
    assert row.dsp_pct == pytest.approx(100 * row.dsp / DEVICES["ecp5-45"].dsp)
    assert row.family == "ecp5"
    # the device and the clock only change how the figures read: the same design
    same = table[(table.precision == "fixed<8,3>") & (table.reuse_factor == 2)]
    assert same.latency_cycles.nunique() == 1 and same[same.family == "xilinx"].lut.nunique() == 1
    # narrower types cost less
    wide = table[(table.precision == "fixed<16,6>") & (table.reuse_factor == 1)].lut.iloc[0]
    narrow = table[(table.precision == "fixed<8,3>") & (table.reuse_factor == 1)].lut.iloc[0]
    assert narrow < wide


def test_without_device_or_clock_there_are_no_derived_columns() -> None:
    table = estimate(rtl4ml.convert(small_mlp()))
    assert len(table) == 1
    assert not {"latency_ns", "throughput_per_s", "lut_pct"} & set(table.columns)
    assert table.family.iloc[0] == "xilinx"


@pytest.mark.parametrize("config", [
    {"model": {"precision": "fixed<12,4>"}},
    {"model": {"precision": "fixed<12,4>", "reuse_factor": 8, "strategy": "resource"}},
    {"model": {"precision": "fixed<12,4>", "use_dsp": True, "adder_levels": 3}},
], ids=["parallel", "folded", "dsp"])
def test_cycles_are_the_plans(config) -> None:
    design = rtl4ml.convert(small_mlp(), config)
    row = estimate(design).iloc[0]
    hp = plan(design)
    assert (row.latency_cycles, row.interval_cycles) == (hp.latency, hp.interval)


def test_cnn_cycles_and_per_layer_rows() -> None:
    design = rtl4ml.convert(small_cnn(), CNN_CONFIG)
    table = estimate(design, per_layer=True, device="ecp5-25")
    hp = plan(design)
    whole = table[table.layer == DESIGN_ROW].iloc[0]
    assert (whole.latency_cycles, whole.interval_cycles) == (hp.latency, hp.interval) == (hp.latency, 64)
    layers = table[table.layer != DESIGN_ROW]
    assert list(layers.layer) == [e.node for e in hp.engines]
    assert list(layers.kind) == ["Conv2D", "MaxPool2D", "Flatten", "Dense"]
    for e, (_, row) in zip(hp.engines, layers.iterrows()):
        assert (row.latency_cycles, row.interval_cycles) == (e.latency, e.interval)
    for k in ("lut", "ff", "dsp", "bram"):  # the design is the sum of its layers
        assert whole[k] == layers[k].sum()
    assert layers.lut.iloc[2] == layers.ff.iloc[2] == 0  # Flatten is no hardware


@needs_verilator
@pytest.mark.sim
@pytest.mark.parametrize("case", ["mlp", "mlp-folded", "cnn"])
def test_estimated_cycles_are_what_verilator_measures(case) -> None:
    if case == "cnn":
        design = rtl4ml.convert(small_cnn(), CNN_CONFIG)
    else:
        folded = {"reuse_factor": 4} if case == "mlp-folded" else {}
        design = rtl4ml.convert(small_mlp(), {"model": {"precision": "fixed<12,4>", **folded}})
    row = estimate(design).iloc[0]
    report = design.simulate(samples=40, stalls=False)
    assert report.mismatches == 0
    assert (row.latency_cycles, row.interval_cycles) == (report.latency_cycles, report.interval_cycles)


def test_a_configuration_the_hardware_does_not_cover_says_why() -> None:
    table = estimate(small_mlp(), reuse_factor=[1, 5])
    good, bad = table.iloc[0], table.iloc[1]
    assert good.note == "" and good.lut > 0
    assert bad.note.startswith("not estimated:") and "reuse_factor 5" in bad.note and "n0" in bad.note
    assert bad.isna()[["lut", "ff", "dsp", "bram", "latency_cycles", "interval_cycles"]].all()


def test_an_unsupported_layer_is_a_row_note() -> None:
    rng = np.random.default_rng(0)
    nodes = [Node("x", Input((4,))), Node("a", dense(rng, 4, 4), ("x",)), Node("b", dense(rng, 4, 2), ("a",))]
    row = estimate(Graph(nodes, ["a", "b"], "two_outputs")).iloc[0]  # the backend takes one output
    assert row.note.startswith("not estimated:") and "one network output" in row.note and "'b'" in row.note
    assert row.isna()["lut"]


def test_bad_grids_are_refused_naming_what() -> None:
    with pytest.raises(ConfigError, match="unknown grid key"):
        estimate(small_mlp(), reuse=[1, 2])
    with pytest.raises(ConfigError, match="unknown device 'xc9'.*xc7z020"):
        estimate(small_mlp(), device="xc9")
    with pytest.raises(ConfigError, match="precision"):
        estimate(small_mlp(), precision="fixed<8")
    with pytest.raises(ConfigError, match="clock_mhz"):
        estimate(small_mlp(), clock_mhz=[-5])
    with pytest.raises(ConfigError, match="clock_mhz"):
        estimate(small_mlp(), clock_mhz=float("nan"))


def test_a_grid_row_is_the_configuration_estimated_alone() -> None:
    """Sweeps share conversions, plans and costs; the figures must not depend on it."""
    grid = estimate(small_mlp(), precision=["fixed<12,4>", "fixed<8,3>"], reuse_factor=np.array([1, 2, 4]),
                    use_dsp=(True, False), device=["xc7z020", "ecp5-25"], per_layer=True)
    for _, row in grid[grid.layer == DESIGN_ROW].iterrows():
        alone = estimate(small_mlp(), precision=row.precision, reuse_factor=int(row.reuse_factor),
                         use_dsp=bool(row.use_dsp), device=row.device).iloc[0]
        for k in ("lut", "ff", "dsp", "bram", "latency_cycles", "interval_cycles"):
            assert row[k] == alone[k], (row.precision, row.reuse_factor, row.use_dsp, row.device, k)


def test_a_design_converted_with_calibration_is_estimated_as_it_is() -> None:
    rng = np.random.default_rng(1)
    design = rtl4ml.convert(small_mlp(), {"model": {"precision": "fixed<12,auto>"}}, calibration=rng.normal(0, 2, (64, 8)))
    row = estimate(design).iloc[0]
    assert row.note == "" and row.latency_cycles == plan(design).latency


def test_device_table() -> None:
    for name in ("xc7z020", "xc7a100t", "xczu9eg", "xcu250", "xcvu9p", "ecp5-25", "ecp5-45", "ecp5-85",
                 "ice40up5k", "ice40hx8k"):
        d = device(name)
        assert d.lut > 0 and d.ff > 0 and d.bram > 0
    assert device("ECP5_45").family is Family.ECP5
    assert device("xc7z020").capacity() == {"lut": 53_200, "ff": 106_400, "dsp": 220, "bram": 280}


def test_dsp_multipliers_fall_back_to_logic_on_a_device_without_dsp_blocks() -> None:
    s = Structure(multipliers=Counter({(16, 8, 24, True): 10}), dsp=True)
    assert cost(s, Family.XILINX).dsp == 10 and cost(s, Family.XILINX).lut == 0
    assert cost(s, Family.ICE40, has_dsp=False).dsp == 0 and cost(s, Family.ICE40, has_dsp=False).lut >= 1280
    table = estimate(small_mlp(), {"model": {"reuse_factor": 4}}, device=["ice40up5k", "ice40hx8k"])
    up, hx = table.iloc[0], table.iloc[1]
    assert up.dsp > 0 and hx.dsp == 0 and hx.lut > up.lut


def test_resources_follow_the_structure() -> None:
    """More outputs, wider types or more folding move the figures the right way."""
    base = estimate(small_mlp(), {"model": {"precision": "fixed<12,4>"}}).iloc[0]
    wide = estimate(small_mlp(), {"model": {"precision": "fixed<20,8>"}}).iloc[0]
    folded = estimate(small_mlp(), {"model": {"precision": "fixed<12,4>", "reuse_factor": 2}}).iloc[0]
    assert wide.lut > base.lut and wide.ff > base.ff
    assert folded.dsp > 0 and folded.lut < base.lut


runner = CliRunner()


def test_cli_table_json_csv_html(tmp_path) -> None:
    args = ["estimate", MLP, "--reuse", "1,2", "--precision", "fixed<16,6>,fixed<8,3>", "--device", "xc7z020",
            "--clock-mhz", "200"]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    assert "fixed<8,3>" in out.output and "xc7z020" in out.output and "lut_pct" in out.output
    out = runner.invoke(app, [*args, "--json", "--csv", str(tmp_path / "t.csv"), "--html", str(tmp_path / "t.html")])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert len(rows) == 4
    assert {"lut", "ff", "dsp", "bram", "latency_cycles", "interval_cycles", "latency_ns", "throughput_per_s",
            "lut_pct"} <= set(rows[0])
    assert rows[0]["precision"] == "fixed<16,6>" and rows[0]["reuse_factor"] == 1
    assert (tmp_path / "t.csv").read_text().splitlines()[0].startswith("precision,reuse_factor,device")
    assert "<table" in (tmp_path / "t.html").read_text()


def test_cli_bad_input_is_one_line() -> None:
    out = runner.invoke(app, ["estimate", MLP, "--device", "nosuch"])
    assert out.exit_code == 1 and "unknown device 'nosuch'" in out.output
    out = runner.invoke(app, ["estimate", MLP, "--reuse", "1,x"])
    assert out.exit_code == 1 and "--reuse" in out.output
    out = runner.invoke(app, ["estimate", "missing.onnx"])
    assert out.exit_code == 1 and "missing.onnx" in out.output


def test_an_imported_model_estimated_again_reuses_its_plans() -> None:
    from rtl4ml.estimate import clear_cache, run
    from rtl4ml.frontends.dispatch import load_model

    model = load_model(MLP)
    kw = dict(precision="fixed<12,4>", device="xc7z020", clock_mhz=200)
    first = estimate(model, reuse_factor=2, **kw)
    converter = run.converter_for(model, None)
    assert len(converter._planned) == 1
    assert estimate(model, reuse_factor=2, **kw).equals(first)
    assert run.converter_for(model, None) is converter and len(converter._planned) == 1  # planned once
    other = estimate(model, reuse_factor=4, **kw)
    assert len(converter._planned) == 2 and other.iloc[0].interval_cycles != first.iloc[0].interval_cycles
    for _ in range(run.RECENT_MODELS):
        estimate(load_model(MLP), reuse_factor=2)  # other models push it out
    assert run.converter_for(model, None) is not converter
    assert estimate(model, reuse_factor=2, **kw).equals(first)
    estimate(MLP, reuse_factor=2)  # a path is imported anew: nothing kept for it
    clear_cache()
    assert not run._RECENT


def test_a_kept_plan_is_costed_again_under_another_correction() -> None:
    from rtl4ml.estimate import clear_cache
    from rtl4ml.frontends.dispatch import load_model

    model = load_model(MLP)
    kw = dict(precision="fixed<12,4>", reuse_factor=2, device="ecp5-85")
    plain = estimate(model, correction=False, **kw).iloc[0]
    learned = estimate(model, **kw).iloc[0]
    assert plain.resources == "analytic" and learned.resources.startswith("learned")
    assert plain.lut != learned.lut
    assert estimate(model, correction=False, **kw).iloc[0].lut == plain.lut
    assert estimate(MLP, **kw).iloc[0].lut == learned.lut  # equal to a path's, planned anew
    clear_cache()

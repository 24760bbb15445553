"""Pixel-streamed CNNs in hardware: the cycle model of streams, padding and windows,
and random CNNs simulated bit-exact against the emulator, with and without stalls,
their latency and interval equal to the model."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import rtl4ml
from rtl4ml.backends.verilog import emit, top_name
from rtl4ml.emulate import run_fixed
from rtl4ml.errors import ConfigError, UnsupportedError
from rtl4ml.hw import plan, timing
from rtl4ml.hw.fold import FoldSchedule
from rtl4ml.hw.records import ChainImpl, CollectImpl, PadImpl, WindowImpl, WireImpl
from rtl4ml.ir import (
    Activation,
    ActivationKind,
    Add,
    BatchNorm,
    Concat,
    Dense,
    Flatten,
    GlobalPool,
    Graph,
    Input,
    Node,
    Padding,
    Pool,
    PoolKind,
    Softmax,
)

from cnn_models import conv, random_cnn_case
from hw_models import random_branched_case, random_case

needs_verilator = pytest.mark.skipif(shutil.which("verilator") is None, reason="verilator not installed")
pytestmark = pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")


def _cnn(*layers, shape, name="cnn") -> Graph:
    """A chain of (name, op) on an input of ``shape``."""
    nodes = [Node("x", Input(shape))]
    for n, op in layers:
        nodes.append(Node(n, op, (nodes[-1].name,)))
    return Graph(nodes, [nodes[-1].name], name=name)


# ---- the cycle model -----------------------------------------------------------------
@pytest.mark.parametrize("case", [random_case(s) for s in range(4)] + [random_branched_case(s) for s in range(3)])
def test_cycle_model_agrees_with_the_closed_form_on_one_beat_samples(case):
    graph, config = case
    hp = plan(rtl4ml.convert(graph, config))
    fifos = {(f.node, f.port): f.depth for f in hp.fifos}
    t = timing.run(hp.engines, hp.sources, hp.input_node, hp.output_node, 1, 1, fifos)
    assert (t.latency, t.interval) == (hp.latency, hp.interval)


def test_a_convolution_is_padding_window_and_dense():
    rng = np.random.default_rng(1)
    g = _cnn(("c", conv(rng, (6, 5, 2), 3, 3, 2, Padding.SAME)), shape=(6, 5, 2))
    hp = plan(rtl4ml.convert(g))
    c = hp["c"]
    assert isinstance(c, ChainImpl)
    pad, win, mac = c.parts
    assert isinstance(pad, PadImpl) and isinstance(win, WindowImpl)
    assert (hp.input.elements, hp.input.beats) == (2, 30)
    assert win.frame == pad.out_frame and win.out_frame.beats == 3 * 3 == hp.output.beats
    assert mac.input.elements == 3 * 3 * 2 and mac.output.elements == 3
    # the windows the engine emits are the emulator's output pixels, in raster order
    emitted = [(r, q) for r in range(win.frame.rows) for q in range(win.frame.cols) if win.emits(r, q)]
    assert len(emitted) == 9 and emitted[0] == (2, 2)
    # a sample's output leaves after its last input pixel: latency > beats, interval the padded frame
    assert hp.interval == pad.out_frame.beats and hp.latency > hp.input.beats


def test_flatten_collects_and_one_by_one_conv_is_a_dense_per_pixel():
    rng = np.random.default_rng(2)
    g = _cnn(("c", conv(rng, (3, 4, 2), 5, 1, 1, Padding.VALID)), ("f", Flatten()),
             ("d", Dense(rng.normal(0, 1, (60, 2)), np.zeros(2))), shape=(3, 4, 2))
    hp = plan(rtl4ml.convert(g))
    assert hp["c"].output.beats == 12 and not isinstance(hp["c"], ChainImpl)
    # Flatten only re-reads the stream; the Dense gathers the 12 beats of 5, then computes
    assert isinstance(hp["f"], WireImpl) and (hp["f"].output.elements, hp["f"].output.beats) == (5, 12)
    gather, mac = hp["d"].parts
    assert isinstance(gather, CollectImpl) and (gather.output.elements, gather.output.beats) == (60, 1)
    assert mac.n_in == 60 and hp.output.beats == 1


def test_unsupported_stream_shapes_are_named():
    rng = np.random.default_rng(3)
    g = _cnn(("c", conv(rng, (4, 4, 2), 2, 3, 1, Padding.SAME)), ("p", Pool.with_padding(
        PoolKind.AVG, (3, 3), (1, 1), Padding.SAME, (4, 4))), shape=(4, 4, 2))
    with pytest.raises(UnsupportedError, match=r"layer 'p' \(AvgPool2D\).*leaves the padding out.*border"):
        plan(rtl4ml.convert(g))
    nodes = [Node("x", Input((4, 4, 2))), Node("c", conv(rng, (4, 4, 2), 2, 3, 1, Padding.SAME), ("x",)),
             Node("cat", Concat(axis=1), ("x", "c"))]
    with pytest.raises(UnsupportedError, match=r"layer 'cat' \(Concat\).*channels only"):
        plan(rtl4ml.convert(Graph(nodes, ["cat"], "bad")))
    nodes = [Node("x", Input((4, 4, 2))), Node("c", conv(rng, (4, 4, 2), 2, 3, 1, Padding.SAME), ("x",)),
             Node("fx", Flatten(), ("x",)), Node("fc", Flatten(), ("c",)), Node("cat", Concat(), ("fx", "fc"))]
    with pytest.raises(UnsupportedError, match=r"layer 'cat' \(Concat\).*flattened pixel streams"):
        plan(rtl4ml.convert(Graph(nodes, ["cat"], "bad")))


def test_skip_fifo_holds_the_window_lag():
    """A residual Add around a 3x3 convolution: the skip path waits for a row and more."""
    rng = np.random.default_rng(4)
    nodes = [Node("x", Input((5, 6, 2))), Node("c", conv(rng, (5, 6, 2), 2, 3, 1, Padding.SAME), ("x",)),
             Node("res", Add(), ("x", "c"))]
    hp = plan(rtl4ml.convert(Graph(nodes, ["res"], "skip")))
    (fifo,) = hp.fifos
    assert (fifo.node, fifo.port, fifo.source) == ("res", 0, "x")
    assert fifo.depth > 6 + 2  # a padded row of 8 pixels and more in flight
    # one fewer and the model shows the loss: the design slows down or stops
    small = {("res", 0): fifo.depth - 4}
    try:
        t = timing.run(hp.engines, hp.sources, "x", "res", hp.input.beats, hp.output.beats, small)
        assert (t.latency, t.interval) != (hp.latency, hp.interval)
    except timing.DeadlockError:
        pass


@pytest.mark.parametrize("n_in,n_out,pe,simd", [(6, 4, 2, 3), (9, 8, 4, 1), (9, 8, 1, 9), (4, 4, 4, 4)])
def test_pe_simd_schedule_computes_every_product_once_in_contiguous_runs(n_in, n_out, pe, simd):
    reuse = (n_in // simd) * (n_out // pe)
    s = FoldSchedule(n_in, n_out, reuse, pe, simd)
    assert s.multipliers == pe * simd
    slots = sorted(s.slot(mi, r) for mi in range(s.multipliers) for r in range(reuse))
    assert slots == sorted(itertools.product(range(n_in), range(n_out)))
    for j in range(n_out):
        rows = sorted(s.slot(mi, r)[0] for mi, a, b in s.uses(j) for r in range(a, b + 1))
        assert rows == list(range(n_in))
        assert all(s.slot(mi, r)[1] == j for mi, a, b in s.uses(j) for r in range(a, b + 1))
        # the PE lanes: output j on lane j % pe, all its SIMD multipliers in the same cycles
        assert {mi // simd for mi, _, _ in s.uses(j)} == {j % pe}


def test_pe_simd_config():
    rng = np.random.default_rng(7)
    g = _cnn(("c", conv(rng, (5, 5, 2), 4, 3, 1, Padding.SAME)), shape=(5, 5, 2))
    mac = plan(rtl4ml.convert(g, {"layers": {"c": {"pe": 2, "simd": 9}}}))["c"].parts[-1]
    assert (mac.pe, mac.simd, mac.reuse_factor, mac.multipliers, mac.interval) == (2, 9, 4, 18, 4)
    with pytest.raises(ConfigError, match=r"layer 'c' \(Conv2D\): pe 3 does not divide its 4 outputs"):
        plan(rtl4ml.convert(g, {"layers": {"c": {"pe": 3}}}))
    with pytest.raises(ConfigError, match=r"simd 4 does not divide its 18 inputs"):
        plan(rtl4ml.convert(g, {"layers": {"c": {"simd": 4}}}))
    with pytest.raises(ConfigError, match=r"pe 2 x simd 9 means reuse factor 4, but reuse_factor 2"):
        plan(rtl4ml.convert(g, {"layers": {"c": {"pe": 2, "simd": 9, "reuse_factor": 2}}}))


# ---- simulation ------------------------------------------------------------------------
def lint(tree, top: str, tmp_path: Path) -> list[str]:
    out = tree.write(tmp_path / "lint")
    files = [str(out / p) for p in tree.paths("rtl") if p.endswith(".v")]
    proc = subprocess.run(["verilator", "--lint-only", "-Wall", "--top-module", top, *files],
                          capture_output=True, text=True, cwd=out / "rtl", check=False)
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("%")]


def _named_cases():
    rng = np.random.default_rng(21)
    cases = []
    s = (7, 7, 2)
    c1 = conv(rng, s, 4, 3, 1, Padding.SAME)
    p1 = Pool.with_padding(PoolKind.MAX, (3, 3), (2, 2), Padding.SAME, (7, 7))
    g = _cnn(("c1", c1), ("p1", p1), ("f", Flatten()), ("d", Dense(rng.normal(0, 0.5, (64, 3)), np.zeros(3))),
             shape=s, name="same_pool")
    cases.append(pytest.param(g, {"model": {"input": "fixed<8,3>", "weight": "fixed<6,1>", "result": "fixed<10,4>"},
                                  "layers": {"c1": {"pe": 2, "simd": 6}}}, id="pe-simd-conv-padded-maxpool"))
    s1 = (11, 3)
    a = conv(rng, s1, 2, 5, 2, Padding.SAME, None)
    g1 = _cnn(("a", a), ("r", Activation(ActivationKind.RELU)), ("p", Pool.with_padding(
        PoolKind.AVG, (2,), (2,), Padding.VALID, (6,))), shape=s1, name="c1d")
    cases.append(pytest.param(g1, {"model": {"input": "fixed<8,3>", "weight": "fixed<6,1>", "result": "fixed<10,4>"},
                                   "passes": {"fuse_activations": False}}, id="conv1d-stride2-unfused-relu-avgpool"))
    s2 = (4, 5, 3)
    b = conv(rng, s2, 3, 3, 1, Padding.SAME)
    nodes = [Node("x", Input(s2)), Node("b", b, ("x",)), Node("res", Add(), ("b", "x")),
             Node("cat", Concat(axis=-1), ("x", "res"))]
    cfg = {"model": {"input": "fixed<8,3>", "weight": "fixed<6,1>", "result": "fixed<10,4>", "bram_threshold": 64}}
    cases.append(pytest.param(Graph(nodes, ["cat"], "skips"), cfg, id="residual-concat-bram-threshold"))
    s7 = (4, 4, 2)  # after a Flatten: an element-wise layer per beat, then layers that gather the beats
    g7 = _cnn(("c", conv(rng, s7, 3, 3, 1, Padding.VALID, None)), ("f", Flatten()),
              ("r", Activation(ActivationKind.RELU)),
              ("bn", BatchNorm(rng.normal(1, 0.3, 12), rng.normal(0, 0.3, 12))),
              ("d", Dense(rng.normal(0, 0.5, (12, 3)), np.zeros(3))), ("sm", Softmax()), shape=s7, name="flat")
    cases.append(pytest.param(g7, {"model": {"input": "fixed<8,3>", "weight": "fixed<6,1>", "result": "fixed<10,4>",
                                             "table_size": 64}, "passes": {"fold_batchnorm": False}},
                              id="flatten-relu-batchnorm-dense-softmax"))
    g5, cfg5 = random_cnn_case(1)  # branches, a folded layer
    cfg5 = {**cfg5, "model": {**cfg5["model"], "layer_fifo_depth": 2}}
    cases.append(pytest.param(g5, cfg5, id="layer-fifos-on-a-branched-cnn"))
    # the padding starts before the input comes; a FIFO in front lets the input in early
    s6 = (6, 5, 2)
    g6 = _cnn(("c", conv(rng, s6, 2, 3, 1, Padding.SAME)), shape=s6, name="fifo_pad")
    cases.append(pytest.param(g6, {"model": {"input": "fixed<8,3>", "layer_fifo_depth": 2}},
                              id="fifo-before-padding"))
    return cases


def _simulate(graph, config, tmp_path, samples=40):
    tools = pytest.importorskip("rtl4ml.tools.simulate")
    packing = pytest.importorskip("rtl4ml.tools.packing")
    design = rtl4ml.convert(graph, config)
    hp = plan(design)
    tree = emit(design, hp)
    top = top_name(design)
    assert lint(tree, top, tmp_path) == []
    out = tree.write(tmp_path / "design")
    files = [str(out / p) for p in tree.paths("rtl")]
    x = np.random.default_rng(5).normal(0, 2, (samples,) + graph.shapes["x"])
    x_raw = run_fixed(design.graph, {"x": x}, keep_all=True)["x"].raw.astype(np.int64)
    expected = design.predict_raw(x).reshape(samples, -1)
    words = packing.pack(x_raw.reshape(samples * hp.input.beats, -1), hp.input.type.width)
    with tools.compile_testbench(files, top, hp.input.bits, hp.output.bits, samples,
                                 in_beats=hp.input.beats, out_beats=hp.output.beats) as tb:
        for stalls, seed in ((False, 1), (True, 7), (True, 8)):
            res = tb.run(words, stalls=stalls, seed=seed)
            assert not res.timed_out, f"stalls={stalls}: the design stopped ({len(res.outputs)} output beats)"
            got = packing.unpack(res.outputs, hp.output.elements, hp.output.type.width, hp.output.type.signed)
            got = got.reshape(-1, expected.shape[1])
            assert got.shape == expected.shape, f"stalls={stalls}: {len(res.outputs)} output beats"
            bad = np.nonzero((got != expected).any(axis=1))[0]
            assert not bad.size, f"stalls={stalls}: sample {bad[0]}: got {got[bad[0]]}, expected {expected[bad[0]]}"
            if not stalls:
                assert (res.latency, res.interval) == (hp.latency, hp.interval)
    return hp, tree


def _averages(global_pool: bool) -> tuple[Graph, dict]:
    """Averages over 9 pixels (or 15 beats) in every rounding mode, side by side."""
    modes = ["RND", "RND_CONV", "RND_ZERO", "RND_INF", "RND_MIN_INF", "TRN", "TRN_ZERO"]
    shape = (3, 5, 2)
    nodes, layers = [Node("x", Input(shape))], {}
    for k, mode in enumerate(modes):
        op = GlobalPool(PoolKind.AVG) if global_pool else Pool.with_padding(
            PoolKind.AVG, (3, 3), (1, 1), Padding.SAME, (3, 5), count_include_pad=True)
        nodes.append(Node(f"a{k}", op, ("x",)))
        frac = 5 if k % 2 else 2  # more and fewer fraction bits than the input's
        layers[f"a{k}"] = {"result": f"fixed<{frac + 4},4,{mode},{'SAT' if k % 3 else 'WRAP'}>"}
    nodes.append(Node("cat", Concat(axis=-1), tuple(f"a{k}" for k in range(len(modes)))))
    config = {"model": {"input": "fixed<9,4>", "result": "fixed<12,5>"}, "layers": layers}
    return Graph(nodes, ["cat"], "averages"), config


@pytest.mark.sim
@needs_verilator
@pytest.mark.parametrize("graph,config", [pytest.param(*random_cnn_case(s), id=f"random-cnn{s}") for s in range(10)]
                         + _named_cases() + [pytest.param(*_averages(False), id="avgpool-by-9-every-rounding"),
                                             pytest.param(*_averages(True), id="global-avg-by-15-every-rounding")])
def test_cnn_in_simulation_is_bit_exact_and_matches_cycle_model(graph, config, tmp_path):
    _simulate(graph, config, tmp_path)


def _one_layer_cases():
    rng = np.random.default_rng(6)
    s = (6, 5, 2)
    return [
        pytest.param(_cnn(("l", conv(rng, s, 3, 3, 2, Padding.SAME)), shape=s, name="one"), {}, id="conv-same-stride2"),
        pytest.param(_cnn(("l", conv(rng, s, 4, 2, 1, Padding.VALID)), shape=s, name="one"),
                     {"layers": {"l": {"pe": 2, "simd": 4}}}, id="conv-pe-simd"),
        pytest.param(_cnn(("l", Pool.with_padding(PoolKind.MAX, (2, 2), (2, 2), Padding.VALID, (6, 5))), shape=s,
                          name="one"), {}, id="maxpool"),
        pytest.param(_cnn(("l", Pool.with_padding(PoolKind.AVG, (4,), (2,), Padding.SAME, (9,), True)), shape=(9, 3),
                          name="one"), {}, id="avgpool1d-same"),
        pytest.param(_cnn(("l", GlobalPool(PoolKind.AVG)), shape=(4, 4, 3), name="one"), {}, id="global-avg"),
    ]


@pytest.mark.sim
@needs_verilator
@pytest.mark.parametrize("graph,config", _one_layer_cases())
def test_each_layer_alone_matches_its_cycle_figures(graph, config, tmp_path):
    """A one-layer design measures what the model says of that layer alone."""
    config = {**config, "model": {"input": "fixed<8,3>", "weight": "fixed<6,1>"}}
    hp, _ = _simulate(graph, config, tmp_path)
    assert (hp.latency, hp.interval) == timing.alone(hp["l"])
    assert (hp.latency, hp.interval) == (hp["l"].latency, hp["l"].interval)


def _line_buffer_pools():
    """A 3x3 max pooling with two line buffers of 36 pixels x 64 bits (2 304 bits each),
    built with the buffers above and below ``bram_threshold``."""
    g = Graph([Node("x", Input((3, 40, 8))),
               Node("p", Pool.with_padding(PoolKind.MAX, (3, 3), (1, 1), Padding.VALID, (3, 40)), ("x",))],
              ["p"], "lines")
    above = rtl4ml.convert(g, {"model": {"precision": "fixed<8,3>", "bram_threshold": 2048}})
    below = rtl4ml.convert(g, {"model": {"precision": "fixed<8,3>", "bram_threshold": 4096}})
    return above, below


@pytest.mark.synth
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
@pytest.mark.parametrize("target", ["xc7", "ecp5"])
def test_line_buffers_above_the_threshold_go_to_block_ram(target):
    above, below = _line_buffer_pools()
    assert plan(above)["p"].parts[0].block_ram == (True, True)
    assert plan(below)["p"].parts[0].block_ram == (False, False)
    r_above, r_below = above.synthesize(target).as_dict(), below.synthesize(target).as_dict()
    assert r_above["bram"] >= 2 and r_above["lutram"] == 0
    assert r_below["bram"] == 0 and r_below["lutram"] > 0


@pytest.mark.synth
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_line_buffers_on_ice40_are_flip_flops_below_the_threshold_and_block_ram_above():
    """iCE40 has no LUT RAM: line buffers meant for it are built from flip-flops."""
    above, below = _line_buffer_pools()
    r_above, r_below = above.synthesize("ice40").as_dict(), below.synthesize("ice40").as_dict()
    assert r_above["bram"] >= 2 and r_above["ff"] < 2 * 2304
    assert r_below["bram"] == 0 and r_below["ff"] >= 2 * 2304


def test_pass_through_layers_and_lanes_where_there_is_nothing_to_fold(tmp_path):
    """A 1x1 output flattened (a wire) builds; pe/simd on a pooling layer is refused."""
    from rtl4ml.project.folder import build_tree

    rng = np.random.default_rng(8)
    g = _cnn(("c", conv(rng, (3, 3, 2), 2, 3, 1, Padding.VALID)), ("f", Flatten()),
             ("d", Dense(rng.normal(0, 1, (2, 2)), np.zeros(2))), shape=(3, 3, 2))
    tree = build_tree(rtl4ml.convert(g), samples=4)
    layers = {entry["name"]: entry for entry in __import__("json").loads(tree["design.json"])["layers"]}
    assert layers["f"]["latency_cycles"] == 0
    pool = _cnn(("p", Pool.with_padding(PoolKind.MAX, (2, 2), (2, 2), Padding.VALID, (4, 4))), shape=(4, 4, 2))
    with pytest.raises(ConfigError, match=r"layer 'p' \(MaxPool2D\): pe/simd fold a Dense or a convolution"):
        plan(rtl4ml.convert(pool, {"layers": {"p": {"pe": 2}}}))


def test_a_long_fold_is_not_taken_for_a_deadlock(monkeypatch):
    """A folded layer counting through more cycles than the deadlock limit keeps moving."""
    rng = np.random.default_rng(9)
    g = _cnn(("c", conv(rng, (3, 4, 2), 4, 3, 1, Padding.SAME)), shape=(3, 4, 2))
    design = rtl4ml.convert(g, {"layers": {"c": {"reuse_factor": 24}}})
    expected = plan(design)
    monkeypatch.setattr(timing, "STUCK_CYCLES", 5)
    assert (plan(design).latency, plan(design).interval) == (expected.latency, expected.interval)

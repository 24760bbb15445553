"""The Verilog backend: file tree, names, hardware plan, and whole networks simulated
bit-exact against the emulator (with and without stalls); element-wise logic alone: test_elementwise_logic."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import rtl4ml
from rtl4ml.backends.verilog import FileTree, Namer, emit, sanitize, top_name
from rtl4ml.backends.verilog.names import KEYWORDS
from rtl4ml.config import Strategy
from rtl4ml.emulate import run_fixed
from rtl4ml.errors import ConfigError, UnsupportedError
from rtl4ml.fixed import FixedType
from rtl4ml.hw import (
    DenseImpl,
    PointwiseImpl,
    WireImpl,
    build_adder_graph,
    csd_digits,
    plan,
)
from rtl4ml.hw.adder_graph import csd_adders, csd_graph, da4ml_graph
from rtl4ml.ir import (
    Activation,
    Graph,
    ActivationKind,
    BatchNorm,
    Dense,
    Flatten,
    Input,
    Node,
    Reshape,
    Softmax,
)

from hw_models import branched, chain, dense, random_branched_case, random_case, residual

K = ActivationKind
HAVE_VERILATOR = shutil.which("verilator") is not None
needs_verilator = pytest.mark.skipif(not HAVE_VERILATOR, reason="verilator not installed (apt-get install verilator)")


def lint_tree(tree: FileTree, top: str, tmp_path: Path) -> list[str]:
    out = tree.write(tmp_path / "lint")
    files = [str(out / p) for p in tree.paths("rtl") if p.endswith(".v")]
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wall", "--top-module", top, *files],
        capture_output=True, text=True, cwd=out / "rtl", check=False,
    )
    return [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("%")]


# ---- FileTree ------------------------------------------------------------------------
def test_file_tree_is_sorted_and_compares_by_content():
    a = FileTree({"rtl/b.v": "b", "rtl/a.v": b"a", "README.md": "r"})
    b = FileTree({"README.md": "r", "rtl/a.v": "a", "rtl/b.v": "b"})
    assert a == b and a.paths() == ["README.md", "rtl/a.v", "rtl/b.v"]
    assert a.paths("rtl") == ["rtl/a.v", "rtl/b.v"] and a.text("rtl/a.v") == "a"
    for bad in ["/abs.v", "../up.v", "a/./b", "a\\b", ""]:
        with pytest.raises(ValueError):
            a[bad] = "x"
    with pytest.raises(ValueError):
        a["rtl"] = "a file where a folder is"


def test_file_tree_write_is_atomic(tmp_path, monkeypatch):
    tree = FileTree({"rtl/a.v": "module a; endmodule\n", "tb/input.hex": "00\n"})
    out = tree.write(tmp_path / "out")
    assert (out / "rtl" / "a.v").read_text() == "module a; endmodule\n"
    with pytest.raises(FileExistsError):
        tree.write(tmp_path / "out")
    # a failure halfway leaves neither a partial new folder nor a damaged old one
    original = Path.write_bytes

    def failing(self, data):
        if self.name == "b.v":
            raise OSError("disk full")
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    bigger = FileTree({"rtl/a.v": "new\n", "rtl/b.v": "new\n", "rtl/c.v": "new\n"})
    with pytest.raises(OSError):
        bigger.write(tmp_path / "fresh")
    with pytest.raises(OSError):
        bigger.write(tmp_path / "out", overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "rtl" / "a.v").read_text() == "module a; endmodule\n"
    bigger.write(tmp_path / "out", overwrite=True)
    assert sorted(p.name for p in (out / "rtl").iterdir()) == ["a.v", "b.v", "c.v"]
    assert not (out / "tb").exists()


# ---- names ---------------------------------------------------------------------------
@pytest.mark.parametrize("raw,expected", [
    ("dense 1", "dense_1"), ("block.0/fc", "block_0_fc"), ("1st", "n_1st"), ("module", "module_"),
    ("wire", "wire_"), ("logic", "logic_"), ("__", "n"), ("Dense", "Dense"), ("a-b+c", "a_b_c"),
])
def test_sanitize_gives_valid_identifiers(raw, expected):
    assert sanitize(raw) == expected


def test_namer_makes_names_unique_and_never_keywords():
    namer = Namer(["top"])
    got = [namer.take(n) for n in ["a b", "a.b", "a_b", "TOP", "reg", "1", "1"]]
    assert got == ["a_b", "a_b_2", "a_b_3", "TOP_2", "reg_", "n_1", "n_1_2"]
    assert not any(g.lower() in KEYWORDS for g in got)


# ---- adder graphs --------------------------------------------------------------------
@pytest.mark.parametrize("value", [0, 1, -1, 3, 7, -7, 11, 93, -128, 127, 2**20 + 5])
def test_csd_digits_sum_to_the_value_and_never_touch(value):
    digits = csd_digits(value)
    assert sum((-1 if neg else 1) << k for k, neg in digits) == value
    shifts = [k for k, _ in digits]
    assert all(b - a >= 2 for a, b in itertools.pairwise(shifts))


@pytest.mark.parametrize("shape", [(16, 16), (7, 3), (1, 4), (5, 1)])
def test_adder_graphs_compute_the_matrix(shape):
    rng = np.random.default_rng(sum(shape))
    w = rng.integers(-128, 128, shape)
    w[0, 0] = 0
    w[:, -1] = 0  # an all-zero column
    csd = csd_graph(w)
    csd.check(w)
    assert csd_adders(w) == csd.adders  # counted without building the graph
    best = build_adder_graph(w, -128, 127)
    best.check(w)
    assert best.adders <= csd.adders
    da = da4ml_graph(w, -128, 127)
    if da is not None:  # optional optimizer: shares subexpressions
        da.check(w)
        if shape == (16, 16):
            assert da.adders < 0.7 * csd.adders


# ---- plan ----------------------------------------------------------------------------
def test_plan_cycle_model_and_folding():
    rng = np.random.default_rng(1)
    g = chain(dense(rng, 6, 8, Activation(K.RELU)), dense(rng, 8, 4), Activation(K.LEAKY_RELU, alpha=0.2),
              names=["fc1", "fc2", "act"])
    cfg = {"model": {"weight": "fixed<8,3>"}, "layers": {"fc2": {"reuse_factor": 8}}, "passes": {"fuse_activations": False}}
    d = rtl4ml.convert(g, cfg)
    hp = plan(d)
    fc1, fc2, act = hp.engines
    assert isinstance(fc1, DenseImpl) and fc1.strategy is Strategy.LATENCY and fc1.interval == 1
    assert fc1.latency == (fc1.levels - 1) // fc1.adder_levels + 1 and fc1.adders > 0
    assert isinstance(fc2, DenseImpl) and fc2.strategy is Strategy.RESOURCE
    assert (fc2.reuse_factor, fc2.multipliers, fc2.interval, fc2.latency) == (8, 4, 8, 9)
    assert isinstance(act, PointwiseImpl) and act.latency == 1
    assert hp.latency == fc1.latency + 9 + 1 and hp.interval == 8
    assert hp.input.bits == 6 * 16 and hp.output.bits == 4 * 16
    deeper = plan(d, adder_levels=1)
    assert deeper["fc1"].latency > fc1.latency and deeper["fc1"].levels == fc1.levels


def test_plan_rejects_folding_that_makes_no_sense():
    rng = np.random.default_rng(2)
    g = chain(dense(rng, 6, 4), names=["fc"])
    with pytest.raises(ConfigError, match=r"layer 'fc'.*latency.*reuse_factor 1.*resource"):
        plan(rtl4ml.convert(g, {"layers": {"fc": {"strategy": "latency", "reuse_factor": 4}}}))
    with pytest.raises(ConfigError, match=r"layer 'fc'.*reuse_factor 5.*24 multiplications.*1, 2, 3, 4, 6, 8, 12, 24"):
        plan(rtl4ml.convert(g, {"layers": {"fc": {"reuse_factor": 5}}}))
    ok = plan(rtl4ml.convert(g, {"layers": {"fc": {"strategy": "resource"}}}))
    assert ok["fc"].strategy is Strategy.RESOURCE and ok["fc"].interval == 1 and ok["fc"].latency == 2
    two = chain(dense(np.random.default_rng(0), 6, 3), dense(np.random.default_rng(1), 3, 2))
    two = Graph(list(two.nodes), ["n0", "n1"], "two outputs")
    with pytest.raises(UnsupportedError, match=r"one network output, got \['n0', 'n1'\]"):
        plan(rtl4ml.convert(two))


@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
def test_plan_of_a_branched_network_buffers_the_shorter_paths():
    rng = np.random.default_rng(4)
    d = rtl4ml.convert(branched(rng), {"model": {"weight": "fixed<8,2>"}, "layers": {"d3": {"reuse_factor": 4}}})
    hp = plan(d)
    lat = {e.node: e.latency for e in hp.engines}
    at = hp.arrival
    assert at["sum"] == max(lat["d1"] + lat["d2"], lat["d3"]) + lat["sum"]
    assert at["cat"] == max(at["sum"], at["d1"]) + lat["cat"]
    assert hp.latency == at["sm"] == at["out"] + lat["sm"] and hp.interval == 4
    fifos = {(f.node, f.port): (f.source, f.depth) for f in hp.fifos}
    shorter = "d3" if lat["d3"] < lat["d1"] + lat["d2"] else "d2"
    port = 1 if shorter == "d3" else 0
    assert fifos[("sum", port)] == (shorter, abs(lat["d1"] + lat["d2"] - lat["d3"]) + 1)
    assert fifos[("cat", 1)] == ("d1", at["sum"] - at["d1"] + 1)
    assert len(fifos) == 2
    assert hp.consumers("x") == [("d1", 0), ("d3", 0)] and hp.consumers("d1") == [("d2", 0), ("cat", 1)]
    tree = emit(d, hp)
    top = top_name(d)
    depths = sorted({f.depth for f in hp.fifos})
    assert tree.paths("rtl") == sorted([f"rtl/{top}.v", f"rtl/{top}_fork.v"] + [f"rtl/{top}_fifo{k}.v" for k in depths]
                                       + [f"rtl/{top}_{e.node}.v" for e in hp.engines])
    assert hp["sm"].output.elements == 4 and hp["cat"].output.elements == 9


@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
def test_emit_is_deterministic_and_names_are_sanitized():
    rng = np.random.default_rng(3)
    g = chain(Flatten(), dense(rng, 6, 5, Activation(K.RELU)), dense(rng, 5, 3), shape=(2, 3),
              names=["flat", "1st layer.dense/a", "module"], name="my model")
    d = rtl4ml.convert(g, {"model": {"weight": "fixed<8,2>"}})
    a, b = emit(d), emit(rtl4ml.convert(g, {"model": {"weight": "fixed<8,2>"}}))
    assert a == b
    assert top_name(d) == "my_model"
    assert a.paths() == ["rtl/my_model.v", "rtl/my_model_1st_layer_dense_a.v", "rtl/my_model_module.v"]
    assert isinstance(plan(d)["flat"], WireImpl)


def test_a_saturating_fused_relu_output_has_a_constant_zero_sign_bit():
    """Never negative: the engine computes it without a sign bit and the port carries a
    constant, which synthesis removes from the next layer's registers too."""
    rng = np.random.default_rng(0)
    g = chain(dense(rng, 4, 3, Activation(K.RELU)), shape=(4,))
    text = emit(rtl4ml.convert(g, {"model": {"precision": "fixed<8,3,RND,SAT>"}})).text("rtl/mlp_n0.v")
    assert "assign m_axis_tdata = {{1'b0, y2}, {1'b0, y1}, {1'b0, y0}};" in text


def test_a_softmax_reads_its_inverse_table_at_a_register_that_holds_the_clamped_index():
    """The total's offset and clamp are computed in the total's cycle and registered in
    place of its bits, so synthesis maps the inverse table as a ROM of its address bits.
    Behind the adder and clamp, Yosys maps them and the ROM as one function of the
    total's bits: a 256-entry, 18-bit table alone took 336 LUTs on xc7 that way, 66 at a
    register."""
    g = Graph([Node("x", Input((2,))), Node("s", Softmax(), ("x",))], ["s"], "sm")
    for levels in (1, 2):  # the total ends its cycle
        design = rtl4ml.convert(g, {"model": {"precision": "fixed<12,1>", "table_size": 256}})
        text = emit(design, plan(design, adder_levels=levels)).text("rtl/sm_s.v")
        (address,) = re.findall(r"inverse_rom\((\w+)\)", text)
        assert re.search(rf"^\s*reg \[7:0\] {address};$", text, re.MULTILINE), levels
        assert re.search(rf"^\s*{address} <= \w+_idx;$", text, re.MULTILINE), levels


# ---- whole networks in simulation ----------------------------------------------------
def _sim_cases():
    rng = np.random.default_rng(11)
    # odd seeds: canonical signed digits only, even: the best adder graph available
    cases = [pytest.param(*random_case(s), {"optimizer": "csd"} if s % 2 else {}, id=f"random{s}") for s in range(4)]
    cases += [pytest.param(*random_branched_case(s), {}, id=f"random-branched{s}") for s in range(3)]
    g = chain(dense(rng, 6, 5), Activation(K.RELU), dense(rng, 5, 4, Activation(K.CLIP, min_value=-np.inf, max_value=0.75)))
    own = {"n0": {"result": "fixed<10,4,RND_MIN_INF,SAT>"}, "n2": {"accumulator": "fixed<14,6,RND_CONV,SAT>"}}
    cases.append(pytest.param(g, {"model": {"weight": "fixed<8,2>"}, "layers": own}, {}, id="pre-activation+accumulator"))
    folded = {**own, "n2": {**own["n2"], "reuse_factor": 4}}
    cases.append(pytest.param(g, {"model": {"weight": "fixed<8,2>"}, "layers": folded}, {}, id="folded-rounded-products"))
    relu_sat_zero = {"model": {"weight": "fixed<8,2>", "result": "fixed<9,3,RND_CONV,SAT_ZERO>"}}
    cases.append(pytest.param(g, relu_sat_zero, {"use_dsp": True}, id="dsp"))
    cases.append(pytest.param(g, {"model": {"weight": "fixed<8,2>", "result": "ufixed<7,2,RND_INF,SAT>"}}, {},
                              id="relu-unsigned"))
    cases.append(pytest.param(g, {"model": {"weight": "fixed<8,2>"}}, {}, id="relu-default-types"))
    g2 = chain(Flatten(), dense(rng, 6, 5), BatchNorm(rng.normal(1, 0.3, 5), rng.normal(0, 0.3, 5)),
               Activation(K.LEAKY_RELU, alpha=0.3), shape=(2, 3), names=["flat", "dense 1", "module", "1st.act"])
    cfg2 = {"model": {"weight": "fixed<8,2>", "result": "fixed<12,4>"},
            "passes": {"fold_batchnorm": False, "fuse_activations": False}}
    cases.append(pytest.param(g2, cfg2, {"adder_levels": 1}, id="batchnorm-standalone-odd-names"))
    g3 = chain(dense(rng, 6, 5, Activation(K.TANH)), dense(rng, 5, 4), Activation(K.SIGMOID))
    cfg3 = {"model": {"weight": "fixed<8,2>", "table_size": 64, "result": "fixed<10,2,RND_CONV,SAT>"},
            "layers": {"n1": {"reuse_factor": 4}}, "passes": {"fuse_activations": False}}
    cases.append(pytest.param(g3, cfg3, {}, id="tanh-sigmoid-tables"))
    branchy = {"model": {"weight": "fixed<8,2>", "table_size": 64},
               "layers": {"d3": {"reuse_factor": 4}, "sum": {"result": "fixed<12,5,RND_CONV,SAT>"}}}
    cases.append(pytest.param(branched(rng), branchy, {}, id="branches-folded-softmax"))
    cases.append(pytest.param(residual(rng), {"model": {"weight": "fixed<8,2>", "table_size": 128}}, {},
                              id="residual-concat-input-fork"))
    g4 = chain(dense(rng, 6, 6), Reshape((2, 3)), Softmax(), shape=(6,))
    cfg4 = {"model": {"weight": "fixed<8,2>", "result": "fixed<12,4>", "table": "ufixed<10,1>",
                      "inv_table": "ufixed<12,2,RND,SAT>", "table_range": 4}}
    cases.append(pytest.param(g4, cfg4, {"adder_levels": 3}, id="softmax-groups"))
    g5 = chain(dense(rng, 6, 7), dense(rng, 7, 5), Softmax())  # 5-bit logits: many ties
    cfg5 = {"model": {"weight": "fixed<8,2>", "result": "fixed<5,2,RND,SAT>"}, "passes": {"argmax_output": True}}
    cases.append(pytest.param(g5, cfg5, {}, id="argmax-ties"))
    rng = np.random.default_rng(12)  # weights in block RAM: 288 words (not a power of two)
    rom = chain(dense(rng, 24, 48, Activation(K.RELU), scale=0.3), dense(rng, 48, 4, scale=0.3), shape=(24,))
    cases.append(pytest.param(rom, {"model": {"weight": "fixed<8,2>"}, "layers": {"n0": {"reuse_factor": 288}}}, {},
                              id="folded-block-ram-rom"))
    return cases


@pytest.mark.sim
@needs_verilator
@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
@pytest.mark.parametrize("graph,config,options", _sim_cases())
def test_network_in_simulation_is_bit_exact_and_matches_cycle_model(graph, config, options, tmp_path):
    tools = pytest.importorskip("rtl4ml.tools.simulate")
    packing = pytest.importorskip("rtl4ml.tools.packing")
    design = rtl4ml.convert(graph, config)
    hp = plan(design, **options)
    tree = emit(design, hp)
    top = top_name(design)
    assert lint_tree(tree, top, tmp_path) == []
    out = tree.write(tmp_path / "design")
    files = [str(out / p) for p in tree.paths("rtl")]
    n = 150
    x = np.random.default_rng(5).normal(0, 2, (n,) + graph.shapes["x"])
    x_raw = run_fixed(design.graph, {"x": x}, keep_all=True)["x"].raw.astype(np.int64).reshape(n, -1)
    expected = design.predict_raw(x).reshape(n, -1)
    with tools.compile_testbench(files, top, hp.input.bits, hp.output.bits, n) as tb:
        for stalls in (False, True):
            res = tb.run(packing.pack(x_raw, hp.input.type.width), stalls=stalls, seed=7)
            got = packing.unpack(res.outputs, hp.output.elements, hp.output.type.width, hp.output.type.signed)
            assert got.shape == expected.shape, f"stalls={stalls}: {len(res.outputs)} outputs for {n} inputs"
            bad = np.nonzero((got != expected).any(axis=1))[0]
            assert not bad.size, f"stalls={stalls}: sample {bad[0]}: got {got[bad[0]]}, expected {expected[bad[0]]}"
            if not stalls:
                assert (res.latency, res.interval) == (hp.latency, hp.interval)


@needs_verilator
@pytest.mark.sim
@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
def test_edge_designs_are_lint_clean(tmp_path):
    rng = np.random.default_rng(9)
    w = rng.normal(0, 0.8, (4, 3))
    w[:, 1] = 0  # a constant output column
    one = chain(Dense(rng.normal(0, 0.8, (1, 1)), [0.25]), Dense(rng.normal(0, 0.8, (1, 3)), rng.normal(0, 0.5, 3)),
                shape=(1,))
    zero = chain(Dense(w, [0.0, 0.5, 0.0], Activation(K.RELU)), Activation(K.TANH), shape=(4,))
    designs = [
        (one, {"model": {"weight": "fixed<8,2>", "strategy": "resource"}}, {}),
        (one, {"model": {"weight": "fixed<8,2>"}, "layers": {"n1": {"reuse_factor": 3}}}, {}),
        (zero, {"model": {"weight": "fixed<6,2>", "table_size": 32}}, {}),
        (zero, {"model": {"weight": "fixed<6,2>", "table_size": 32}, "layers": {"n0": {"reuse_factor": 6}}}, {}),
        (zero, {"model": {"weight": "fixed<6,2>", "table_size": 32}}, {"use_dsp": True, "adder_levels": 5}),
    ]
    for k, (graph, config, options) in enumerate(designs):
        design = rtl4ml.convert(graph, config)
        assert lint_tree(emit(design, **options), top_name(design), tmp_path / str(k)) == [], (config, options)


# ---- folded weights in block RAM -----------------------------------------------------
def _folded(n_in: int, n_out: int, reuse: int, constant: slice = slice(0)):
    """A folded Dense ``fc`` (weights fixed<8,2>); the ``constant`` columns are all 0.5."""
    rng = np.random.default_rng(4)
    w = rng.uniform(-1.9, 1.9, (n_in, n_out))
    w[:, constant] = 0.5
    graph = chain(Dense(w, rng.uniform(-0.5, 0.5, n_out)), shape=(n_in,), names=["fc"], name="folded")
    return graph, rtl4ml.convert(graph, {"model": {"weight": "fixed<8,2>"}, "layers": {"fc": {"reuse_factor": reuse}}})


def test_folded_weight_rom_image_holds_the_weight_matrix():
    # 8 multipliers of 288 products each; multiplier 1 (columns 12..23) has a constant
    # weight, which the logic uses directly, but its field is in the image all the same
    graph, design = _folded(24, 96, 288, constant=slice(12, 24))
    tree = emit(design)
    assert tree == emit(_folded(24, 96, 288, constant=slice(12, 24))[1])  # byte-identical
    assert tree.paths() == ["rtl/folded.v", "rtl/folded_fc.v", "rtl/folded_fc_w.mem"]
    verilog = tree.text("rtl/folded_fc.v")
    assert '$readmemh("folded_fc_w.mem", rom);' in verilog
    assert '(* rom_style = "block" *) reg [63:0] rom [0:287];' in verilog
    assert "assign ws1 = rom_word[15:8];" not in verilog and "assign ws0 = rom_word[7:0];" in verilog
    # word r, field m (8 bits, two's complement): the weight of product k = m * R + r,
    # k = j * n_in + i for output j, input i
    lines = tree.text("rtl/folded_fc_w.mem").splitlines()
    assert len(lines) == 288 and all(len(line) == 16 for line in lines)
    raw = FixedType.parse("fixed<8,2>").quantize(graph["fc"].op.weight)
    got = np.zeros_like(raw)
    for r, line in enumerate(lines):
        word = int(line, 16)
        for m in range(8):
            field = (word >> (8 * m)) & 0xFF
            k = m * 288 + r
            got[k % 24, k // 24] = field - 256 if field >= 128 else field
    assert np.array_equal(got, raw)


@pytest.mark.parametrize("n_in,n_out,reuse", [(24, 48, 144), (8, 64, 256), (6, 4, 24)])
def test_small_folded_roms_stay_logic(n_in, n_out, reuse):
    # 144 words (too shallow), 256 words of 16 bits (too few bits), a tiny layer
    tree = emit(_folded(n_in, n_out, reuse)[1])
    assert tree.paths() == ["rtl/folded.v", "rtl/folded_fc.v"]
    assert "$readmemh" not in tree.text("rtl/folded_fc.v") and "case (cnt)" in tree.text("rtl/folded_fc.v")


@pytest.mark.synth
@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_folded_weight_rom_synthesizes_to_block_ram(tmp_path):
    synth = pytest.importorskip("rtl4ml.tools.synth")
    _, design = _folded(32, 32, 256)
    out = emit(design).write(tmp_path / "rom")
    result = synth.synthesize(out / "rtl", "folded", "xc7")
    assert result.bram >= 1 and {"RAMB18E1", "RAMB36E1"} & set(result.cells), result.cells
    assert result.latches == 0 and result.dsp == 4


def test_concat_order_follows_the_axis():
    from rtl4ml.hw.plan import concat_order

    assert concat_order([(2,), (3,)], -1) == ((0, 0), (0, 1), (1, 0), (1, 1), (1, 2))
    # (2, 2) and (2, 1) along the last axis interleave per row; along axis 0 they stack
    assert concat_order([(2, 2), (2, 1)], -1) == ((0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1))
    assert concat_order([(1, 2), (2, 2)], 0) == ((0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3))

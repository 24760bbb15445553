"""Hardware figures: Yosys resources, cycle counts and ECP5 Fmax of generated designs.

Run: python benchmarks/hardware.py [--skip-mlp] [--adder-levels N] [--compare-da4ml]
(a) one Dense 16->16 with 8-bit weights and 8-bit inputs; (b) the 16-64-32-32-5 ReLU MLP
with fixed<16,6> data and 8-bit weights. Prints LUT/FF/DSP/CARRY from Yosys
`synth_xilinx` with and without DSPs, latency and interval (measured in Verilator,
checked against the cycle model), and the ECP5 Fmax of (a) at the default pipelining
and at the MLP's. The MLP is built with MLP_ADDER_LEVELS adder levels per register
stage (each of its layers then takes one or two cycles); it takes minutes.
``--compare-da4ml`` also runs benchmarks/da4ml_compare.py (da4ml's own Verilog).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

import rtl4ml
from rtl4ml.backends.verilog.streams import PORTS
from rtl4ml.hw.plan import plan
from rtl4ml.ir import Activation, ActivationKind, Dense, Graph, Input, Node
from rtl4ml.tools.pnr import place_and_route

#: Adder levels per register stage for the MLP: latency 6 at II 1 (the default, 2, gives 22).
MLP_ADDER_LEVELS = 10


#: The exact output type of (a): the accumulator of 8-bit inputs (fixed<8,3>) and weights
#: (fixed<8,2>) over 16 terms, nothing rounded or saturated.
DENSE_EXACT_RESULT = "fixed<19,8>"


def dense16(seed: int = 42, use_dsp: bool = False, adder_levels: int | None = None,
            result: str = "fixed<21,7>") -> rtl4ml.Design:
    """(a); the default result type saturates (7 integer bits for an 8-bit sum)."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, (16, 16)) / 64.0  # 8-bit weights, fixed<8,2>
    g = Graph([Node("x", Input((16,))), Node("fc", Dense(w, np.zeros(16)), ("x",))], ["fc"], "dense16")
    model = {"input": "fixed<8,3>", "weight": "fixed<8,2>", "bias": "fixed<8,2>", "result": result, "use_dsp": use_dsp}
    if adder_levels:
        model["adder_levels"] = adder_levels
    return rtl4ml.convert(g, {"model": model})


def jet_mlp(seed: int = 42, use_dsp: bool = False, adder_levels: int | None = None) -> rtl4ml.Design:
    rng = np.random.default_rng(seed)
    sizes = [16, 64, 32, 32, 5]
    nodes = [Node("x", Input((16,)))]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        act = Activation(ActivationKind.RELU) if i < 3 else None
        w = rng.integers(-128, 128, (a, b)) / 128.0  # 8-bit weights, fixed<8,1>
        nodes.append(Node(f"fc{i + 1}", Dense(w, np.zeros(b), act), (nodes[-1].name,)))
    g = Graph(nodes, [nodes[-1].name], "jet_mlp")
    model = {"precision": "fixed<16,6>", "weight": "fixed<8,1>", "use_dsp": use_dsp}
    if adder_levels:
        model["adder_levels"] = adder_levels
    return rtl4ml.convert(g, {"model": model})


def report(name: str, make) -> None:
    """Without DSPs: shift-and-add products, `synth_xilinx -nodsp`; with DSPs: multipliers
    (`use_dsp`) that Yosys maps to DSP48E1."""
    for dsp in (False, True):
        design = make(use_dsp=dsp)
        sim = design.simulate(samples=200, stalls=True)
        t = time.perf_counter()
        r = design.synthesize("xc7", dsp=dsp).as_dict()
        print(f"{name}, {'with' if dsp else 'without'} DSPs: latency {sim.latency_cycles} (model "
              f"{sim.predicted_latency_cycles}), interval {sim.interval_cycles} (model {sim.predicted_interval_cycles}), "
              f"mismatches {sim.mismatches}; xc7 LUT {r['lut']}, FF {r['ff']}, DSP {r['dsp']}, CARRY {r['carry']} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)


_TIMING_TOP = """module timing_top (
{ports}
);
    // for timing only: registered inputs, so the first stage is a register-to-register path
    reg [{n_in}:0] data_q;
    reg valid_q;
    always @(posedge clk) begin
        data_q <= s_axis_tdata;
        valid_q <= s_axis_tvalid;
    end
    {top} u_dut (.clk(clk), .rst(rst), .s_axis_tdata(data_q), .s_axis_tvalid(valid_q),
        .s_axis_tready(s_axis_tready), .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready));
endmodule
"""


def report_fmax(name: str, design: rtl4ml.Design, setting: str) -> None:
    """ECP5 Fmax with the design's inputs registered: nextpnr times register-to-register
    paths only, and the first stage of an engine starts at the input port."""
    hp = plan(design)
    with tempfile.TemporaryDirectory(prefix="rtl4ml-fmax-") as tmp:
        folder = design.write(Path(tmp) / "build", samples=2)
        top = json.loads((folder / "design.json").read_text())["top"]
        rtl = folder / "rtl"
        ports = PORTS.format(i=hp.input.bits - 1, o=hp.output.bits - 1)
        (rtl / "timing_top.v").write_text(_TIMING_TOP.format(ports=ports, n_in=hp.input.bits - 1, top=top))
        r = place_and_route(rtl, "timing_top", dsp=False)
    print(f"{name}, {setting}: ecp5 without DSPs (inputs registered) LUT {r.synth.lut}, FF {r.synth.ff}, "
          f"Fmax {r.fmax_mhz if r.fmax_mhz is not None else float('nan'):.1f} MHz", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-mlp", action="store_true")
    ap.add_argument("--adder-levels", type=int, default=MLP_ADDER_LEVELS,
                    help=f"adder levels per stage for the MLP (default {MLP_ADDER_LEVELS})")
    ap.add_argument("--compare-da4ml", action="store_true", help="also compare with da4ml's own Verilog")
    args = ap.parse_args()
    a = "(a) Dense 16->16, 8-bit"
    report(a, dense16)
    exact = f"{a}, exact output {DENSE_EXACT_RESULT}"
    report(exact, lambda use_dsp: dense16(use_dsp=use_dsp, result=DENSE_EXACT_RESULT))
    report_fmax(a, dense16(), "default adder levels")
    report_fmax(a, dense16(adder_levels=args.adder_levels), f"{args.adder_levels} adder levels per stage")
    if not args.skip_mlp:
        report("(b) 16-64-32-32-5 MLP", lambda use_dsp: jet_mlp(use_dsp=use_dsp, adder_levels=args.adder_levels))
    if args.compare_da4ml:
        from da4ml_compare import compare

        compare(a, dense16(), 5.0, None)
        compare(exact, dense16(result=DENSE_EXACT_RESULT), 5.0, None)
        if not args.skip_mlp:
            compare("(b) 16-64-32-32-5 MLP", jet_mlp(adder_levels=args.adder_levels), 5.0, None)


if __name__ == "__main__":
    main()

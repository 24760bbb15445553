"""Hardware figures: Yosys resources, cycle counts and ECP5 Fmax of generated designs.

Run: python benchmarks/hardware.py [--skip-mlp] [--adder-levels N]
(a) one Dense 16->16 with 8-bit weights and 8-bit inputs; (b) the 16-64-32-32-5 ReLU MLP
with fixed<16,6> data and 8-bit weights. Prints LUT/FF/DSP/CARRY from Yosys
`synth_xilinx` with and without DSPs, latency and interval (measured in Verilator,
checked against the cycle model), and the ECP5 Fmax of (a). The MLP takes minutes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rtl4ml
from rtl4ml.ir import Activation, ActivationKind, Dense, Graph, Input, Node


def dense16(seed: int = 42, use_dsp: bool = False) -> rtl4ml.Design:
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, (16, 16)) / 64.0  # 8-bit weights, fixed<8,2>
    g = Graph([Node("x", Input((16,))), Node("fc", Dense(w, np.zeros(16)), ("x",))], ["fc"], "dense16")
    model = {"input": "fixed<8,3>", "weight": "fixed<8,2>", "bias": "fixed<8,2>", "result": "fixed<21,7>", "use_dsp": use_dsp}
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


def report(name: str, make, fmax: bool) -> None:
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
              f"({time.perf_counter() - t:.0f} s)")
    if fmax:
        r = make(use_dsp=False).synthesize("ecp5", dsp=False, pnr=True).as_dict()
        print(f"{name}: ecp5 without DSPs LUT {r['lut']}, FF {r['ff']}, Fmax {r.get('fmax_mhz', float('nan')):.1f} MHz")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-mlp", action="store_true")
    ap.add_argument("--adder-levels", type=int, default=None, help="adder levels per stage for the MLP")
    args = ap.parse_args()
    report("(a) Dense 16->16, 8-bit", dense16, fmax=True)
    if not args.skip_mlp:
        report("(b) 16-64-32-32-5 MLP", lambda use_dsp: jet_mlp(use_dsp=use_dsp, adder_levels=args.adder_levels), fmax=False)


if __name__ == "__main__":
    main()

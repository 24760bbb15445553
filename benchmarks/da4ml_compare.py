"""Same weights, two generators: rtl4ml's Verilog against da4ml's, through the same Yosys.

Run: python benchmarks/da4ml_compare.py [--skip-mlp] [--latency-cutoff C] [--adder-levels N]

The designs are those of benchmarks/hardware.py ((a) Dense 16->16, (b) the
16-64-32-32-5 ReLU MLP). Each is traced into da4ml (0.6) with the same weights and the
same fixed-point types, checked to compute exactly what rtl4ml's emulator computes, and
written as da4ml's own pipelined Verilog (``RTLModel``, ``latency_cutoff`` in da4ml's
delay units). Both are synthesized with Yosys ``synth_xilinx -nodsp`` by rtl4ml's
synthesis runner. Latency is counted the same way for both: register layers from the
input to the output (da4ml registers its inputs, rtl4ml does not).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hardware import dense16, jet_mlp

import rtl4ml
from rtl4ml.fixed import FixedType, Overflow, Rounding
from rtl4ml.hw.plan import plan
from rtl4ml.ir import ActivationKind, Dense, Input
from rtl4ml.tools.synth import synthesize

_OVERFLOW = {Overflow.SAT: "SAT", Overflow.WRAP: "WRAP"}
_ROUNDING = {Rounding.RND: "RND", Rounding.TRN: "TRN"}


@dataclass(frozen=True)
class Figures:
    """One generator's figures for one design."""

    lut: int
    ff: int
    carry: int
    latency: int  # register layers from input to output
    seconds: float


def _kif(t: FixedType) -> tuple[int, int, int]:
    """da4ml's (keep sign, integer bits without the sign, fraction bits)."""
    return int(t.signed), t.int_bits - int(t.signed), t.width - t.int_bits


def _quantize(v, t: FixedType):
    from da4ml.trace.ops import quantize

    if t.overflow not in _OVERFLOW or t.rounding not in _ROUNDING:
        raise ValueError(f"{t}: only SAT/WRAP and RND/TRN have a da4ml equivalent here")
    return quantize(v, *_kif(t), _OVERFLOW[t.overflow], _ROUNDING[t.rounding])


def trace(design: rtl4ml.Design, solver_options: dict | None = None):
    """da4ml's combinational logic computing ``design`` (a chain of Dense layers with
    optional fused ReLU): the same weights, biases and types."""
    from da4ml.trace import FixedVariableArrayInput, comb_trace
    from da4ml.trace.ops import quantize, relu

    nodes = list(design.graph.nodes)
    if not isinstance(nodes[0].op, Input):
        raise TypeError("the design must start with its input")
    inp = FixedVariableArrayInput(design.graph.shapes[nodes[0].name], solver_options=solver_options)
    v = quantize(inp, *_kif(nodes[0].precision.result))  # the input is in its type already
    for node in nodes[1:]:
        op = node.op
        if not isinstance(op, Dense):
            raise TypeError(f"{node.name}: only Dense layers are traced, got {op.label}")
        v = v @ op.weight
        if np.any(op.bias):
            v = v + op.bias
        if op.activation is not None:
            if op.activation.kind is not ActivationKind.RELU:
                raise ValueError(f"{node.name}: only a fused ReLU is traced")
            v = relu(v)
        v = _quantize(v, node.precision.result)
    return comb_trace(inp, v)


def check_same_function(design: rtl4ml.Design, comb, samples: int = 2000, seed: int = 7) -> None:
    """Raise AssertionError unless da4ml's logic and rtl4ml's emulator agree bit for bit."""
    t = design.graph[design.graph.inputs[0]].precision.result
    rng = np.random.default_rng(seed)
    lo, hi = (-(1 << (t.width - 1)), (1 << (t.width - 1)) - 1) if t.signed else (0, (1 << t.width) - 1)
    raw = rng.integers(lo, hi + 1, (samples, comb.shape[0]))
    # and the extremes of each first-layer output (to reach saturation)
    w = np.sign(design.graph[design.graph.nodes[1].name].op.weight.T)
    raw = np.concatenate([raw, np.where(w > 0, hi, lo), np.where(w > 0, lo, hi)])
    samples = len(raw)
    x = raw * 2.0 ** -(t.width - t.int_bits)
    ours = np.asarray(design.predict(x), dtype=np.float64).reshape(samples, -1)
    theirs = np.asarray(comb.predict(x), dtype=np.float64).reshape(samples, -1)
    bad = int(np.count_nonzero(ours != theirs))
    assert bad == 0, f"da4ml's logic differs from rtl4ml's emulator in {bad} outputs"


def da4ml_figures(name: str, comb, latency_cutoff: float) -> Figures:
    """Write da4ml's pipelined Verilog and synthesize it (xc7, no DSPs)."""
    from da4ml.codegen import RTLModel

    with tempfile.TemporaryDirectory(prefix="da4ml-") as tmp:
        model = RTLModel(comb, name, tmp, flavor="verilog", latency_cutoff=latency_cutoff, print_latency=False)
        model.write()
        stages = len(model._pipe.solutions) if model._pipe is not None else 0
        src = Path(tmp) / "src"
        files = [p for p in sorted(src.glob("*.v")) if not p.name.endswith("_wrapper.v")]
        text = "".join(p.read_text() for p in files)
        files += [p for p in sorted((src / "static").glob("*.v")) if p.stem in text]  # the modules it uses
        t = time.perf_counter()
        r = synthesize(files, name, "xc7", dsp=False)
    # the top registers its inputs and each stage's outputs
    return Figures(r.lut, r.ff, r.carry, stages + 1 if stages else 0, time.perf_counter() - t)


def rtl4ml_figures(design: rtl4ml.Design) -> Figures:
    t = time.perf_counter()
    r = design.synthesize("xc7", dsp=False).as_dict()
    return Figures(r["lut"], r["ff"], r["carry"], plan(design).latency, time.perf_counter() - t)


def compare(label: str, design: rtl4ml.Design, latency_cutoff: float, solver_options: dict | None) -> None:
    comb = trace(design, solver_options)
    check_same_function(design, comb)
    theirs = da4ml_figures(design.graph.name, comb, latency_cutoff)
    ours = rtl4ml_figures(design)
    print(f"{label}: same function checked; xc7 synth_xilinx -nodsp")
    print(f"  {'':8} {'LUT':>8} {'FF':>7} {'CARRY':>6} {'latency':>8}")
    for who, f in (("rtl4ml", ours), ("da4ml", theirs)):
        print(f"  {who:8} {f.lut:>8} {f.ff:>7} {f.carry:>6} {f.latency:>8}   ({f.seconds:.0f} s)")
    print(f"  da4ml: latency_cutoff {latency_cutoff:g}, estimated cost {comb.cost:.0f} LUTs, "
          f"{sum(op.opcode in (0, 1) for op in comb.ops)} adders")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-mlp", action="store_true")
    ap.add_argument("--latency-cutoff", type=float, default=5.0, help="da4ml's pipelining cutoff (default 5)")
    ap.add_argument("--adder-levels", type=int, default=None, help="rtl4ml adder levels per stage for the MLP")
    ap.add_argument("--hard-dc", type=int, default=None, help="da4ml's delay constraint (default: its own, -1)")
    args = ap.parse_args()
    options = None if args.hard_dc is None else {"hard_dc": args.hard_dc}
    compare("(a) Dense 16->16, 8-bit", dense16(), args.latency_cutoff, options)
    if not args.skip_mlp:
        compare("(b) 16-64-32-32-5 MLP", jet_mlp(adder_levels=args.adder_levels), args.latency_cutoff, options)


if __name__ == "__main__":
    main()

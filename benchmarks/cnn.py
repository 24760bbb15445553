"""Streaming CNN figures: the digits CNN end to end with the command line, and what
fusing Conv+ReLU saves.

Run: python benchmarks/cnn.py [--skip-fusion | --skip-end-to-end] [--keep DIR]

1. The digits CNN (examples/models/digits_cnn.onnx, 8x8 pixels, two 3x3 convolutions
   with ReLU and 2x2 max pooling, a Dense to 10 classes) at CNN_PRECISION with
   CNN_WEIGHTS and the argmax output, through ``rtl4ml build``, ``rtl4ml verify --stalls``
   and ``rtl4ml synth --target ecp5 --pnr --placer static --router router2``: accuracy of
   the fixed-point design on the digits test split next to the float model, latency and
   interval (measured in Verilator, equal to the cycle model), Fmax, throughput at that
   Fmax, LUT/FF/DSP/BRAM;
   without and with 2-beat FIFOs between layers (``layer_fifo_depth``).
2. Conv+ReLU fusion on and off (``passes: {fuse_activations: false}``), Yosys
   ``synth_ecp5`` and ``synth_xilinx``: the digits CNN and a CNN of four Conv+ReLU pairs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import rtl4ml
from rtl4ml.hw import plan
from rtl4ml.ir import Activation, ActivationKind, Conv, Dense, Flatten, Graph, Input, Node, Padding

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))
from datasets import DATASET, as_input, test_split  # noqa: E402

MODEL = ROOT / "examples" / "models" / "digits_cnn.onnx"
# The narrowest types found that keep the float model's accuracy on the test split (0.96,
# as fixed<10,4> data with fixed<8,2> weights do, at 40 % fewer LUTs)
CNN_PRECISION = "fixed<8,4>"
CNN_WEIGHTS = "fixed<5,1>"
# the argmax's compare-select levels one per register stage: two per stage (the default)
# were the critical path at 43 MHz
CNN_LAYERS = {"/Softmax": {"adder_levels": 1}}
CLI = [sys.executable, "-m", "rtl4ml.cli"]
PNR_TIMEOUT_S = 4 * 3600  # nextpnr-ecp5 (the PyPI build) places and routes this design slowly
# nextpnr's analytic placer and newer router: they route the 2-FIFO design in about 12
# minutes at 74 MHz, where its defaults (heap, router1) had not finished after an hour
PNR_CHOICES = ("--placer", "static", "--router", "router2")


def cli(*args: str) -> str:
    t = time.perf_counter()
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"rtl4ml {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    print(f"  rtl4ml {' '.join(args)}  ({time.perf_counter() - t:.0f} s)", flush=True)
    return proc.stdout


def config(fuse: bool = True, layer_fifo_depth: int = 0, layers: dict | None = None) -> dict:
    return {"model": {"precision": CNN_PRECISION, "weight": CNN_WEIGHTS, "layer_fifo_depth": layer_fifo_depth},
            "layers": layers or {}, "passes": {"argmax_output": True, "fuse_activations": fuse}}


def accuracy() -> tuple[float, float, int]:
    x, y = test_split(DATASET["digits_cnn"])
    x = as_input("digits_cnn", x, "torch")
    float_acc = float(np.mean(rtl4ml.convert(MODEL).predict_float(x).argmax(axis=1) == y))
    fixed_acc = float(np.mean(rtl4ml.convert(MODEL, config(layers=CNN_LAYERS)).predict(x) == y))
    return float_acc, fixed_acc, len(y)


def build_verify_synth(work: Path, layer_fifo_depth: int) -> tuple[dict, dict, dict]:
    """The three commands on the digits CNN; (design.json, verify report, synth report)."""
    name = f"digits_cnn_fifo{layer_fifo_depth}"
    cfg = work / f"{name}.json"
    cfg.write_text(json.dumps(config(layer_fifo_depth=layer_fifo_depth, layers=CNN_LAYERS)))
    build = work / name
    cli("build", str(MODEL), "-o", str(build), "--config", str(cfg), "--overwrite")
    v = json.loads(cli("verify", str(build), "--stalls", "--samples", "300", "--json"))
    s = json.loads(cli("synth", str(build), "--target", "ecp5", "--pnr", *PNR_CHOICES, "--timeout", str(PNR_TIMEOUT_S),
                       "--json"))
    return json.loads((build / "design.json").read_text()), v, s


def end_to_end(work: Path) -> None:
    settings = (0, 2)  # no FIFOs between layers, and 2-beat FIFOs that cut the ready path
    with ThreadPoolExecutor(len(settings)) as pool:  # place and route takes long: both at once
        futures = [pool.submit(build_verify_synth, work, d) for d in settings]
    runs = [f.result() for f in futures]
    float_acc, fixed_acc, n = accuracy()
    print(f"\ndigits CNN, {CNN_PRECISION} data, {CNN_WEIGHTS} weights, argmax output; accuracy on the digits "
          f"test split ({n} images): float {float_acc:.4f}, fixed point {fixed_acc:.4f}")
    print("| FIFOs between layers | latency | interval | ECP5 Fmax | throughput | LUT4 | CCU2C | FF | DSP | BRAM |"
          " verify |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for depth, (design, v, s) in zip(settings, runs):
        fmax, interval = s.get("fmax_mhz"), v["interval_cycles"]
        thr = f"{fmax * 1e6 / interval:,.0f} samples/s" if fmax else "n/a"
        print(f"| {depth or 'none'} | {v['latency_cycles']} (model {v['predicted_latency_cycles']}) | {interval} "
              f"(model {v['predicted_interval_cycles']}) | {fmax or float('nan'):.1f} MHz (ECP5-"
              f"{s.get('device', '?').upper()}) | {thr} | {s['lut']} | {s['carry']} | {s['ff']} | {s['dsp']} | "
              f"{s['bram']} | {v['samples']} samples with stalls, {v['mismatches']} mismatches |", flush=True)
    design = runs[0][0]
    print("\nper layer (each alone): " + "; ".join(
        f"{layer['name']} {layer['latency_cycles']}/{layer['interval_cycles']}" for layer in design["layers"]))


def four_conv_relu(seed: int = 3) -> Graph:
    """8x8x2 input, four 3x3 same convolutions with ReLU (4, 8, 8, 4 filters), a Dense."""
    rng = np.random.default_rng(seed)
    nodes, c = [Node("x", Input((8, 8, 2)))], 2
    for k, f in enumerate((4, 8, 8, 4)):
        w = rng.normal(0, 0.5, (3, 3, c, f))
        nodes.append(Node(f"conv{k}", Conv.with_padding(w, rng.normal(0, 0.2, f), (1, 1), Padding.SAME, (8, 8)),
                          (nodes[-1].name,)))
        nodes.append(Node(f"relu{k}", Activation(ActivationKind.RELU), (nodes[-1].name,)))
        c = f
    nodes.append(Node("flat", Flatten(), (nodes[-1].name,)))
    nodes.append(Node("out", Dense(rng.normal(0, 0.3, (8 * 8 * c, 4)), np.zeros(4)), ("flat",)))
    return Graph(nodes, ["out"], "four_conv_relu")


def fusion() -> None:
    print("\nConv+ReLU fusion (Yosys 0.23 synth_ecp5 and synth_xilinx; fusion off: the ReLU is an engine of its "
          "own, behind a FIFO when layers have FIFOs)", flush=True)
    print("| network | FIFOs between layers | fusion | engines | latency | interval | ECP5 LUT4 | ECP5 CCU2C | ECP5 FF "
          "| ECP5 BRAM | xc7 LUT | xc7 FF | xc7 BRAM |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    nets = [("digits CNN", MODEL, CNN_LAYERS), ("4 x Conv+ReLU", four_conv_relu(), None)]
    for name, model, layers in nets:
        for depth in (0, 2):
            for fuse in (True, False):
                design = rtl4ml.convert(model, config(fuse, depth, layers))
                hp = plan(design)
                e = design.synthesize("ecp5", dsp=True).as_dict()
                x = design.synthesize("xc7", dsp=True).as_dict()
                print(f"| {name} | {depth or 'none'} | {'on' if fuse else 'off'} | {len(hp.engines)} | {hp.latency} | "
                      f"{hp.interval} | {e['lut']} | {e['carry']} | {e['ff']} | {e['bram']} | {x['lut']} | {x['ff']} | "
                      f"{x['bram']} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-fusion", action="store_true")
    ap.add_argument("--skip-end-to-end", action="store_true")
    ap.add_argument("--keep", type=Path, help="build folders go here (default: a temporary folder)")
    args = ap.parse_args()
    warnings.simplefilter("ignore", rtl4ml.errors.PrecisionWarning)
    if not args.skip_end_to_end:
        with tempfile.TemporaryDirectory(prefix="rtl4ml-cnn-") as tmp:
            work = args.keep or Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            end_to_end(work)
    if not args.skip_fusion:
        fusion()


if __name__ == "__main__":
    main()

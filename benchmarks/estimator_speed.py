"""How fast ``rtl4ml.estimate`` is.

Run: python benchmarks/estimator_speed.py

1. 4 000 configurations of the jet-tagging MLP (examples/models/jet_mlp.onnx): 5 types x
   reuse factors 1, 2, 4, 8 x use_dsp on/off x 10 devices x 10 clocks. Timed in two new
   processes sharing an empty folder of solved adder graphs: in the first, da4ml solves
   the fully parallel layers' weight matrices (up to a second or two each, the large ones
   as one batch in worker processes; the exact latency of such a layer depends on the
   graph's depth) and the graphs are stored; the second reads them,
   as any later process on the machine does. Then in this process: on a newly loaded
   model (graphs in memory; every configuration converted and planned), and the same
   sweep again (plans reused). Also without fully parallel shift-and-add layers (reuse 2,
   4, 8, 16 instead of 1).
2. Per configuration: the median and maximum of single-configuration calls
   (``estimate(model, ...)`` with one value per key) over the same hardware settings:
   first on a freshly loaded model (each configuration converted and planned; the adder
   graphs found in the cache the sweeps filled), then the same calls again (the plans
   reused: what a search revisiting configurations pays).
3. The digits CNN: a sweep of 2 types x 3 reuse factors for its Dense x 5 devices.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from itertools import product
from pathlib import Path

if sys.argv[1:2] != ["--sweep"]:  # solved adder graphs go to a folder of this run (its sweeps' too)
    STORE = tempfile.TemporaryDirectory(prefix="rtl4ml-bench-graphs-")
    os.environ["RTL4ML_CACHE_DIR"] = STORE.name

import rtl4ml
from rtl4ml.devices import DEVICES
from rtl4ml.frontends.dispatch import load_model

ROOT = Path(__file__).resolve().parent.parent
TYPES = ["fixed<16,6>", "fixed<14,5>", "fixed<12,4>", "fixed<10,4>", "fixed<8,3>"]
CLOCKS = [100, 125, 150, 175, 200, 250, 300, 350, 400, 500]


def sweep(model, **grid) -> tuple[float, int]:
    t = time.perf_counter()
    table = rtl4ml.estimate(model, **grid)
    return time.perf_counter() - t, len(table)


def new_process_sweep(reuse: list[int]) -> float:
    """Seconds of one sweep in a new Python process (after its imports)."""
    out = subprocess.run([sys.executable, __file__, "--sweep", ",".join(map(str, reuse))], check=True,
                         stdout=subprocess.PIPE, text=True).stdout  # its errors reach the terminal
    return float(out.split()[-1])


def grid(reuse: list[int]) -> dict:
    return {"precision": TYPES, "reuse_factor": reuse, "use_dsp": [True, False], "device": list(DEVICES),
            "clock_mhz": CLOCKS}


def warm_up() -> None:
    """Warnings off, and the imports (pandas) done outside the timings."""
    warnings.simplefilter("ignore", rtl4ml.errors.PrecisionWarning)
    rtl4ml.estimate(load_model(ROOT / "examples/models/digits_mlp.onnx"), reuse_factor=2)


def main() -> None:
    warm_up()
    devices = list(DEVICES)
    print("1. jet MLP (16-64-32-32-5), 4 000 configurations per sweep")
    for label, reuse in (("reuse 1, 2, 4, 8", [1, 2, 4, 8]), ("reuse 2, 4, 8, 16", [2, 4, 8, 16])):
        solving, stored = new_process_sweep(reuse), new_process_sweep(reuse)
        mlp = load_model(ROOT / "examples/models/jet_mlp.onnx")
        sweep(mlp, **grid(reuse))  # the graphs into this process's memory
        mlp = load_model(ROOT / "examples/models/jet_mlp.onnx")  # a new model object: converted and planned anew
        warm, n = sweep(mlp, **grid(reuse))
        again, _ = sweep(mlp, **grid(reuse))
        print(f"   {label}: {n} configurations; new process, solving the adder graphs {solving:.2f} s; new process, "
              f"graphs stored {stored:.2f} s; newly loaded model, graphs in memory {warm:.2f} s "
              f"({warm / n * 1e3:.3f} ms per configuration); the same sweep again {again:.2f} s")
    print("2. single-configuration calls (jet MLP, every type x reuse 1, 2, 4, 8 x use_dsp)")
    fresh = load_model(ROOT / "examples/models/jet_mlp.onnx")
    for label in ("first time", "again"):
        times = []
        for p, r, dsp in product(TYPES, [1, 2, 4, 8], [True, False]):
            t = time.perf_counter()
            rtl4ml.estimate(fresh, precision=p, reuse_factor=r, use_dsp=dsp, device="xc7z020", clock_mhz=200)
            times.append(time.perf_counter() - t)
        print(f"   {label}: {len(times)} calls, median {statistics.median(times) * 1e3:.2f} ms, "
              f"max {max(times) * 1e3:.2f} ms")
    cnn = load_model(ROOT / "examples/models/digits_cnn.onnx")
    t = time.perf_counter()
    table = rtl4ml.estimate(cnn, {"model": {"weight": "fixed<8,2>"}}, precision=["fixed<10,4>", "fixed<8,3>"],
                            reuse_factor=[1, 2, 4], device=devices[:5])
    dt = time.perf_counter() - t
    print(f"3. digits CNN: {len(table)} configurations ({len(table) // 5} designs) in {dt:.2f} s, "
          f"{dt / (len(table) // 5) * 1e3:.0f} ms per design; not estimated: {int(table.latency_cycles.isna().sum())}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sweep"]:  # one timed sweep, for new_process_sweep
        warm_up()
        seconds, _ = sweep(load_model(ROOT / "examples/models/jet_mlp.onnx"),
                           **grid([int(r) for r in sys.argv[2].split(",")]))
        print(f"{seconds:.3f}")
    else:
        main()

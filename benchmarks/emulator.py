"""Emulator throughput: bit-exact vs float path on the 16-64-32-32-5 ReLU jet-tagger MLP.

Run: python benchmarks/emulator.py [--batch 100000] [--repeat 5]
Prints samples/s of ``Design.predict`` (bit-exact, fixed<16,6>) and of
``Design.predict_float`` (float64 reference), best of ``repeat`` runs, one thread.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import rtl4ml  # noqa: E402
from rtl4ml.ir import Activation, ActivationKind, Dense, Graph, Input, Node  # noqa: E402


def jet_mlp(seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    sizes = [16, 64, 32, 32, 5]
    nodes = [Node("input", Input((16,)))]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        act = Activation(ActivationKind.RELU) if i < len(sizes) - 2 else None
        w = rng.normal(0, 1 / np.sqrt(a), size=(a, b))
        nodes.append(Node(f"dense_{i + 1}", Dense(w, rng.normal(0, 0.1, size=b), act), (nodes[-1].name,)))
    return Graph(nodes, [nodes[-1].name], "jet_mlp")


def best_rate(fn, x, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(x)
        best = min(best, time.perf_counter() - t)
    return len(x) / best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    design = rtl4ml.convert(jet_mlp(), {"model": {"precision": "fixed<16,6>"}})
    x = np.random.default_rng(1).normal(0, 1, size=(args.batch, 16))
    fixed = best_rate(design.predict, x, args.repeat)
    flt = best_rate(design.predict_float, x, args.repeat)
    print(f"model: 16-64-32-32-5 ReLU MLP, fixed<16,6>, batch {args.batch}, best of {args.repeat}, 1 thread")
    print(f"bit-exact predict: {fixed:12,.0f} samples/s")
    print(f"float reference:   {flt:12,.0f} samples/s")
    print(f"float / bit-exact: {flt / fixed:.2f}x  (target: >= 1,000,000 samples/s and <= 5x)")


if __name__ == "__main__":
    main()

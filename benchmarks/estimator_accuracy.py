"""How accurate ``rtl4ml.estimate`` is on designs never used in training.

Run: python benchmarks/estimator_accuracy.py [--data DIR_OR_PARQUET] [--hold-out 5] [--max-seed N] [--networks]

1. The held-out split of the measured dataset (default benchmarks/data/estimator.parquet,
   made with ``rtl4ml dataset generate``; every 5th seed is held out, and the shipped
   correction was trained with ``rtl4ml estimator train --hold-out 5`` on the rest):
   per target (xc7, ecp5) and resource, R², sMAPE and the share of designs within 10 %,
   for the analytic model alone and with the learned correction; cycles and interval
   against Verilator on every design.
2. ``--networks``: whole networks against the sum of their layers, both synthesized with
   Yosys (the dataset measures layers alone), for two small networks.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from rtl4ml.errors import PrecisionWarning
from rtl4ml.estimate.correction import load_correction
from rtl4ml.estimate.designs import random_design
from rtl4ml.estimate.train import read_table, smape

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data" / "estimator.parquet"


def scores(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    ss_res = float(np.sum((true - pred) ** 2))
    ss_tot = float(np.sum((true - true.mean()) ** 2))
    within = np.where(true != 0, np.abs(pred - true) <= 0.1 * np.abs(true), pred == true)
    return {"r2": 1 - ss_res / ss_tot if ss_tot else float("nan"), "smape": smape(pred, true),
            "within10": 100 * float(within.mean()), "exact": 100 * float(np.mean(pred == true))}


#: the device each measured target is read on (its family's cells)
DEVICE = {"xc7": "xc7a100t", "ecp5": "ecp5-85", "ice40": "ice40up5k"}


def held_out_report(data, hold_out: int, max_seed: int | None = None) -> None:
    """Every held-out design (with a seed up to ``max_seed``, if given) through
    ``rtl4ml.estimate`` itself (with and without the learned correction) against what
    Yosys and Verilator measured."""
    import rtl4ml

    table = read_table(data, hold_out, "test")
    if max_seed is not None:
        table = table[table.seed <= max_seed]
    correction = load_correction()
    seeds = "" if max_seed is None else f", seeds up to {max_seed}"
    print(f"1. held-out designs: {len(table)} (every {hold_out}th seed of {data}{seeds}); correction trained on "
          f"{correction.designs if correction else 0} designs")
    cycles_ok, rows, learned_rows = 0, {}, {}
    for _, rec in table.iterrows():
        spec = random_design(int(rec.seed))
        for target, device in DEVICE.items():
            if f"{target}_lut" not in table.columns or np.isnan(rec[f"{target}_lut"]):
                continue
            plain = rtl4ml.estimate(spec.graph, spec.config, device=device, correction=False).iloc[0]
            learned = rtl4ml.estimate(spec.graph, spec.config, device=device).iloc[0]
            if target == "xc7":
                cycles_ok += (plain.latency_cycles, plain.interval_cycles) == (rec.latency, rec.interval)
            learned_rows[target] = learned_rows.get(target, 0) + (learned.resources == "learned")
            for r in ("lut", "ff", "dsp", "bram"):
                rows.setdefault((target, r), []).append((plain[r], learned[r], rec[f"{target}_{r}"]))
    print(f"   cycles: latency and interval equal Verilator's on {cycles_ok} of {len(table)} designs")
    print("   rows the correction covered: " + ", ".join(f"{t} {n}" for t, n in learned_rows.items()))
    print("| target | resource | designs | analytic R² | analytic sMAPE | analytic within 10 % | R² | "
          "sMAPE | within 10 % | exact |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (target, r), values in sorted(rows.items()):
        a, l, t = (np.array(v, dtype=np.float64) for v in zip(*values))
        sa, sl = scores(a, t), scores(l, t)
        print(f"| {target} | {r} | {len(t)} | {sa['r2']:.3f} | {sa['smape']:.2f} % | {sa['within10']:.0f} % | "
              f"{sl['r2']:.3f} | {sl['smape']:.2f} % | {sl['within10']:.0f} % | {sl['exact']:.0f} % |")


def layer_designs(design):
    """Each layer of ``design`` on its own, fed by an input of its producer's type (a
    Flatten goes with the layer after it, so a Dense after a pixel stream still gathers
    it). Joins are left out."""
    from rtl4ml.api import Design
    from rtl4ml.frontends.model import ImportedModel
    from rtl4ml.ir import Flatten, Graph, Input, Node, NodePrecision

    g = design.graph
    for node in g.nodes[1:]:
        if len(node.inputs) != 1 or isinstance(node.op, Flatten):
            continue
        body = [node]
        src = g[node.inputs[0]]
        if isinstance(src.op, Flatten):
            body, src = [src, node], g[src.inputs[0]]
        x = Node(src.name, Input(g.shapes[src.name]), (), NodePrecision(src.precision.result))
        sub = Graph([x, *body], [node.name], f"{g.name}_part")
        yield node.name, Design(sub, design.config, ImportedModel.channels_last(sub))


def networks_report() -> None:
    import rtl4ml

    print("2. whole networks against the sum of their layers, each synthesized alone (Yosys 0.23)")
    nets = [("digits MLP, fixed<8,3>, reuse 4", rtl4ml.convert(
        ROOT / "examples/models/digits_mlp.onnx", {"model": {"precision": "fixed<8,3>", "reuse_factor": 4}})),
        ("digits Conv1D, fixed<8,3>, weights fixed<6,2>", rtl4ml.convert(
            ROOT / "examples/models/digits_conv1d.onnx", {"model": {"precision": "fixed<8,3>", "weight": "fixed<6,2>"},
                                                         "passes": {"argmax_output": True}}))]
    print("| network | target | resource | whole | sum of layers | difference | estimate, analytic | estimate |")
    print("|---|---|---|---|---|---|---|---|")
    for name, design in nets:
        parts = list(layer_designs(design))
        for target in ("xc7", "ecp5"):
            whole = design.synthesize(target).synth
            alone = [d.synthesize(target).synth for _, d in parts]
            plain = rtl4ml.estimate(design, device=DEVICE[target], correction=False).iloc[0]
            learned = rtl4ml.estimate(design, device=DEVICE[target]).iloc[0]
            for r in ("lut", "ff", "dsp", "bram"):
                attr = "lut_equivalents" if r == "lut" else r
                w, total = getattr(whole, attr), sum(getattr(a, attr) for a in alone)
                diff = f"{100 * (total - w) / w:+.1f} %" if w else "-"
                print(f"| {name} | {target} | {r} | {w} | {total} | {diff} | {plain[r]} | {learned[r]} "
                      f"({learned.resources}) |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--hold-out", type=int, default=5)
    ap.add_argument("--max-seed", type=int, default=None, help="only the held-out designs up to this seed")
    ap.add_argument("--networks", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore", PrecisionWarning)
    held_out_report(args.data, args.hold_out, args.max_seed)
    if args.networks:
        networks_report()


if __name__ == "__main__":
    main()

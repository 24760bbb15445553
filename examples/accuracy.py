"""The README's accuracy table: float vs bit-exact fixed point for every example network.

Run: python examples/accuracy.py [--form onnx|keras|torch]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import rtl4ml  # noqa: E402
from architectures import ARCHITECTURES  # noqa: E402
from datasets import DATASET, HERE, as_input, test_split  # noqa: E402

PRECISIONS = ("fixed<16,6>", "fixed<8,3>")


def load(name: str, form: str, config):
    path = HERE / "models" / f"{name}.{ {'torch': 'pt'}.get(form, form)}"
    if form == "torch":
        module = ARCHITECTURES[name]()
        return rtl4ml.convert(module, config, weights=path, input_shape=module.input_shape)
    return rtl4ml.convert(path, config)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--form", choices=("onnx", "keras", "torch"), default="onnx")
    form = ap.parse_args().form
    warnings.simplefilter("ignore", rtl4ml.errors.PrecisionWarning)
    print(f"| model | data | float | {' | '.join(PRECISIONS)} |")
    print("|---|---|---|" + "---|" * len(PRECISIONS))
    for name in ARCHITECTURES:
        x, y = test_split(DATASET[name])
        x = as_input(name, x, "keras" if form == "keras" else "torch")
        float_acc = np.mean(load(name, form, None).predict_float(x).argmax(axis=1) == y)
        fixed = [np.mean(load(name, form, {"model": {"precision": p}}).predict(x).argmax(axis=1) == y) for p in PRECISIONS]
        cells = " | ".join(f"{a:.4f}" for a in fixed)
        print(f"| {name} | {DATASET[name]} ({len(y)}) | {float_acc:.4f} | {cells} |")


if __name__ == "__main__":
    main()

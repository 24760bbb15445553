"""The demo: convert the bundled ONNX digits MLP and compare float with bit-exact
fixed-point accuracy at two precisions. Run via ``make demo``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import rtl4ml

HERE = Path(__file__).parent


def main() -> None:
    model = HERE / "models" / "digits_mlp.onnx"
    x = np.load(HERE / "digits_x.npy")
    labels = np.load(HERE / "digits_y.npy")
    reference = rtl4ml.convert(model).predict_float(x).argmax(axis=1)
    print(f"{len(x)} held-out digits; float accuracy {np.mean(reference == labels):.4f}\n")
    print(f"{'precision':<26}{'accuracy':>9}{'argmax = float':>16}")
    for precision in ("fixed<16,6>", "fixed<12,4>", "fixed<8,3>", "fixed<8,3,TRN,SAT>"):
        design = rtl4ml.convert(model, {"model": {"precision": precision}})
        pred = design.predict(x).argmax(axis=1)
        print(f"{precision:<26}{np.mean(pred == labels):>9.4f}{np.mean(pred == reference):>16.4f}")


if __name__ == "__main__":
    main()

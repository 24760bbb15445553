"""The bundled example networks: one network, one IR, whatever framework it came from."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import rtl4ml

EXAMPLES = Path(__file__).parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
from architectures import ARCHITECTURES  # noqa: E402
from datasets import DATASET, as_input  # noqa: E402
from datasets import test_split as held_out  # noqa: E402


def designs(name: str, config=None):
    models = EXAMPLES / "models"
    module = ARCHITECTURES[name]()
    return {
        "onnx": rtl4ml.convert(models / f"{name}.onnx", config),
        "keras": rtl4ml.convert(models / f"{name}.keras", config),
        "torch": rtl4ml.convert(module, config, weights=models / f"{name}.pt", input_shape=module.input_shape),
    }


def signature(graph):
    return [(n.op.label, n.op.describe(), graph.shapes[n.name]) for n in graph.nodes]


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_one_network_one_ir_and_identical_emulator_outputs(name):
    x, y = held_out(DATASET[name])
    x = x[:300]
    forms = designs(name, {"model": {"precision": "fixed<12,4>"}})
    reference = signature(forms["onnx"].graph)
    for form, design in forms.items():
        assert signature(design.graph) == reference, form
        for a, b in zip(design.graph.nodes, forms["onnx"].graph.nodes):
            for field in ("weight", "bias"):
                if hasattr(a.op, field):
                    np.testing.assert_allclose(getattr(a.op, field), getattr(b.op, field), atol=1e-6)
    raw = {f: d.predict_raw(as_input(name, x, "keras" if f == "keras" else "torch")) for f, d in forms.items()}
    np.testing.assert_array_equal(raw["keras"], raw["onnx"])
    np.testing.assert_array_equal(raw["torch"], raw["onnx"])


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_fixed16_6_keeps_the_float_accuracy(name):
    x, y = held_out(DATASET[name])
    design = rtl4ml.convert(EXAMPLES / "models" / f"{name}.onnx")
    xs = as_input(name, x, "torch")
    float_acc = np.mean(design.predict_float(xs).argmax(axis=1) == y)
    fixed_acc = np.mean(design.predict(xs).argmax(axis=1) == y)
    assert abs(fixed_acc - float_acc) <= 0.01

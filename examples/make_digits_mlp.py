"""Train the bundled example: a 64-32-10 ReLU MLP on scikit-learn's digits, saved as ONNX.

Run: python examples/make_digits_mlp.py   (needs scikit-learn; the outputs are committed)
Writes examples/digits_mlp.onnx (Gemm, Relu, Gemm, Softmax at opset 13) and a held-out
test set: examples/digits_x.npy (inputs scaled to [0, 1]) and examples/digits_y.npy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = Path(__file__).parent


def to_onnx(clf: MLPClassifier) -> onnx.ModelProto:
    (w1, w2), (b1, b2) = clf.coefs_, clf.intercepts_
    inits = [
        numpy_helper.from_array(a.astype(np.float32), name)
        for a, name in ((w1, "fc1.weight"), (b1, "fc1.bias"), (w2, "fc2.weight"), (b2, "fc2.bias"))
    ]
    nodes = [
        helper.make_node("Gemm", ["pixels", "fc1.weight", "fc1.bias"], ["h1"], name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="rtl4ml-examples")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    clf = MLPClassifier((32,), activation="relu", max_iter=400, random_state=0).fit(x_train, y_train)
    print(f"float test accuracy: {clf.score(x_test, y_test):.4f}")
    onnx.save(to_onnx(clf), HERE / "digits_mlp.onnx")
    np.save(HERE / "digits_x.npy", x_test.astype(np.float32))
    np.save(HERE / "digits_y.npy", y_test.astype(np.int64))


if __name__ == "__main__":
    main()

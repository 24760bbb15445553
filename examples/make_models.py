"""Train the example networks and save each in PyTorch, ONNX and Keras form.

Run: python examples/make_models.py   (needs torch==2.13.0, keras, scikit-learn; the
outputs in examples/models/ are committed, so nothing needs to run this again)

For each network NAME: NAME.pt (PyTorch state dict; the module is in architectures.py),
NAME.onnx (opset 13, channels-first), NAME.keras (the same weights in a Keras 3 model,
channels-last). The held-out splits go to jets_x.npy/jets_y.npy and digits_x.npy/_y.npy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from architectures import ARCHITECTURES  # noqa: E402
from datasets import DATASET, HERE, as_input, digits, jets  # noqa: E402
from keras_twins import keras_twin  # noqa: E402

OUT = HERE / "models"


def train(module: torch.nn.Module, x: np.ndarray, y: np.ndarray, epochs: int = 40) -> None:
    torch.manual_seed(0)
    opt = torch.optim.Adam(module.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y).long()
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 128):
            idx = perm[i : i + 128]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(module.logits(xt[idx]), yt[idx]).backward()
            opt.step()
    module.eval()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    data = {"digits": digits(), "jets": jets()}
    for dataset, (_, _, x_test, y_test) in data.items():
        np.save(HERE / f"{dataset}_x.npy", x_test)
        np.save(HERE / f"{dataset}_y.npy", y_test.astype(np.int64))
    for name, cls in ARCHITECTURES.items():
        x_train, y_train, x_test, y_test = data[DATASET[name]]
        torch.manual_seed(0)
        module = cls()
        train(module, as_input(name, x_train, "torch"), y_train)
        with torch.no_grad():
            acc = (module(torch.from_numpy(as_input(name, x_test, "torch"))).argmax(1).numpy() == y_test).mean()
        print(f"{name}: float accuracy {acc:.4f}")
        torch.save(module.state_dict(), OUT / f"{name}.pt")
        torch.onnx.export(
            module, (torch.zeros((1, *cls.input_shape)),), OUT / f"{name}.onnx", dynamo=False,
            input_names=["x"], output_names=["probabilities"], dynamic_axes={"x": {0: "batch"}, "probabilities": {0: "batch"}},
            opset_version=13,
        )
        keras_twin(name, module).save(OUT / f"{name}.keras")


if __name__ == "__main__":
    main()

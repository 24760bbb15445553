"""Keras test helpers: seeded weights, the Keras forward pass, and Keras-2 file writers.

Keras 2 cannot be installed next to Keras 3, so the legacy files (``model.to_json()``,
``model.save_weights("x.h5")``, ``model.save("x.h5")``) are written here with json and
h5py in the exact layout Keras 2 uses.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import rtl4ml  # noqa: E402

KERAS2_VERSION = "2.13.1"


def randomize(model, seed: int = 0, scale: float = 0.4):
    """Seeded random weights; BatchNorm gets non-trivial gamma, beta and moving statistics."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        values = []
        for v in layer.weights:
            name = v.name.rsplit("/", 1)[-1]
            shape = tuple(v.shape)
            if name == "moving_variance":
                values.append(rng.uniform(0.5, 2.0, shape))
            elif name == "gamma":
                values.append(rng.uniform(0.5, 1.5, shape))
            else:
                values.append(rng.normal(0.0, scale, shape))
        if values:
            layer.set_weights([a.astype("float32") for a in values])
    return model


def forward(model, x):
    """The Keras inference output(s) as float64 numpy."""
    out = model(x, training=False)
    if isinstance(out, (list, tuple)):
        return [np.asarray(keras.ops.convert_to_numpy(o), np.float64) for o in out]
    return np.asarray(keras.ops.convert_to_numpy(out), np.float64)


def data(shape, n: int = 16, seed: int = 1, scale: float = 1.0):
    return (np.random.default_rng(seed).normal(0.0, scale, (n, *shape))).astype("float32")


# ---- Keras 2 legacy files -------------------------------------------------------------------


def k2_layer(class_name: str, name: str, inbound=None, **config) -> dict:
    """A Keras 2 layer entry. ``inbound``: producer layer names (one call), or None in a Sequential."""
    entry = {"class_name": class_name, "config": {"name": name, "trainable": True, "dtype": "float32", **config}}
    if inbound is not None:
        entry["name"] = name
        entry["inbound_nodes"] = [[[src, 0, 0, {}] for src in inbound]] if inbound else []
    return entry


def k2_input(name: str, shape, functional: bool = True) -> dict:
    cfg = {"batch_input_shape": [None, *shape], "sparse": False, "ragged": False}
    return k2_layer("InputLayer", name, [] if functional else None, **cfg)


def k2_sequential(name: str, layers: list[dict]) -> dict:
    return {
        "class_name": "Sequential",
        "config": {"name": name, "layers": layers},
        "keras_version": KERAS2_VERSION,
        "backend": "tensorflow",
    }


def k2_functional(name: str, layers: list[dict], inputs: list[str], outputs: list[str]) -> dict:
    return {
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": layers,
            "input_layers": [[n, 0, 0] for n in inputs],
            "output_layers": [[n, 0, 0] for n in outputs],
        },
        "keras_version": KERAS2_VERSION,
        "backend": "tensorflow",
    }


def _write_weight_groups(root, weights: dict[str, list[tuple[str, np.ndarray]]], layer_order: list[str]) -> None:
    """``save_weights`` layout: root ``layer_names``; per layer ``weight_names`` and datasets."""
    root.attrs["layer_names"] = np.array([n.encode() for n in layer_order])
    root.attrs["backend"] = b"tensorflow"
    root.attrs["keras_version"] = KERAS2_VERSION.encode()
    for layer in layer_order:
        g = root.create_group(layer)
        names = [f"{layer}/{w}:0" for w, _ in weights.get(layer, [])]
        g.attrs["weight_names"] = np.array([n.encode() for n in names]) if names else np.array([], dtype="S1")
        for full, (_, value) in zip(names, weights.get(layer, [])):
            g.create_dataset(full, data=np.asarray(value, np.float32))


def _layer_names(model_json: dict) -> list[str]:
    return [d["config"]["name"] for d in model_json["config"]["layers"]]


def write_k2_pair(json_path, weights_path, model_json: dict, weights, layer_order=None) -> None:
    """``model.to_json()`` and ``model.save_weights(weights_path)`` of Keras 2.

    ``layer_order``: the layer names the weights file lists (default: the model's)."""
    with open(json_path, "w") as f:
        json.dump(model_json, f)
    with h5py.File(weights_path, "w") as f:
        _write_weight_groups(f, weights, layer_order or _layer_names(model_json))


def write_k2_h5(path, model_json: dict, weights) -> None:
    """Keras 2 ``model.save(path)`` (HDF5): model_config attribute + model_weights group."""
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps({k: model_json[k] for k in ("class_name", "config")}).encode()
        f.attrs["keras_version"] = KERAS2_VERSION.encode()
        f.attrs["backend"] = b"tensorflow"
        _write_weight_groups(f.create_group("model_weights"), weights, _layer_names(model_json))


def weights_by_layer(model) -> dict[str, list[tuple[str, np.ndarray]]]:
    """A Keras 3 model's weights as {layer: [(short name, values)]} for the writers above."""
    return {
        layer.name: [(v.name.rsplit("/", 1)[-1], np.asarray(a)) for v, a in zip(layer.weights, layer.get_weights())]
        for layer in model.layers
        if layer.weights
    }


# ---- comparing an import against Keras --------------------------------------------------
L = keras.layers
ATOL = 1e-5  # Keras computes in float32, the reference in float64


def roundtrip(model, x, seed=0, atol=ATOL):
    """Convert ``model`` (weights randomized) and compare predict_float with Keras."""
    randomize(model, seed)
    design = rtl4ml.convert(model)
    want = forward(model, x)
    got = design.predict_float(x)
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for w, g in zip(want, got):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=atol)
    else:
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)
    return design


def seq(shape, *layers, name=None):
    return keras.Sequential([keras.Input(shape), *layers], name=name)

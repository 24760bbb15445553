"""Models read through the Keras 3 API: in-memory models, ``.keras`` archives, and
Keras 3 architecture JSON with Keras 3 (``.weights.h5``) weights."""

from __future__ import annotations

import os
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from ...errors import ModelLoadError, UnsupportedError
from .spec import KerasModelSpec, Weights, parse_model_config, short_weight_name


def import_keras(purpose: str):
    """The ``keras`` module. Without TensorFlow, Keras is pointed at another installed
    backend (torch, then jax) unless the user chose one."""
    if "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ and find_spec("tensorflow") is None:
        backend = next((b for b in ("torch", "jax") if find_spec(b) is not None), None)
        if backend is not None:
            os.environ["KERAS_BACKEND"] = backend
    try:
        import keras
    except ImportError as e:
        raise ModelLoadError(f"{purpose} needs Keras 3 and a backend (pip install keras torch): {e}") from None
    return keras


def is_keras_model(obj) -> bool:
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:200] + "..." if len(text) > 200 else text


def load_model_file(path: Path):
    """A ``.keras`` archive as a Keras model (not compiled; no code from the file is run)."""
    if not path.is_file():
        raise ModelLoadError(f"Keras model file '{path}' does not exist")
    keras = import_keras(f"loading '{path}'")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as e:  # zip, HDF5 and deserialization errors of many types
        raise ModelLoadError(f"cannot load Keras model file '{path}': {_one_line(e)}") from None


def model_from_json(text: str, weights: Path, origin: str):
    """A Keras 3 model from its JSON config and Keras 3 weights file."""
    keras = import_keras(f"loading {origin}")
    try:
        model = keras.models.model_from_json(text)
    except Exception as e:
        raise ModelLoadError(f"cannot build {origin} with Keras: {_one_line(e)}") from None
    return with_weights_file(model, weights)


def with_weights_file(model, weights: Path):
    """``model`` with the weights of a Keras 3 weights file (a loaded copy; the caller's
    model is left alone)."""
    keras = import_keras(f"loading '{weights}'")
    try:
        copy = keras.models.clone_model(model)
        copy.load_weights(weights)
    except Exception as e:
        what = f"weights file '{weights}' into Keras model '{model.name}'"
        raise ModelLoadError(f"cannot load {what}: {_one_line(e)}") from None
    return copy


def spec_of_model(model, origin: str) -> KerasModelSpec:
    """The layer calls of a Sequential or functional Keras 3 model (without weights)."""
    try:
        config = model.get_config()
    except NotImplementedError:
        config = None
    except Exception as e:
        raise ModelLoadError(f"{origin}: Keras cannot describe the model (get_config failed: {_one_line(e)})") from None
    if not isinstance(config, dict) or "layers" not in config:
        raise UnsupportedError(
            f"{origin}: a subclassed keras.Model has no layer graph to import; build it with the "
            "Sequential or functional API"
        )
    return parse_model_config({"class_name": type(model).__name__, "config": config}, 3, origin)


def weights_of_model(model) -> dict[str, Weights]:
    """Every layer's weights by layer name, in the layer's own order."""
    out = {}
    for layer in model.layers:
        arrays = layer.get_weights()
        names = [short_weight_name(v.name) for v in layer.weights]
        out[layer.name] = tuple((n, np.asarray(a)) for n, a in zip(names, arrays))
    return out

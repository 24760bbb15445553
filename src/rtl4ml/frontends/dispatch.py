"""Choosing the frontend for a model given as a path or an in-memory object."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError, UnsupportedError
from ..ir import Graph
from .model import ImportedModel

MODEL_FORMATS = (
    ".onnx (ONNX), .keras/.h5 (Keras), .json (Keras architecture, with its weights file; "
    "or an rtl4ml graph), .pt/.pth (PyTorch)"
)


@dataclass(frozen=True)
class LoadOptions:
    """Frontend options: ``weights`` (the HDF5 weights of a Keras architecture JSON, or a
    PyTorch state dict), ``input_shape`` (PyTorch: one sample, channels-first, no batch
    axis), ``allow_pickle`` (PyTorch: load a fully pickled module, which runs code)."""

    weights: Path | None = None
    input_shape: tuple[int, ...] | None = None
    allow_pickle: bool = False


def _is_rtl4ml_graph(path: Path) -> bool:
    try:
        head = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read JSON model file '{path}': {e}") from None
    return isinstance(head, dict) and head.get("format") == "rtl4ml-graph"


def _from_path(path: Path, opts: LoadOptions) -> ImportedModel:
    suffix = path.suffix.lower()
    if not path.exists():
        raise ModelLoadError(f"model file '{path}' does not exist")
    if suffix == ".onnx":
        from .onnx import load_onnx

        return load_onnx(path)
    if suffix == ".json" and _is_rtl4ml_graph(path):
        from ..ir.serialize import load_graph

        return ImportedModel.channels_last(load_graph(path), "rtl4ml")
    if suffix in (".json", ".keras", ".h5", ".hdf5"):
        from .keras import load_keras

        return load_keras(path, weights=opts.weights)
    if suffix in (".pt", ".pth"):
        from .pytorch import load_torch

        return load_torch(path, input_shape=opts.input_shape, weights=opts.weights, allow_pickle=opts.allow_pickle)
    raise UnsupportedError(f"model file '{path}': unknown format '{suffix}'; accepted: {MODEL_FORMATS}")


def load_model(model, opts: LoadOptions | None = None) -> ImportedModel:
    """Import a model from a path or an in-memory object into the IR."""
    opts = opts or LoadOptions()
    if isinstance(model, ImportedModel):
        return model
    if isinstance(model, Graph):
        return ImportedModel.channels_last(model)
    if isinstance(model, (str, Path)):
        return _from_path(Path(model), opts)
    kind = type(model)
    module = kind.__module__.split(".")[0]
    if kind.__name__ == "ModelProto":
        from .onnx import load_onnx

        return load_onnx(model)
    if module == "keras" or any(c.__module__.startswith("keras") for c in kind.__mro__):
        from .keras import load_keras

        return load_keras(model, weights=opts.weights)
    if any(c.__module__.startswith("torch.nn") for c in kind.__mro__):
        from .pytorch import load_torch

        return load_torch(model, input_shape=opts.input_shape, weights=opts.weights, allow_pickle=opts.allow_pickle)
    raise UnsupportedError(
        f"cannot convert a {kind.__module__}.{kind.__name__}; give a model file ({MODEL_FORMATS}), "
        "an onnx.ModelProto, a keras.Model, a torch.nn.Module or an rtl4ml Graph"
    )

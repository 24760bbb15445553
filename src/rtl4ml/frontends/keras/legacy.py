"""Keras files read without Keras: architecture JSON and HDF5 (``.h5``) files.

Keras 3 cannot load what Keras 2 wrote, so these are parsed directly:

* ``model.to_json()`` -- ``{"class_name", "config", "keras_version", ...}``;
* ``model.save_weights("x.h5")`` -- root attribute ``layer_names``; one group per
  layer with attribute ``weight_names`` (``dense_1/kernel:0``, ...) naming datasets
  under it, in the layer's own weight order;
* ``model.save("x.h5")`` -- root attribute ``model_config`` (the JSON above) and a
  ``model_weights`` group in the ``save_weights`` layout.

Keras 3 writes ``.h5`` model files in the same layout, so they are read here too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ...errors import ModelLoadError
from .registry import layer_kind
from .spec import KerasModelSpec, Weights, short_weight_name

WeightGroups = list[tuple[str, Weights]]  # (layer name, its weights) in file order


def _text(value) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    return str(value)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text[:200] + "..." if len(text) > 200 else text


def _attr_strings(group, name: str) -> list[str] | None:
    """A list-of-strings attribute, also when Keras split a long one into ``name0``, ``name1``, ..."""
    attrs = group.attrs
    if name in attrs:
        values = list(np.atleast_1d(attrs[name]))
    elif f"{name}0" in attrs:
        values, k = [], 0
        while f"{name}{k}" in attrs:
            values.extend(np.atleast_1d(attrs[f"{name}{k}"]))
            k += 1
    else:
        return None
    return [_text(v) for v in values]


def open_h5(path: Path, what: str):
    """An open ``h5py.File``; a missing or non-HDF5 file is a ModelLoadError naming it."""
    import h5py

    if not path.is_file():
        raise ModelLoadError(f"{what} '{path}' does not exist")
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"cannot read {what} '{path}': not a readable HDF5 file ({_one_line(e)})") from None


def _weight_root(f):
    """The group holding ``layer_names`` (the file itself or its ``model_weights``), or None."""
    if _attr_strings(f, "layer_names") is not None:
        return f
    if "model_weights" in f and _attr_strings(f["model_weights"], "layer_names") is not None:
        return f["model_weights"]
    return None


def _read_groups(root, path: Path) -> WeightGroups:
    groups: WeightGroups = []
    for layer in _attr_strings(root, "layer_names") or []:
        if layer not in root:
            raise ModelLoadError(f"weights file '{path}': layer_names lists '{layer}' but there is no such group")
        g = root[layer]
        names = _attr_strings(g, "weight_names") or []
        try:
            weights = tuple((short_weight_name(n), np.asarray(g[n])) for n in names)
        except (KeyError, OSError, ValueError) as e:
            raise ModelLoadError(f"weights file '{path}': layer '{layer}': {_one_line(e)}") from None
        groups.append((layer, weights))
    return groups


def read_weight_file(path: Path) -> WeightGroups | None:
    """The per-layer weights of a Keras HDF5 weights (or model) file in the layout
    above; None if the file is HDF5 but in another layout (Keras 3 ``.weights.h5``)."""
    with open_h5(path, "Keras weights file") as f:
        root = _weight_root(f)
        return None if root is None else _read_groups(root, path)


def parse_json_text(text, path: Path, what: str) -> dict:
    try:
        config = json.loads(_text(text))
    except ValueError as e:
        raise ModelLoadError(f"cannot read {what} '{path}': not valid JSON ({_one_line(e)})") from None
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ModelLoadError(f"{what} '{path}' is not a Keras model config (no 'class_name' and 'config')")
    return config


def read_json_model(path: Path) -> dict:
    """The model config of an architecture JSON file (``model.to_json()``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(f"Keras architecture file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ModelLoadError(f"cannot read Keras architecture file '{path}': {_one_line(e)}") from None
    return parse_json_text(text, path, "Keras architecture file")


def read_h5_model(path: Path) -> tuple[dict, str | None, WeightGroups]:
    """(model config, recorded Keras version, weights) of a full-model ``.h5`` file."""
    with open_h5(path, "Keras model file") as f:
        if "model_config" not in f.attrs:
            if _weight_root(f) is not None or "layers" in f:
                raise ModelLoadError(
                    f"Keras file '{path}' holds weights only, no architecture; convert the architecture "
                    "JSON and pass this file as its weights"
                )
            raise ModelLoadError(f"'{path}' is not a Keras model file (no model_config attribute)")
        config = parse_json_text(f.attrs["model_config"], path, "Keras model file")
        version = _text(f.attrs["keras_version"]) if "keras_version" in f.attrs else None
        root = _weight_root(f)
        groups = _read_groups(root, path) if root is not None else []
    return config, version, groups


def match_weights(spec: KerasModelSpec, groups: WeightGroups, source: str) -> dict[str, Weights]:
    """Weights of every weighted layer, by layer name.

    Layers are paired with weight groups by name; if names differ (a model rebuilt
    in another session numbers its layers anew) and the counts agree, by order, as
    Keras's own ``load_weights`` does.
    """
    needed = [name for name, cls in spec.layers().items() if (k := layer_kind(cls)) is not None and k.weighted]
    stored = {name: w for name, w in groups if w}
    missing = [n for n in needed if n not in stored]
    if not missing:
        return {n: stored[n] for n in needed}
    if len(stored) == len(needed):
        return dict(zip(needed, stored.values()))
    have = ", ".join(stored) or "none"
    raise ModelLoadError(
        f"{source} has no weights for layer(s) {', '.join(missing)} (it has weights for: {have})"
    )


def json_weights_path(path: Path, weights: Path | None) -> Path:
    """The weights of architecture ``path``: ``weights`` if given, else ``<stem>_weights.h5``
    (or Keras 3's ``<stem>.weights.h5``) beside it."""
    if weights is not None:
        if not Path(weights).is_file():
            raise ModelLoadError(f"weights file '{weights}' for Keras architecture '{path}' does not exist")
        return Path(weights)
    candidates = [path.with_name(f"{path.stem}_weights.h5"), path.with_name(f"{path.stem}.weights.h5")]
    for c in candidates:
        if c.is_file():
            return c
    raise ModelLoadError(
        f"Keras architecture '{path}' needs its weights: no weights file given (weights=... or --weights) "
        f"and no '{candidates[0]}' beside it"
    )


def is_keras3_config(config: Mapping) -> bool:
    return "module" in config

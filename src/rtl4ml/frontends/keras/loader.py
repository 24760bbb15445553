"""The Keras import driver :func:`load_keras`: find the config and the weights, then
convert through the one shared path (spec -> unsupported scan -> weights -> IR)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ...errors import ModelLoadError, UnsupportedError
from ..model import ImportedModel
from . import legacy, live
from .convert import scan_unsupported, to_imported_model
from .spec import KerasModelSpec, Weights, keras_major, parse_model_config

FILE_TYPES = ".keras (Keras 3), .h5/.hdf5 (full model), .json (architecture, with its HDF5 weights)"


def load_keras(model, weights: str | os.PathLike | None = None) -> ImportedModel:
    """Import a Keras model into the IR (channels-last, like Keras itself).

    ``model`` is an in-memory ``keras.Model`` (Sequential or functional) or a path:
    a ``.keras`` archive, a full-model ``.h5``/``.hdf5`` file (Keras 2 or 3), or an
    architecture ``.json`` (``model.to_json()``, Keras 2 or 3) whose weights are the
    HDF5 file ``weights`` or, if None, ``<stem>_weights.h5`` beside it. Keras 2 files
    are read without Keras. For the other inputs ``weights`` (optional) replaces the
    model's own weights.

    Raises :class:`ModelLoadError` for missing or unreadable files and
    :class:`UnsupportedError` naming every unsupported layer (and its layer names).
    """
    weights = None if weights is None else Path(weights)
    if isinstance(model, (str, os.PathLike)):
        return _from_path(Path(model), weights)
    if live.is_keras_model(model):
        return _from_keras(model, weights, f"Keras model '{model.name}'")
    raise TypeError(f"expected a keras.Model or a path to a Keras file, got {type(model).__name__}")


def _from_path(path: Path, weights: Path | None) -> ImportedModel:
    suffix = path.suffix.lower()
    origin = f"Keras model '{path}'"
    if suffix == ".json":
        return _from_json(path, weights, origin)
    if suffix in (".h5", ".hdf5"):
        config, version, groups = legacy.read_h5_model(path)
        source = f"model file '{path}'"
        if weights is not None:
            groups, source = _legacy_weights(weights, f"Keras model file '{path}'"), f"weights file '{weights}'"
        spec = parse_model_config(config, keras_major(version, config), origin)
        return _import(spec, origin, lambda s: legacy.match_weights(s, groups, source))
    if suffix == ".keras":
        return _from_keras(live.load_model_file(path), weights, origin)
    raise UnsupportedError(f"{origin}: unknown Keras file type '{suffix}'; accepted: {FILE_TYPES}")


def _legacy_weights(path: Path, needed_by: str) -> legacy.WeightGroups:
    groups = legacy.read_weight_file(path)
    if groups is None:
        raise _not_legacy(path, needed_by)
    return groups


def _not_legacy(path: Path, needed_by: str) -> ModelLoadError:
    return ModelLoadError(
        f"weights file '{path}' is not in the Keras HDF5 weights layout (root attribute 'layer_names') "
        f"that {needed_by} needs"
    )


def _from_json(path: Path, weights: Path | None, origin: str) -> ImportedModel:
    config = legacy.read_json_model(path)
    weights_path = legacy.json_weights_path(path, weights)
    groups = legacy.read_weight_file(weights_path)
    if groups is None:
        if legacy.is_keras3_config(config):  # Keras 3 JSON with a Keras 3 .weights.h5
            model = live.model_from_json(path.read_text(encoding="utf-8"), weights_path, origin)
            return _from_keras(model, None, origin)
        raise _not_legacy(weights_path, f"Keras 2 architecture '{path}'")
    spec = parse_model_config(config, keras_major(config.get("keras_version"), config), origin)
    source = f"weights file '{weights_path}'"
    return _import(spec, origin, lambda s: legacy.match_weights(s, groups, source))


def _from_keras(model, weights: Path | None, origin: str) -> ImportedModel:
    spec = live.spec_of_model(model, origin)
    if weights is None:
        return _import(spec, origin, lambda s: live.weights_of_model(model))
    groups = legacy.read_weight_file(weights)
    if groups is None:  # Keras 3 weights: let Keras load them into a copy
        loaded = live.with_weights_file(model, weights)
        return _import(spec, origin, lambda s: live.weights_of_model(loaded))
    source = f"weights file '{weights}'"
    return _import(spec, origin, lambda s: legacy.match_weights(s, groups, source))


def _import(
    spec: KerasModelSpec, origin: str, weights_of: Callable[[KerasModelSpec], Mapping[str, Weights]]
) -> ImportedModel:
    scan_unsupported(spec, origin)
    return to_imported_model(spec.with_weights(weights_of(spec)), origin)

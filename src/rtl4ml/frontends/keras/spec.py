"""One description of a Keras model, whatever it was read from.

Keras 2 (``model.to_json()``, the ``model_config`` of a legacy ``.h5``) and Keras 3
(``model.get_config()``) describe a model as a list of layers, each with a
``class_name``, a ``config`` and the ``inbound_nodes`` it was called on; they differ
in how a call names its input tensors. :func:`parse_model_config` reads both into a
:class:`KerasModelSpec`: every layer *call* in topological order, with the tensors it
reads. Weights come from elsewhere (live layers or an HDF5 file) and are attached with
:meth:`KerasModelSpec.with_weights`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from ...errors import ModelLoadError, UnsupportedError

INPUT_LAYER = "InputLayer"
#: Names under which an InputLayer (or a Sequential's first layer) states its shape.
BATCH_SHAPE_KEYS = ("batch_shape", "batch_input_shape")

Weights = tuple[tuple[str, np.ndarray], ...]  # (short name such as "kernel", values), Keras order


@dataclass(frozen=True)
class Ref:
    """Output ``tensor`` of call ``node`` of the layer named ``layer``."""

    layer: str
    node: int = 0
    tensor: int = 0


@dataclass(frozen=True, eq=False)
class LayerCall:
    """One application of a Keras layer to its input tensors."""

    layer: str
    node: int
    class_name: str
    config: Mapping
    inputs: tuple[Ref, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return self.layer, self.node

    @property
    def where(self) -> str:
        """How error messages name this layer."""
        call = f", call {self.node}" if self.node else ""
        return f"layer '{self.layer}' ({self.class_name}{call})"


@dataclass(frozen=True, eq=False)
class KerasModelSpec:
    """A Keras model as layer calls (topological order, model inputs first).

    ``keras_major`` is the Keras version whose semantics the config has (2 or 3); it
    matters where Keras changed a definition (``hard_sigmoid``).
    """

    name: str
    calls: tuple[LayerCall, ...]
    inputs: tuple[Ref, ...]
    outputs: tuple[Ref, ...]
    keras_major: int
    weights: Mapping[str, Weights] = field(default_factory=dict)

    def layers(self) -> dict[str, str]:
        """Layer name -> class name, in the order layers first appear."""
        return {c.layer: c.class_name for c in self.calls}

    def with_weights(self, weights: Mapping[str, Weights]) -> KerasModelSpec:
        return replace(self, weights=dict(weights))


def short_weight_name(name: str) -> str:
    """``dense_1/kernel:0`` (Keras 2) or ``dense_1/kernel`` (Keras 3) -> ``kernel``."""
    return name.rsplit("/", 1)[-1].split(":", 1)[0]


def keras_major(version: str | None, model_config: Mapping) -> int:
    """The Keras major version a config was written by.

    Taken from the recorded ``keras_version`` when there is one; otherwise Keras 3
    configs are recognized by the ``module`` key every serialized object carries.
    """
    if version:
        head = str(version).strip().split(".", 1)[0]
        if head.isdigit():
            major = int(head)
            if major < 2:
                raise UnsupportedError(f"Keras {version} models are not supported; only Keras 2 and 3")
            return major
    return 3 if "module" in model_config else 2


# ---- reading a model config ------------------------------------------------------------


def parse_model_config(model_config: Mapping, major: int, origin: str) -> KerasModelSpec:
    """A :class:`KerasModelSpec` (without weights) from ``{"class_name", "config"}``."""
    if not isinstance(model_config, Mapping) or "config" not in model_config:
        raise ModelLoadError(f"{origin}: not a Keras model config (no 'class_name'/'config')")
    class_name = str(model_config.get("class_name", ""))
    config = model_config["config"]
    layers = config if isinstance(config, list) else config.get("layers") if isinstance(config, Mapping) else None
    if not isinstance(layers, list) or not all(isinstance(d, Mapping) for d in layers):
        raise UnsupportedError(
            f"{origin}: a {class_name or 'model'} config without a layer list; only Sequential and functional "
            "models can be imported (a subclassed keras.Model has no layer graph)"
        )
    name = str(config.get("name", "model")) if isinstance(config, Mapping) else "model"
    if isinstance(config, Mapping) and "input_layers" in config:
        calls, inputs, outputs = _functional(config, layers, origin)
    else:
        build_shape = config.get("build_input_shape") if isinstance(config, Mapping) else None
        calls, inputs, outputs = _sequential(layers, build_shape, origin)
    if not inputs or not outputs:
        raise ModelLoadError(f"{origin}: the model has no inputs or no outputs")
    return KerasModelSpec(name, _topological(calls, inputs, origin), inputs, outputs, major)


def _layer_name(d: Mapping) -> str:
    cfg = d.get("config")
    name = d.get("name") or (cfg.get("name") if isinstance(cfg, Mapping) else None)
    return str(name or "")


def _class_name(d: Mapping) -> str:
    return str(d.get("class_name", ""))


def _is_ref(obj) -> bool:
    """A Keras 2 tensor reference: [layer name, node index, tensor index(, kwargs)]."""
    return (
        isinstance(obj, (list, tuple))
        and len(obj) in (3, 4)
        and isinstance(obj[0], str)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in obj[1:3])
    )


def _refs(obj, out: list[Ref]) -> list[Ref]:
    """Every tensor reference in a call description, in order.

    Keras 2 lists ``[name, node, tensor, kwargs]`` entries; Keras 3 nests
    ``{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}`` in
    the call's ``args``; model input/output lists use either form.
    """
    if isinstance(obj, Mapping):
        if obj.get("class_name") == "__keras_tensor__":
            history = obj.get("config", {}).get("keras_history")
            if _is_ref(history):
                out.append(Ref(history[0], int(history[1]), int(history[2])))
            return out
        for value in obj.values():
            _refs(value, out)
    elif _is_ref(obj):
        out.append(Ref(obj[0], int(obj[1]), int(obj[2])))
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _refs(value, out)
    return out


def _node_inputs(node) -> tuple[Ref, ...]:
    if isinstance(node, Mapping):  # Keras 3: tensors are positional arguments
        return tuple(_refs(node.get("args", []), []))
    return tuple(_refs(node, []))  # Keras 2: a list of references


def _functional(config: Mapping, layers: list, origin: str):
    calls = []
    for d in layers:
        name, cls = _layer_name(d), _class_name(d)
        if not name:
            raise ModelLoadError(f"{origin}: a {cls or 'layer'} entry without a name")
        cfg = d.get("config") if isinstance(d.get("config"), Mapping) else {}
        nodes = d.get("inbound_nodes") or []
        if cls == INPUT_LAYER or not nodes:
            if cls == INPUT_LAYER:
                calls.append(LayerCall(name, 0, cls, cfg))
            continue  # a layer the model never calls
        for k, node in enumerate(nodes):
            calls.append(LayerCall(name, k, cls, cfg, _node_inputs(node)))
    inputs = tuple(_refs(config.get("input_layers", []), []))
    outputs = tuple(_refs(config.get("output_layers", []), []))
    return calls, inputs, outputs


def _sequential(layers: list, build_shape, origin: str):
    if not layers:
        raise ModelLoadError(f"{origin}: the Sequential model has no layers")
    calls, prev = [], None
    first = layers[0]
    if _class_name(first) != INPUT_LAYER:
        cfg = first.get("config") if isinstance(first.get("config"), Mapping) else {}
        shape = next((cfg[k] for k in BATCH_SHAPE_KEYS if cfg.get(k)), None) or build_shape
        if not shape:
            raise ModelLoadError(
                f"{origin}: the Sequential model has no input shape; build it (model.build(shape)) "
                "or start it with keras.Input(shape)"
            )
        taken = {_layer_name(d) for d in layers}
        name = f"{_layer_name(first)}_input"
        while name in taken:
            name += "_"
        calls.append(LayerCall(name, 0, INPUT_LAYER, {"batch_shape": list(shape), "name": name}))
        prev = Ref(name)
    for d in layers:
        name, cls = _layer_name(d), _class_name(d)
        if not name:
            raise ModelLoadError(f"{origin}: a {cls or 'layer'} entry without a name")
        cfg = d.get("config") if isinstance(d.get("config"), Mapping) else {}
        if cls == INPUT_LAYER:
            if prev is not None:
                raise UnsupportedError(f"{origin}: InputLayer '{name}' in the middle of a Sequential model")
            calls.append(LayerCall(name, 0, cls, cfg))
        else:
            calls.append(LayerCall(name, 0, cls, cfg, (prev,)))
        prev = Ref(name)
    return calls, (Ref(calls[0].layer),), (prev,)


def _topological(calls: list[LayerCall], inputs: tuple[Ref, ...], origin: str) -> tuple[LayerCall, ...]:
    """Calls ordered so that each comes after the calls it reads, model inputs first."""
    by_key: dict[tuple[str, int], LayerCall] = {}
    for c in calls:
        if c.key in by_key:
            raise ModelLoadError(f"{origin}: two layers are named '{c.layer}'")
        by_key[c.key] = c
    for ref in inputs:
        call = by_key.get((ref.layer, ref.node))
        if call is None or call.class_name != INPUT_LAYER:
            raise ModelLoadError(f"{origin}: model input '{ref.layer}' is not an InputLayer of the model")
    for c in calls:
        for ref in c.inputs:
            if (ref.layer, ref.node) not in by_key:
                raise ModelLoadError(f"{c.where}: reads '{ref.layer}' (call {ref.node}), which the model does not have")
    first = [by_key[(r.layer, r.node)] for r in dict.fromkeys(inputs)]
    pending = first + [c for c in calls if c not in first]
    done: set[tuple[str, int]] = set()
    order: list[LayerCall] = []
    while pending:
        rest = []
        for c in pending:
            if all((r.layer, r.node) in done for r in c.inputs):
                order.append(c)
                done.add(c.key)
            else:
                rest.append(c)
        if len(rest) == len(pending):
            raise ModelLoadError(f"{origin}: the layer graph has a cycle through {rest[0].where}")
        pending = rest
    return tuple(order)

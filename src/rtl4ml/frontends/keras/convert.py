"""A :class:`KerasModelSpec` (with weights) -> IR graph, whatever the model was read from."""

from __future__ import annotations

from ...errors import GraphError, ModelLoadError, Rtl4mlError, UnsupportedError
from ...ir import Graph, Identity
from ..model import ImportedModel
from .activations import ACTIVATIONS, activation_name
from .builder import Builder
from .registry import layer_kind, supported_layers
from .spec import KerasModelSpec, LayerCall, Ref

#: Classes of a model used as a layer of another.
NESTED_MODELS = ("Sequential", "Functional", "Model")


def scan_unsupported(spec: KerasModelSpec, origin: str) -> None:
    """One error naming every unsupported layer class and activation, with layer names."""
    problems: dict[str, list[str]] = {}
    for layer, class_name in spec.layers().items():
        if layer_kind(class_name) is None:
            problems.setdefault(class_name, []).append(layer)
    for call in spec.calls:
        if call.node == 0 and layer_kind(call.class_name) is not None and "activation" in call.config:
            name = activation_name(call.config.get("activation"))
            if name not in ACTIVATIONS:
                problems.setdefault(f"activation '{name}'", []).append(call.layer)
    if problems:
        listed = "; ".join(
            f"{what} (layer{'s' if len(names) > 1 else ''} {', '.join(names)})" for what, names in problems.items()
        )
        nested = any(what in NESTED_MODELS for what in problems)
        hint = " Nested models are not imported: rebuild the model as one flat functional graph." if nested else ""
        raise UnsupportedError(
            f"{origin} uses what rtl4ml cannot import: {listed}. "
            f"Supported layers: {', '.join(supported_layers())}; supported activations: {', '.join(ACTIVATIONS)}."
            + hint
        )


def to_imported_model(spec: KerasModelSpec, origin: str) -> ImportedModel:
    """Convert every layer call in order; the graph's inputs and outputs are the model's."""
    b = Builder(spec)
    tensors: dict[tuple[str, int], str] = {}
    for call in spec.calls:
        ins = [_tensor(tensors, call, ref) for ref in call.inputs]
        tensors[call.key] = _convert(b, call, ins)
    outputs: list[str] = []
    for ref in spec.outputs:
        ir = _tensor(tensors, None, ref)
        if ir in outputs:  # the same tensor twice: give this output its own node
            ir = b.emit(_call_of(spec, ref), Identity(), [ir], suffix="output")
        outputs.append(ir)
    nodes = _live(b, outputs)
    try:
        graph = Graph(nodes, outputs, name=spec.name)
    except GraphError as e:
        raise GraphError(f"{origin}: {e}") from None
    return ImportedModel.channels_last(graph, "keras")


def _tensor(tensors: dict, call: LayerCall | None, ref: Ref) -> str:
    if ref.tensor != 0:
        where = call.where if call else "a model output"
        raise UnsupportedError(f"{where}: reads output {ref.tensor} of layer '{ref.layer}'; only single-output layers")
    return tensors[(ref.layer, ref.node)]


def _call_of(spec: KerasModelSpec, ref: Ref) -> LayerCall:
    return next(c for c in spec.calls if c.key == (ref.layer, ref.node))


def _convert(b: Builder, call: LayerCall, ins: list[str]) -> str:
    kind = layer_kind(call.class_name)
    if kind is None:  # scan_unsupported ran first; this guards direct use
        raise UnsupportedError(f"{call.where}: layer class not supported")
    if kind.inputs is None and len(ins) < 2:
        raise ModelLoadError(f"{call.where}: needs two or more inputs, got {len(ins)}")
    if kind.inputs is not None and len(ins) != kind.inputs:
        raise ModelLoadError(f"{call.where}: needs {kind.inputs} input(s), got {len(ins)}")
    try:
        return kind.handler(b, call, ins)
    except Rtl4mlError:
        raise
    except ValueError as e:  # an IR op refused its attributes
        raise GraphError(f"{call.where}: {e}") from None


def _live(b: Builder, outputs: list[str]):
    """Nodes the outputs need, and every input (a model input may go unused)."""
    live = set(outputs)
    for node in reversed(b.nodes):
        if node.name in live:
            live.update(node.inputs)
    return [n for n in b.nodes if n.name in live or not n.inputs]

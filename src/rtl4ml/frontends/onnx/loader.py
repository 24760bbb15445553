"""Reading and checking an ONNX model, and the import driver :func:`load_onnx`."""

from __future__ import annotations

import os
from pathlib import Path

import onnx
from onnx import numpy_helper

from ...errors import GraphError, ModelLoadError, Rtl4mlError, UnsupportedError
from ...ir import Graph, Input
from ..layout import Layout
from ..model import ImportedModel
from .builder import Builder, Tensor, attributes, where
from .folding import DEFAULT_DOMAINS, SHAPE_OPS, evaluate, foldable, live_nodes, scan_unsupported, shape_of
from .qonnx_params import QONNX_DOMAINS
from .registry import HANDLERS, QONNX_HANDLERS, supported_custom_ops, supported_ops
from .trained import propagate_constant_types, trained_configs

MIN_OPSET, MAX_OPSET = 7, 21

#: ONNX ops that read their first input channels-first.
CHANNELS_FIRST_OPS = frozenset(
    {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization"}
)
#: Ops through which a graph input's layout is looked for (element-wise, or channel concat).
PASS_THROUGH_OPS = frozenset(
    {"Relu", "LeakyRelu", "Clip", "Tanh", "Sigmoid", "HardSigmoid", "Dropout", "Identity", "Add", "Concat"}
    | {"Quant", "BipolarQuant", "Trunc"}  # QONNX quantizers
)
FLOAT_TYPES = frozenset(
    {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16}
)


def load_onnx(model: str | os.PathLike | onnx.ModelProto) -> ImportedModel:
    """Import an ONNX model (a path to a ``.onnx`` file or a ``ModelProto``) into the IR.

    Raises :class:`ModelLoadError` if the file is missing, unreadable or not a valid
    ONNX model, and :class:`UnsupportedError` (naming every offending op type and node
    at once) if it uses operations or attributes rtl4ml cannot import.
    """
    proto, origin = read_model(model)
    opset = default_opset(proto, origin)
    nodes = live_nodes(proto.graph)
    scan_unsupported(proto.graph, nodes, supported_ops(), supported_custom_ops())
    check_model(proto, model, origin)
    b = Builder(proto.graph, nodes, opset)
    input_layouts = _add_inputs(b)
    for node in nodes:
        _add_node(b, node)
    return _finish(b, input_layouts)


def read_model(model) -> tuple[onnx.ModelProto, str]:
    """The ModelProto and a description of where it came from, for messages."""
    if isinstance(model, onnx.ModelProto):
        return model, f"ONNX model '{model.graph.name or 'unnamed'}'"
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"expected a path or an onnx.ModelProto, got {type(model).__name__}")
    path = Path(model)
    if not path.exists():
        raise ModelLoadError(f"cannot load ONNX model '{path}': file not found")
    if not path.is_file():
        raise ModelLoadError(f"cannot load ONNX model '{path}': not a file")
    try:
        proto = onnx.load(str(path))
    except Exception as e:  # protobuf and file errors of many types
        reason = _one_line(e)
        raise ModelLoadError(f"cannot load ONNX model '{path}': not a readable ONNX protobuf ({reason})") from None
    if not proto.HasField("graph") or not proto.ir_version:
        raise ModelLoadError(f"cannot load ONNX model '{path}': not an ONNX model (no graph or IR version)")
    return proto, f"ONNX model '{path}'"


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    return (text[:200] + "...") if len(text) > 200 else (text or type(e).__name__)


def default_opset(proto: onnx.ModelProto, origin: str) -> int:
    """The default-domain opset version, which must be in the supported range."""
    versions = [o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise ModelLoadError(f"invalid {origin}: it imports no default-domain (ai.onnx) opset")
    opset = int(versions[0])
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise UnsupportedError(f"{origin} uses opset {opset}; supported opsets are {MIN_OPSET} to {MAX_OPSET}")
    return opset


def check_model(proto: onnx.ModelProto, model, origin: str) -> None:
    """Run the ONNX checker; failures become a one-line ModelLoadError."""
    try:
        if isinstance(model, onnx.ModelProto):
            onnx.checker.check_model(proto)
        else:
            onnx.checker.check_model(str(model))
    except Exception as e:
        raise ModelLoadError(f"invalid {origin}: {_one_line(e)}") from None


def _channels_first_input(b: Builder, name: str) -> bool:
    """Does this input reach a channels-first op, through element-wise ops only?"""
    if any(u.op_type == "Transpose" for u in b.users.get(name, ())):
        return False
    seen, todo = {name}, [name]
    while todo:
        tensor = todo.pop()
        for user in b.users.get(tensor, ()):
            if user.op_type in CHANNELS_FIRST_OPS and user.input[0] == tensor:
                return True
            if user.op_type in PASS_THROUGH_OPS and user.output and user.output[0] not in seen:
                seen.add(user.output[0])
                todo.append(user.output[0])
    return False


def _add_inputs(b: Builder) -> dict[str, Layout]:
    graph = b.graph
    for init in graph.initializer:
        b.set(init.name, numpy_helper.to_array(init))
    runtime = [i for i in graph.input if i.name not in b.values]
    if not runtime:
        raise UnsupportedError("the ONNX graph has no runtime inputs")
    batches, layouts = set(), {}
    for i in runtime:
        what = f"graph input '{i.name}'"
        tt = i.type.tensor_type
        if not i.type.HasField("tensor_type") or tt.elem_type not in FLOAT_TYPES:
            raise UnsupportedError(f"{what}: only floating-point tensor inputs are supported")
        dims = list(tt.shape.dim) if tt.HasField("shape") else []
        if len(dims) < 2:
            raise UnsupportedError(f"{what}: needs a batch axis and at least one more axis, got rank {len(dims)}")
        if dims[0].HasField("dim_value") and dims[0].dim_value > 0:
            batches.add(dims[0].dim_value)
        sample = tuple(d.dim_value if d.HasField("dim_value") else 0 for d in dims[1:])
        if min(sample) < 1:
            raise UnsupportedError(f"{what}: per-sample shape must be static, got {[_dim_text(d) for d in dims]}")
        if len(sample) >= 2 and _channels_first_input(b, i.name):
            ir_shape = sample[1:] + sample[:1]
            layout = Layout.channels_first(ir_shape)
        else:
            ir_shape, layout = sample, Layout.identity(sample)
        b.emit(i.name, Input(ir_shape), [])
        b.set(i.name, Tensor(i.name, layout, fresh=True))
        layouts[i.name] = layout
    b.batch = batches.pop() if len(batches) == 1 else 1
    return layouts


def _dim_text(d) -> str:
    return str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")


def _add_node(b: Builder, node: onnx.NodeProto) -> None:
    if foldable(node, b.is_constant):
        results = evaluate(node, b.values, b.opset)
        for name, value in results.items():
            b.set(name, value)
        propagate_constant_types(b, node, results)
    elif node.op_type in SHAPE_OPS and node.domain in DEFAULT_DOMAINS:
        b.set(node.output[0], shape_of(node, b.runtime(node, 0), b.batch, attributes(node)))
    else:
        if node.domain in QONNX_DOMAINS:
            handler = QONNX_HANDLERS.get(node.op_type)
        else:
            handler = HANDLERS.get(node.op_type) if node.domain in DEFAULT_DOMAINS else None
        if handler is None:  # the scan let it through only if it were constant
            raise UnsupportedError(f"{where(node)}: not supported on computed (non-constant) inputs")
        try:
            handler(b, node)
        except Rtl4mlError:
            raise
        except ValueError as e:  # an IR op refused its attributes
            raise GraphError(f"{where(node)}: {e}") from None


def _finish(b: Builder, input_layouts: dict[str, Layout]) -> ImportedModel:
    for out in b.graph.output:
        if not isinstance(b.values.get(out.name), Tensor):
            raise UnsupportedError(f"graph output '{out.name}' is a constant; only computed outputs are supported")
    outputs, output_layouts = b.outputs_of((out.name, b.values[out.name]) for out in b.graph.output)
    nodes = b.live_nodes(outputs)
    configs = trained_configs(b, nodes)
    graph = Graph([b.ir_node(n.name) for n in nodes], outputs, name=b.graph.name or "model")
    return ImportedModel(graph, input_layouts, output_layouts, source="onnx", layer_configs=configs)

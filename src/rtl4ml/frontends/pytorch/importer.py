"""The import driver :func:`load_torch`: trace, scan, check shapes, import, finish."""

from __future__ import annotations

import contextlib
import copy
import inspect
import os
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import fx, nn

from ...errors import GraphError, ModelLoadError, Rtl4mlError, UnsupportedError
from ...ir import Graph, Input
from ..layout import Layout
from ..model import ImportedModel
from ..onnx.builder import Tensor
from .context import Context, arg_nodes, as_array, attribute, sanitize
from .files import read_module_file, read_state_dict
from .functions import FUNCTIONS, METHODS
from .modules import MODULES, Role
from .scan import Scan, scan

PROBE_BATCH = 2  # samples run through the traced module to check the input shape


def load_torch(
    model, input_shape: Sequence[int] | None = None, weights=None, allow_pickle: bool = False
) -> ImportedModel:
    """Import a PyTorch model into the IR.

    ``model``: a ``torch.nn.Module`` (left unchanged: it is read in eval mode and its
    training flags are restored) or a path to a ``.pt``/``.pth`` file holding one.
    ``input_shape``: one input sample without the batch axis, channels-first as
    PyTorch uses it, e.g. ``(1, 28, 28)``. ``weights``: a state-dict file loaded
    (without running code from it) into a copy of the module. ``allow_pickle``: load a
    file holding a fully pickled module, which runs code from the file.

    The module is traced with ``torch.fx.symbolic_trace``; every unsupported module,
    module setting or function is reported in one :class:`UnsupportedError`. IR tensors
    are channels-last; ``input_layouts``/``output_layouts`` keep PyTorch's own layout
    for data going in and out.
    """
    if isinstance(model, (str, os.PathLike)):
        module = read_module_file(model, allow_pickle)
        origin = f"PyTorch model '{model}'"
    elif isinstance(model, nn.Module):
        module, origin = model, f"PyTorch module {type(model).__name__}"
    else:
        raise UnsupportedError(f"expected a torch.nn.Module or a .pt/.pth path, got a {type(model).__name__}")
    shape = _input_shape(input_shape, origin)
    if weights is not None:
        module = _with_weights(module, weights)
    with _eval_mode(module):
        gm = _trace(module, origin)
        nodes = _live_nodes(gm.graph)
        found = scan(gm, nodes)
        _single_input(nodes, origin)
        probe = _probe(gm, nodes, shape, origin)
        return _import(gm, nodes, found, probe, shape, type(module).__name__)


# ---- preparing the module -----------------------------------------------------------------
def _input_shape(input_shape, origin: str) -> tuple[int, ...]:
    if input_shape is None:
        raise ModelLoadError(
            f"{origin}: a PyTorch model needs the shape of one input sample, channels-first and without the batch "
            "axis: give input_shape=(1, 28, 28) in Python or --input-shape 1,28,28 on the command line"
        )
    try:
        shape = (int(input_shape),) if isinstance(input_shape, int) else tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        shape = ()
    if not shape or min(shape) < 1:
        raise ModelLoadError(f"{origin}: input_shape {input_shape!r} must be one or more positive integers")
    return shape


def _with_weights(module: nn.Module, weights) -> nn.Module:
    state = read_state_dict(weights)
    try:
        copied = copy.deepcopy(module)
    except Exception as e:
        raise ModelLoadError(f"cannot copy the module to load weights file '{weights}' into it: {e}") from None
    try:
        copied.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError, ValueError) as e:
        text = " ".join(str(e).split())
        raise ModelLoadError(f"PyTorch weights file '{weights}' does not fit the module: {text[:400]}") from None
    return copied


@contextlib.contextmanager
def _eval_mode(module: nn.Module):
    """Eval mode for the duration, restoring every submodule's training flag."""
    flags = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


def _trace(module: nn.Module, origin: str) -> fx.GraphModule:
    root = module
    if fx.Tracer().is_leaf_module(module, ""):  # a bare layer: trace it as a call, not its internals
        root = nn.Sequential(OrderedDict([(sanitize(type(module).__name__.lower()), module)]))
    try:
        return fx.symbolic_trace(root)
    except Exception as e:
        text = " ".join(str(e).split())[:300] or type(e).__name__
        raise UnsupportedError(
            f"{origin}: torch.fx cannot trace forward() ({type(e).__name__}: {text}); rtl4ml needs a forward() "
            "without Python control flow that depends on tensor values"
        ) from None


def _live_nodes(graph: fx.Graph) -> list[fx.Node]:
    """The nodes the output depends on (dead code dropped), in graph order; no output node."""
    output = next(n for n in reversed(graph.nodes) if n.op == "output")
    live, todo = set(), list(arg_nodes(output))
    while todo:
        n = todo.pop()
        if n.name not in live:
            live.add(n.name)
            todo.extend(arg_nodes(n))
    return [n for n in graph.nodes if n.name in live]


class _Probe(fx.Interpreter):
    """Runs the traced module, recording each tensor's shape."""

    def __init__(self, gm):
        super().__init__(gm)
        self.shapes: dict[str, tuple[int, ...]] = {}

    def run_node(self, n):
        result = super().run_node(n)
        if isinstance(result, torch.Tensor):
            self.shapes[n.name] = tuple(result.shape)
        return result


def _probe(gm: fx.GraphModule, nodes, shape: tuple[int, ...], origin: str) -> dict[str, tuple[int, ...]]:
    """Run the module once on zeros: the input shape must fit, and gives every shape."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    dtype = next((p.dtype for p in gm.parameters() if p.is_floating_point()), torch.float32)
    live = {n.name for n in nodes}
    args = [torch.zeros((PROBE_BATCH,) + shape, dtype=dtype) if n.name in live else _default(n) for n in placeholders]
    probe = _Probe(gm)
    try:
        with torch.no_grad():
            probe.run(*args)
    except Exception as e:
        text = " ".join(str(e).split())[:300] or type(e).__name__
        raise ModelLoadError(
            f"{origin} does not run on input_shape {shape} (a batch of shape {(PROBE_BATCH,) + shape}): {text}; "
            "give one sample's shape, channels-first, without the batch axis"
        ) from None
    return probe.shapes


def _default(placeholder: fx.Node):
    """The value an unused extra argument of forward() gets: its default, else None."""
    return placeholder.args[0] if placeholder.args else None


def _single_input(nodes: list[fx.Node], origin: str) -> None:
    used = [n.target for n in nodes if n.op == "placeholder"]
    if len(used) != 1:
        raise UnsupportedError(
            f"{origin}: forward() uses {len(used)} inputs {used}; only models with one input tensor are supported"
        )


# ---- importing ----------------------------------------------------------------------------
def _channels_first_input(found: Scan, placeholder: fx.Node) -> bool:
    """Does the input reach a channels-first call (as its first argument) through
    element-wise calls only? Then it is stored channels-last."""
    seen, todo = {placeholder.name}, [placeholder]
    while todo:
        node = todo.pop()
        for user in node.users:
            role = found.roles.get(user.name)
            if role is Role.CHANNELS_FIRST and user.args and user.args[0] is node:
                return True
            if role is Role.ELEMENTWISE and user.name not in seen:
                seen.add(user.name)
                todo.append(user)
    return False


def _add_input(c: Context, node: fx.Node, shape: tuple[int, ...], found: Scan) -> Layout:
    if len(shape) >= 2 and _channels_first_input(found, node):
        ir_shape = shape[1:] + shape[:1]
        layout = Layout.channels_first(ir_shape)
    else:
        ir_shape, layout = shape, Layout.identity(shape)
    ir = c.b.emit(sanitize(node.name), Input(ir_shape), [])
    c.b.set(node.name, Tensor(ir, layout, fresh=True))
    return layout


def _convert(c: Context, node: fx.Node) -> None:
    if node.op == "get_attr":
        c.b.set(node.name, as_array(attribute(c.gm, node.target)))
        return
    args = c.resolve(node.args)
    kwargs = c.resolve(node.kwargs)
    if node.op == "call_module":
        module = c.gm.get_submodule(node.target)
        if len(args) != 1 or kwargs:
            raise UnsupportedError(f"{c.where(node)}: called with {len(args)} arguments; only with one tensor")
        c.tensor(node, args[0])
        MODULES[type(module)].convert(c, node, module, args[0])
        return
    spec = METHODS[node.target] if node.op == "call_method" else FUNCTIONS[node.target]
    try:
        inspect.signature(spec.convert).bind(c, node, *args, **kwargs)
    except TypeError as e:
        raise UnsupportedError(f"{c.where(node)}: arguments not understood ({e})") from None
    value = spec.convert(c, node, *args, **kwargs)
    if value is not None:
        c.py[node.name] = value


def _check_shape(c: Context, node: fx.Node, probe: dict[str, tuple[int, ...]]) -> None:
    value = c.b.values.get(node.name)
    if isinstance(value, Tensor) and node.name in probe and value.shape != probe[node.name][1:]:
        raise GraphError(
            f"{c.where(node)}: imported per-sample shape {value.shape} differs from PyTorch's "
            f"{probe[node.name][1:]}; this is an rtl4ml bug, please report it"
        )


def _outputs(gm: fx.GraphModule) -> list[fx.Node]:
    output = next(n for n in reversed(gm.graph.nodes) if n.op == "output")
    found: list[fx.Node] = []
    fx.node.map_arg(output.args[0], lambda a: found.append(a) or a)
    return found


def _import(gm, nodes, found: Scan, probe, shape, name: str) -> ImportedModel:
    outputs = _outputs(gm)
    c = Context(gm, nodes, [o.name for o in outputs], found.labels, found.shape_readers)
    input_layouts = {}
    for node in nodes:
        if node.op == "placeholder":
            layout = _add_input(c, node, shape, found)
            input_layouts[c.b.values[node.name].ir] = layout
            continue
        try:
            _convert(c, node)
        except Rtl4mlError:
            raise
        except ValueError as e:  # an IR op refused its attributes
            raise GraphError(f"{c.where(node)}: {e}") from None
        except TypeError as e:  # an argument of a type the call does not take here
            raise UnsupportedError(f"{c.where(node)}: {e}") from None
        _check_shape(c, node, probe)
    return _finish(c, outputs, input_layouts, name)


def _finish(c: Context, outputs: list[fx.Node], input_layouts: dict[str, Layout], name: str) -> ImportedModel:
    b = c.b
    names, output_layouts = b.outputs_of((sanitize(out.name), b.values.get(out.name)) for out in outputs)
    return ImportedModel(Graph(b.live_nodes(names), names, name=name), input_layouts, output_layouts, source="torch")


"""One pass over the traced graph before importing: what each fx node computes (a
tensor, a constant, a size), and one error listing every unsupported call."""

from __future__ import annotations

import builtins
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

import torch
from torch import fx

from ...errors import UnsupportedError
from .context import arg_nodes, attribute
from .functions import FUNCTIONS, METHODS, FunctionSpec, function_name, supported_functions
from .modules import MODULES, Role, module_name, supported_modules


class Kind(Enum):
    TENSOR = "tensor"  # a runtime tensor
    CONSTANT = "constant"  # a parameter or buffer read in forward()
    SIZE = "size"  # a size or shape: folded at import
    OPAQUE = "opaque"  # the result of an unsupported call (already reported)


@dataclass
class Scan:
    kinds: dict[str, Kind] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # how messages name each node's call
    roles: dict[str, Role] = field(default_factory=dict)
    shape_readers: set[str] = field(default_factory=set)


def _function_spec(node: fx.Node) -> tuple[FunctionSpec | None, str]:
    if node.op == "call_method":
        return METHODS.get(node.target), f"Tensor.{node.target}"
    try:
        spec = FUNCTIONS.get(node.target)
    except TypeError:  # an unhashable callable
        spec = None
    return spec, function_name(node.target)


def _call_kind(node: fx.Node, spec: FunctionSpec, label: str, kinds: dict[str, Kind]) -> tuple[Kind, str | None]:
    """The kind of a supported call's result, or a problem with how it is used. Results
    of unsupported calls count as runtime tensors where a weight is needed."""
    for i in spec.constant_args:
        arg = node.args[i] if i < len(node.args) else None
        if isinstance(arg, fx.Node) and kinds[arg.name] in (Kind.TENSOR, Kind.OPAQUE):
            return Kind.OPAQUE, f"{label} of two runtime tensors (only by a constant weight)"
    ins = [kinds[a.name] for a in arg_nodes(node)]
    if Kind.OPAQUE in ins:
        return Kind.OPAQUE, None
    has_data = Kind.TENSOR in ins or Kind.CONSTANT in ins
    if spec.reads_shape:
        if node.target is builtins.getattr and node.args[1] != "shape":
            return Kind.OPAQUE, f"Tensor.{node.args[1]} (tensor attribute)"
        return Kind.SIZE, None
    if not has_data and spec.on_sizes:
        return Kind.SIZE, None
    if not spec.on_tensors:
        return Kind.OPAQUE, f"{label} on tensors"
    return Kind.TENSOR, None


def scan(gm: fx.GraphModule, nodes: list[fx.Node]) -> Scan:
    """Classify every node; raise one UnsupportedError naming every unsupported module
    class, module setting and function with the modules and nodes using it."""
    s = Scan()
    problems: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        opaque = any(s.kinds.get(a.name) is Kind.OPAQUE for a in arg_nodes(node))
        kind, role = Kind.TENSOR, Role.OTHER
        if node.op == "placeholder":
            label = "input"
        elif node.op == "get_attr":
            label, kind = "parameter", Kind.CONSTANT
            if not isinstance(attribute(gm, node.target), torch.Tensor):
                problems["a non-tensor attribute read in forward()"].append(f"'{node.target}'")
                kind = Kind.OPAQUE
        elif node.op == "call_module":
            cls = type(gm.get_submodule(node.target))
            label, where = cls.__name__, f"module '{node.target}'"
            spec = MODULES.get(cls)
            if spec is None:
                problems[module_name(cls)].append(where)
                kind = Kind.OPAQUE
            else:
                role = spec.role
                for p in spec.check(gm.get_submodule(node.target)):
                    problems[f"{module_name(cls)} with {p}"].append(where)
        elif node.op in ("call_function", "call_method"):
            spec, label = _function_spec(node)
            if spec is None:
                problems[label].append(f"node '{node.name}'")
                kind = Kind.OPAQUE
            else:
                role = spec.role
                if spec.reads_shape:
                    s.shape_readers.add(node.name)
                kind, problem = _call_kind(node, spec, label, s.kinds)
                if problem:
                    problems[problem].append(f"node '{node.name}'")
        else:
            continue
        s.kinds[node.name] = Kind.OPAQUE if opaque else kind
        s.labels[node.name] = label
        s.roles[node.name] = role
    if problems:
        parts = [f"{what} ({', '.join(places)})" for what, places in sorted(problems.items())]
        raise UnsupportedError(
            f"unsupported PyTorch operation(s): {'; '.join(parts)}. Supported modules: "
            f"{', '.join(supported_modules())}; functions and tensor methods: {', '.join(supported_functions())}"
        )
    return s

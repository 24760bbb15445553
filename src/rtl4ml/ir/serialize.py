"""Graphs to JSON and back, losslessly.

Weights are either written inline (JSON numbers round-trip float64 exactly) or into
an ``.npz`` file beside the JSON, referenced by key. Op classes and enums are named by
their Python names; they are looked up only here, when reading a file.
"""

from __future__ import annotations

import io
import json
import typing
from dataclasses import fields, is_dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..fixed import FixedType, parse_fixed
from ..util.files import write_bytes_atomic, write_text_atomic
from . import ops as O
from .graph import Graph, Node
from .precision import NodePrecision, Table

FORMAT = "rtl4ml-graph"
VERSION = 1
_CLASSES = {c.__name__: c for c in (*O.ALL_OPS, NodePrecision, Table)}


class _Encoder:
    def __init__(self, arrays: dict[str, np.ndarray] | None):
        self.arrays = arrays  # None: inline

    def value(self, v, key: str):
        if isinstance(v, np.ndarray):
            if self.arrays is None:
                return {"array": v.tolist(), "shape": list(v.shape)}
            self.arrays[key] = v
            return {"npz": key}
        if isinstance(v, FixedType):
            return {"fixed": str(v)}
        if isinstance(v, Enum):
            return v.value
        if is_dataclass(v):
            d = {f.name: self.value(getattr(v, f.name), f"{key}.{f.name}") for f in fields(v)}
            return {"class": type(v).__name__, **d}
        if isinstance(v, tuple):
            return [self.value(x, f"{key}.{i}") for i, x in enumerate(v)]
        if isinstance(v, float) and not np.isfinite(v):
            return {"float": repr(v)}  # standard JSON has no infinities
        return v


def graph_to_dict(graph: Graph, arrays: dict[str, np.ndarray] | None = None) -> dict:
    enc = _Encoder(arrays)
    nodes = []
    for n in graph.nodes:
        d = {"name": n.name, "op": enc.value(n.op, n.name), "inputs": list(n.inputs)}
        if n.aliases:
            d["aliases"] = list(n.aliases)
        if n.precision is not None:
            d["precision"] = enc.value(n.precision, f"{n.name}.precision")
        nodes.append(d)
    return {"format": FORMAT, "version": VERSION, "name": graph.name, "outputs": list(graph.outputs), "nodes": nodes}


def _decode(v, hint, arrays):
    if isinstance(v, dict) and "class" in v:
        cls = _CLASSES.get(v["class"])
        if cls is None:
            raise ValueError(f"unknown class {v['class']!r}")
        hints = typing.get_type_hints(cls)
        kw = {k: _decode(x, hints.get(k), arrays) for k, x in v.items() if k != "class"}
        return cls(**kw)
    if isinstance(v, dict) and "array" in v:
        return np.array(v["array"], dtype=np.float64).reshape(v["shape"])
    if isinstance(v, dict) and "npz" in v:
        if arrays is None or v["npz"] not in arrays:
            raise ValueError(f"weights '{v['npz']}' missing from the .npz file")
        return np.asarray(arrays[v["npz"]])
    if isinstance(v, dict) and "fixed" in v:
        return parse_fixed(v["fixed"])
    if isinstance(v, dict) and "float" in v:
        return float(v["float"])
    for option in typing.get_args(hint) or (hint,):
        if isinstance(option, type) and issubclass(option, Enum):
            return option(v)
    if isinstance(v, list):
        inner = [a for a in typing.get_args(hint) if a is not Ellipsis]
        return tuple(_decode(x, inner[0] if len(inner) == 1 else None, arrays) for x in v)
    return v


def graph_from_dict(d: dict, arrays=None) -> Graph:
    if d.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} file (format field is {d.get('format')!r})")
    nodes = []
    for n in d["nodes"]:
        op = _decode(n["op"], None, arrays)
        prec = _decode(n["precision"], None, arrays) if "precision" in n else None
        nodes.append(Node(n["name"], op, tuple(n["inputs"]), prec, tuple(n.get("aliases", ()))))
    return Graph(nodes, d["outputs"], d.get("name", "model"))


def save_graph(graph: Graph, path, weights: str = "inline") -> None:
    """Write ``graph`` to ``path`` (.json); ``weights="npz"`` puts arrays in ``path.npz``."""
    p = Path(path)
    if weights not in ("inline", "npz"):
        raise ValueError(f"weights must be 'inline' or 'npz', got {weights!r}")
    arrays: dict[str, np.ndarray] | None = {} if weights == "npz" else None
    text = json.dumps(graph_to_dict(graph, arrays), indent=1, allow_nan=False)
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        write_bytes_atomic(p.with_suffix(".npz"), buf.getvalue())
    write_text_atomic(p, text)


def load_graph(path) -> Graph:
    """Read a graph written by :func:`save_graph`."""
    p = Path(path)
    try:
        d = json.loads(p.read_text())
        arrays = None
        if p.with_suffix(".npz").exists():
            with np.load(p.with_suffix(".npz")) as z:
                arrays = {k: z[k] for k in z.files}
        return graph_from_dict(d, arrays)
    except FileNotFoundError:
        raise ModelLoadError(f"graph file '{p}' does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ModelLoadError(f"cannot read graph file '{p}': {e}") from None

"""Solved adder graphs kept on disk, so that a weight matrix is solved once per machine.

da4ml's solver takes seconds on a large matrix; the same integers, input range, delay
constraint and da4ml version always give the same graph. A graph that took long to solve
is stored under a hash of those, and any later process (``rtl4ml estimate`` sweeping
types, then ``rtl4ml build`` of the chosen one) reads it instead of solving again.

The folder is ``adder-graphs`` under ``$RTL4ML_CACHE_DIR``, else
``$XDG_CACHE_HOME/rtl4ml``, else ``~/.cache/rtl4ml``; ``RTL4ML_CACHE_DIR=off`` turns the
store off. It is only a shortcut:
a file that cannot be read is solved anew, a graph read back is used only when it
computes its matrix exactly (the caller checks), and a folder that cannot be written is
left alone.
"""

from __future__ import annotations

import hashlib
import io
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..util.files import write_bytes_atomic
from .adder_graph import AddNode, AdderGraph, Ref

ENV = "RTL4ML_CACHE_DIR"
FORMAT = b"rtl4ml adder graph 1"
SOLVE_SECONDS_WORTH_STORING = 0.05  # faster solves are cheaper than a file


def store_dir() -> Path | None:
    """The folder graphs are kept in, or None when the store is off."""
    chosen = os.environ.get(ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off") else Path(chosen) / "adder-graphs"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rtl4ml" / "adder-graphs"


@lru_cache(maxsize=1)
def _solver_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("da4ml")
    except PackageNotFoundError:
        return None


def graph_key(weight: np.ndarray, x_lo: int, x_hi: int, delay_constraint: int) -> str | None:
    """The name a da4ml solution of ``weight`` is stored under (None without da4ml)."""
    if _solver_version() is None:
        return None
    w = np.ascontiguousarray(weight, dtype=np.int64)
    h = hashlib.sha256(FORMAT)
    h.update(f"|da4ml {_solver_version()}|dc {delay_constraint}|x {x_lo} {x_hi}|shape {w.shape}|".encode())
    h.update(w.tobytes())
    return h.hexdigest()


def _path(key: str | None) -> Path | None:
    folder = store_dir()
    return None if folder is None or key is None else folder / f"{key}.npz"


def _ref_row(ref: Ref | None) -> list[int]:
    return [0, 0, 0, 0] if ref is None else [1, ref.idx, ref.shift, int(ref.neg)]


def _ref(row) -> Ref | None:
    return Ref(int(row[1]), int(row[2]), bool(row[3])) if row[0] else None


def save_graph(key: str | None, graph: AdderGraph) -> None:
    path = _path(key)
    if path is None:
        return
    nodes = np.array([_ref_row(n.a)[1:] + _ref_row(n.b)[1:] for n in graph.nodes], dtype=np.int64).reshape(-1, 6)
    outputs = np.array([_ref_row(r) for r in graph.outputs], dtype=np.int64).reshape(-1, 4)
    buf = io.BytesIO()
    np.savez(buf, n_in=np.int64(graph.n_in), nodes=nodes, outputs=outputs)
    try:
        write_bytes_atomic(path, buf.getvalue())
    except OSError:
        pass  # a read-only or full disk: the next process solves again


def load_graph(key: str | None, source: str) -> AdderGraph | None:
    """The graph stored under ``key`` (None when there is none or it cannot be read)."""
    path = _path(key)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            n_in, nodes, outputs = int(f["n_in"]), f["nodes"], f["outputs"]
        return AdderGraph(n_in, tuple(AddNode(_ref([1, *n[:3]]), _ref([1, *n[3:]])) for n in nodes.tolist()),
                          tuple(_ref(r) for r in outputs.tolist()), source)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None

"""Solved adder graphs kept on disk, so that a weight matrix is solved once per machine.

da4ml's solver takes seconds on a large matrix, and gives the same graph for the same
integers, input range, solver settings and da4ml version. A graph whose solve took at
least SOLVE_SECONDS_WORTH_STORING is stored under a hash of those (and of rtl4ml's
version and this format, which cover how a solution becomes an AdderGraph), and any later
process (``rtl4ml estimate`` sweeping types, then ``rtl4ml build`` of the chosen one)
reads it instead of solving again.

The folder is ``adder-graphs`` under ``$RTL4ML_CACHE_DIR``, else
``$XDG_CACHE_HOME/rtl4ml``, else ``~/.cache/rtl4ml``; ``RTL4ML_CACHE_DIR=off`` (or empty)
turns the store off. It is only a shortcut:
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

from .. import __version__
from ..util.files import write_bytes_atomic
from .adder_graph import AdderGraph, AddNode, Ref

ENV = "RTL4ML_CACHE_DIR"
FORMAT = b"rtl4ml adder graph 1"  # bump when da4ml_graph turns a solution into another graph
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


def graph_key(weight: np.ndarray, x_lo: int, x_hi: int, settings: dict) -> str | None:
    """The name a da4ml solution of ``weight`` is stored under (None without da4ml)."""
    if _solver_version() is None:
        return None
    w = np.ascontiguousarray(weight, dtype=np.int64)
    h = hashlib.sha256(FORMAT)
    h.update(f"|rtl4ml {__version__}|da4ml {_solver_version()}|{sorted(settings.items())}|x {x_lo} {x_hi}|"
             f"shape {w.shape}|".encode())
    h.update(w.tobytes())
    return h.hexdigest()


def _path(key: str | None) -> Path | None:
    folder = store_dir()
    return None if folder is None or key is None else folder / f"{key}.npz"


def _output_row(ref: Ref | None) -> list[int]:
    """An output as (present, idx, shift, neg)."""
    return [0, 0, 0, 0] if ref is None else [1, ref.idx, ref.shift, int(ref.neg)]


def _well_formed(n_in: int, nodes: np.ndarray, outputs: np.ndarray) -> bool:
    """Whether stored tables describe a graph: each node reads earlier values, each
    present output a value, every sign 0 or 1."""
    if nodes.ndim != 2 or nodes.shape[1] != 6 or outputs.ndim != 2 or outputs.shape[1] != 4 or n_in < 1:
        return False
    reads = nodes[:, [0, 3]]
    if np.any(reads < 0) or np.any(reads >= (n_in + np.arange(len(nodes)))[:, None]):
        return False
    present = outputs[outputs[:, 0] == 1]
    if not np.all(np.isin(outputs[:, 0], (0, 1))) or np.any(present[:, 1] < 0) or \
            np.any(present[:, 1] >= n_in + len(nodes)):
        return False
    return bool(np.all(np.isin(nodes[:, [2, 5]], (0, 1))) and np.all(np.isin(present[:, 3], (0, 1))))


def save_graph(key: str | None, graph: AdderGraph) -> None:
    path = _path(key)
    if path is None:
        return
    outputs = np.array([_output_row(r) for r in graph.outputs], dtype=np.int64).reshape(-1, 4)
    buf = io.BytesIO()
    np.savez(buf, n_in=np.int64(graph.n_in), nodes=graph.node_table(), outputs=outputs)
    try:
        write_bytes_atomic(path, buf.getvalue())
    except OSError:
        pass  # a read-only or full disk: the next process solves again


def load_graph(key: str | None, source: str) -> AdderGraph | None:
    """The graph stored under ``key``, or None when there is none or the file is not a
    well-formed graph (every reference to an earlier value, signs 0 or 1). Whether it
    computes its matrix is the caller's check."""
    path = _path(key)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            n_in, nodes, outputs = int(f["n_in"]), f["nodes"], f["outputs"]
        if not _well_formed(n_in, nodes, outputs):
            return None
        return AdderGraph(n_in, tuple(AddNode(Ref(a, sa, bool(na)), Ref(b, sb, bool(nb)))
                                      for a, sa, na, b, sb, nb in nodes.tolist()),
                          tuple(Ref(i, sh, bool(ng)) if on else None for on, i, sh, ng in outputs.tolist()), source)
    except Exception:  # noqa: BLE001 - any unreadable file (truncated, not a zip, wrong arrays) is solved anew
        return None

"""Constant-matrix multiplication as an adder graph: ``y = x @ W`` with shifts and adds.

An :class:`AdderGraph` has ``n_in`` inputs (values 0..n_in-1) and adder nodes (value
``n_in + k`` is node ``k``); each node adds two scaled references, each output is one
scaled reference (or zero). Shifts may be negative: intermediate values may carry
fraction bits; the emitter tracks every value's exact integer range and exponent.

Two builders: canonical signed digits per weight with balanced adder trees (always
available), and, when the optional ``da4ml`` package is installed, its CMVM solver, which
shares common subexpressions across the whole matrix. Either graph is checked against
the matrix exactly (:meth:`AdderGraph.coefficients`) before it is used.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

#: da4ml's solver settings: up to 2 adder levels above the least depth in exchange for
#: fewer adders.
DA4ML_SETTINGS = {"hard_dc": 2}
#: da4ml searches every depth of its two-stage decomposition only for matrices of up to
#: this many weights. On small matrices the search finds cheaper and shallower graphs
#: (2 % fewer adders over the dataset's 41 fully parallel layers) in milliseconds; on large
#: ones it runs on several threads, takes 1.5 to 3 times as long as one depth, and found a
#: cheaper graph for 2 of the example models' and jet MLP's 28 such matrices (2 and 3
#: adders in 630 and 844).
SEARCH_DEPTHS_UP_TO = 512
#: the source of a graph that stands for one being solved (:func:`stand_in_graph`)
STAND_IN = "stand-in"


def solver_settings(weight: np.ndarray) -> dict:
    """da4ml's settings for ``weight`` (the graph store's key holds them)."""
    return {**DA4ML_SETTINGS, "search_all_decompose_dc": weight.size <= SEARCH_DEPTHS_UP_TO}


@dataclass(frozen=True)
class Ref:
    """``±(value[idx] * 2**shift)``."""

    idx: int
    shift: int = 0
    neg: bool = False

    def scaled(self, shift: int, neg: bool) -> Ref:
        return Ref(self.idx, self.shift + shift, self.neg ^ neg)


@dataclass(frozen=True)
class AddNode:
    a: Ref
    b: Ref


@dataclass(frozen=True, eq=False)
class AdderGraph:
    n_in: int
    nodes: tuple[AddNode, ...]
    outputs: tuple[Ref | None, ...]
    source: str  # "csd", "da4ml" or STAND_IN

    @property
    def adders(self) -> int:
        return len(self.nodes)

    @cached_property
    def depths(self) -> tuple[int, ...]:
        """Adder levels from the inputs to each value (inputs: 0)."""
        d = [0] * self.n_in
        for node in self.nodes:
            d.append(max(d[node.a.idx], d[node.b.idx]) + 1)
        return tuple(d)

    def output_depth(self, j: int) -> int:
        ref = self.outputs[j]
        return 0 if ref is None else self.depths[ref.idx]

    def signs(self, biases: Sequence[int]) -> tuple[list[bool], list[tuple[bool, bool]]]:
        """How the emitter writes each node, so that it is a sum or one operand minus the
        other: per value (inputs first) whether it is built negated, and per node whether
        each of its two operands enters it negated (at most one does). A node whose
        operands both arrive negated is their sum, negated; one an output takes negated
        with no bias to subtract it from (``biases``: each output's constant) is kept
        negated when exactly one operand arrives negated, which saves the output a
        negation for nothing."""
        wanted = {ref.idx for ref, b in zip(self.outputs, biases) if ref is not None and ref.neg and not b}
        kept = [False] * self.n_in
        terms = []
        for k, node in enumerate(self.nodes):
            na, nb = kept[node.a.idx] ^ node.a.neg, kept[node.b.idx] ^ node.b.neg
            pol = (na and nb) or (self.n_in + k in wanted and na != nb)
            kept.append(pol)
            terms.append((na != pol, nb != pol))
        return kept, terms

    def coefficients(self, exact: bool = False) -> list[tuple[list[int], int]]:
        """Per value: (integer coefficients over the inputs, exponent e) with
        ``value = Σ c_i x_i * 2**e`` exactly; ``c`` is reduced (not all even unless 0).
        From :meth:`coefficient_matrix` when it fits, else (or with ``exact``) in Python
        integers. Computed on each call: a large graph's table is large."""
        m = None if exact else self.coefficient_matrix()
        if m is not None:
            return list(zip(m[0].tolist(), m[1].tolist()))
        vals: list[tuple[list[int], int]] = [([int(i == k) for i in range(self.n_in)], 0) for k in range(self.n_in)]

        def term(ref: Ref):
            c, e = vals[ref.idx]
            return [-v for v in c] if ref.neg else c, e + ref.shift

        for node in self.nodes:
            (ca, ea), (cb, eb) = term(node.a), term(node.b)
            e = min(ea, eb)
            c = [(u << (ea - e)) + (v << (eb - e)) for u, v in zip(ca, cb)]
            vals.append(_reduce(c, e))
        return vals

    def node_table(self) -> np.ndarray:
        """The nodes as rows (a.idx, a.shift, a.neg, b.idx, b.shift, b.neg), int64."""
        return np.array([(nd.a.idx, nd.a.shift, nd.a.neg, nd.b.idx, nd.b.shift, nd.b.neg) for nd in self.nodes],
                        dtype=np.int64).reshape(-1, 6)

    def coefficient_matrix(self) -> tuple[np.ndarray, np.ndarray] | None:
        """:meth:`coefficients` as arrays (int64 coefficients, one row per value, and the
        exponents), computed a depth level at a time; None when a coefficient could
        leave 62 bits (then only Python integers serve)."""
        n = self.n_in + len(self.nodes)
        c = np.zeros((n, self.n_in), dtype=np.int64)
        c[np.arange(self.n_in), np.arange(self.n_in)] = 1
        e = np.zeros(n, dtype=np.int64)
        if not self.nodes:
            return c, e
        refs = self.node_table()
        depth = np.array(self.depths[self.n_in:])
        for level in range(1, int(depth.max()) + 1):
            k = np.flatnonzero(depth == level)
            ia, ib = refs[k, 0], refs[k, 3]
            ca = np.where(refs[k, 2:3] == 1, -c[ia], c[ia])
            cb = np.where(refs[k, 5:6] == 1, -c[ib], c[ib])
            ea, eb = e[ia] + refs[k, 1], e[ib] + refs[k, 4]
            low = np.minimum(ea, eb)
            room = _bit_lengths(np.maximum(np.abs(ca).max(axis=1), np.abs(cb).max(axis=1)))
            if np.any(room + np.maximum(ea, eb) - low > 61):  # each term below 2**61: the sum fits
                return None
            total = (ca << (ea - low)[:, None]) + (cb << (eb - low)[:, None])
            c[self.n_in + k], e[self.n_in + k] = _reduce_rows(total, low)
        return c, e

    def mismatch(self, weight: np.ndarray) -> str | None:
        """Why the graph does not compute ``x @ weight`` exactly (None when it does)."""
        if weight.shape != (self.n_in, len(self.outputs)):
            return f"the graph is {self.n_in} x {len(self.outputs)}, the weights {weight.shape[0]} x {weight.shape[1]}"
        m = self.coefficient_matrix()
        exact = self.coefficients(exact=True) if m is None else None
        for j, ref in enumerate(self.outputs):
            col = [int(v) for v in weight[:, j]]
            if ref is None:
                if any(col):
                    return f"output {j}: zero in the graph, nonzero weights"
                continue
            c, e = exact[ref.idx] if m is None else (m[0][ref.idx].tolist(), int(m[1][ref.idx]))
            e += ref.shift
            c = [-v for v in c] if ref.neg else c
            got = [v << e if e >= 0 else (v >> -e if v % (1 << -e) == 0 else None) for v in c]
            if got != col:
                return f"output {j}: the adder graph does not compute the weight column"
        return None

    def check(self, weight: np.ndarray) -> None:
        """Raise AssertionError unless the graph computes ``x @ weight`` exactly."""
        problem = self.mismatch(weight)
        if problem is not None:
            raise AssertionError(problem)


def _bit_lengths(v: np.ndarray) -> np.ndarray:
    """Bit length of each non-negative int64 (from log2 of its float, which can round a
    value just below a power of two up to it: one too many, then taken back)."""
    out = np.zeros(v.shape, dtype=np.int64)
    nz = v > 0
    guess = np.floor(np.log2(v[nz].astype(np.float64))).astype(np.int64) + 1
    out[nz] = guess - ((v[nz] >> (guess - 1)) == 0)
    return out


def _reduce_rows(c: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row of ``c`` with its common factors of two moved into ``e`` (zero rows: e 0)."""
    ors = np.bitwise_or.reduce(np.abs(c), axis=1)
    zero = ors == 0
    twos = np.where(zero, 0, _bit_lengths(ors & -ors) - 1)
    return c >> twos[:, None], np.where(zero, 0, e + twos)


def _reduce(c: list[int], e: int) -> tuple[list[int], int]:
    if not any(c):
        return c, 0
    while all(v % 2 == 0 for v in c):
        c = [v >> 1 for v in c]
        e += 1
    return c, e


def csd_digits(value: int) -> list[tuple[int, bool]]:
    """Canonical signed digits of an integer: [(shift, negative)], no two adjacent."""
    digits = []
    k = 0
    v = int(value)
    while v:
        if v & 1:
            d = 2 - (v & 3)  # +1 or -1
            digits.append((k, d < 0))
            v -= d
        v >>= 1
        k += 1
    return digits


def combine_tree(items: list[tuple[int, object]], combine) -> tuple[int, object]:
    """Sum ``items`` ((depth, payload) pairs) with a tree of two-input adders of least
    depth: always add the two shallowest. ``combine(a, b, depth)`` builds the sum of two
    payloads at ``depth``. Returns (depth, payload) of the total. Deterministic."""
    heap = [(d, i, p) for i, (d, p) in enumerate(items)]
    heapq.heapify(heap)
    count = len(heap)
    while len(heap) > 1:
        da, _, a = heapq.heappop(heap)
        db, _, b = heapq.heappop(heap)
        d = max(da, db) + 1
        heapq.heappush(heap, (d, count, combine(a, b, d)))
        count += 1
    d, _, p = heap[0]
    return d, p


def tree_depth(depths: list[int]) -> int:
    """Depth of :func:`combine_tree` over items of these depths (0 for none)."""
    if not depths:
        return 0
    return combine_tree([(d, None) for d in depths], lambda a, b, d: None)[0]


def csd_graph(weight: np.ndarray) -> AdderGraph:
    """Every weight in canonical signed digits, each column a least-depth adder tree."""
    n_in, n_out = weight.shape
    nodes: list[AddNode] = []
    outputs: list[Ref | None] = []
    for j in range(n_out):
        terms = [(0, Ref(i, k, neg)) for i in range(n_in) for k, neg in csd_digits(int(weight[i, j]))]
        if not terms:
            outputs.append(None)
            continue

        def add(a: Ref, b: Ref, depth: int) -> Ref:
            if a.neg and not b.neg:
                a, b = b, a
            nodes.append(AddNode(a, b))
            return Ref(n_in + len(nodes) - 1)

        outputs.append(combine_tree(terms, add)[1])
    return AdderGraph(n_in, tuple(nodes), tuple(outputs), "csd")


def solve_request(weight: np.ndarray, x_lo: int, x_hi: int) -> tuple | None:
    """da4ml's ``solve`` arguments for ``weight`` (integers; inputs in [x_lo, x_hi]) as
    ``(matrix, qintervals, settings)``, or None for a matrix it cannot take."""
    if weight.size == 0 or np.abs(weight).max() >= 2**23:
        return None
    qintervals = [(float(x_lo), float(x_hi), 1.0)] * weight.shape[0]
    return np.ascontiguousarray(weight, dtype=np.float32), qintervals, solver_settings(weight)


def da4ml_graph(weight: np.ndarray, x_lo: int, x_hi: int) -> AdderGraph | None:
    """da4ml's CMVM solution for ``weight`` (integers), or None when da4ml is not
    installed or its solution uses operations other than shifts and adds."""
    try:
        from da4ml.cmvm import solve
    except ImportError:
        return None
    request = solve_request(weight, x_lo, x_hi)
    if request is None:
        return None
    matrix, qintervals, settings = request
    try:
        pipe = solve(matrix, qintervals=qintervals, **settings)
    except Exception:  # noqa: BLE001 - an optional optimizer: fall back to CSD
        return None
    return graph_of_solution(pipe, weight.shape[0])


def graph_of_solution(pipe, n_in: int) -> AdderGraph | None:
    """da4ml's solution (a ``Pipeline``) as an AdderGraph, or None when it uses
    operations other than shifts and adds."""
    nodes: list[AddNode] = []
    current: list[Ref | None] = [Ref(i) for i in range(n_in)]  # refs to this stage's inputs
    for stage in pipe.solutions:
        local: list[Ref | None] = []  # op index -> ref in the flattened graph
        for op in stage.ops:
            if op.opcode == -1:
                src = current[op.id0]
                local.append(None if src is None else src.scaled(int(stage.inp_shifts[op.id0]), False))
            elif op.opcode in (0, 1):
                a, b = local[op.id0], local[op.id1]
                b = None if b is None else b.scaled(int(op.data), op.opcode == 1)
                if a is None or b is None:
                    local.append(a if b is None else b)
                    continue
                if a.neg and not b.neg:
                    a, b = b, a
                nodes.append(AddNode(a, b))
                local.append(Ref(n_in + len(nodes) - 1))
            else:
                return None
        current = [
            None if idx < 0 or local[idx] is None else local[idx].scaled(int(sh), bool(neg))
            for idx, sh, neg in zip(stage.out_idxs, stage.out_shifts, stage.out_negs)
        ]
    graph = AdderGraph(n_in, tuple(nodes), tuple(current), "da4ml")
    return _prune(graph)


def _prune(graph: AdderGraph) -> AdderGraph:
    """Drop nodes no output depends on; renumber."""
    live = set()
    stack = [r.idx for r in graph.outputs if r is not None]
    while stack:
        v = stack.pop()
        if v in live or v < graph.n_in:
            continue
        live.add(v)
        node = graph.nodes[v - graph.n_in]
        stack += [node.a.idx, node.b.idx]
    remap = {i: i for i in range(graph.n_in)}
    nodes = []
    for k, node in enumerate(graph.nodes):
        v = graph.n_in + k
        if v in live:
            remap[v] = graph.n_in + len(nodes)
            nodes.append(AddNode(_re(node.a, remap), _re(node.b, remap)))
    outputs = tuple(None if r is None else _re(r, remap) for r in graph.outputs)
    return AdderGraph(graph.n_in, tuple(nodes), outputs, graph.source)


def _re(ref: Ref, remap: dict[int, int]) -> Ref:
    return Ref(remap[ref.idx], ref.shift, ref.neg)


def stand_in_graph(weight: np.ndarray) -> AdderGraph:
    """A graph without adders whose every output is input 0: it stands for a graph being
    solved in a plan that is only made to find the matrices it needs. It does not compute
    ``weight`` and is never built."""
    return AdderGraph(weight.shape[0], (), (Ref(0),) * weight.shape[1], STAND_IN)


def _da4ml_solution(weight: np.ndarray, x_lo: int, x_hi: int) -> AdderGraph | None:
    """da4ml's graph for ``weight``, checked against it: one this process solved or read
    before, else read from the store when a process solved it before (and it still
    computes the matrix), else solved. While a batch is collected (:mod:`.solve_batch`), a
    large matrix (solved on one thread) is put in the batch and a stand-in returned."""
    from . import graph_store, solve_batch  # they build AdderGraphs

    key = graph_store.graph_key(weight, x_lo, x_hi, solver_settings(weight))
    known = solve_batch.recall(key)
    if known is not None:
        return known
    stored = graph_store.load_graph(key, "da4ml")
    if stored is not None and stored.mismatch(weight) is None:
        solve_batch.remember(key, stored)
        return stored
    if weight.size > SEARCH_DEPTHS_UP_TO and solve_batch.defer(key, weight, x_lo, x_hi):
        return stand_in_graph(weight)  # a single-threaded solve: worth a worker process
    started = time.perf_counter()
    graph = da4ml_graph(weight, x_lo, x_hi)
    if graph is not None:
        graph.check(weight)
        solve_batch.remember(key, graph)
        if time.perf_counter() - started >= graph_store.SOLVE_SECONDS_WORTH_STORING:
            graph_store.save_graph(key, graph)
    return graph


def csd_digit_counts(weight: np.ndarray) -> np.ndarray:
    """Nonzero canonical signed digits of each weight (the non-adjacent form's weight)."""
    w = np.abs(np.asarray(weight, dtype=np.int64))
    x = (w ^ (3 * w)) >> 1
    count = np.zeros_like(w)
    while np.any(x):
        count += x & 1
        x >>= 1
    return count


def csd_adders(weight: np.ndarray) -> int:
    """Adders of :func:`csd_graph`'s graph for ``weight`` (each column's digits, summed)."""
    return int(np.maximum(csd_digit_counts(weight).sum(axis=0) - 1, 0).sum())


def build_adder_graph(weight: np.ndarray, x_lo: int, x_hi: int, optimizer: str = "auto") -> AdderGraph:
    """The adder graph for ``x @ weight`` (integer weights, inputs in [x_lo, x_hi]).

    ``optimizer``: "csd" (canonical signed digits), "da4ml" (its CMVM solver; an error
    when not installed) or "auto" (da4ml when installed and cheaper, else CSD).
    """
    weight = np.asarray(weight, dtype=np.int64)
    if optimizer != "csd":
        da = _da4ml_solution(weight, x_lo, x_hi)
        if da is None and optimizer == "da4ml":
            raise RuntimeError("the da4ml optimizer was asked for but is not installed (pip install da4ml)")
        if da is not None and (optimizer == "da4ml" or da.adders <= csd_adders(weight)):
            return da
    csd = csd_graph(weight)
    csd.check(weight)
    return csd

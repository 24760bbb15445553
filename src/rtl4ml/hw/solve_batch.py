"""da4ml graphs solved in this process, and matrices solved as a batch in worker processes.

Planning a sweep's configurations one after another solves their fully parallel layers'
weight matrices one at a time, on one core (da4ml runs one decomposition depth of a
large matrix on a single thread). A sweep first plans its configurations while
:func:`collecting`: a large matrix neither solved nor stored is put in the batch, and a
graph without adders stands in (those plans are thrown away; small matrices are solved
at once, da4ml's search over their decompositions runs on every core). :func:`solve_all`
then solves the batch in worker processes, one per core, largest matrix first, and
remembers the graphs (and stores the slow ones, as a solve in this process would), so
that the real plans find them. A worker that cannot start or fails leaves its matrices to be solved here, one at a
time, as without a batch.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..util.recent import Recent

#: worker processes of a batch (None: one per core this process may run on)
PROCESSES: int | None = None
#: graphs kept in memory (the store keeps the slow ones on disk)
REMEMBERED = 64
_WORKER = Path(__file__).with_name("_solver_worker.py")

_known: Recent[str, object] = Recent(REMEMBERED)


@dataclass
class Batch:
    """Matrices to solve, by graph-store key: (weight, x_lo, x_hi); and how many plans
    were given a stand-in graph."""

    jobs: dict[str, tuple[np.ndarray, int, int]] = field(default_factory=dict)
    stand_ins: int = 0


_collecting: ContextVar[Batch | None] = ContextVar("rtl4ml_solve_batch", default=None)


def recall(key: str | None):
    """The graph solved or read under ``key`` in this process, or None."""
    return _known.get(key) if key is not None else None


def remember(key: str | None, graph) -> None:
    if key is not None:
        _known.put(key, graph)


def forget() -> None:
    """Forget the graphs kept in memory."""
    _known.clear()


@contextmanager
def collecting() -> Iterator[Batch]:
    """Within: unsolved matrices go into the yielded batch instead of being solved."""
    batch = Batch()
    token = _collecting.set(batch)
    try:
        yield batch
    finally:
        _collecting.reset(token)


def defer(key: str | None, weight: np.ndarray, x_lo: int, x_hi: int) -> bool:
    """Put ``weight`` in the batch being collected (True), or False when none is."""
    batch = _collecting.get()
    if batch is None or key is None:
        return False
    batch.jobs.setdefault(key, (np.array(weight, dtype=np.int64), x_lo, x_hi))
    batch.stand_ins += 1
    return True


def cores() -> int:
    """Worker processes a batch may use: :data:`PROCESSES`, else the cores this process
    may run on."""
    if PROCESSES is not None:
        return PROCESSES
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def processes(jobs: int) -> int:
    """Worker processes for ``jobs`` matrices: none for fewer than two or a single
    core, else one per core, at most one per matrix."""
    return min(jobs, cores()) if jobs > 1 and cores() > 1 else 0


def solve_all(batch: Batch) -> int:
    """Solve the batch's matrices in worker processes; the number solved. Nothing for a
    batch of one matrix or a single core (the plans solve it as they need it)."""
    from . import graph_store
    from .adder_graph import graph_of_solution, solve_request

    n = processes(len(batch.jobs))
    if n == 0:
        return 0
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for key, job in sorted(batch.jobs.items(), key=lambda kv: -kv[1][0].size):
        request = solve_request(*job)
        if request is not None:
            todo.put((key, job[0], request))
    answers: list[tuple[str, object, float, np.ndarray]] = []
    workers = [_start() for _ in range(n)]
    threads = [threading.Thread(target=_drive, args=(w, todo, answers), daemon=True) for w in workers if w]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for w in workers:
            if w is not None:
                _stop(w)
    solved = 0
    for key, solution, seconds, weight in answers:
        graph = graph_of_solution(solution, weight.shape[0])
        if graph is None or graph.mismatch(weight) is not None:
            continue  # left to the plan, which solves it and reports a wrong graph
        remember(key, graph)
        solved += 1
        if seconds >= graph_store.SOLVE_SECONDS_WORTH_STORING:
            graph_store.save_graph(key, graph)
    return solved


def _start() -> subprocess.Popen | None:
    try:
        return subprocess.Popen([sys.executable, "-P", str(_WORKER)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def _drive(worker: subprocess.Popen, todo: queue.SimpleQueue, answers: list) -> None:
    """Hand ``worker`` one matrix at a time until none is left or it fails."""
    while True:
        try:
            key, weight, request = todo.get_nowait()
        except queue.Empty:
            return
        try:
            pickle.dump(request, worker.stdin)
            worker.stdin.flush()
            solution, seconds = pickle.load(worker.stdout)
        except Exception:  # noqa: BLE001 - a broken worker: its matrices are solved in the plans
            return
        if solution is not None:
            answers.append((key, solution, seconds, weight))


def _stop(worker: subprocess.Popen) -> None:
    try:
        worker.stdin.close()
        worker.wait(timeout=5)
    except Exception:  # noqa: BLE001 - a worker that does not end is killed
        worker.kill()
        worker.wait()

"""A sweep's adder graphs solved as one batch in worker processes: the same estimates as
solving them one at a time, nothing kept of the stand-in plans, and a broken worker
leaves its matrices to the plans."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hw_models import K, chain, dense
from pandas.testing import assert_frame_equal

from rtl4ml.estimate import estimate
from rtl4ml.hw import adder_graph, graph_store, solve_batch
from rtl4ml.ir import Activation

pytest.importorskip("da4ml")

TYPES = ["fixed<10,4>", "fixed<8,3>"]
plan = importlib.import_module("rtl4ml.hw.plan")  # the package exports the function under the name


def mlp():
    """Two layers of 576 weights: above SEARCH_DEPTHS_UP_TO, each solve a worker's."""
    rng = np.random.default_rng(5)
    return chain(dense(rng, 24, 24, Activation(K.RELU)), dense(rng, 24, 24), shape=(24,))


@pytest.fixture
def counted(tmp_path, monkeypatch):
    """A new process's state (no graph in memory or on disk); the matrices this process
    solves itself, and the worker processes started."""
    monkeypatch.setenv(graph_store.ENV, str(tmp_path))
    monkeypatch.setattr(graph_store, "SOLVE_SECONDS_WORTH_STORING", 0.0)
    solve_batch.forget()
    plan.forget_graphs()
    solves, started = [], []
    real_solve, real_start = adder_graph.da4ml_graph, solve_batch._start
    monkeypatch.setattr(adder_graph, "da4ml_graph", lambda *a: solves.append(a) or real_solve(*a))
    monkeypatch.setattr(solve_batch, "_start", lambda: started.append(1) or real_start())
    yield solves, started
    solve_batch.forget()
    plan.forget_graphs()


def one_at_a_time(monkeypatch):
    monkeypatch.setattr(solve_batch, "PROCESSES", 1)
    solve_batch.forget()
    plan.forget_graphs()
    monkeypatch.setenv(graph_store.ENV, "off")
    return estimate(mlp(), precision=TYPES, reuse_factor=[1, 2])


def test_a_sweep_solves_its_matrices_in_workers_with_the_same_estimates(counted, tmp_path, monkeypatch):
    solves, started = counted
    monkeypatch.setattr(solve_batch, "PROCESSES", 2)
    batched = estimate(mlp(), precision=TYPES, reuse_factor=[1, 2])
    assert len(started) == 2 and solves == []  # 2 types x 2 layers, all solved by the workers
    assert len(list((tmp_path / "adder-graphs").glob("*.npz"))) == 4  # and stored as a solve here would be
    again = estimate(mlp(), precision=TYPES, reuse_factor=[1, 2])
    assert len(started) == 2 and solves == []  # remembered: no batch
    serial = one_at_a_time(monkeypatch)
    assert len(solves) == 4 and len(started) == 2
    assert batched.latency_cycles.notna().all()
    assert_frame_equal(batched, serial)
    assert_frame_equal(again, serial)


def test_a_worker_that_cannot_run_leaves_its_matrices_to_the_plans(counted, tmp_path, monkeypatch):
    solves, started = counted
    monkeypatch.setattr(solve_batch, "PROCESSES", 2)
    monkeypatch.setattr(solve_batch, "_WORKER", tmp_path / "missing.py")  # python exits at once
    table = estimate(mlp(), precision=TYPES, reuse_factor=[1, 2])
    assert len(started) == 2 and len(solves) == 4
    assert_frame_equal(table, one_at_a_time(monkeypatch))


def test_one_core_one_matrix_or_small_matrices_start_no_worker(counted, monkeypatch):
    solves, started = counted
    monkeypatch.setattr(solve_batch, "PROCESSES", 1)
    estimate(mlp(), precision=TYPES, reuse_factor=1)
    monkeypatch.setattr(solve_batch, "PROCESSES", 2)
    rng = np.random.default_rng(1)
    estimate(chain(dense(rng, 24, 24), shape=(24,)), precision="fixed<8,3>", reuse_factor=1)
    small = chain(dense(rng, 16, 8, Activation(K.RELU)), dense(rng, 8, 8), shape=(16,))
    estimate(small, precision=TYPES, reuse_factor=1)  # small matrices: solved here (on all cores)
    assert started == [] and len(solves) == 9


def test_only_small_matrices_search_every_decomposition_depth():
    small, large = np.ones((16, 32), dtype=np.int64), np.ones((16, 33), dtype=np.int64)
    assert adder_graph.solver_settings(small)["search_all_decompose_dc"] is True
    assert adder_graph.solver_settings(large)["search_all_decompose_dc"] is False
    assert graph_store.graph_key(small, 0, 1, adder_graph.solver_settings(small)) != \
        graph_store.graph_key(small, 0, 1, {**adder_graph.solver_settings(small), "search_all_decompose_dc": False})

"""The estimator's dataset: random one-layer designs, and their generation with real
tools (Verilator, Yosys) on a local pool or a Dask cluster, resumable."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

import rtl4ml
from rtl4ml.cli import app
from rtl4ml.estimate.dataset import Item, generate, measure, pending
from rtl4ml.estimate.designs import KINDS, random_design

needs_tools = pytest.mark.skipif(shutil.which("verilator") is None or shutil.which("yosys") is None,
                                 reason="verilator and yosys needed")


def test_a_design_is_a_function_of_its_seed() -> None:
    a, b = random_design(17), random_design(17)
    assert a.kind == b.kind and a.config == b.config and a.params == b.params
    wa = [np.asarray(getattr(n.op, "weight", [])) for n in a.graph.nodes]
    wb = [np.asarray(getattr(n.op, "weight", [])) for n in b.graph.nodes]
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb))
    assert random_design(18).params != a.params


@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
def test_every_kind_is_drawn_and_every_design_is_estimated() -> None:
    specs = [random_design(s) for s in range(120)]
    assert {s.kind for s in specs} == set(KINDS)
    for s in specs:
        row = rtl4ml.estimate(s.graph, s.config).iloc[0]
        assert row.note == "", (s.seed, row.note)
        assert row.latency_cycles >= 1
    with pytest.raises(ValueError, match="unknown design kind 'lstm'"):
        random_design(0, "lstm")


@needs_tools
@pytest.mark.sim
@pytest.mark.synth
def test_generate_measures_records_and_resumes(tmp_path) -> None:
    calls = []
    table = generate(2, tmp_path, targets=["xc7"], samples=4, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls[0] == (0, 2) and calls[-1] == (2, 2)
    assert len(table) == 2 and set(table.status) == {"ok"}
    for _, r in table.iterrows():
        assert r.latency == r.est_latency and r.interval == r.est_interval  # the exact cycle model
        assert r.mismatches == 0
        assert r.xc7_lut > 0 and r.xc7_ff > 0 and r.xc7_est_lut > 0
    assert (tmp_path / "dataset.parquet").is_file()
    assert pending(tmp_path, range(3)) == [2]
    before = sorted(p.stat().st_mtime_ns for p in (tmp_path / "items").iterdir())
    calls.clear()
    again = generate(2, tmp_path, targets=["xc7"], samples=4, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 2)] and len(again) == 2  # nothing left to do
    assert sorted(p.stat().st_mtime_ns for p in (tmp_path / "items").iterdir()) == before


def test_a_failing_item_is_recorded_not_raised() -> None:
    record = measure(Item(3, samples=0))  # no test vectors: the build refuses
    assert record["status"] == "failed" and record["error"] and record["seed"] == 3
    assert record["kind"] == random_design(3).kind


@needs_tools
@pytest.mark.sim
@pytest.mark.synth
def test_generate_on_a_dask_cluster(tmp_path) -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        table = generate(1, tmp_path, first_seed=5, targets=["ecp5"], samples=4, client=client)
    assert list(table.seed) == [5] and table.status.iloc[0] == "ok"
    assert table.ecp5_lut.iloc[0] > 0
    assert json.loads((tmp_path / "items" / "00000005.json").read_text())["kind"] == random_design(5).kind


def test_cli_refuses_a_bad_target(tmp_path) -> None:
    out = CliRunner().invoke(app, ["dataset", "generate", "--n", "1", "--out", str(tmp_path), "--targets", "xc9"])
    assert out.exit_code == 1 and "unknown synthesis target 'xc9'" in out.output

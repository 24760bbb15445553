"""Verification of a build folder: simulate the RTL and compare every output integer
with the emulator, and the measured latency and interval with the cycle model."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelLoadError
from ..ir.serialize import graph_from_dict
from ..tools import compile_testbench, pack, unpack
from .folder import expected_raw
from .stimuli import random_raw

STALL_SEEDS = 3  # random-stall runs per verification, each with its own seed


@dataclass(frozen=True)
class VerifyReport:
    samples: int
    mismatches: int
    latency_cycles: int | None
    interval_cycles: int | None
    predicted_latency_cycles: int
    predicted_interval_cycles: int
    stalls: bool
    simulator: str
    first_mismatch: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.mismatches == 0
            and self.latency_cycles == self.predicted_latency_cycles
            and self.interval_cycles == self.predicted_interval_cycles
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def _load(folder: Path):
    try:
        summary = json.loads((folder / "design.json").read_text())
        graph = graph_from_dict(json.loads((folder / "model.json").read_text()))
    except FileNotFoundError as e:
        raise ModelLoadError(f"'{folder}' is not an rtl4ml build folder: {Path(e.filename).name} is missing") from None
    except (ValueError, KeyError) as e:
        raise ModelLoadError(f"'{folder}': cannot read design.json/model.json: {e}") from None
    return summary, graph


def _compare(got: list[int], want: np.ndarray, width: int, elements: int, signed: bool,
             beats: int = 1) -> tuple[int, str | None]:
    if len(got) != len(want) * beats:
        return max(len(want) - len(got) // beats, 1), f"{len(got)} output beats for {len(want)} samples of {beats}"
    have = unpack(got, elements, width, signed).reshape(len(want), -1)
    bad = np.flatnonzero(np.any(have != want, axis=1))
    if not len(bad):
        return 0, None
    i = int(bad[0])
    return len(bad), f"sample {i}: hardware {have[i].tolist()} != emulator {want[i].tolist()}"


def verify(folder, samples: int = 256, stalls: bool = False, simulator: str = "verilator", seed: int = 1) -> VerifyReport:
    """Simulate the build folder on ``samples`` random inputs (plus random-stall runs
    when ``stalls``) and compare with the emulator."""
    folder = Path(folder)
    summary, graph = _load(folder)
    top, i, o = summary["top"], summary["input"], summary["output"]
    in_t, out_t = graph[graph.inputs[0]].precision.result, graph[graph.outputs[0]].precision.result
    raw = random_raw(in_t, graph.shapes[graph.inputs[0]], samples, seed)
    in_beats, out_beats = i.get("beats", 1), o.get("beats", 1)
    words = pack(raw.reshape(samples * in_beats, -1), in_t.width)
    want = expected_raw(graph, raw)
    rtl = folder / "rtl"  # its Verilog and memory images
    with compile_testbench(rtl, top, i["bits"], o["bits"], samples, simulator=simulator, in_beats=in_beats,
                           out_beats=out_beats) as tb:
        runs = [tb.run(words)]
        if stalls:
            runs += [tb.run(words, stalls=True, seed=seed + k) for k in range(STALL_SEEDS)]
    mismatches, first = 0, None
    for run in runs:
        bad, where = _compare(run.outputs, want, out_t.width, o["elements"], out_t.signed, out_beats)
        if bad and first is None:
            first = ("with stalls: " if run.stalls else "") + where
        mismatches += bad
    return VerifyReport(
        samples, mismatches, runs[0].latency, runs[0].interval,
        summary["predicted_latency_cycles"], summary["predicted_interval_cycles"], stalls, simulator, first,
    )

"""Dataset generation: random one-layer designs (:mod:`.designs`), built, simulated in
Verilator and synthesized with Yosys, stored with their estimator features.

Each item is a seed. Its record (features, measured figures, or why it failed) is
written to ``DIR/items/<seed>.json`` as soon as it finishes, so an interrupted run
resumes where it stopped: items with a record are skipped. ``DIR/dataset.parquet`` holds
every record, rewritten at the end of each run. Items run on a local process pool, or
on a Dask cluster (a ``dask.distributed`` Client, or a scheduler address); workers only
compute, the caller writes the files, so workers need no shared disk.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..devices import Family
from ..errors import ConfigError
from ..tools.synth import Target
from ..util.files import write_bytes_atomic
from .designs import random_design
from .features import structure_features
from .mapping import cost
from .run import design_structure

#: the families a dataset measures by default, and the Yosys target of each
DEFAULT_TARGETS = (Target.XC7, Target.ECP5)
FAMILY_OF = {f.target: f for f in Family}
SYNTH_TIMEOUT_S = 1800.0  # per Yosys run: a design that takes longer is recorded as failed
RECORDS = "items"
TABLE = "dataset.parquet"


@dataclass(frozen=True)
class Item:
    seed: int
    targets: tuple[Target, ...] = DEFAULT_TARGETS
    samples: int = 16


def measure(item: Item) -> dict:
    """Build, simulate and synthesize the design of ``item.seed``: one flat record. Any
    failure is recorded (``status`` "failed", ``error``), never raised."""
    from ..api import convert
    from ..project import synthesize_folder, verify

    record: dict = {"seed": item.seed, "status": "ok", "error": ""}
    started = time.perf_counter()
    try:
        spec = random_design(item.seed)
        record.update(kind=spec.kind, config=json.dumps(spec.config), **{f"p_{k}": v for k, v in spec.params.items()})
        design = convert(spec.graph, spec.config)
        s, latency, interval = design_structure(design)
        record.update(structure_features(s), est_latency=latency, est_interval=interval)
        with tempfile.TemporaryDirectory(prefix="rtl4ml-data-") as tmp:
            folder = design.write(Path(tmp) / "build", samples=item.samples)
            report = verify(folder, item.samples)
            record.update(latency=report.latency_cycles, interval=report.interval_cycles,
                          mismatches=report.mismatches)
            for target in item.targets:
                family = FAMILY_OF[target]
                c = cost(s, family)
                record.update({f"{target.value}_est_{k}": getattr(c, k) for k in ("lut", "ff", "dsp", "bram")})
                t = time.perf_counter()
                r = synthesize_folder(folder, target.value, timeout_s=SYNTH_TIMEOUT_S).synth
                record.update({f"{target.value}_lut": r.lut_equivalents, f"{target.value}_ff": r.ff,
                               f"{target.value}_dsp": r.dsp, f"{target.value}_bram": r.bram,
                               f"{target.value}_synth_s": round(time.perf_counter() - t, 2)})
    except Exception as e:  # noqa: BLE001 - a failed item is data, not the end of the run
        record.update(status="failed", error=f"{type(e).__name__}: {e}"[:2000])
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def _record_path(out: Path, seed: int) -> Path:
    return out / RECORDS / f"{seed:08d}.json"


def _read(path: Path) -> dict | None:
    """A record, or None when the file is missing or unreadable (then measured again)."""
    try:
        record = json.loads(path.read_text())
        return record if isinstance(record, dict) and "seed" in record else None
    except (OSError, ValueError):
        return None


def pending(out: Path, seeds: Iterable[int]) -> list[int]:
    """The seeds without a (readable) record yet."""
    return [s for s in seeds if _read(_record_path(out, s)) is None]


def _failed(item: Item, error: BaseException) -> dict:
    return {"seed": item.seed, "status": "failed", "error": f"{type(error).__name__}: {error}"[:2000], "seconds": 0.0}


def _local(items: list[Item], workers: int | None):
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        futures = {pool.submit(measure, it): it for it in items}
        for f in as_completed(futures):
            try:
                yield f.result()
            except Exception as e:  # noqa: BLE001 - a worker that died: that item failed
                yield _failed(futures[f], e)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(items: list[Item], client):
    from distributed import as_completed as dask_completed

    futures = client.map(measure, items, pure=False)
    seeds = {f.key: it for f, it in zip(futures, items)}
    try:
        for f in dask_completed(futures):
            try:
                yield f.result()
            except Exception as e:  # noqa: BLE001 - a killed worker: that item failed
                yield _failed(seeds[f.key], e)
    finally:
        client.cancel([f for f in futures if not f.done()])


def generate(n: int, out, *, first_seed: int = 0, targets: Iterable[Target | str] = DEFAULT_TARGETS,
             samples: int = 16, workers: int | None = None, client=None, scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None):
    """Measure designs ``first_seed .. first_seed + n - 1`` into ``out`` (skipping those
    already there) and return the whole table as a DataFrame (also ``out/dataset.parquet``).

    ``client``: a ``dask.distributed`` Client to run on; ``scheduler``: the address of
    one to connect to; neither: a local pool of ``workers`` processes. ``progress(done,
    total)`` is called as items finish.
    """
    if n < 1:
        raise ConfigError(f"dataset size must be at least 1, got {n}")
    out = Path(out)
    (out / RECORDS).mkdir(parents=True, exist_ok=True)
    tg = tuple(Target.parse(t) for t in targets)
    todo = [Item(s, tg, samples) for s in pending(out, range(first_seed, first_seed + n))]
    done = n - len(todo)
    if progress:
        progress(done, n)
    own_client = None
    if todo:
        if scheduler is not None and client is None:
            from distributed import Client

            client = own_client = Client(scheduler)
        try:
            results = _dask(todo, client) if client is not None else _local(todo, workers)
            for record in results:
                write_bytes_atomic(_record_path(out, record["seed"]), json.dumps(record, sort_keys=True).encode())
                done += 1
                if progress:
                    progress(done, n)
        finally:
            if own_client is not None:
                own_client.close()
    return write_table(out)


def load_records(out) -> list[dict]:
    """The readable records in ``out``, by seed."""
    records = (_read(p) for p in sorted((Path(out) / RECORDS).glob("*.json")))
    return [r for r in records if r is not None]


def write_table(out):
    """Every record in ``out`` as a DataFrame, written to ``out/dataset.parquet``."""
    import pandas as pd

    table = pd.DataFrame(load_records(out))
    data = table.to_parquet(index=False)
    write_bytes_atomic(Path(out) / TABLE, data)
    return table

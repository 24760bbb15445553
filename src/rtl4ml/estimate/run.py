"""``rtl4ml.estimate``: cost and speed of a model's hardware across configurations, in a
table, before anything is generated or synthesized.

Cycles come from the hardware plan the Verilog backend builds from (``hw.plan``): the
exact cycle model, equal to what simulation measures. Resources come from the plan's
structure (:mod:`.structure`) mapped onto the device family's cells (:mod:`.mapping`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..config import Config
from ..devices import Family
from ..errors import Rtl4mlError
from ..hw import plan, solve_batch
from ..hw.records import HwPlan
from ..util.recent import Recent
from .correction import CORRECTED, Correction, feature_row, layer_kind, load_correction
from .grid import GRID_KEYS, HwPoint, ReadPoint, check_keys, hw_points, read_points
from .mapping import ZERO, Cost, cost
from .structure import Structure, structure

DEFAULT_FAMILY = Family.XILINX
DESIGN_ROW = "(design)"
RESOURCES = ("lut", "ff", "dsp", "bram")


@dataclass(frozen=True)
class LayerFigures:
    name: str
    kind: str  # the layer's op
    engine: str  # what the learned correction knows its engine as (correction.layer_kind)
    latency: int
    interval: int
    structure: Structure


@dataclass(frozen=True)
class Planned:
    """One hardware configuration, planned: its figures, or why there are none."""

    point: HwPoint
    latency: int | None = None
    interval: int | None = None
    layers: tuple[LayerFigures, ...] = ()
    note: str = ""
    #: the layers' costs per (family, has DSP blocks): the correction used and what
    #: :meth:`Costing.layers` gives; shared by the copies made for other points
    costed: dict = field(default_factory=dict, compare=False, repr=False)


def _layers(hp: HwPlan, graph) -> tuple[LayerFigures, ...]:
    fifos: dict[str, Structure] = {}
    for f in hp.fifos:
        fifos.setdefault(f.node, Structure())
        fifos[f.node] += structure(f)
    out = []
    for e in hp.engines:
        s = structure(e)
        if e.node in fifos:
            s += fifos[e.node]
        out.append(LayerFigures(e.node, graph[e.node].op.label, layer_kind(e), e.latency, e.interval, s))
    return tuple(out)


#: settings that change the hardware but not the converted graph (its types)
HW_ONLY = ("reuse_factor", "strategy", "use_dsp", "adder_levels", "bram_threshold", "layer_fifo_depth", "pe", "simd")


def _types_key(config: Config) -> str:
    """What of ``config`` the conversion reads: all but the hardware-only settings."""
    bare = {k: None for k in HW_ONLY}
    return repr(replace(config, model=replace(config.model, **bare),
                        layers={n: replace(c, **bare) for n, c in sorted(config.layers.items())}))


class Converter:
    """Converts a model under many configs, once per distinct set of types, and plans
    each hardware configuration once (the last :data:`PLANS_KEPT` of them)."""

    def __init__(self, imported, calibration=None):
        self.imported, self.calibration = imported, calibration
        self._designs: dict[str, object] = {}
        self._planned: Recent[str, Planned] = Recent(PLANS_KEPT)

    def known(self, design) -> None:
        """Reuse ``design`` (already converted) for its config's types."""
        self._designs[_types_key(design.config)] = design

    def __call__(self, config: Config):
        from ..api import convert

        key = _types_key(config)
        if key not in self._designs:
            self._designs[key] = convert(self.imported, config, self.calibration)
        return replace(self._designs[key], config=config)

    def planned(self, point: HwPoint) -> Planned:
        key = repr(point.config)
        planned = self._planned.get(key)
        if planned is None:
            planned = plan_point(self, point)
            self._planned.put(key, planned)
        return replace(planned, point=point)

    def plan_ahead(self, points) -> None:
        """Plan the points not planned yet, the adder graphs they need that no process
        has solved solved first as one batch on every core (:mod:`rtl4ml.hw.solve_batch`):
        the plans that were given a stand-in graph are made again when asked for."""
        fresh: dict[str, HwPoint] = {}
        for point in points:
            key = repr(point.config)
            if key not in self._planned:
                fresh[key] = point
        if not fresh or solve_batch.cores() < 2:
            return
        with solve_batch.collecting() as batch:
            for key, point in fresh.items():
                planned = plan_point(self, point, batch)
                if planned is not None:
                    self._planned.put(key, planned)
        solve_batch.solve_all(batch)


RECENT_MODELS = 4
PLANS_KEPT = 20_000
#: converters of the imported models estimated last, so that a model estimated again
#: (one configuration at a time, as a search does) is not converted and planned again
_RECENT: Recent[tuple[int, int], Converter] = Recent(RECENT_MODELS)


def clear_cache() -> None:
    """Forget the conversions and plans kept between calls of :func:`estimate`."""
    _RECENT.clear()


def converter_for(imported, calibration) -> Converter:
    """The converter of ``imported`` (the model object itself, not an equal one)."""
    key = (id(imported), id(calibration))
    conv = _RECENT.get(key)
    if conv is None or conv.imported is not imported or conv.calibration is not calibration:
        conv = Converter(imported, calibration)
        _RECENT.put(key, conv)
    return conv


def design_structure(design) -> tuple[Structure, int, int]:
    """The whole design's structure (engines and FIFOs), its latency and its interval."""
    hp = plan(design)
    total = Structure()
    for f in _layers(hp, design.graph):
        total += f.structure
    return total, hp.latency, hp.interval


def plan_point(converter: Converter, point: HwPoint, batch: solve_batch.Batch | None = None) -> Planned | None:
    """Convert and plan one configuration; an unsupported layer or an invalid setting is
    the row's note, not an error. While ``batch`` is collected: None when the plan was
    given a stand-in graph (its layers are not costed)."""
    stand_ins = batch.stand_ins if batch is not None else 0

    def stood_in() -> bool:
        return batch is not None and batch.stand_ins != stand_ins

    try:
        design = converter(point.config)
        hp = plan(design)
        if not stood_in():
            return Planned(point, hp.latency, hp.interval, _layers(hp, design.graph))
    except Rtl4mlError as e:
        if not stood_in():
            return Planned(point, note=f"not estimated: {e}")
    return None


def _figures(c: Cost | None, planned: Planned, read: ReadPoint) -> dict:
    row: dict = {k: (None if c is None else getattr(c, k)) for k in RESOURCES}
    row["latency_cycles"], row["interval_cycles"] = planned.latency, planned.interval
    if read.clock_mhz is not None:
        ok = planned.latency is not None
        row["latency_ns"] = planned.latency * 1e3 / read.clock_mhz if ok else None
        row["throughput_per_s"] = read.clock_mhz * 1e6 / planned.interval if ok else None
    if read.device is not None:
        for k, cap in read.device.capacity().items():
            row[f"{k}_pct"] = None if c is None else _share(row[k], cap)
    return row


def _share(used: int, capacity: int) -> float:
    """Percent of a resource used (a device without the resource: 0 if unused, else inf)."""
    if capacity:
        return 100.0 * used / capacity
    return float("inf") if used else 0.0


def _family(read: ReadPoint) -> Family:
    return read.device.family if read.device is not None else DEFAULT_FAMILY


def _has_dsp(read: ReadPoint) -> bool:
    return read.device is None or read.device.dsp > 0


class Costing:
    """Layer costs of planned designs per family: analytic, then corrected by the
    learned model where it covers the family and the layer; each planned design costed
    once per family and correction (kept with the plan)."""

    def __init__(self, correction: Correction | None):
        self.correction = correction

    def layers(self, planned: Planned, family: Family, has_dsp: bool) -> tuple[list[Cost], list[str], str, str]:
        """(cost per layer, how each was estimated, how the design was, a note)."""
        key = (family, has_dsp)
        kept = planned.costed.get(key)
        if kept is None or kept[0] is not self.correction:
            kept = planned.costed[key] = (self.correction, self._compute(planned, family, has_dsp))
        return kept[1]

    def _compute(self, planned: Planned, family: Family, has_dsp: bool):
        analytic = [cost(f.structure, family, has_dsp) for f in planned.layers]
        plain = ["analytic"] * len(analytic)
        c = self.correction
        if c is None:
            return analytic, plain, "analytic", ""
        if not c.covers(family):
            return analytic, plain, "analytic", f"no learned correction for {family.value}: analytic resources"
        xs = {r: [feature_row(f.structure, f.engine, getattr(a, r)) for f, a in zip(planned.layers, analytic)]
              for r in CORRECTED}
        built = [k for k, a in enumerate(analytic) if a.lut or a.ff]  # a wire has nothing to correct
        beyond = [k for k in built if not all(c.within(family, r, planned.layers[k].engine, xs[r][k])
                                              for r in CORRECTED)]
        inside = [k for k in built if k not in beyond]
        fixed = list(analytic)
        for r in CORRECTED:
            if inside:
                values = c.correct(family, r, np.array([xs[r][k] for k in inside]),
                                   np.array([getattr(analytic[k], r) for k in inside], dtype=np.float64))
                for k, v in zip(inside, values):
                    fixed[k] = replace(fixed[k], **{r: int(v)})
        learns = any(c.learns(family, r) for r in CORRECTED)
        labels = ["learned" if k in inside and learns else "analytic" for k in range(len(analytic))]
        if not learns:
            return fixed, labels, "analytic", ""
        if not beyond:
            return fixed, labels, "learned", ""
        names = ", ".join(planned.layers[k].name for k in beyond)
        return fixed, labels, "learned, partly analytic", f"beyond the trained designs, analytic: {names}"


def rows_for(planned: Planned, read: ReadPoint, per_layer: bool, costing: Costing) -> list[dict]:
    base = dict(planned.point.values)
    if read.device is not None:
        base["device"] = read.device.name
    if read.clock_mhz is not None:
        base["clock_mhz"] = read.clock_mhz
    base["family"] = _family(read).value
    if planned.latency is None:
        row = {**base, **_figures(None, planned, read), "resources": "", "note": planned.note}
        return [{**row, "layer": DESIGN_ROW, "kind": ""} if per_layer else row]
    family, has_dsp = _family(read), _has_dsp(read)
    costs, labels, how, note = costing.layers(planned, family, has_dsp)
    total = sum(costs, ZERO)
    if not has_dsp and any(f.structure.dsp for f in planned.layers):
        note = "; ".join(filter(None, [note, f"{read.device.name} has no DSP blocks: multipliers in logic"]))
    design_row = {**base, **_figures(total, planned, read), "resources": how, "note": note}
    if not per_layer:
        return [design_row]
    rows = [{**design_row, "layer": DESIGN_ROW, "kind": ""}]
    for f, c, label in zip(planned.layers, costs, labels):
        layer_planned = Planned(planned.point, f.latency, f.interval)
        rows.append({**base, **_figures(c, layer_planned, read), "resources": label, "note": "", "layer": f.name,
                     "kind": f.kind})
    return rows


def estimate(model, config=None, *, per_layer: bool = False, calibration=None, correction=None, **grid):
    """Estimated resources and cycles of ``model``'s hardware for every configuration of
    the grid, as a :class:`pandas.DataFrame`.

    ``model``: a model or path as :func:`rtl4ml.convert` takes, or a converted
    :class:`~rtl4ml.Design` (its config is then the base). ``config``: the base config.
    Grid keywords, each a value or a list (lists span their cross product):
    ``precision``, ``reuse_factor``, ``strategy``, ``use_dsp`` (model-wide settings),
    ``device`` (a name from :data:`rtl4ml.devices.DEVICES`: adds ``<resource>_pct``
    columns) and ``clock_mhz`` (adds ``latency_ns`` and ``throughput_per_s``).

    One row per configuration with ``lut``, ``ff``, ``dsp``, ``bram`` (the device family's
    cells; without a device, AMD/Xilinx 7 series), ``latency_cycles`` and
    ``interval_cycles`` (exact: what ``rtl4ml verify`` measures for that build). With
    ``per_layer``, also a row per layer (``layer``, ``kind``; the design's own row has
    ``layer`` "(design)"). A configuration the hardware does not cover (an unsupported
    layer, a reuse factor that does not divide a layer) has empty figures and says why
    in ``note``.

    LUT and FF are the analytic model's, corrected by the learned model (``correction``:
    a file from ``rtl4ml estimator train``; None: $RTL4ML_CORRECTION or the shipped
    default; False: none). ``resources`` says which: "learned", or "analytic" where no
    correction covers the family (or a layer lies beyond the trained designs, named in
    ``note``).

    An imported model (:func:`rtl4ml.frontends.dispatch.load_model`'s result) keeps its
    conversions and plans between calls, so that estimating it again, one configuration
    at a time, is fast; :func:`clear_cache` forgets them. Warnings of a conversion are
    given the first time only.
    """
    import pandas as pd

    from ..api import Design, _as_config
    from ..frontends.dispatch import load_model
    from ..frontends.model import ImportedModel

    check_keys(grid)
    if isinstance(model, Design):
        imported, base = model.imported, model.config if config is None else _as_config(config)
    else:
        imported, base = load_model(model), _as_config(config)
    reads = read_points(grid)
    correction = None if correction is False else load_correction(correction)
    if isinstance(model, ImportedModel):  # kept between calls: the same object is the same model
        converter = converter_for(imported, calibration)
    else:  # a path or a framework model is imported anew each call
        converter = Converter(imported, calibration)
    if isinstance(model, Design):
        converter.known(model)  # its types may have come from calibration data
    rows = []
    costs = Costing(correction)
    points = list(hw_points(base, grid))
    converter.plan_ahead(points)
    for point in points:
        planned = converter.planned(point)
        for read in reads:
            rows.extend(rows_for(planned, read, per_layer, costs))
    return _table(pd, rows, per_layer)


def _table(pd, rows: list[dict], per_layer: bool):
    """The rows as a DataFrame: settings first, then the layer, the figures, the note;
    counts as nullable integers (empty where a row has no figures)."""
    names = list(dict.fromkeys(k for row in rows for k in row))
    front = [c for c in (*GRID_KEYS, "family") if c in names] + (["layer", "kind"] if per_layer else [])
    back = ["resources", "note"]
    order = front + [c for c in names if c not in front + back] + back
    columns = {}
    for c in order:
        values = [row.get(c) for row in rows]
        if c in _COUNTS:
            columns[c] = _nullable(pd.arrays.IntegerArray, values, np.int64)
        elif c in _RATES or c.endswith("_pct"):
            columns[c] = _nullable(pd.arrays.FloatingArray, values, np.float64)
        else:
            columns[c] = values
    return pd.DataFrame(columns, columns=order, copy=False)


def _nullable(kind, values: list, dtype):
    """A pandas nullable array of ``values`` (None: missing), built from its data and mask
    directly (much faster than inferring it)."""
    mask = np.fromiter((v is None for v in values), bool, len(values))
    return kind(np.fromiter((0 if v is None else v for v in values), dtype, len(values)), mask)


_COUNTS = frozenset((*RESOURCES, "latency_cycles", "interval_cycles"))
_RATES = frozenset(("latency_ns", "throughput_per_s"))


__all__ = ["DESIGN_ROW", "clear_cache", "estimate"]

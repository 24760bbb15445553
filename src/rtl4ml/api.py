"""The public Python API: ``convert`` a model into a :class:`Design`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .config import Config, LayerConfig, config_from_dict, load_config
from .emulate import run_fixed, run_float
from .frontends.dispatch import LoadOptions, load_model
from .frontends.model import ImportedModel
from .ir import ArgMax, Graph
from .passes import OPTIMIZE, PassContext, infer_precision

CHUNK = 2048  # samples emulated at once: keeps intermediates cache- and memory-friendly


def _as_config(config) -> Config:
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, dict):
        return config_from_dict(config)
    return load_config(config)


def _feeds(imported: ImportedModel, graph: Graph, x) -> dict[str, np.ndarray]:
    """User data (source layout: one array, a list, or a dict by input name) -> IR feeds."""
    names = graph.inputs
    if isinstance(x, dict):
        unknown = sorted(set(x) - set(names))
        if unknown:
            raise ValueError(f"data given for {unknown}, which are not inputs of the model; its inputs: {list(names)}")
        arrays = x
    elif isinstance(x, (list, tuple)) and len(names) > 1:
        if len(x) != len(names):
            raise ValueError(f"the model has {len(names)} inputs {list(names)}, got {len(x)} arrays")
        arrays = dict(zip(names, x))
    elif len(names) == 1:
        arrays = {names[0]: x}
    else:
        raise ValueError(f"the model has inputs {list(names)}: give a list or a dict of arrays")
    feeds = {}
    for name in names:
        if name not in arrays:
            raise ValueError(f"no data for model input '{name}'")
        a = np.asarray(arrays[name], dtype=np.float64)
        layout = imported.input_layouts[name]
        if a.shape == layout.shape:  # a single sample
            a = a[None]
        try:
            feeds[name] = layout.to_ir(a, graph.shapes[name])
        except ValueError as e:
            raise ValueError(f"model input '{name}': {e}") from None
    return feeds


@dataclass(frozen=True)
class Design:
    """A converted model: the optimized, typed IR graph and its config.

    ``predict`` is bit-exact (the values hardware will produce), ``predict_float`` the
    real-valued reference; both take and return data in the source model's layout.
    """

    graph: Graph
    config: Config
    imported: ImportedModel

    def _outputs(self, out: dict[str, np.ndarray]):
        # passes keep the order of outputs but may rename them (a fused activation)
        pairs = zip(self.graph.outputs, self.imported.graph.outputs)
        # an argmax output is class indices: the IR shape without its size-1 last axis
        res = [out[n][..., 0] if isinstance(self.graph[n].op, ArgMax) else
               self.imported.output_layouts[src].from_ir(out[n]) for n, src in pairs]
        return res[0] if len(res) == 1 else res

    def _chunks(self, x):
        feeds = _feeds(self.imported, self.graph, x)
        n = next(iter(feeds.values())).shape[0]
        for start in range(0, max(n, 1), CHUNK):
            yield {k: v[start : start + CHUNK] for k, v in feeds.items()}

    def _collect(self, parts: list[dict[str, np.ndarray]]):
        return self._outputs({k: np.concatenate([p[k] for p in parts]) for k in self.graph.outputs})

    def predict(self, x):
        """Bit-exact fixed-point outputs, as real values (float64)."""
        parts = [{k: v.to_float() for k, v in run_fixed(self.graph, f).items()} for f in self._chunks(x)]
        return self._collect(parts)

    def predict_raw(self, x):
        """Bit-exact outputs as raw integers (int64) of each output's type."""
        parts = [{k: v.raw.astype(np.int64) for k, v in run_fixed(self.graph, f).items()} for f in self._chunks(x)]
        return self._collect(parts)

    def predict_float(self, x):
        """The float64 reference of the same (optimized) graph."""
        return self._collect([run_float(self.graph, f) for f in self._chunks(x)])

    # ---- hardware ----------------------------------------------------------------------
    def write(self, directory, overwrite: bool = False, samples: int | None = None, **plan_options) -> Path:
        """Write the build folder (RTL, testbench and vectors, scripts, design.json,
        README) atomically to ``directory``."""
        from .project import DEFAULT_SAMPLES, build_tree

        tree = build_tree(self, samples or DEFAULT_SAMPLES, **plan_options)
        return tree.write(directory, overwrite=overwrite)

    def simulate(self, samples: int = 256, stalls: bool = False, simulator: str = "verilator", seed: int = 1):
        """Build into a temporary folder, simulate ``samples`` random inputs and compare
        with the emulator: a :class:`~rtl4ml.project.VerifyReport` (mismatches, measured
        and predicted latency and interval)."""
        import tempfile

        from .project import verify

        with tempfile.TemporaryDirectory(prefix="rtl4ml-sim-") as tmp:
            folder = self.write(Path(tmp) / "build")
            return verify(folder, samples, stalls, simulator, seed)

    def synthesize(self, target: str = "xc7", dsp: bool = True, pnr: bool = False, placer: str | None = None,
                   router: str | None = None):
        """Yosys synthesis for ``target`` (xc7, ecp5, ice40): LUT/FF/DSP/BRAM/CARRY, and
        Fmax with ``pnr`` (ECP5; nextpnr's ``placer`` and ``router``, default its own)."""
        import tempfile

        from .project import synthesize_folder

        with tempfile.TemporaryDirectory(prefix="rtl4ml-synth-") as tmp:
            folder = self.write(Path(tmp) / "build", samples=2)
            return synthesize_folder(folder, target, dsp, pnr, placer=placer, router=router)

    def output_types(self):
        return [self.graph[n].precision.result for n in self.graph.outputs]

    def __str__(self) -> str:
        return str(self.graph)


def _known_names(graph: Graph) -> set[str]:
    return {n.name for n in graph.nodes} | {a for n in graph.nodes for a in n.aliases}


def _with_model_settings(cfg: Config, from_model: dict[str, LayerConfig]) -> Config:
    """Per-layer settings carried by the model, under the user's per-layer settings."""
    if not from_model:
        return cfg
    names = set(from_model) | set(cfg.layers)
    empty = LayerConfig()
    layers = {n: from_model.get(n, empty).overlay(cfg.layers.get(n, empty)) for n in names}
    return replace(cfg, layers=layers)


def convert(
    model, config=None, calibration=None, *, weights=None, input_shape=None, allow_pickle: bool = False
) -> Design:
    """Import ``model`` (a path or an in-memory model), optimize it and infer its types.

    ``config``: a :class:`Config`, a dict, a YAML/JSON path, or None for defaults.
    ``calibration``: sample inputs (source layout) used to pick ``fixed<W,auto>``
    integer bits from the real value ranges. ``weights``: the weights file of a Keras
    architecture JSON, or a PyTorch state dict. ``input_shape``: one PyTorch sample
    (channels-first, no batch axis). ``allow_pickle``: load a pickled PyTorch module.
    """
    opts = LoadOptions(None if weights is None else Path(weights), None if input_shape is None else tuple(input_shape), allow_pickle)
    imported = load_model(model, opts)
    cfg = _as_config(config)
    cfg.check_layer_names(_known_names(imported.graph))
    cfg = _with_model_settings(cfg, imported.layer_configs)
    cal = None if calibration is None else _feeds(imported, imported.graph, calibration)
    ctx = PassContext(cfg, cal)
    graph, _ = OPTIMIZE(imported.graph, ctx)
    graph, _ = infer_precision(graph, ctx)
    return Design(graph, cfg, imported)


def config_from_model(model, granularity: str = "model", calibration=None, **frontend_options) -> Config:
    """A starting config: model-wide defaults, and with ``granularity="layer"`` every
    layer listed with the types it gets by default."""
    if granularity not in ("model", "layer"):
        raise ValueError(f"granularity must be 'model' or 'layer', got {granularity!r}")
    base = Config()
    model_cfg = base.defaults
    if granularity == "model":
        return Config(model=model_cfg)
    design = convert(model, base, calibration, **frontend_options)
    layers = {}
    for node in design.graph.nodes:
        p = node.precision
        kw = {"result": p.result}
        if p.weight is not None:
            kw.update(weight=p.weight, bias=p.bias)
        layers[node.name] = LayerConfig(**kw)
    return Config(model=model_cfg, layers=layers)


__all__ = ["Design", "convert", "config_from_model", "load_model"]

"""The learned correction of the analytic LUT and FF estimates.

Per device family and resource, gradient-boosted regression trees (scikit-learn's, at
training time) learn ``log(1 + measured) - log(1 + analytic)`` of one layer from its
structure counts, its kind and the analytic figure. The trees are stored as plain
arrays in JSON and evaluated with numpy, so estimating needs neither scikit-learn nor a
network; a default trained on the project's dataset ships with the package.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..devices import Family
from ..errors import ModelLoadError
from ..hw.records import ChainImpl, DenseImpl, PointwiseImpl, PoolImpl, SoftmaxImpl
from .features import STRUCTURE_FEATURES, structure_features
from .structure import Structure

CORRECTED = ("lut", "ff")
LAYER_KINDS = ("dense", "conv", "pool", "activation", "softmax", "other")
FEATURES = (*STRUCTURE_FEATURES, "analytic", *(f"kind_{k}" for k in LAYER_KINDS))
DEFAULT_FILE = Path(__file__).parent / "models" / "correction.json"
ENV = "RTL4ML_CORRECTION"  # a correction file to use instead of the default
FORMAT = 2


def layer_kind(impl) -> str:
    """The kind the correction knows a layer's engine as."""
    if isinstance(impl, ChainImpl):
        if any(isinstance(p, PoolImpl) for p in impl.parts):
            return "pool"
        if any(isinstance(p, DenseImpl) for p in impl.parts):
            return "conv"
        return "other"
    return {DenseImpl: "dense", PointwiseImpl: "activation", SoftmaxImpl: "softmax"}.get(type(impl), "other")


def corrected(analytic: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The analytic figures moved by the learned ``log(1 + measured) - log(1 + analytic)``."""
    return np.maximum(np.rint(np.expm1(np.log1p(analytic) + delta)), 0)


def feature_row(s: Structure, kind: str, analytic: int) -> np.ndarray:
    f = structure_features(s)
    values = [np.log1p(f[k]) for k in STRUCTURE_FEATURES] + [np.log1p(analytic)]
    return np.array(values + [float(kind == k) for k in LAYER_KINDS])


@dataclass(frozen=True)
class Trees:
    """A boosted ensemble: ``init + rate * Σ tree(x)``; node arrays per tree, padded
    (``left == -1``: a leaf)."""

    init: float
    rate: float
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        n_trees = self.feature.shape[0]
        x32 = x.astype(np.float32)  # scikit-learn compares float32 features with the thresholds
        rows = np.arange(x.shape[0])[:, None]
        trees = np.arange(n_trees)[None, :]
        node = np.zeros((x.shape[0], n_trees), dtype=np.int64)
        for _ in range(self.feature.shape[1]):
            left = self.left[trees, node]
            inner = left >= 0
            if not inner.any():
                break
            go_left = x32[rows, self.feature[trees, node]] <= self.threshold[trees, node]
            node = np.where(inner, np.where(go_left, left, self.right[trees, node]), node)
        return self.init + self.rate * self.value[trees, node].sum(axis=1)

    def as_dict(self) -> dict:
        return {"init": self.init, "rate": self.rate, **{k: getattr(self, k).tolist() for k in
                                                         ("feature", "threshold", "left", "right", "value")}}

    @staticmethod
    def from_dict(d: dict) -> Trees:
        arrays = {k: np.asarray(d[k], dtype=np.float64 if k in ("threshold", "value") else np.int64)
                  for k in ("feature", "threshold", "left", "right", "value")}
        return Trees(float(d["init"]), float(d["rate"]), **arrays)


@dataclass(frozen=True)
class Correction:
    """Trees per (family, resource); per (family, resource) the largest feature values
    seen in training and per family the layer kinds seen: a layer beyond them is outside
    what the correction covers."""

    trees: dict[tuple[Family, str], Trees]
    seen_max: dict[tuple[Family, str], np.ndarray]
    kinds: dict[Family, frozenset[str]]
    designs: int

    def covers(self, family: Family) -> bool:
        return all((family, r) in self.trees for r in CORRECTED)

    def learns(self, family: Family, resource: str) -> bool:
        """Whether the trees change the analytic figure (training may keep it as it is)."""
        return self.trees[family, resource].rate != 0.0

    def within(self, family: Family, resource: str, kind: str, x: np.ndarray) -> bool:
        """Whether a layer of ``kind`` was in training and every structure feature of ``x``
        lies within twice the training maximum."""
        n = len(STRUCTURE_FEATURES) + 1
        return kind in self.kinds[family] and bool(np.all(x[:n] <= self.seen_max[family, resource][:n] + np.log(2)))

    def correct(self, family: Family, resource: str, x: np.ndarray, analytic: np.ndarray) -> np.ndarray:
        return corrected(analytic, self.trees[family, resource].predict(x)).astype(np.int64)

    def save(self, path) -> None:
        from ..util.files import write_bytes_atomic

        keys = sorted(self.trees, key=lambda k: (k[0].value, k[1]))
        doc = {"format": FORMAT, "designs": self.designs, "features": list(FEATURES),
               "trees": [{"family": f.value, "resource": r, "seen_max": self.seen_max[f, r].tolist(),
                          **self.trees[f, r].as_dict()} for f, r in keys],
               "kinds": {f.value: sorted(k) for f, k in self.kinds.items()}}
        write_bytes_atomic(Path(path), json.dumps(doc, separators=(",", ":")).encode())

    @staticmethod
    def load(path) -> Correction:
        try:
            doc = json.loads(Path(path).read_text())
            if doc.get("format") != FORMAT or doc.get("features") != list(FEATURES):
                raise ValueError("it was trained with another feature set; retrain it (rtl4ml estimator train)")
            trees, seen = {}, {}
            for t in doc["trees"]:
                key = (Family(t["family"]), t["resource"])
                trees[key] = Trees.from_dict(t)
                seen[key] = np.asarray(t["seen_max"], dtype=np.float64)
            kinds = {Family(f): frozenset(k) for f, k in doc["kinds"].items()}
            return Correction(trees, seen, kinds, int(doc["designs"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ModelLoadError(f"estimator correction file '{path}' cannot be used: {e}") from None


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> Correction:
    return Correction.load(path)


def load_correction(path=None) -> Correction | None:
    """The correction in ``path``, else the file named by $RTL4ML_CORRECTION, else the
    shipped default (None when there is none)."""
    chosen = path or os.environ.get(ENV) or (DEFAULT_FILE if DEFAULT_FILE.is_file() else None)
    if chosen is None:
        return None
    p = Path(chosen)
    if not p.is_file():
        raise ModelLoadError(f"estimator correction file '{p}' does not exist")
    return _load_cached(str(p.resolve()), p.stat().st_mtime)

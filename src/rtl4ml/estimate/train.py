"""Training the learned correction (:mod:`.correction`) on a generated dataset.

Features are recomputed from each record's seed with the current analytic model, so a
dataset stays usable when the model changes: only the measured figures are taken from
the records. Needs scikit-learn (``pip install scikit-learn``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..devices import Family
from ..errors import ConfigError, ModelLoadError, PrecisionWarning
from .correction import CORRECTED, Correction, Trees, corrected, feature_row, layer_kind
from .dataset import FAMILY_OF
from .designs import random_design
from .mapping import cost
from .run import design_structure

TREES, RATE = 200, 0.05


@dataclass(frozen=True)
class Fit:
    """A way of fitting the trees: scikit-learn's loss, the fewest designs in a leaf and the
    trees' depth."""

    loss: str
    leaf: int
    depth: int

    def __str__(self) -> str:
        return f"{self.loss.replace('_', ' ')}, depth {self.depth}"


#: the fits cross-validation chooses from, per family and resource. Squared error follows
#: the mean log ratio of measured to analytic; absolute error its median, which a few
#: designs far off do not pull (sMAPE weighs every design alike); Huber lies between.
#: Trees of depth 3 learn interactions of three counts, and need more designs to.
FITS = tuple(Fit(loss, leaf, depth) for depth in (2, 3)
             for loss, leaf in (("squared_error", 5), ("huber", 5), ("absolute_error", 10)))


@dataclass(frozen=True)
class Scores:
    """Cross-validated sMAPE (percent) of the analytic figure and of the best fit's."""

    analytic: float
    learned: float
    fit: Fit

    @property
    def corrects(self) -> bool:
        return self.learned < self.analytic


def design_rows(seed: int):
    """(structure, kind, latency, interval) of the dataset design ``seed``."""
    from ..api import convert
    from ..hw import plan

    spec = random_design(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrecisionWarning)
        design = convert(spec.graph, spec.config)
    s, latency, interval = design_structure(design)
    return s, layer_kind(plan(design)["layer"]), latency, interval


def held_out(seed: int, every: int) -> bool:
    """Whether design ``seed`` is in the held-out split (every ``every``-th seed; 0: none)."""
    return every > 0 and seed % every == 0


def read_table(data, hold_out: int = 0, split: str = "train"):
    """A dataset folder (its Parquet table) or a Parquet file, the finished records only;
    with ``hold_out`` K, the ``split`` "train" (seeds not divisible by K) or "test"."""
    import pandas as pd

    path = Path(data)
    file = path / "dataset.parquet" if path.is_dir() else path
    if not file.is_file():
        raise ModelLoadError(f"no dataset at '{data}' (expected a dataset folder or a .parquet file)")
    table = pd.read_parquet(file)
    keep = (table.status == "ok") & (table.seed.map(lambda v: held_out(int(v), hold_out)) == (split == "test"))
    return table[keep].reset_index(drop=True)


def examples(table) -> tuple[dict[tuple[Family, str], tuple[np.ndarray, np.ndarray, np.ndarray]], dict]:
    """Per (family, resource): features, analytic figures and measured figures; and per
    family the layer kinds seen."""
    out: dict[tuple[Family, str], list] = {}
    kinds: dict[Family, set] = {}
    for seed in table.seed:
        row = table[table.seed == seed].iloc[0]
        spec = random_design(int(seed))
        if "kind" in table.columns and row["kind"] != spec.kind:
            raise ModelLoadError(f"dataset design {seed} was a {row['kind']} when measured; the generator now makes a "
                                 f"{spec.kind}: the dataset comes from another version of rtl4ml, generate it anew")
        s, kind, _, _ = design_rows(int(seed))
        for target, family in FAMILY_OF.items():
            if f"{target.value}_lut" not in table.columns or np.isnan(row[f"{target.value}_lut"]):
                continue
            c = cost(s, family)
            kinds.setdefault(family, set()).add(kind)
            for r in CORRECTED:
                analytic = getattr(c, r)
                out.setdefault((family, r), []).append(
                    (feature_row(s, kind, analytic), analytic, float(row[f"{target.value}_{r}"])))
    return {k: (np.array([v[0] for v in rows]), np.array([v[1] for v in rows], dtype=np.float64),
                np.array([v[2] for v in rows])) for k, rows in out.items()}, kinds


def _export(model) -> Trees:
    trees = [e[0].tree_ for e in model.estimators_]
    width = max(t.node_count for t in trees)

    def pad(get, fill, dtype):
        a = np.full((len(trees), width), fill, dtype=dtype)
        for i, t in enumerate(trees):
            a[i, : t.node_count] = get(t)
        return a

    return Trees(float(model.init_.constant_.reshape(-1)[0]), float(model.learning_rate),
                 pad(lambda t: np.maximum(t.feature, 0), 0, np.int64), pad(lambda t: t.threshold, 0.0, np.float64),
                 pad(lambda t: t.children_left, -1, np.int64), pad(lambda t: t.children_right, -1, np.int64),
                 pad(lambda t: t.value[:, 0, 0], 0.0, np.float64))


def smape(pred: np.ndarray, true: np.ndarray) -> float:
    """Symmetric mean absolute percentage error, in percent (0 where both are 0)."""
    denom = np.abs(pred) + np.abs(true)
    return float(100 * np.mean(np.where(denom > 0, 2 * np.abs(pred - true) / np.where(denom > 0, denom, 1), 0)))


IDENTITY = Trees(0.0, 0.0, *(np.zeros((1, 1), dtype=t) for t in (np.int64, np.float64)),
                 *(-np.ones((1, 1), dtype=np.int64) for _ in range(2)), np.zeros((1, 1)))


def _model(fit: Fit, seed: int):
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(loss=fit.loss, n_estimators=TREES, max_depth=fit.depth, learning_rate=RATE,
                                     subsample=0.8, min_samples_leaf=fit.leaf, random_state=seed)


def train(table, seed: int = 0, folds: int = 5) -> tuple[Correction, dict]:
    """Fit the correction's trees on the records of ``table`` (a DataFrame of a dataset).

    Per family and resource, a ``folds``-fold cross-validation picks the fit (of
    :data:`FITS`) with the least sMAPE and decides whether it improves on the analytic
    figure; where it does not, the correction leaves the analytic figure as it is.
    Returns the correction and, per (family, resource), the :class:`Scores`."""
    try:
        from sklearn.model_selection import KFold, cross_val_predict
    except ImportError:
        raise ConfigError("training the estimator needs scikit-learn: pip install scikit-learn") from None
    if len(table) < 2 * folds:
        raise ModelLoadError(f"the dataset has {len(table)} finished designs; train on at least {2 * folds}")
    trees, seen, report = {}, {}, {}
    data, kinds = examples(table)
    for (family, resource), (x, analytic, measured) in data.items():
        target = np.log1p(measured) - np.log1p(analytic)
        folding = KFold(folds, shuffle=True, random_state=seed)
        cross_validated = [(smape(corrected(analytic, cross_val_predict(_model(f, seed), x, target, cv=folding)),
                                  measured), f) for f in FITS]
        learned, fit = min(cross_validated, key=lambda p: p[0])
        scores = Scores(smape(analytic, measured), learned, fit)
        trees[family, resource] = _export(_model(fit, seed).fit(x, target)) if scores.corrects else IDENTITY
        report[family, resource] = scores
        seen[family, resource] = x.max(axis=0)
    return Correction(trees, seen, {f: frozenset(k) for f, k in kinds.items()}, len(table)), report


def train_file(data, out, hold_out: int = 0) -> tuple[Correction, dict]:
    """Train on ``data`` (leaving out every ``hold_out``-th seed) and save to ``out``."""
    correction, report = train(read_table(data, hold_out))
    correction.save(out)
    return correction, report


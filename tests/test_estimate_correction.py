"""The learned correction: trees exported from scikit-learn predict what scikit-learn
predicts, files round-trip or are refused clearly, and estimate() applies a correction
only where it covers the family and the layer."""

from __future__ import annotations

import numpy as np
import pytest
from hw_models import K, chain, dense

from rtl4ml.devices import Family
from rtl4ml.errors import Rtl4mlError
from rtl4ml.estimate import estimate
from rtl4ml.estimate.correction import FEATURES, LAYER_KINDS, Correction, Trees, load_correction
from rtl4ml.estimate.train import FITS, _export
from rtl4ml.ir import Activation


def small_mlp():
    rng = np.random.default_rng(0)
    return chain(dense(rng, 8, 6, Activation(K.RELU)), dense(rng, 6, 4), shape=(8,))


def constant(delta: float) -> Trees:
    """A one-leaf ensemble adding ``delta`` to log(1 + analytic)."""
    one = np.zeros((1, 1))
    return Trees(delta, 0.1, one.astype(np.int64), one, -np.ones((1, 1), dtype=np.int64),
                 -np.ones((1, 1), dtype=np.int64), one)


def doubling(families=(Family.XILINX,), seen: float = 100.0, kinds=LAYER_KINDS) -> Correction:
    trees = {(f, r): constant(np.log(2.0)) for f in families for r in ("lut", "ff")}
    return Correction(trees, {k: np.full(len(FEATURES), seen) for k in trees},
                      {f: frozenset(kinds) for f in families}, 10)


@pytest.mark.parametrize("loss", sorted({f.loss for f in FITS}))
def test_exported_trees_predict_what_sklearn_predicts(loss: str) -> None:
    from sklearn.ensemble import GradientBoostingRegressor

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 5))
    y = np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + rng.normal(0, 0.1, 200)
    model = GradientBoostingRegressor(loss=loss, n_estimators=40, max_depth=3, learning_rate=0.1,
                                      random_state=0).fit(x, y)
    test = rng.normal(size=(50, 5))
    assert np.allclose(_export(model).predict(test), model.predict(test))


def test_a_correction_file_round_trips_and_bad_files_are_refused(tmp_path) -> None:
    c = doubling((Family.XILINX, Family.ECP5))
    c.save(tmp_path / "c.json")
    back = load_correction(tmp_path / "c.json")
    assert back.covers(Family.ECP5) and not back.covers(Family.ICE40) and back.designs == 10
    x = np.zeros((3, len(FEATURES)))
    assert list(back.correct(Family.XILINX, "lut", x, np.array([0.0, 10.0, 100.0]))) == [1, 21, 201]
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(Rtl4mlError, match="bad.json' cannot be used"):
        load_correction(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text('{"format": 2, "features": ["x"], "trees": [], "kinds": {}, "designs": 1}')
    with pytest.raises(Rtl4mlError, match="another feature set"):
        load_correction(tmp_path / "old.json")
    with pytest.raises(Rtl4mlError, match="does not exist"):
        load_correction(tmp_path / "none.json")


def test_estimate_applies_a_correction_where_it_covers(tmp_path) -> None:
    doubling().save(tmp_path / "c.json")
    plain = estimate(small_mlp(), correction=False, device=["xc7z020", "ice40up5k"])
    fixed = estimate(small_mlp(), correction=tmp_path / "c.json", device=["xc7z020", "ice40up5k"])
    assert list(plain.resources) == ["analytic", "analytic"]
    xc7, ice = fixed.iloc[0], fixed.iloc[1]
    assert xc7.resources == "learned" and xc7.note == ""
    assert plain.lut.iloc[0] * 2 <= xc7.lut <= plain.lut.iloc[0] * 2 + 4  # per layer: 2 * analytic + 1
    assert (xc7.dsp, xc7.bram, xc7.latency_cycles) == (plain.dsp.iloc[0], plain.bram.iloc[0],
                                                       plain.latency_cycles.iloc[0])
    assert ice.resources == "analytic" and "no learned correction for ice40" in ice.note
    assert ice.lut == plain.lut.iloc[1]


def test_a_layer_beyond_the_trained_designs_keeps_the_analytic_figure(tmp_path) -> None:
    doubling(seen=1.0).save(tmp_path / "c.json")  # trained on tiny designs only
    table = estimate(small_mlp(), correction=tmp_path / "c.json", per_layer=True)
    row = table.iloc[0]
    assert list(table.resources.iloc[1:]) == ["analytic", "analytic"]
    assert row.resources == "learned, partly analytic"
    assert "beyond the trained designs" in row.note and "n0" in row.note
    plain = estimate(small_mlp(), correction=False).iloc[0]
    assert row.lut == plain.lut


def test_a_layer_kind_never_trained_on_keeps_the_analytic_figure(tmp_path) -> None:
    doubling(kinds=("conv",)).save(tmp_path / "c.json")
    table = estimate(small_mlp(), correction=tmp_path / "c.json", per_layer=True)
    assert list(table.resources.iloc[1:]) == ["analytic", "analytic"]  # Dense layers: not in training


def test_trees_that_training_kept_as_identity_are_reported_analytic(tmp_path) -> None:
    from rtl4ml.estimate.train import IDENTITY

    c = doubling()
    Correction({k: IDENTITY for k in c.trees}, c.seen_max, c.kinds, 10).save(tmp_path / "c.json")
    row = estimate(small_mlp(), correction=tmp_path / "c.json").iloc[0]
    assert row.resources == "analytic" and row.lut == estimate(small_mlp(), correction=False).iloc[0].lut


def test_a_layer_without_hardware_stays_at_zero(tmp_path) -> None:
    from test_estimate import CNN_CONFIG, small_cnn

    doubling().save(tmp_path / "c.json")
    table = estimate(small_cnn(), CNN_CONFIG, correction=tmp_path / "c.json", per_layer=True)
    flatten = table[table.kind == "Flatten"].iloc[0]
    assert flatten.lut == flatten.ff == 0 and flatten.resources == "analytic"
    assert set(table[table.kind == "Conv2D"].resources) == {"learned"}


def test_the_shipped_correction_loads_and_covers_the_measured_families() -> None:
    c = load_correction()
    assert c is not None, "the package ships estimate/models/correction.json"
    assert c.covers(Family.XILINX) and c.covers(Family.ECP5)
    row = estimate(small_mlp()).iloc[0]
    assert row.resources.startswith("learned") and row.lut > 0


@pytest.mark.filterwarnings("ignore::rtl4ml.errors.PrecisionWarning")
def test_training_learns_a_systematic_error_and_keeps_the_analytic_figure_where_it_cannot() -> None:
    """Measured figures made up as a function of the analytic ones: LUTs twice the
    analytic figure (the trees learn it), flip-flops the analytic figure times noise
    (nothing to learn: cross-validation keeps the analytic figure)."""
    import pandas as pd

    from rtl4ml.estimate.mapping import cost
    from rtl4ml.estimate.train import design_rows, train

    rng = np.random.default_rng(0)
    rows = []
    for seed in range(24):
        s, _, _, _ = design_rows(seed)
        c = cost(s, Family.XILINX)
        rows.append({"seed": seed, "status": "ok", "xc7_lut": 2 * c.lut + 1,
                     "xc7_ff": int(c.ff * rng.uniform(0.5, 1.5))})
    correction, report = train(pd.DataFrame(rows), folds=4)
    lut = report[Family.XILINX, "lut"]
    assert lut.analytic > 50 and lut.learned < 10 and lut.corrects
    assert not correction.covers(Family.ECP5)
    ff = report[Family.XILINX, "ff"]
    if not ff.corrects:
        assert correction.trees[Family.XILINX, "ff"].rate == 0.0  # left analytic
    x = np.zeros((1, len(FEATURES)))
    assert correction.correct(Family.XILINX, "lut", x, np.array([100.0]))[0] > 150

"""Keras files: .keras archives, legacy Keras 2 .h5 and architecture JSON + weights, and bad files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from keras_models import (  # noqa: I001
    ATOL,
    L,
    seq,
    data,
    forward,
    k2_functional,
    k2_input,
    k2_layer,
    k2_sequential,
    randomize,
    weights_by_layer,
    write_k2_h5,
    write_k2_pair,
)

import keras  # noqa: E402  (keras_models picked the backend)
import rtl4ml
from rtl4ml.cli import app
from rtl4ml.errors import GraphError, ModelLoadError
from rtl4ml.frontends.keras import load_keras
from rtl4ml.ir import Activation, Conv, Dense

# ---- files ---------------------------------------------------------------------------------


def _small_cnn():
    inp = keras.Input((6, 6, 2), name="image")
    c = L.Conv2D(3, 3, padding="same", activation="relu", name="conv")(inp)
    c = L.BatchNormalization(name="bn")(c)
    p = L.MaxPooling2D(2, name="pool")(c)
    a = L.Conv2D(3, 1, name="branch_a")(p)
    b = L.Conv2D(3, 1, activation="sigmoid", name="branch_b")(p)
    s = L.Add(name="sum")([a, b])
    cat = L.Concatenate(name="cat")([s, p])
    out = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="flat")(cat))
    return randomize(keras.Model(inp, out, name="small_cnn"), seed=11)


def test_keras_file_and_keras3_h5_round_trip(tmp_path):
    model = _small_cnn()
    x = data((6, 6, 2))
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"m{suffix}"
        model.save(path)
        np.testing.assert_allclose(rtl4ml.convert(path).predict_float(x), forward(model, x), atol=ATOL)


def test_keras3_json_with_keras3_weights_beside_it(tmp_path):
    model = _small_cnn()
    (tmp_path / "m.json").write_text(model.to_json())
    model.save_weights(tmp_path / "m.weights.h5")
    x = data((6, 6, 2))
    np.testing.assert_allclose(rtl4ml.convert(tmp_path / "m.json").predict_float(x), forward(model, x), atol=ATOL)


def test_weights_argument_replaces_an_in_memory_models_weights(tmp_path):
    model = _small_cnn()
    model.save_weights(tmp_path / "trained.weights.h5")
    other = randomize(keras.models.clone_model(model), seed=99)
    x = data((6, 6, 2))
    got = rtl4ml.convert(other, weights=tmp_path / "trained.weights.h5").predict_float(x)
    np.testing.assert_allclose(got, forward(model, x), atol=ATOL)
    assert not np.allclose(forward(other, x), forward(model, x))  # the caller's model is untouched


def _k2_sequential_files():
    """A Keras-2 Sequential MLP (with Keras 2's hard_sigmoid) and its Keras 3 twin."""
    twin = seq(
        (6,),
        L.Dense(8, activation="relu", name="dense"),
        L.Dropout(0.2, name="dropout"),
        L.Dense(5, name="dense_1"),
        L.LeakyReLU(negative_slope=0.2, name="leaky_re_lu"),
        L.Dense(3, name="dense_2"),  # Keras 2's hard_sigmoid is applied by hand below
    )
    randomize(twin, seed=3)
    dense = dict(units=8, activation="relu", use_bias=True)
    layers = [
        k2_input("dense_input", (6,), functional=False),
        k2_layer("Dense", "dense", **dense),
        k2_layer("Dropout", "dropout", rate=0.2, noise_shape=None, seed=None),
        k2_layer("Dense", "dense_1", units=5, activation="linear", use_bias=True),
        k2_layer("LeakyReLU", "leaky_re_lu", alpha=0.2),
        k2_layer("Dense", "dense_2", units=3, activation="hard_sigmoid", use_bias=True),
    ]
    x = data((6,), scale=2.0)
    want = np.clip(0.2 * forward(twin, x) + 0.5, 0.0, 1.0)
    return k2_sequential("sequential", layers), weights_by_layer(twin), x, want


def _k2_functional_files():
    """A Keras-2 functional CNN with branches and its Keras 3 twin."""
    twin = _small_cnn()
    conv = dict(kernel_size=[3, 3], strides=[1, 1], padding="same", data_format="channels_last",
                dilation_rate=[1, 1], groups=1, activation="relu", use_bias=True)
    one = dict(conv, kernel_size=[1, 1], padding="valid")
    layers = [
        k2_input("image", (6, 6, 2)),
        k2_layer("Conv2D", "conv", ["image"], filters=3, **conv),
        k2_layer("BatchNormalization", "bn", ["conv"], axis=[3], momentum=0.99, epsilon=0.001, center=True, scale=True),
        k2_layer("MaxPooling2D", "pool", ["bn"], pool_size=[2, 2], padding="valid", strides=[2, 2],
                 data_format="channels_last"),
        k2_layer("Conv2D", "branch_a", ["pool"], filters=3, **dict(one, activation="linear")),
        k2_layer("Conv2D", "branch_b", ["pool"], filters=3, **dict(one, activation="sigmoid")),
        k2_layer("Add", "sum", ["branch_a", "branch_b"]),
        k2_layer("Concatenate", "cat", ["sum", "pool"], axis=-1),
        k2_layer("Flatten", "flat", ["cat"], data_format="channels_last"),
        k2_layer("Dense", "head", ["flat"], units=3, activation="softmax", use_bias=True),
    ]
    x = data((6, 6, 2))
    return k2_functional("small_cnn", layers, ["image"], ["head"]), weights_by_layer(twin), x, forward(twin, x)


@pytest.mark.parametrize("files", [_k2_sequential_files, _k2_functional_files], ids=["sequential", "functional"])
def test_keras2_json_pair_and_h5_match_the_keras3_twin(tmp_path, files):
    model_json, weights, x, want = files()
    write_k2_pair(tmp_path / "m.json", tmp_path / "m_weights.h5", model_json, weights)
    write_k2_pair(tmp_path / "arch.json", tmp_path / "params.h5", model_json, weights)
    write_k2_h5(tmp_path / "full.h5", model_json, weights)
    designs = [
        rtl4ml.convert(tmp_path / "arch.json", weights=tmp_path / "params.h5"),  # explicit weights
        rtl4ml.convert(tmp_path / "m.json"),  # <stem>_weights.h5 found beside it
        rtl4ml.convert(str(tmp_path / "full.h5")),  # Keras 2 model.save
    ]
    for design in designs:
        np.testing.assert_allclose(design.predict_float(x), want, atol=ATOL)
    if model_json["class_name"] == "Sequential":
        op = load_keras(tmp_path / "full.h5").graph["dense_2_hard_sigmoid"].op
        assert (op.alpha, op.beta) == (0.2, 0.5)  # Keras 2's definition


def test_keras2_weights_are_paired_by_order_when_names_differ(tmp_path):
    """A model rebuilt in another session numbers its layers anew; Keras pairs by order."""
    model_json, weights, x, want = _k2_sequential_files()
    old_names = [d["config"]["name"] for d in model_json["config"]["layers"]]
    for d in model_json["config"]["layers"]:
        d["config"]["name"] += "_7"
    write_k2_pair(tmp_path / "m.json", tmp_path / "w.h5", model_json, weights, layer_order=old_names)
    got = rtl4ml.convert(tmp_path / "m.json", weights=tmp_path / "w.h5").predict_float(x)
    np.testing.assert_allclose(got, want, atol=ATOL)


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    model_json, weights, _, _ = _k2_sequential_files()
    (tmp_path / "alone.json").write_text(json.dumps(model_json))
    with pytest.raises(ModelLoadError, match=r"alone\.json.*alone_weights\.h5"):
        load_keras(tmp_path / "alone.json")
    with pytest.raises(ModelLoadError, match=r"nope\.h5"):
        load_keras(tmp_path / "alone.json", weights=tmp_path / "nope.h5")
    (tmp_path / "bad.json").write_text('{"class_name": "Sequential", "config": ')
    with pytest.raises(ModelLoadError, match=r"bad\.json"):
        load_keras(tmp_path / "bad.json")
    with pytest.raises(ModelLoadError, match=r"bad\.json"):
        rtl4ml.convert(tmp_path / "bad.json")
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n garbage" * 10)
    with pytest.raises(ModelLoadError, match=r"bad\.h5"):
        rtl4ml.convert(tmp_path / "bad.h5")
    (tmp_path / "ok.json").write_text(json.dumps(model_json))
    with pytest.raises(ModelLoadError, match=r"bad\.h5"):
        load_keras(tmp_path / "ok.json", weights=tmp_path / "bad.h5")
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match=r"bad\.keras"):
        rtl4ml.convert(tmp_path / "bad.keras")
    write_k2_pair(tmp_path / "w.json", tmp_path / "weights_only.h5", model_json, weights)
    with pytest.raises(ModelLoadError, match=r"weights_only\.h5.*weights only"):
        load_keras(tmp_path / "weights_only.h5")
    seq((2,), L.Dense(1)).save_weights(tmp_path / "k3.weights.h5")  # Keras 3 layout: needs a Keras 3 JSON
    with pytest.raises(ModelLoadError, match=r"k3\.weights\.h5.*layer_names"):
        load_keras(tmp_path / "ok.json", weights=tmp_path / "k3.weights.h5")
    write_k2_pair(tmp_path / "p.json", tmp_path / "partial.h5", model_json, {"dense": weights["dense"]})
    with pytest.raises(ModelLoadError, match=r"no weights for layer\(s\) dense_1, dense_2"):
        load_keras(tmp_path / "p.json", weights=tmp_path / "partial.h5")


def test_keras2_shape_errors_name_the_layer(tmp_path):
    model_json, weights, _, _ = _k2_sequential_files()
    weights["dense_1"] = [("kernel", np.zeros((7, 5))), ("bias", np.zeros(5))]
    write_k2_pair(tmp_path / "m.json", tmp_path / "m_weights.h5", model_json, weights)
    with pytest.raises(GraphError, match="dense_1"):
        load_keras(tmp_path / "m.json")


def test_cli_inspect_on_a_keras2_pair(tmp_path):
    model_json, weights, _, _ = _k2_functional_files()
    write_k2_pair(tmp_path / "m.json", tmp_path / "m_weights.h5", model_json, weights)
    runner = CliRunner()
    result = runner.invoke(app, ["inspect", str(tmp_path / "m.json"), "--weights", str(tmp_path / "m_weights.h5")])
    assert result.exit_code == 0, result.output
    for name in ("image", "conv", "branch_a", "sum", "cat", "head"):
        assert name in result.output
    missing = runner.invoke(app, ["inspect", str(tmp_path / "m.json"), "--weights", str(tmp_path / "none.h5")])
    assert missing.exit_code == 1 and "none.h5" in missing.output


def test_imported_graph_is_channels_last_with_identity_layouts():
    imported = load_keras(_small_cnn())
    assert imported.source == "keras"
    assert imported.graph.shapes["image"] == (6, 6, 2)
    assert imported.input_layouts["image"].shape == (6, 6, 2)
    assert isinstance(imported.graph["conv"].op, Conv) and isinstance(imported.graph["head"].op, Dense)
    assert isinstance(imported.graph["conv_relu"].op, Activation)

"""Config: typed parsing at the edge, YAML/JSON round trips, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import rtl4ml
from rtl4ml.config import (
    Auto, AutoBits, Config, Strategy, config_from_dict, config_to_dict, load_config, parse_config_text,
    save_config, with_shortcuts,
)
from rtl4ml.errors import ConfigError
from rtl4ml.fixed import FixedType
from rtl4ml.ir import Activation, ActivationKind, Dense, Graph, Input, Node

ISSUE_EXAMPLE = """
model:
  precision: fixed<16,6>
  input: fixed<16,6>
  weight: fixed<8,1>
  bias: fixed<16,6>
  result: fixed<16,6>
  accumulator: auto
  reuse_factor: 1
  strategy: latency
layers:
  dense_1: {weight: fixed<6,1>, reuse_factor: 4}
passes:
  fuse_activations: true
  fold_batchnorm: true
"""


def test_the_documented_example_parses_into_typed_fields():
    cfg = parse_config_text(ISSUE_EXAMPLE)
    assert cfg.model.weight == FixedType(8, 1) and cfg.model.accumulator is Auto.EXACT
    assert cfg.model.strategy is Strategy.LATENCY
    assert cfg.layers["dense_1"].weight == FixedType(6, 1) and cfg.layers["dense_1"].reuse_factor == 4
    assert cfg.passes.fuse_activations and cfg.passes.fold_batchnorm


@pytest.mark.parametrize("suffix", [".yml", ".json"])
def test_save_and_load_round_trip(tmp_path, suffix):
    cfg = parse_config_text(ISSUE_EXAMPLE)
    cfg = with_shortcuts(cfg, precision="fixed<18,8,TRN,WRAP>", reuse=2)
    path = tmp_path / f"c{suffix}"
    save_config(cfg, path)
    back = load_config(path)
    assert back == cfg
    assert config_to_dict(back)["model"]["precision"] == "fixed<18,8,TRN,WRAP>"


def test_auto_integer_bits_syntax():
    cfg = config_from_dict({"model": {"result": "fixed<12,auto,TRN,SAT>", "weight": "ap_ufixed<8,auto>"}})
    assert cfg.model.result == AutoBits(12, True, FixedType.parse("fixed<1,0,TRN,SAT>").rounding)
    assert str(cfg.model.result) == "fixed<12,auto,TRN,SAT>"
    assert not cfg.model.weight.signed


@pytest.mark.parametrize(
    "bad,words",
    [
        ({"modle": {}}, ["modle", "model, layers, passes"]),
        ({"model": {"precison": "fixed<8,2>"}}, ["config.model", "precison", "accepted"]),
        ({"model": {"weight": "fixd<8,2>"}}, ["config.model.weight", "fixd<8,2>", "fixed<16,6>"]),
        ({"layers": {"d": {"reuse_factor": 0}}}, ["config.layers.d", "reuse_factor"]),
        ({"layers": {"d": {"strategy": "fast"}}}, ["strategy", "latency, resource"]),
        ({"passes": {"fuse": True}}, ["config.passes", "fuse", "fuse_activations"]),
        ({"passes": {"fuse_activations": "yes"}}, ["fuse_activations", "true or false"]),
        ({"model": {"table_size": 1000}}, ["table_size", "power of two"]),
        ({"model": {"result": "auto"}}, ["config.model.result", "auto"]),
    ],
)
def test_bad_configs_name_what_and_where(bad, words):
    with pytest.raises(ConfigError) as e:
        config_from_dict(bad)
    for w in words:
        assert w in str(e.value)


def test_bad_config_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "missing.yml")
    p = tmp_path / "broken.yml"
    p.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yml.*not valid YAML"):
        load_config(p)


def _model():
    rng = np.random.default_rng(0)
    return Graph(
        [
            Node("x", Input((4,))),
            Node("dense_1", Dense(rng.normal(size=(4, 3)), np.zeros(3)), ("x",)),
            Node("relu_1", Activation(ActivationKind.RELU), ("dense_1",)),
            Node("dense_2", Dense(rng.normal(size=(3, 2)), np.zeros(2)), ("relu_1",)),
        ],
        ["dense_2"],
    )


def test_config_from_model_by_model_and_by_layer(tmp_path):
    m = rtl4ml.config_from_model(_model())
    assert m.layers == {} and m.model.precision == FixedType(16, 6) and m.model.accumulator is Auto.EXACT
    per_layer = rtl4ml.config_from_model(_model(), granularity="layer")
    assert set(per_layer.layers) == {"x", "dense_1", "dense_2"}
    assert per_layer.layers["dense_1"].weight == FixedType(16, 6)
    save_config(per_layer, tmp_path / "c.yml")
    design = rtl4ml.convert(_model(), tmp_path / "c.yml")  # a generated config is accepted as is
    assert design.graph["dense_2"].precision.result == FixedType(16, 6)
    with pytest.raises(ValueError, match="granularity"):
        rtl4ml.config_from_model(_model(), granularity="name")


def test_convert_accepts_config_objects_dicts_and_paths(tmp_path):
    cfg = Config()
    save_config(cfg, tmp_path / "c.json")
    for c in (None, cfg, {"model": {}}, tmp_path / "c.json", str(tmp_path / "c.json")):
        assert rtl4ml.convert(_model(), c).graph["x"].precision.result == FixedType(16, 6)


def test_layer_config_built_in_python_is_type_checked():
    with pytest.raises(ConfigError, match="weight must be a FixedType"):
        rtl4ml.LayerConfig(weight="fixed<8,2>")
    assert rtl4ml.LayerConfig(weight=FixedType(8, 2), accumulator=Auto.EXACT).weight == FixedType(8, 2)


def test_hardware_keys():
    cfg = config_from_dict({"model": {"use_dsp": True, "adder_levels": 3}, "layers": {"d": {"use_dsp": False}}})
    assert cfg.model.use_dsp is True and cfg.model.adder_levels == 3 and cfg.layers["d"].use_dsp is False
    with pytest.raises(ConfigError, match="use_dsp.*true or false"):
        config_from_dict({"model": {"use_dsp": "yes"}})
    with pytest.raises(ConfigError, match="adder_levels"):
        config_from_dict({"model": {"adder_levels": 0}})

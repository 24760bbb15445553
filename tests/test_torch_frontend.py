"""The PyTorch frontend against PyTorch itself.

Every model gets seeded random weights (and non-trivial BatchNorm statistics), is run
by PyTorch on a random batch and converted with ``rtl4ml.convert``; the float
reference of the converted design, fed and read in PyTorch's own (channels-first)
layout, must agree within 1e-5.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import rtl4ml  # noqa: E402
import torch_models as tm  # noqa: E402
from rtl4ml.errors import ModelLoadError, UnsupportedError  # noqa: E402
from rtl4ml.frontends.layout import Layout  # noqa: E402
from rtl4ml.frontends.pytorch import load_torch, supported_functions, supported_modules  # noqa: E402

BATCH = 4


def sample(shape, batch: int = BATCH, seed: int = 1, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((batch, *shape)) * scale).astype(np.float32)


def torch_run(module: nn.Module, x: np.ndarray):
    with torch.no_grad():
        y = module(torch.from_numpy(x))
    return [t.numpy() for t in y] if isinstance(y, (tuple, list)) else y.numpy()


def check(module: nn.Module, input_shape, batch: int = BATCH, atol: float = 1e-5):
    """Convert ``module``; its float reference must match PyTorch on a random batch."""
    x = sample(input_shape, batch=batch)
    want = torch_run(module, x)
    design = rtl4ml.convert(module, input_shape=input_shape)
    got = design.predict_float(x)
    for g, w in zip(got, want) if isinstance(want, list) else [(got, want)]:
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=0, atol=atol)
    return design


def op_names(graph) -> list[str]:
    return [type(n.op).__name__ for n in graph.nodes]


def seq(*layers, seed: int = 0) -> nn.Module:
    return tm.randomized(nn.Sequential(*layers), seed)


# ---- every module and form against PyTorch --------------------------------------------------
MODELS = {
    "mlp": (lambda: tm.randomized(tm.MLP()), (16,)),
    "mlp_modules": (
        lambda: seq(
            nn.Linear(8, 12), nn.LeakyReLU(0.1), nn.Linear(12, 12), nn.ReLU6(), nn.Linear(12, 12), nn.Tanh(),
            nn.Linear(12, 12), nn.Sigmoid(), nn.Linear(12, 12), nn.Hardsigmoid(), nn.Linear(12, 12),
            nn.Hardtanh(-0.5, 0.7), nn.Dropout(0.3), nn.Identity(), nn.BatchNorm1d(12), nn.Linear(12, 4),
            nn.Softmax(dim=1),
            seed=3,
        ),
        (8,),
    ),
    "functional_activations": (lambda: tm.randomized(tm.FunctionalActivations(), 2), (8,)),
    "functional_weights": (lambda: tm.randomized(tm.Functional(), 4), (8,)),
    "linear_on_rows": (lambda: seq(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)), (4, 6)),
    "conv2d_pad0": (lambda: seq(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5)), (3, 8, 8)),
    "conv2d_pad1": (
        lambda: seq(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(256, 5)),
        (3, 8, 8),
    ),
    "conv2d_same_even_kernel": (
        lambda: seq(nn.Conv2d(3, 4, (4, 3), padding="same"), nn.Tanh(), nn.Conv2d(4, 2, 2, padding="valid")),
        (3, 7, 6),
    ),
    "conv2d_stride2": (
        lambda: seq(
            nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 4, (3, 2), stride=(2, 1), padding=(1, 0)),
            nn.Flatten(), nn.Linear(4 * 3 * 2, 3),
        ),
        (3, 9, 5),
    ),
    "conv2d_no_bias": (lambda: seq(nn.Conv2d(2, 3, 3, bias=False), nn.BatchNorm2d(3, affine=False)), (2, 5, 5)),
    "conv1d": (
        lambda: seq(
            nn.Conv1d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv1d(4, 4, 5, stride=2, padding=2), nn.BatchNorm1d(4),
            nn.Tanh(), nn.Flatten(), nn.Linear(4 * 8, 3), nn.Softmax(dim=-1),
        ),
        (2, 16),
    ),
    "conv1d_same": (lambda: seq(nn.Conv1d(2, 3, 4, padding="same"), nn.Sigmoid()), (2, 9)),
    "maxpool2d": (lambda: seq(nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2)), (2, 8, 8)),
    "maxpool2d_padded": (lambda: seq(nn.Conv2d(2, 3, 1), nn.MaxPool2d(3, stride=2, padding=1)), (2, 7, 8)),
    "maxpool2d_ceil_exact": (lambda: seq(nn.Conv2d(2, 3, 1), nn.MaxPool2d(2, ceil_mode=True)), (2, 6, 4)),
    "avgpool2d": (lambda: seq(nn.Conv2d(2, 3, 1), nn.AvgPool2d(2)), (2, 6, 6)),
    "avgpool2d_include_pad": (
        lambda: seq(nn.Conv2d(2, 3, 1), nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=True)),
        (2, 7, 7),
    ),
    "avgpool2d_exclude_pad": (
        lambda: seq(nn.Conv2d(2, 3, 1), nn.AvgPool2d((3, 2), stride=(1, 2), padding=(1, 1), count_include_pad=False)),
        (2, 5, 6),
    ),
    "maxpool1d": (lambda: seq(nn.Conv1d(2, 3, 3), nn.MaxPool1d(3, stride=2, padding=1), nn.Flatten()), (2, 12)),
    "avgpool1d": (
        lambda: seq(nn.Conv1d(2, 3, 1), nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False)),
        (2, 11),
    ),
    "avgpool1d_include_pad": (lambda: seq(nn.Conv1d(2, 3, 1), nn.AvgPool1d(4, padding=2)), (2, 10)),
    "adaptive_avg2d": (lambda: seq(nn.Conv2d(2, 5, 3), nn.AdaptiveAvgPool2d(1)), (2, 6, 7)),
    "adaptive_avg2d_flatten": (
        lambda: seq(nn.Conv2d(2, 5, 3), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(5, 2)),
        (2, 6, 6),
    ),
    "adaptive_avg2d_divisible": (lambda: seq(nn.Conv2d(2, 3, 1), nn.AdaptiveAvgPool2d((2, 3))), (2, 6, 6)),
    "adaptive_avg1d": (lambda: seq(nn.Conv1d(2, 5, 3), nn.AdaptiveAvgPool1d(1)), (2, 9)),
    "adaptive_max2d": (lambda: seq(nn.Conv2d(2, 4, 3), nn.AdaptiveMaxPool2d(1), nn.Flatten()), (2, 5, 5)),
    "functional_pools": (lambda: tm.randomized(tm.FunctionalCNN(), 5), (2, 4, 4)),
    "branched_cat_add": (lambda: tm.randomized(tm.Branched(), 6), (3, 6, 6)),
    "sequence_permute_squeeze": (lambda: tm.randomized(tm.SequenceConv(), 9), (12, 3)),
    "residual_block": (lambda: tm.randomized(tm.Residual(), 10), (4, 6, 6)),
    "decoder_view_into_conv": (lambda: tm.randomized(tm.Decoder(), 7), (6,)),
    "softmax_over_channels": (lambda: seq(nn.Conv2d(2, 3, 1), nn.Softmax(dim=1)), (2, 4, 5)),
    "softmax_default_dim": (lambda: seq(nn.Linear(3, 4), nn.Softmax()), (3,)),
    "bare_linear": (lambda: tm.randomized(nn.Linear(5, 3)), (5,)),
    "bare_conv": (lambda: tm.randomized(nn.Conv2d(2, 3, 3)), (2, 5, 5)),
    "two_outputs": (lambda: tm.randomized(tm.TwoOutputs()), (2, 8)),
    "nested_sequential": (
        lambda: seq(
            nn.Sequential(nn.Conv2d(1, 3, 3), nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())),
            nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Sequential(nn.Linear(27, 8), nn.ReLU())),
            nn.Linear(8, 2),
        ),
        (1, 8, 8),
    ),
}
MODELS.update({f"views_{form}": (lambda form=form: tm.randomized(tm.Views(form), 8), (2, 8, 8)) for form in (
    "view_size", "view_shape", "view_arith", "reshape", "reshape_tuple", "torch_flatten", "method_flatten",
    "module_flatten",
)})


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel", "ignore:Implicit dimension choice")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_matches_pytorch(name):
    build, shape = MODELS[name]
    check(build(), shape)


def test_relu6_and_hardtanh_clip():
    model = seq(nn.Linear(4, 8), nn.ReLU6(), nn.Linear(8, 8), nn.Hardtanh(-0.5, 0.7))
    with torch.no_grad():
        model[0].weight.mul_(8)
    x = sample((4,), batch=64)
    hidden = torch_run(model[:2], x)
    assert (hidden == 6).any() and (hidden == 0).any()  # the clip is exercised
    check(model, (4,), batch=64)


def test_names_layouts_and_ops():
    model = tm.randomized(tm.SmallCNN())
    imp = load_torch(model, input_shape=(1, 8, 8))
    g = imp.graph
    assert imp.source == "torch"
    assert op_names(g) == ["Input", "Conv", "BatchNorm", "Activation", "Pool", "Flatten", "Dense"]
    assert [n.name for n in g.nodes] == ["x", "conv", "bn", "relu", "pool", "fc/flatten", "fc"]
    assert g.shapes["x"] == (8, 8, 1)
    assert imp.input_layouts["x"].same_as(Layout.channels_first((8, 8, 1)))
    assert imp.output_layouts["fc"].is_identity()


def test_nested_module_paths_name_nodes():
    build, shape = MODELS["nested_sequential"]
    g = load_torch(build(), input_shape=shape).graph
    assert {"0.0", "0.1.0", "0.1.1", "1.0", "1.2.0", "1.2.1", "2"} <= {n.name for n in g.nodes}


def test_shared_module_gets_unique_names():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.fc(self.act(self.fc(x))))

    design = check(tm.randomized(Twice()), (4,))
    names = [n.name for n in design.imported.graph.nodes]
    assert names == ["x", "fc", "act", "fc_1", "act_1"]


def test_flatten_permutes_dense_rows_not_data():
    """A Flatten of a channels-first tensor costs no transpose: the Dense rows move."""
    model = tm.randomized(tm.Views("view_size"), 8)
    g = load_torch(model, input_shape=(2, 8, 8)).graph
    assert op_names(g) == ["Input", "Conv", "Flatten", "Dense"]
    w = model.fc.weight.detach().numpy().T  # (C*H*W, out) in PyTorch's (c, h, w) order
    c, h, wd = 3, 4, 4
    torch_rows = np.arange(c * h * wd).reshape(c, h, wd).transpose(1, 2, 0).reshape(-1)
    np.testing.assert_allclose(g["fc"].op.weight, w[torch_rows], rtol=1e-7)


def test_permuted_input_feeds_conv1d_without_moving_data():
    imp = load_torch(tm.randomized(tm.SequenceConv()), input_shape=(12, 3))
    assert imp.graph.shapes["x"] == (12, 3) and imp.input_layouts["x"].is_identity()
    assert op_names(imp.graph) == ["Input", "Conv", "Activation", "GlobalPool", "Dense"]


def test_view_into_conv_reorders_dense_columns():
    g = load_torch(tm.randomized(tm.Decoder(), 7), input_shape=(6,)).graph
    assert op_names(g) == ["Input", "Dense", "Activation", "Reshape", "Conv"]


def test_module_is_not_changed():
    model = tm.randomized(tm.SmallCNN()).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rtl4ml.convert(model, input_shape=(1, 8, 8))
    assert model.training and all(m.training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_input_shape_required_and_checked():
    model = tm.randomized(tm.SmallCNN())
    with pytest.raises(ModelLoadError, match=r"input_shape=.*--input-shape"):
        rtl4ml.convert(model)
    with pytest.raises(ModelLoadError, match=r"does not run on input_shape \(3, 8, 8\)"):
        rtl4ml.convert(model, input_shape=(3, 8, 8))


# ---- bit-exact predict within a derived bound -----------------------------------------------
def test_predict_within_quantization_bound():
    """``predict`` (default fixed<16,6>: LSB d = 2**-10, RND rounding, saturation) of an
    MLP ``h_l = relu(h_{l-1} @ W_l + b_l)`` (no relu on the last layer) stays within a
    bound propagated layer by layer.

    Derivation. Every stored value v~ is its exact counterpart v plus an error e. The
    input is rounded once: |e_0| <= d/2. Weights and biases are rounded to the grid:
    |W~ - W| <= d/2, |b~ - b| <= d/2. The accumulator is exact, so before the output
    rounding a layer's error in unit j is

        sum_i (h~_i W~_ij - h_i W_ij) + (b~_j - b_j)
          = sum_i h~_i (W~_ij - W_ij) + W_ij (h~_i - h_i) + (b~_j - b_j),

    bounded by d/2 * sum_i |h~_i| + sum_i |W_ij| E_i + d/2 with |h~_i| <= |h_i| + E_i.
    Rounding the result adds d/2, and ReLU is 1-Lipschitz, so

        E_out_j = d/2 * (sum_i (|h_i| + E_i) + 2) + sum_i |W_ij| E_i.

    This holds while no value saturates (|v| < 32 - 2 d), checked on the float path.
    """
    model = tm.randomized(tm.MLP(16, 16, 5), seed=11, scale=0.3)
    x = sample((16,), batch=256, seed=5)
    design = rtl4ml.convert(model, input_shape=(16,))
    got = design.predict(x)
    d = 2.0**-10
    h = x.astype(np.float64)
    err = np.full_like(h, d / 2)
    layers = [model.fc1, model.fc2, model.out]
    for k, layer in enumerate(layers):
        w = layer.weight.detach().double().numpy().T
        b = layer.bias.detach().double().numpy()
        err = d / 2 * ((np.abs(h) + err).sum(axis=1, keepdims=True) + 2) + err @ np.abs(w)
        h = h @ w + b
        assert np.abs(h).max() < 16  # far from saturation at +-32
        if k < len(layers) - 1:
            h = np.maximum(h, 0)
    np.testing.assert_allclose(h, torch_run(model, x), rtol=0, atol=1e-5)
    excess = np.abs(got - h) - err
    assert excess.max() <= 0, f"beyond the bound by {excess.max()}"
    assert err.max() < 0.2 < np.abs(h).max()  # the bound is well below the outputs' scale
    assert np.abs(got - h).max() > 0  # and the fixed-point path did round


# ---- files, weights and pickles ---------------------------------------------------------------
def test_state_dict_through_weights(tmp_path):
    trained = tm.randomized(tm.SmallCNN(), seed=3)
    path = tmp_path / "weights.pt"
    torch.save(trained.state_dict(), path)
    fresh = tm.SmallCNN().eval()
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    x = sample((1, 8, 8))
    design = rtl4ml.convert(fresh, input_shape=(1, 8, 8), weights=path)
    np.testing.assert_allclose(design.predict_float(x), torch_run(trained, x), rtol=0, atol=1e-5)
    assert all(torch.equal(before[k], v) for k, v in fresh.state_dict().items())  # the caller's copy is untouched


def test_weights_that_do_not_fit(tmp_path):
    path = tmp_path / "other.pt"
    torch.save(tm.MLP().state_dict(), path)
    with pytest.raises(ModelLoadError, match=r"weights file .*other\.pt' does not fit the module"):
        load_torch(tm.SmallCNN(), input_shape=(1, 8, 8), weights=path)


def test_state_dict_alone_is_not_a_model(tmp_path):
    path = tmp_path / "sd.pt"
    torch.save(tm.SmallCNN().state_dict(), path)
    with pytest.raises(ModelLoadError, match=r"only weights .*architecture.*weights="):
        load_torch(path, input_shape=(1, 8, 8))


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_pickled_module_needs_permission(tmp_path, zipped):
    model = tm.randomized(tm.SmallCNN(), seed=4)
    path = tmp_path / "model.pt"
    torch.save(model, path, _use_new_zipfile_serialization=zipped)
    with pytest.raises(ModelLoadError) as info:
        rtl4ml.convert(str(path), input_shape=(1, 8, 8))
    text = str(info.value)
    assert "model.pt" in text and "arbitrary code" in text
    assert "allow_pickle=True" in text and "--allow-pickle" in text
    assert "torch_models.SmallCNN" in text  # what the file would import
    design = rtl4ml.convert(str(path), input_shape=(1, 8, 8), allow_pickle=True)
    x = sample((1, 8, 8))
    np.testing.assert_allclose(design.predict_float(x), torch_run(model, x), rtol=0, atol=1e-5)


def test_pickled_module_never_unpickled_without_flag(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    torch.save(tm.SmallCNN(), path)
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k.get("weights_only")) or real_load(*a, **k))
    with pytest.raises(ModelLoadError):
        load_torch(path, input_shape=(1, 8, 8))
    assert calls == [True]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_file_is_refused(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(tm.SmallCNN()), path)
    for allow in (False, True):
        with pytest.raises(UnsupportedError, match=r"scripted\.pt' holds a TorchScript module"):
            load_torch(path, input_shape=(1, 8, 8), allow_pickle=allow)


@pytest.mark.parametrize("content", [b"not a pytorch file at all", b"PK\x03\x04 broken zip"])
def test_corrupt_file(tmp_path, content):
    path = tmp_path / "broken.pth"
    path.write_bytes(content)
    for allow in (False, True):
        with pytest.raises(ModelLoadError, match=r"cannot load PyTorch model file '.*broken\.pth'"):
            load_torch(path, input_shape=(4,), allow_pickle=allow)


def test_missing_file(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        rtl4ml.convert(str(tmp_path / "nope.pt"), input_shape=(4,))


def test_cli_inspect_pickled_model(tmp_path):
    from typer.testing import CliRunner

    from rtl4ml.cli import app

    path = tmp_path / "model.pt"
    torch.save(tm.randomized(tm.SmallCNN()), path)
    runner = CliRunner()
    refused = runner.invoke(app, ["inspect", str(path), "--input-shape", "1,8,8"])
    assert refused.exit_code == 1
    assert "--allow-pickle" in refused.output
    result = runner.invoke(app, ["inspect", str(path), "--input-shape", "1,8,8", "--allow-pickle"])
    assert result.exit_code == 0, result.output
    assert "conv" in result.output and "fc" in result.output


# ---- one network, one IR: PyTorch and its ONNX export ------------------------------------------
class ExportNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
        )
        self.classifier = nn.Sequential(nn.Linear(6 * 2 * 2, 8), nn.Tanh(), nn.Linear(8, 3), nn.Softmax(dim=1))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


def test_same_ir_as_onnx_export():
    model = tm.randomized(ExportNet(), seed=9)
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (torch.zeros(1, 2, 8, 8),), buf, dynamo=False, input_names=["x"], output_names=["y"],
                dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, do_constant_folding=False,  # keep the BatchNorm
            )
    except Exception as e:  # the exporter needs optional packages in some installs
        pytest.skip(f"torch.onnx.export (TorchScript exporter) is unavailable here: {type(e).__name__}: {e}")
    import onnx

    from_onnx = rtl4ml.convert(onnx.load_from_string(buf.getvalue()))
    from_torch = rtl4ml.convert(model, input_shape=(2, 8, 8))
    assert op_names(from_torch.imported.graph) == op_names(from_onnx.imported.graph)
    assert op_names(from_torch.graph) == op_names(from_onnx.graph)
    for a, b in zip(from_torch.graph.nodes, from_onnx.graph.nodes):
        assert a.precision == b.precision
    x = sample((2, 8, 8), batch=32, seed=2)
    np.testing.assert_array_equal(from_torch.predict_raw(x), from_onnx.predict_raw(x))


# ---- what is not supported --------------------------------------------------------------------
def test_unsupported_reported_at_once():
    with pytest.raises(UnsupportedError) as info:
        load_torch(tm.Unsupported(), input_shape=(4, 6, 6))
    text = str(info.value)
    assert text.count("unsupported PyTorch operation") == 1
    assert "torch.nn.LSTM (module 'lstm')" in text
    assert "torch.matmul of two runtime tensors" in text and "node 'matmul'" in text
    assert "torch.nn.Conv2d with groups=2" in text and "module 'conv'" in text
    assert "torch.exp (node 'exp')" in text
    assert "Supported modules: " in text and "Conv2d" in text and "F.relu" in text


@pytest.mark.parametrize(
    "layer, message",
    [
        (nn.Conv2d(2, 2, 3, dilation=2), r"dilation=\(2, 2\)"),
        (nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
        (nn.MaxPool2d(2, return_indices=True), "return_indices=True"),
        (nn.AvgPool2d(2, divisor_override=3), "divisor_override=3"),
        (nn.BatchNorm2d(2, track_running_stats=False), "no running statistics"),
        (nn.ConvTranspose2d(2, 2, 3), r"torch\.nn\.ConvTranspose2d"),
    ],
)
def test_unsupported_settings(layer, message):
    with pytest.raises(UnsupportedError, match=message):
        load_torch(nn.Sequential(nn.Identity(), layer), input_shape=(2, 6, 6))


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (nn.MaxPool2d(2, ceil_mode=True), (2, 5, 5), r"node '1' \(MaxPool2d\): ceil_mode=1 adds a partial window"),
        (nn.AdaptiveAvgPool2d(4), (2, 6, 6), r"output size \(4, 4\) does not divide the input size \(6, 6\)"),
        (nn.Softmax(dim=2), (2, 3, 4), "only a softmax over the IR last axis"),
        (nn.Softmax(dim=0), (3,), "batch axis"),
    ],
)
def test_unsupported_for_this_shape(layer, shape, message):
    with pytest.raises(UnsupportedError, match=message):
        load_torch(nn.Sequential(nn.Identity(), layer), input_shape=shape)


class _Forward(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fn(self.fc(x))


@pytest.mark.parametrize(
    "fn, shape, message",
    [
        (lambda x: x.view(-1), (4,), r"node 'view' \(Tensor.view\): .*batch"),
        (lambda x: x.reshape(2, -1), (4,), "fix or change the batch size"),
        (lambda x: x.view(x.size(0) * 2, -1), (4,), r"computes with the batch size \(x.size\(0\) \* 2\)"),
        (lambda x: torch.cat([x, x]), (4,), r"node 'cat' .*batch axis"),
        (lambda x: F.softmax(x, dim=0), (4,), "batch axis"),
        (lambda x: torch.flatten(x), (4,), "start_dim=1"),
        (lambda x: F.dropout(x, 0.5), (4,), "training=True"),
        (lambda x: x * 2, (4,), r"operator\.mul on tensors"),
        (lambda x: x[:, 0], (4,), r"operator\.getitem on tensors"),
        (lambda x: torch.add(x, x, alpha=2), (4,), "alpha=2"),
    ],
)
def test_unsupported_uses(fn, shape, message):
    with pytest.raises(UnsupportedError, match=message):
        load_torch(_Forward(fn), input_shape=shape)


def test_untraceable_forward():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(UnsupportedError, match="torch.fx cannot trace"):
        load_torch(Branchy(), input_shape=(3,))


def test_supported_lists():
    assert {"Conv1d", "Conv2d", "Linear", "BatchNorm2d", "AdaptiveAvgPool2d", "Sequential"} <= set(supported_modules())
    assert {"F.relu", "torch.cat", "operator.add", "Tensor.view", "Tensor.size"} <= set(supported_functions())

"""QONNX models: quantization-aware-trained graphs keep their trained types exactly.

onnxruntime cannot run QONNX's custom ops, so the reference here is the ONNX reference
evaluator (numpy, run in float64) with the QONNX ops implemented below from their
documented definitions (docs/qonnx-custom-ops in the QONNX repository). Every value in
these graphs is a dyadic rational computed exactly in float64, so rtl4ml's bit-exact
``predict`` must equal the reference exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest

import rtl4ml
from rtl4ml.errors import UnsupportedError
from rtl4ml.fixed import FixedType, Overflow, Rounding
from rtl4ml.frontends.onnx import load_onnx
from rtl4ml.ir import ActivationKind, BatchNorm, Dense



from qonnx_models import (
    FINN,
    QONNX,
    SAMPLES,
    MODES,
    assert_exact,
    ftype,
    grid_inputs,
    qmodel,
    qonnx_round,
    quant,
    quant_ref,
    reference,
)

def test_reference_rounding_matches_the_documented_table():
    x = np.array([5.5, 2.5, 1.6, 1.1, 1.0, -1.0, -1.1, -1.6, -2.5, -5.5])
    table = {
        "ROUND": [6, 2, 2, 1, 1, -1, -1, -2, -2, -6],
        "CEIL": [6, 3, 2, 2, 1, -1, -1, -1, -2, -5],
        "FLOOR": [5, 2, 1, 1, 1, -1, -2, -2, -3, -6],
        "UP": [6, 3, 2, 2, 1, -1, -2, -2, -3, -6],
        "DOWN": [5, 2, 1, 1, 1, -1, -1, -1, -2, -5],
        "HALF_UP": [6, 3, 2, 1, 1, -1, -1, -2, -3, -6],
        "HALF_DOWN": [5, 2, 2, 1, 1, -1, -1, -2, -2, -5],
    }
    for mode, want in table.items():
        np.testing.assert_array_equal(qonnx_round(x, mode), want, err_msg=mode)
    np.testing.assert_array_equal(quant_ref(x, 0.5, 0, 4, 1, 1), [3.5, 2.5, 1.5, 1, 1, -1, -1, -1.5, -2.5, -3.5])
    np.testing.assert_array_equal(quant_ref(x, 1, 0, 3, 0, 1), [6, 2, 2, 1, 1, 0, 0, 0, 0, 0])


# ---- quantized MLPs -------------------------------------------------------------------------
def mlp(act_mode: str, act_signed: int, act_narrow: int, w_bits: int) -> onnx.ModelProto:
    """Quant(in) -> Gemm(quantized W, b) -> Relu -> Quant(act) -> MatMul(quantized W) -> Quant(out)."""
    m = qmodel()
    x = quant(m, m.input(["N", 6]), 2.0**-3, 6, name="q_in")
    w1 = quant(m, m.weight(5, 6), 2.0**-2 if w_bits == 4 else 2.0**-5, w_bits, narrow=1, name="q_w1")
    b1 = quant(m, m.weight(5, scale=0.3), 2.0**-4, 8, name="q_b1")
    y = m.node("Gemm", [x, w1, b1], name="fc1", transB=1)
    y = m.node("Relu", [y], name="relu1")
    y = quant(m, y, 2.0**-3, 5, act_signed, act_narrow, act_mode, name="q_act")
    w2 = quant(m, m.weight(5, 3), 2.0**-4, 6, mode="FLOOR", name="q_w2")
    y = m.node("MatMul", [y, w2], name="fc2")
    m.output(quant(m, y, 2.0**-4, 10, mode="HALF_DOWN", name="q_out"), ["N", 3])
    return m.build()


@pytest.mark.parametrize("mode", list(MODES) + ["round"])
@pytest.mark.parametrize("signed, narrow", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_mlp_is_exact_and_keeps_trained_types(mode, signed, narrow):
    w_bits = 4 if narrow else 8
    d = assert_exact(mlp(mode, signed, narrow, w_bits), grid_inputs((6,)))
    g = d.graph
    assert g["x"].precision.result == ftype(6, -3)
    fc1 = g["fc1"]
    assert fc1.aliases == ("relu1",)  # the activation is fused, its Quant is the result
    assert fc1.precision.weight == ftype(w_bits, -2 if w_bits == 4 else -5, narrow=True)
    assert fc1.precision.bias == ftype(8, -4)
    assert fc1.precision.result == ftype(5, -3, bool(signed), MODES[mode.upper()], bool(narrow))
    assert fc1.precision.exact_accumulator
    assert g["fc2"].precision.weight == ftype(6, -4, mode=Rounding.TRN)
    assert g["fc2"].precision.result == ftype(10, -4, mode=Rounding.RND_ZERO)
    narrow_unsigned = narrow and not signed
    assert (fc1.op.activation.kind is ActivationKind.CLIP) == bool(narrow_unsigned)


def test_mlp_from_finn_domain_and_user_settings_override():
    m = qmodel(FINN)
    x = quant(m, m.input(["N", 4]), 0.25, 6, domain=FINN, name="q_in")
    w = quant(m, m.weight(4, 3), 0.125, 4, domain=FINN)
    y = m.node("Relu", [m.node("MatMul", [x, w], name="mm")])
    m.output(quant(m, y, 0.125, 6, 0, domain=FINN), ["N", 3])
    model = m.build()
    d = assert_exact(model, grid_inputs((4,)), FINN)
    assert d.graph["mm"].precision.weight == ftype(4, -3)
    user = rtl4ml.convert(model, {"layers": {"mm": {"weight": "fixed<12,4>"}}})
    assert user.graph["mm"].precision.weight == FixedType(12, 4)
    assert user.graph["mm"].precision.result == ftype(6, -3, signed=False)


# ---- a quantized CNN ---------------------------------------------------------------------------
def test_conv_net_is_exact():
    m = qmodel()
    x = quant(m, m.input(["N", 2, 6, 6]), 2.0**-4, 8, name="q_in")
    w = quant(m, m.weight(4, 2, 3, 3), 2.0**-2, 4, narrow=1)
    b = quant(m, m.weight(4, scale=0.2), 2.0**-5, 8)
    y = m.node("Conv", [x, w, b], name="conv", pads=[1, 1, 1, 1])
    y = quant(m, m.node("Relu", [y], name="relu"), 2.0**-2, 4, 0, mode="FLOOR", name="q_relu")
    y = m.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = m.node("Flatten", [y])
    w2 = quant(m, m.weight(5, 4 * 3 * 3, scale=0.2), 2.0**-5, 8)
    y = m.node("Gemm", [y, w2], name="fc", transB=1)
    m.output(quant(m, y, 2.0**-3, 8, mode="HALF_UP", name="q_out"), ["N", 5])
    d = assert_exact(m.build(), grid_inputs((2, 6, 6)))
    conv = d.graph["conv"]
    assert conv.precision.weight == ftype(4, -2, narrow=True)
    assert conv.precision.bias == ftype(8, -5)
    assert conv.precision.result == ftype(4, -2, signed=False, mode=Rounding.TRN)
    assert d.graph["fc"].precision.result == ftype(8, -3, mode=Rounding.RND_INF)


# ---- where a Quant's type goes ------------------------------------------------------------------
def test_types_are_returned_as_layer_configs_and_attach_through_views():
    """Conv -> Relu -> Flatten -> Quant: the Flatten is a view, so the Relu takes the type."""
    m = qmodel()
    x = quant(m, m.input(["N", 1, 4, 4]), 2.0**-3, 6, name="q_in")
    y = m.node("Conv", [x, quant(m, m.weight(2, 1, 3, 3), 2.0**-2, 4, name="q_w")], name="conv")
    y = m.node("Flatten", [m.node("Relu", [y], name="relu")])
    y = quant(m, y, 2.0**-2, 5, 0, mode="DOWN", name="q_act")
    m.output(m.node("MatMul", [y, quant(m, m.weight(8, 3), 2.0**-3, 6)], name="mm"), ["N", 3])
    model = m.build()
    configs = load_onnx(model).layer_configs
    assert set(configs) == {"x", "conv", "relu", "mm"}
    assert configs["x"].explicit() == {"input": ftype(6, -3)}
    assert configs["conv"].explicit() == {"weight": ftype(4, -2)}
    assert configs["relu"].explicit() == {"result": ftype(5, -2, signed=False, mode=Rounding.TRN_ZERO)}
    d = assert_exact(model, grid_inputs((1, 4, 4)))
    assert d.graph["conv"].precision.accumulator is not None and d.graph["conv"].precision.exact_accumulator


def test_quant_of_a_shared_tensor_is_its_own_conversion_node():
    """The Relu output is read by the Quant and is also a graph output."""
    m = qmodel()
    x = quant(m, m.input(["N", 4]), 2.0**-3, 8)
    w = quant(m, m.weight(4, 3), 2.0**-3, 6)
    r = m.node("Relu", [m.node("MatMul", [x, w], name="mm")], name="relu")
    q = quant(m, r, 2.0**-1, 4, 0, mode="FLOOR", name="q_act")
    w2 = quant(m, m.weight(3, 2), 2.0**-3, 6)
    m.output(r, ["N", 3])  # exact in the default fixed<16,6> here: 6 fraction bits, small
    m.output(m.node("MatMul", [q, w2], name="mm2"), ["N", 2])
    model = m.build()
    x = grid_inputs((4,))
    d = rtl4ml.convert(model)
    for got, ref in zip(d.predict(x), reference(model, x)):
        np.testing.assert_array_equal(got, ref)
    node = d.graph["q_act"]
    assert node.op.kind is ActivationKind.LINEAR
    assert node.precision.result == ftype(4, -1, signed=False, mode=Rounding.TRN)


def test_quant_of_a_graph_output():
    m = qmodel()
    x = quant(m, m.input(["N", 4]), 2.0**-3, 8)
    y = m.node("MatMul", [x, quant(m, m.weight(4, 3), 2.0**-2, 4)], name="mm")
    m.output(y, ["N", 3])
    m.output(quant(m, y, 2.0**-1, 4, name="q_out"), ["N", 3])
    model = m.build()
    x = grid_inputs((4,))
    d = rtl4ml.convert(model)
    for got, ref in zip(d.predict(x), reference(model, x)):
        np.testing.assert_array_equal(got, ref)
    assert d.graph["q_out"].precision.result == ftype(4, -1)


@pytest.mark.parametrize("second_bits, second_scale", [(4, 2.0**-1), (10, 2.0**-4)])
def test_quant_after_gemm_then_activation_and_quant(second_bits, second_scale):
    """Gemm -> Quant -> Relu -> Quant: the first conversion must not be skipped by
    fusing the Relu into the Gemm; a second Quant that changes nothing is dropped."""
    m = qmodel()
    x = quant(m, m.input(["N", 5]), 2.0**-3, 8)
    y = m.node("Gemm", [x, quant(m, m.weight(4, 5), 2.0**-3, 6)], name="fc", transB=1)
    y = quant(m, y, 2.0**-2, 6, mode="HALF_UP", name="q1")
    y = quant(m, m.node("Relu", [y], name="relu"), second_scale, second_bits, 0, name="q2")
    m.output(quant(m, y, second_scale, second_bits, 0, name="q3"), ["N", 4])  # a no-op repeat
    d = assert_exact(m.build(), grid_inputs((5,), limit=8))
    fc = d.graph["fc"]
    assert fc.op.activation.kind is ActivationKind.RELU and "relu" not in d.graph  # fused
    assert fc.precision.pre_activation == ftype(6, -2, mode=Rounding.RND_INF)  # q1 still rounds
    assert fc.precision.result == ftype(second_bits, int(np.log2(second_scale)), signed=False)
    assert "q3" not in d.graph


def test_quant_then_quant_on_an_input():
    m = qmodel()
    x = quant(m, m.input(["N", 4]), 2.0**-4, 10, name="q_fine")
    x = quant(m, x, 2.0**-1, 4, mode="ROUND", name="q_coarse")  # double rounding, kept
    m.output(m.node("MatMul", [x, quant(m, m.weight(4, 2), 2.0**-2, 4)], name="mm"), ["N", 2])
    d = assert_exact(m.build(), grid_inputs((4,), frac=8))
    assert d.graph["x"].precision.result == ftype(10, -4)
    assert d.graph["q_coarse"].precision.result == ftype(4, -1)


def test_per_channel_scales():
    m = qmodel()
    x = quant(m, m.input(["N", 4]), np.full((1, 4), 2.0**-3), 8)  # per channel, all equal
    w_scales = np.array([[2.0**-2, 2.0**-4, 2.0**-3]], np.float32)  # one per output column
    y = m.node("MatMul", [x, quant(m, m.weight(4, 3), w_scales, 5, narrow=1)], name="mm")
    m.output(quant(m, y, 2.0**-3, 8), ["N", 3])
    d = assert_exact(m.build(), grid_inputs((4,)))
    assert d.graph["mm"].precision.weight == FixedType(7, 3, True, Rounding.RND_CONV, Overflow.SAT_SYM)


# ---- BipolarQuant and Trunc -------------------------------------------------------------------
@pytest.mark.parametrize("as_quant", [False, True])
def test_bipolar_weights_and_activations(as_quant):
    m = qmodel()
    x = quant(m, m.input(["N", 6]), 2.0**-3, 8)
    wb = m.node("BipolarQuant", [m.weight(6, 4), m.const(np.float32(0.25))], domain=QONNX)
    y = m.node("MatMul", [x, wb], name="mm")
    if as_quant:  # a 1-bit signed Quant is bipolar
        y = quant(m, y, 0.5, 1, name="sign")
    else:
        y = m.node("BipolarQuant", [y, m.const(np.float32(0.5))], name="sign", domain=QONNX)
    y = m.node("MatMul", [y, quant(m, m.weight(4, 2), 2.0**-3, 6)], name="mm2")
    m.output(quant(m, y, 2.0**-3, 8), ["N", 2])
    d = assert_exact(m.build(), grid_inputs((6,), frac=3))
    assert d.graph["mm"].precision.weight == FixedType(2, 0)  # holds -1/4 and 1/4
    assert isinstance(d.graph["sign"].op, BatchNorm)
    assert d.graph["sign"].precision.result == FixedType(2, 1)  # holds -1/2 and 1/2


@pytest.mark.parametrize("mode", ["FLOOR", "ROUND"])
@pytest.mark.parametrize("on_input", [False, True])
def test_trunc_version_2(mode, on_input):
    m = qmodel()
    x = m.input(["N", 4])
    if not on_input:  # else the Trunc rounds the raw input to its grid first
        x = quant(m, x, 2.0**-4, 8)
    ins = [x, m.const(np.float32(2.0**-4)), m.const(np.float32(0)), m.const(np.float32(8)),
           m.const(np.float32(2.0**-2)), m.const(np.float32(0)), m.const(np.float32(5))]
    y = m.node("Trunc", ins, name="trunc", domain=QONNX, rounding_mode=mode, signed=1, narrow=0)
    m.output(m.node("MatMul", [y, quant(m, m.weight(4, 3), 2.0**-2, 4)], name="mm"), ["N", 3])
    d = assert_exact(m.build(), grid_inputs((4,), frac=7, limit=6))
    assert d.graph["trunc"].precision.result == ftype(5, -2, mode=MODES[mode])


def test_trunc_version_1_divides_the_value():
    m = qmodel()
    x = quant(m, m.input(["N", 4]), 2.0**-4, 8)
    ins = [x, m.const(np.float32(2.0**-4)), m.const(np.float32(0)), m.const(np.float32(8)), m.const(np.float32(6))]
    y = m.node("Trunc", ins, name="trunc", domain=QONNX, rounding_mode="ROUND")
    m.output(m.node("MatMul", [y, quant(m, m.weight(4, 3), 2.0**-2, 4)], name="mm"), ["N", 3])
    assert_exact(m.build(), grid_inputs((4,), frac=6, limit=9))


def test_batchnorm_after_quantized_conv_keeps_weights_sane():
    """A float BatchNorm folded into 4-bit weights would ruin them: it is not folded, the
    convolution keeps its trained weights and the BatchNorm stays a scale-and-shift (in
    the configured types, so that part is approximate)."""
    m = qmodel()
    x = quant(m, m.input(["N", 2, 5, 5]), 2.0**-4, 8)
    y = m.node("Conv", [x, quant(m, m.weight(3, 2, 3, 3), 2.0**-2, 4)], name="conv")
    y = m.node("Relu", [m.batchnorm(y, 3)])
    m.output(quant(m, y, 2.0**-4, 10, 0), ["N", 3, 3, 3])
    model = m.build()
    x = grid_inputs((2, 5, 5))
    d = rtl4ml.convert(model)
    assert d.graph["conv"].precision.weight == ftype(4, -2)
    assert any(isinstance(n.op, BatchNorm) for n in d.graph.nodes)
    np.testing.assert_allclose(d.predict(x), reference(model, x), atol=2 ** -4)


# ---- errors ------------------------------------------------------------------------------------
def _one_quant(**kw) -> onnx.ModelProto:
    m = qmodel()
    args = {"scale": 2.0**-3, "bits": 8, "name": "q_bad"} | kw
    m.output(quant(m, m.input(["N", 4]), **args), ["N", 4])
    return m.build()


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"scale": 0.1}, "scale 0.1 is not a power of two"),
        ({"scale": -0.25}, "scale -0.25 is not a power of two"),
        ({"zeropt": 3.0}, "zero point 3 is not zero"),
        ({"mode": "CEIL"}, "rounding_mode CEIL rounds toward \\+infinity"),
        ({"mode": "UP"}, "rounding_mode UP rounds away from zero"),
        ({"mode": "STOCHASTIC"}, "unknown rounding_mode 'STOCHASTIC'"),
        ({"bits": 4.5}, "bit width 4.5 must be an integer"),
        ({"bits": 1, "narrow": 1, "signed": 0}, "holds a single value"),
        ({"scale": np.array([[0.25, 0.5, 0.25, 0.25]])}, "per-channel scales .* differ"),
    ],
)
def test_unsupported_quant_names_the_node(kw, match):
    with pytest.raises(UnsupportedError, match=f"Quant from domain '{QONNX}' \\(node 'q_bad'\\): .*{match}"):
        load_onnx(_one_quant(**kw))


def test_dynamic_bit_width_is_refused():
    m = qmodel()
    x, bits = m.input(["N", 4]), m.input(["N", 1], name="bits")
    q = m.node("Quant", [x, m.const(np.float32(0.25)), m.const(np.float32(0)), bits], name="q_dyn", domain=QONNX)
    m.output(q, ["N", 4])
    with pytest.raises(UnsupportedError, match="node 'q_dyn'.*bit width \\('bits'\\) is computed at run time"):
        load_onnx(m.build())


def test_multithreshold_is_listed_as_unsupported():
    m = qmodel()
    x = m.input(["N", 4])
    t = m.node("MultiThreshold", [x, m.const(np.zeros((4, 3), np.float32))], name="mt", domain=QONNX)
    m.output(m.node("Relu", [t]), ["N", 4])
    with pytest.raises(UnsupportedError, match=f"MultiThreshold from domain '{QONNX}' \\(node 'mt'\\).*Quant"):
        load_onnx(m.build())


# ---- Brevitas -----------------------------------------------------------------------------------
def test_brevitas_quant_linear_export_matches_brevitas(tmp_path):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():  # brevitas warns about optional kernels and deprecations
        warnings.simplefilter("ignore")
        pytest.importorskip("brevitas")
        pytest.importorskip("onnxoptimizer")  # brevitas's ONNX export needs it
        import brevitas.nn as qnn
        from brevitas.export import export_qonnx
        from brevitas.quant import Int8ActPerTensorFixedPoint, Int8WeightPerTensorFixedPoint, Int16Bias
        from brevitas.quant import Uint8ActPerTensorFixedPoint

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=6, return_quant_tensor=True)
            self.fc1 = qnn.QuantLinear(
                6, 5, bias=True, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4,
                bias_quant=Int16Bias, return_quant_tensor=True,
            )
            self.relu = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)
            self.fc2 = qnn.QuantLinear(5, 3, bias=False, weight_quant=Int8WeightPerTensorFixedPoint)
            self.out = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint)

        def forward(self, x):
            return self.out(self.fc2(self.relu(self.fc1(self.inp(x)))))

    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():  # let the activation quantizers collect their ranges
        for _ in range(40):
            net(torch.randn(64, 6))
    net.eval()
    path = tmp_path / "brevitas_mlp.onnx"
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated; brevitas warns a lot
        warnings.simplefilter("ignore")
        export_qonnx(net, torch.randn(1, 6), export_path=str(path), dynamo=False)
    x = torch.randn(SAMPLES, 6) * 2
    with torch.no_grad():
        want = net(x).numpy().astype(np.float64)
    d = rtl4ml.convert(path)
    np.testing.assert_array_equal(d.predict(x.numpy()), want)
    first, second = [n for n in d.graph if isinstance(n.op, Dense)]
    assert first.precision.weight.width == 4 and second.precision.weight.width == 8
    assert first.precision.result == FixedType(4, first.precision.result.int_bits, False, Rounding.RND_CONV)


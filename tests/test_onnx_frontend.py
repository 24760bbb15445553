"""The ONNX frontend against onnxruntime: every model is run both ways on random data.

Each model is built in memory with ``onnx.helper``; the imported IR graph is run with
the float reference in IR layout (inputs moved in and outputs moved back through the
recorded layouts) and compared with onnxruntime's float32 results.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

from onnx_models import OnnxBuilder, op_types, run_both, branched, cnn2d, torch_view_chain
from rtl4ml.errors import UnsupportedError
from rtl4ml.frontends.layout import Layout
from rtl4ml.frontends.onnx import load_onnx
from rtl4ml.ir import ops as O

# ---- channels-first CNNs ------------------------------------------------------------------
@pytest.mark.parametrize("opset", [9, 11, 13, 18, 21])
def test_cnn2d(opset):
    imp = run_both(cnn2d(opset))
    g = imp.graph
    assert g.shapes["x"] == (8, 8, 3)
    assert imp.input_layouts["x"].same_as(Layout.channels_first((8, 8, 3)))
    assert op_types(imp) == ["Input", "Conv", "Activation", "Pool", "Flatten", "Dense", "Softmax"]
    assert "/fc1/Gemm" in g  # ONNX node names are kept


@pytest.mark.parametrize("opset", [9, 13, 19])
@pytest.mark.parametrize("include_pad", [0, 1])
def test_conv1d_average_pool(opset, include_pad):
    m = OnnxBuilder(opset)
    x = m.input(["N", 2, 16])
    y = m.conv(x, 2, 3, (3,))
    y = m.node("AveragePool", [y], kernel_shape=[3], strides=[2], pads=[1, 1], count_include_pad=include_pad)
    y = m.node("Flatten", [m.node("Tanh", [y])])
    m.output(m.node("Add", [m.node("MatMul", [y, m.weight(3 * 7, 4)]), m.weight(4)]))
    imp = run_both(m.build())
    assert imp.graph.shapes["x"] == (16, 2)
    assert "BatchNorm" not in op_types(imp)  # the Add became the MatMul's bias


@pytest.mark.parametrize(
    "attrs, size",
    [
        ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, (7, 8)),
        ({"auto_pad": "SAME_LOWER", "strides": [2, 2]}, (7, 8)),
        ({"auto_pad": "VALID", "strides": [1, 2]}, (7, 8)),
        ({"pads": [0, 1, 2, 0], "strides": [2, 2]}, (8, 7)),
        ({"pads": [1, 2, 1, 0], "strides": [2, 1]}, (6, 6)),
    ],
)
def test_conv_padding(attrs, size):
    m = OnnxBuilder(11)
    x = m.input(["N", 2, *size])
    m.output(m.conv(x, 2, 3, (3, 2), **attrs))  # channels-first output
    imp = run_both(m.build())
    out = imp.graph.outputs[0]
    assert imp.output_layouts[out].same_as(Layout.channels_first(imp.graph.shapes[out]))


@pytest.mark.parametrize(
    "op, attrs, opset",
    [
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, 9),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 0, 0, 1]}, 11),
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, 13),  # 9 -> 4 either way
        ("AveragePool", {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1]}, 11),
        ("AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}, 18),
        ("AveragePool", {"kernel_shape": [2, 2], "strides": [1, 1], "auto_pad": "SAME_LOWER"}, 21),
    ],
)
def test_pools(op, attrs, opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 2, 9, 9])
    m.output(m.node(op, [m.node("Relu", [x])], **attrs))
    imp = run_both(m.build())
    assert imp.graph.shapes["x"] == (9, 9, 2)


@pytest.mark.parametrize("opset", [9, 13])
def test_global_pools_and_squeeze(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 3, 6, 6])
    y = m.node("Relu", [m.conv(x, 3, 4, (3, 3))])
    avg = m.axes("Squeeze", m.node("GlobalAveragePool", [y]), [2, 3])
    m.output(m.gemm(avg, 4, 2))
    m.output(m.node("GlobalMaxPool", [y]))  # (N, 4, 1, 1) straight out
    run_both(m.build())


def test_global_pool_1d_squeeze_without_axes():
    m = OnnxBuilder(11)
    x = m.input(["N", 3, 10])
    y = m.node("GlobalAveragePool", [m.conv(x, 3, 5, (3,))])
    m.output(m.node("Squeeze", [y]))
    run_both(m.build())


# ---- layouts --------------------------------------------------------------------------------
def test_channels_last_model():
    """NHWC input -> Transpose -> Conv -> Transpose back, as TF/Keras converters write."""
    m = OnnxBuilder(13)
    x = m.input(["N", 6, 6, 3])
    y = m.node("Transpose", [x], perm=[0, 3, 1, 2])
    y = m.node("Relu", [m.conv(y, 3, 4, (3, 3), pads=[1, 1, 1, 1])])
    y = m.node("Transpose", [y], perm=[0, 2, 3, 1])
    m.output(y)  # NHWC out
    m.output(m.gemm(m.node("Flatten", [y]), 6 * 6 * 4, 3))
    imp = run_both(m.build())
    assert imp.graph.shapes["x"] == (6, 6, 3) and imp.input_layouts["x"].is_identity()
    assert imp.output_layouts[imp.graph.outputs[0]].is_identity()
    dense = next(n.op for n in imp.graph.nodes if isinstance(n.op, O.Dense))
    assert dense.weight.shape == (144, 3)


@pytest.mark.parametrize("with_relu", [False, True])
def test_dense_reshape_conv(with_relu):
    m = OnnxBuilder(13)
    x = m.input(["N", 10])
    y = m.gemm(x, 10, 4 * 5 * 5)
    if with_relu:
        y = m.node("Relu", [y])
    y = m.node("Reshape", [y, m.ints([-1, 4, 5, 5])])
    y = m.conv(y, 4, 3, (3, 3))
    m.output(m.gemm(m.node("Flatten", [y]), 3 * 3 * 3, 2))
    imp = run_both(m.build())
    assert "Reshape" in op_types(imp)


def test_dense_view_chain_conv():
    """torch ``fc(x).relu().view(x.size(0), 4, 5, 5)`` -> Conv: the Shape read does not stop
    the Dense columns from being reordered."""
    m = OnnxBuilder(13)
    x = m.input(["batch", 10])
    y = m.node("Relu", [m.gemm(x, 10, 100)])
    n = m.axes("Unsqueeze", m.node("Gather", [m.node("Shape", [y]), m.ints(0)], axis=0), [0])
    y = m.node("Reshape", [y, m.node("Concat", [n, m.ints([4, 5, 5])], axis=0)])
    m.output(m.node("MaxPool", [m.conv(y, 4, 2, (2, 2))], kernel_shape=[2, 2]))
    run_both(m.build())


def test_dense_read_twice_is_not_reordered():
    m = OnnxBuilder(13)
    x = m.input(["N", 10])
    y = m.gemm(x, 10, 2 * 3 * 3)
    m.output(y)  # also read in Dense order
    m.output(m.conv(m.node("Reshape", [y, m.ints([-1, 2, 3, 3])]), 2, 2, (2, 2), name="late_conv"))
    with pytest.raises(UnsupportedError, match="'late_conv'.*channels-first"):
        load_onnx(m.build())


def test_one_tensor_as_two_outputs():
    m = OnnxBuilder(13)
    x = m.input(["N", 2, 4, 4])
    y = m.conv(x, 2, 3, (3, 3))
    m.output(y)
    m.output(m.node("Transpose", [y], perm=[0, 2, 3, 1]))
    m.output(m.node("Flatten", [m.node("Identity", [x])]))
    imp = run_both(m.build())
    assert len(set(imp.graph.outputs)) == 3


def test_flatten_of_channels_first_permutes_dense_rows():
    m = OnnxBuilder(13)
    x = m.input(["N", 2, 3, 4])
    m.output(m.node("MatMul", [m.node("Flatten", [m.node("Relu", [m.conv(x, 2, 3, (1, 1))])]), m.weight(36, 5)]))
    imp = run_both(m.build())
    assert op_types(imp) == ["Input", "Conv", "Activation", "Flatten", "Dense"]


def test_branched_add_concat():
    imp = run_both(branched())
    types = op_types(imp)
    assert types.count("Add") == 1 and types.count("Concat") == 1
    concat = next(n.op for n in imp.graph.nodes if isinstance(n.op, O.Concat))
    assert concat.axis == 2  # ONNX channel axis 1 is the IR last axis


def test_concat_dense_outputs_and_transpose_output():
    m = OnnxBuilder(13)
    x = m.input(["N", 5])
    a = m.node("Sigmoid", [m.gemm(x, 5, 3)])
    b = m.node("Tanh", [m.gemm(x, 5, 4, trans_b=0)])
    y = m.node("Concat", [a, b], axis=-1)
    m.output(m.node("Softmax", [y]))
    m.output(m.node("Transpose", [m.axes("Unsqueeze", y, [2])], perm=[0, 2, 1]))
    run_both(m.build())


def test_reshape_keeps_order_and_softmax_over_reshaped_rows():
    m = OnnxBuilder(13)
    x = m.input(["N", 12])
    y = m.node("Reshape", [x, m.ints([0, 3, 4])])
    m.output(m.node("Softmax", [y], axis=-1))
    m.output(m.node("Softmax", [y], axis=1))  # (3, 4) view: groups of 3 strided by 4
    with pytest.raises(UnsupportedError, match="softmax axis"):
        load_onnx(m.build())
    m.outputs.pop()
    imp = run_both(m.build())
    assert imp.graph.shapes[imp.graph.outputs[0]] == (3, 4)


# ---- dense layers ------------------------------------------------------------------------
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("opset", [7, 11, 13])
def test_gemm(trans_b, opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 6])
    y = m.gemm(x, 6, 4, trans_b=trans_b, alpha=0.7, beta=1.3)
    w = m.weight(4, 3) if not trans_b else m.weight(3, 4)
    c = m.const(m.rng.standard_normal((1, 3)).astype(np.float32))
    m.output(m.node("Gemm", [m.node("Relu", [y]), w, c], transB=trans_b))
    m.output(m.node("Gemm", [x, m.weight(6, 2), m.const(np.float32(0.5))], beta=2.0))  # scalar C
    if opset >= 11:  # C is optional from opset 11
        m.output(m.node("Gemm", [x, m.weight(6, 2)]))
    run_both(m.build())


def test_matmul_add_3d():
    m = OnnxBuilder(13)
    x = m.input(["N", 4, 6])
    y = m.node("Add", [m.weight(5), m.node("MatMul", [x, m.weight(6, 5)])])  # constant first
    m.output(m.node("LeakyRelu", [y], alpha=0.1))
    imp = run_both(m.build())
    assert op_types(imp) == ["Input", "Dense", "Activation"]
    assert imp.graph.shapes[imp.graph.outputs[0]] == (4, 5)


@pytest.mark.parametrize("opset", [7, 9, 15])
def test_batchnorm_after_conv_and_gemm(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 3, 5, 5])
    bn = {"spatial": 1} if opset < 9 else {}
    y = m.batchnorm(m.conv(x, 3, 4, (3, 3)), 4, epsilon=1e-3, **bn)
    y = m.node("Flatten", [m.node("Relu", [y])])
    y = m.batchnorm(m.gemm(y, 36, 6), 6, **bn)
    m.output(y)
    imp = run_both(m.build())
    assert op_types(imp).count("BatchNorm") == 2


def test_batchnorm_input_and_flattened():
    """A BatchNormalization directly on a graph input, and on a flattened conv output."""
    m = OnnxBuilder(13)
    x = m.input(["N", 3, 4, 4])
    y = m.conv(m.batchnorm(x, 3), 3, 2, (3, 3))
    m.output(m.batchnorm(m.node("Flatten", [y]), 8))
    imp = run_both(m.build())
    assert imp.graph.shapes["x"] == (4, 4, 3)


def test_batchnorm_per_element_statistics_opset7():
    """spatial=0: one set of statistics per element, then a Conv1D on the result."""
    m = OnnxBuilder(7)
    x = m.input(["N", 3, 4])
    r = m.rng
    stats = [(1 + 0.2 * r.standard_normal((3, 4))), 0.1 * r.standard_normal((3, 4)),
             0.1 * r.standard_normal((3, 4)), 0.5 + r.random((3, 4))]
    y = m.node("BatchNormalization", [x] + [m.const(v.astype(np.float32)) for v in stats], spatial=0)
    m.output(m.conv(y, 3, 2, (2,)))
    m.output(m.batchnorm(m.gemm(m.node("Flatten", [x]), 12, 5), 5, spatial=0))
    run_both(m.build())


def test_batchnorm_training_outputs_in_use_are_refused():
    m = OnnxBuilder(9)
    x = m.input(["N", 3])
    params = [m.const(np.ones(3, np.float32)) for _ in range(4)]
    y, mean, *_ = m.node("BatchNormalization", [x, *params], outputs=["y", "mean", "var", "sm", "sv"], name="bn_train")
    m.output(y, ["N", 3])
    m.output(mean, [3])
    with pytest.raises(UnsupportedError, match="'bn_train'.*training statistics"):
        load_onnx(m.build())


@pytest.mark.parametrize("opset", [7, 13])
def test_initializers_listed_as_inputs(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 4])
    m.output(m.node("Relu", [m.gemm(x, 4, 3)]))
    model = m.build(initializers_as_inputs=True)
    assert len(model.graph.input) == 3
    imp = run_both(model)
    assert imp.graph.inputs == ("x",)


# ---- element-wise ---------------------------------------------------------------------------
@pytest.mark.parametrize("opset", [9, 13, 21])
def test_activations(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 8])
    for op, attrs in [
        ("Relu", {}), ("LeakyRelu", {"alpha": 0.2}), ("LeakyRelu", {}), ("Tanh", {}), ("Sigmoid", {}),
        ("HardSigmoid", {}), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("Identity", {}),
    ]:
        m.output(m.node(op, [x], **attrs))
    imp = run_both(m.build())
    assert "Identity" in op_types(imp)


@pytest.mark.parametrize("opset", [9, 13])
def test_clip(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 2, 4, 4])
    y = m.conv(x, 2, 3, (3, 3), pads=[1, 1, 1, 1])
    for lo, hi in [(0.0, 6.0), (-1.0, 1.0), (0.0, None), (None, 0.5), (None, None)]:
        m.output(m.clip(y, lo, hi))
    imp = run_both(m.build())
    acts = [n.op for n in imp.graph.nodes if isinstance(n.op, O.Activation)]
    assert acts[0].kind is O.ActivationKind.CLIP and acts[0].max_value == 6
    assert acts[2].kind is O.ActivationKind.RELU and acts[4].kind is O.ActivationKind.LINEAR


@pytest.mark.parametrize("opset", [9, 11, 13])
def test_softmax_axes(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 3, 5])
    y = m.conv(x, 3, 4, (3,), pads=[1, 1])  # (N, 4, 5) channels-first
    # before 13 axis=1 is a softmax over all 20 values; from 13 over the 4 channels
    m.output(m.node("Softmax", [y], axis=1))
    m.output(m.node("Softmax", [m.gemm(m.node("Flatten", [y]), 20, 6)]))
    imp = run_both(m.build())
    soft_in = [imp.graph.shapes[n.inputs[0]] for n in imp.graph.nodes if isinstance(n.op, O.Softmax)]
    assert soft_in[0] == ((20,) if opset < 13 else (5, 4))


def test_softmax_over_spatial_axis_is_unsupported():
    m = OnnxBuilder(11)
    x = m.input(["N", 3, 5])
    m.output(m.node("Softmax", [m.conv(x, 3, 4, (3,))], axis=2, name="sm"))
    with pytest.raises(UnsupportedError, match="'sm'.*softmax axis"):
        load_onnx(m.build())


def test_add_constants():
    m = OnnxBuilder(13)
    x = m.input(["N", 2, 5, 5])
    y = m.node("Add", [m.conv(x, 2, 3, (3, 3)), m.weight(3, 1, 1)])  # -> conv bias
    y = m.node("Add", [m.node("Relu", [y]), m.weight(1, 3, 1, 1)])  # -> BatchNorm
    m.output(y)
    m.output(m.node("Add", [m.node("Tanh", [y]), m.const(np.float32(0.25))]))  # scalar
    imp = run_both(m.build())
    assert op_types(imp) == ["Input", "Conv", "Activation", "BatchNorm", "Activation", "BatchNorm"]
    m.output(m.node("Add", [y, m.weight(3, 3, 3)], name="full_add"))
    with pytest.raises(UnsupportedError, match="'full_add'.*one value per IR channel"):
        load_onnx(m.build())


@pytest.mark.parametrize("opset", [9, 12, 13])
def test_dropout_with_mask(opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 6])
    ins = [x] if opset < 12 else [x, m.const(np.float32(0.3))]
    attrs = {"ratio": 0.3} if opset < 12 else {}
    y, _mask = m.node("Dropout", ins, outputs=2, **attrs)
    m.output(m.gemm(y, 6, 2))
    imp = run_both(m.build())
    drop = next(n.op for n in imp.graph.nodes if isinstance(n.op, O.Dropout))
    assert drop.rate == pytest.approx(0.3)


# ---- shape ops and constant folding ---------------------------------------------------------
@pytest.mark.parametrize("opset", [11, 13])
def test_torch_view_chain_is_folded(opset):
    imp = run_both(torch_view_chain(opset))
    assert op_types(imp) == ["Input", "Conv", "Activation", "Flatten", "Dense"]


@pytest.mark.parametrize("opset", [9, 11, 13, 21])
def test_squeeze_unsqueeze_flatten_reshape(opset):
    m = OnnxBuilder(opset)
    x = m.input([1, 4, 5])  # static batch 1
    y = m.axes("Unsqueeze", x, [1, -1] if opset >= 11 else [1, 4])  # (1, 1, 4, 5, 1)
    y = m.axes("Squeeze", y, [1])  # (1, 4, 5, 1)
    y = m.node("Flatten", [y], axis=1)
    shape = m.node("Constant", [], value=helper.make_tensor("s", onnx.TensorProto.INT64, [3], [1, 5, 4]))
    y = m.node("Reshape", [y, shape])
    y = m.node("Transpose", [y], perm=[0, 2, 1])  # (1, 4, 5), not in IR order
    m.output(m.node("MatMul", [m.node("Flatten", [y]), m.weight(20, 3)]))
    run_both(m.build(), batch=1)


def test_unsqueeze_into_conv1d():
    m = OnnxBuilder(13)
    x = m.input(["N", 6])
    y = m.axes("Unsqueeze", m.gemm(x, 6, 4), [2])  # (N, 4, 1)
    y = m.conv(y, 4, 3, (1,))
    y = m.axes("Unsqueeze", m.node("Flatten", [y]), [-1])  # (N, 3, 1)
    m.output(m.conv(y, 3, 2, (1,)))
    run_both(m.build())


def test_shape_size_and_constant_arithmetic():
    """Constant subgraphs of any op type (here Shape, Size, Slice, Mul, Div, Cast) fold away."""
    m = OnnxBuilder(13)
    x = m.input(["N", 2, 6])
    shape = m.node("Shape", [x])
    tail = m.node("Slice", [shape, m.ints([1]), m.ints([3])])  # [2, 6]
    size = m.node("Cast", [m.node("Size", [x])], to=onnx.TensorProto.INT64)
    features = m.node("Div", [size, m.node("Gather", [shape, m.ints(0)], axis=0)])  # 12
    dims = m.node("Mul", [tail, m.ints([1, 1])])
    y = m.node("Reshape", [x, m.node("Concat", [m.ints([-1]), m.node("Reshape", [features, m.ints([1])])], axis=0)])
    m.output(m.gemm(y, 12, 3))
    m.output(m.node("Reshape", [m.node("Sigmoid", [x]), m.node("Concat", [m.ints([0]), dims], axis=0)]))
    run_both(m.build())


def test_names_are_unique_and_dead_branches_ignored():
    m = OnnxBuilder(13)
    x = m.input(["N", 4])
    y = m.node("Relu", [x], name="x")  # same name as the input
    (y,) = m.node("Tanh", [y], outputs=["act"], name="")  # unnamed: named after its output
    (y,) = m.node("Sigmoid", [y], outputs=["s"], name="act")
    m.node("Erf", [y], name="dead")  # unsupported, but nothing reads it
    m.output(y)
    imp = run_both(m.build())
    assert [n.name for n in imp.graph.nodes] == ["x", "x_1", "act", "act_1"]


# ---- random conv/pool stacks ----------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(5, 9),
    kernel=st.integers(1, 3),
    stride=st.integers(1, 2),
    pads=st.lists(st.integers(0, 1), min_size=4, max_size=4),
    auto_pad=st.sampled_from(["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]),
    pool=st.sampled_from(["MaxPool", "AveragePool"]),
    opset=st.sampled_from([9, 11, 13, 18, 21]),
)
def test_random_conv_pool(size, kernel, stride, pads, auto_pad, pool, opset):
    m = OnnxBuilder(opset)
    x = m.input(["N", 2, size, size + 1])
    attrs = {"auto_pad": auto_pad} if auto_pad != "NOTSET" else {"pads": pads}
    y = m.conv(x, 2, 3, (kernel, 2), strides=[stride, 1], **attrs)
    y = m.node(pool, [y], kernel_shape=[2, 2], strides=[stride, stride], **attrs)
    m.output(m.node("Flatten", [y]))
    run_both(m.build())

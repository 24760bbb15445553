"""ONNX import errors: unsupported ops, bad attributes and layouts, bad files; each names the node or file."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from onnx_models import OnnxBuilder, run_both, cnn2d, unsupported_ops
from rtl4ml.errors import GraphError, ModelLoadError, UnsupportedError
from rtl4ml.frontends.onnx import load_onnx, supported_ops

# ---- errors ---------------------------------------------------------------------------------
def test_unsupported_ops_are_listed_at_once():
    with pytest.raises(UnsupportedError) as e:
        load_onnx(unsupported_ops())
    msg = str(e.value)
    assert "Erf (nodes 'erf_a', 'erf_b')" in msg and "Mul (node 'mul_xy')" in msg
    assert "mul_consts" not in msg  # constant-only, folded
    assert "Supported: " + ", ".join(supported_ops()) in msg


def test_custom_domain_ops_outside_qonnx_are_unsupported():
    m = OnnxBuilder(13)
    m.extra_opsets.append(helper.make_opsetid("qonnx.custom_op.general", 1))
    x = m.input(["N", 4])
    t = m.node("MultiThreshold", [x, m.const(np.zeros((4, 3), np.float32))], name="mt0", domain="qonnx.custom_op.general")
    m.output(m.node("Relu", [t]), ["N", 4])
    with pytest.raises(UnsupportedError, match="MultiThreshold from domain 'qonnx.custom_op.general' \\(node 'mt0'\\)"):
        load_onnx(m.build())


def test_missing_and_corrupt_files(tmp_path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(ModelLoadError, match="nope.onnx.*not found"):
        load_onnx(missing)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07\xff\xfe this is not a protobuf \x00\x01" * 7)
    with pytest.raises(ModelLoadError, match="bad.onnx") as e:
        load_onnx(str(bad))
    assert "\n" not in str(e.value)
    text = tmp_path / "text.onnx"
    text.write_text("hello")
    with pytest.raises(ModelLoadError, match="text.onnx"):
        load_onnx(text)


def test_load_from_path_and_checker_failure(tmp_path):
    path = tmp_path / "cnn.onnx"
    onnx.save(cnn2d(13), str(path))
    assert load_onnx(path).graph.shapes["x"] == (8, 8, 3)
    m = OnnxBuilder(13)
    m.input(["N", 4])
    m.output(m.node("Relu", ["undefined_tensor"]), ["N", 4])
    with pytest.raises(ModelLoadError, match="invalid ONNX model"):
        load_onnx(m.build())


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda m, x: m.conv(x, 4, 4, (3, 3)), None),  # control: fine
        (lambda m, x: m.node("Conv", [x, m.weight(4, 2, 3, 3)], name="gconv", group=2), "'gconv'.*group=2"),
        (lambda m, x: m.node("Conv", [x, m.weight(4, 4, 3, 3)], name="dil", dilations=[2, 2]), "'dil'.*dilations"),
        (lambda m, x: m.node("MaxPool", [x], name="ceil", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
         "'ceil'.*ceil_mode"),
        (lambda m, x: m.node("Add", [x, m.node("Transpose", [x], perm=[0, 1, 3, 2])], name="mix"),
         "'mix'.*same element order"),
        (lambda m, x: m.node("Transpose", [x], name="tb", perm=[1, 0, 2, 3]), "'tb'.*batch axis"),
    ],
)
def test_unsupported_attributes_name_the_node(build, match):
    m = OnnxBuilder(13)
    x = m.node("Relu", [m.input(["N", 4, 7, 7])])
    m.output(build(m, x))
    if match is None:
        run_both(m.build())
    else:
        with pytest.raises(UnsupportedError, match=match):
            load_onnx(m.build())


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda m, x: m.node("Gemm", [x, m.weight(6, 2)], name="ta", transA=1), "'ta'.*transA"),
        (lambda m, x: m.node("Gemm", [m.weight(2, 3), x], name="cx"), "'cx'.*first operand"),
        (lambda m, x: m.node("Reshape", [x, m.ints([2, -1])], name="rb"), "'rb'.*batch axis"),
        (lambda m, x: m.node("Softmax", [x], name="s0", axis=0), "'s0'.*batch axis"),
        (lambda m, x: m.node("Dropout", [x], outputs=["d", "mask"], name="dm")[1], "'dm'.*mask"),
        (lambda m, x: m.node("Add", [x, m.node("Relu", [m.input(["N", 1], "x2")])], name="bc"), "'bc'.*broadcasting"),
        (lambda m, x: m.node("Concat", [x, m.weight(1, 6)], name="cc", axis=1), "'cc'.*constant"),
    ],
)
def test_unsupported_dense_cases_name_the_node(build, match):
    m = OnnxBuilder(13)
    x = m.node("Relu", [m.input(["N", 6])])
    m.output(build(m, x), ["N", None])
    with pytest.raises(UnsupportedError, match=match):
        load_onnx(m.build())


def test_dynamic_per_sample_shape_is_refused():
    m = OnnxBuilder(13)
    m.output(m.node("Relu", [m.input(["N", "T", 4])]), ["N", "T", 4])
    with pytest.raises(UnsupportedError, match="input 'x'.*static"):
        load_onnx(m.build())


def test_invalid_ir_attributes_raise_graph_error_naming_the_node():
    m = OnnxBuilder(13)
    m.output(m.node("HardSigmoid", [m.input(["N", 4])], name="hs", alpha=-0.5))
    with pytest.raises(GraphError, match="'hs'.*slope"):
        load_onnx(m.build())


def test_unsupported_opset():
    m = OnnxBuilder(6)
    m.output(m.node("Relu", [m.input(["N", 4])]))
    with pytest.raises(UnsupportedError, match="opset 6"):
        load_onnx(m.build(ir_version=3))

"""Small ONNX test models, built with ``onnx.helper`` and seeded random weights."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from rtl4ml.emulate.run import run_float
from rtl4ml.frontends.onnx import load_onnx


class OnnxBuilder:
    """Accumulates nodes and initializers; ``build`` returns a checked ModelProto."""

    def __init__(self, opset: int = 13, seed: int = 0, name: str = "test"):
        self.opset = opset
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.extra_opsets: list[onnx.OperatorSetIdProto] = []
        self._count = 0

    def fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def input(self, shape, name: str = "x") -> str:
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)))
        return name

    def const(self, array, name: str | None = None) -> str:
        name = name or self.fresh("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values, name: str | None = None) -> str:
        return self.const(np.asarray(values, dtype=np.int64), name)

    def weight(self, *shape, scale: float = 0.5, name: str | None = None) -> str:
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32), name)

    def node(self, op: str, inputs, outputs=1, name: str | None = None, domain: str = "", **attrs):
        """Add a node; returns its output name (or the list of names if ``outputs`` > 1
        or is a list)."""
        name = self.fresh(op.lower()) if name is None else name
        outs = outputs if isinstance(outputs, list) else [f"{name}_out{i or ''}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, domain=domain, **attrs))
        return outs[0] if not isinstance(outputs, list) and outputs == 1 else outs

    def output(self, name: str, shape=None) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))

    def build(self, initializers_as_inputs: bool = False, ir_version: int | None = None) -> onnx.ModelProto:
        if ir_version is None:
            ir_version = helper.find_min_ir_version_for([helper.make_opsetid("", self.opset)])
        inputs = list(self.inputs)
        if initializers_as_inputs or ir_version < 4:  # IR 3 wants every initializer listed
            inputs += [
                helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in self.initializers
            ]
        graph = helper.make_graph(self.nodes, self.name, inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", self.opset)] + self.extra_opsets
        model = helper.make_model(graph, opset_imports=opsets, ir_version=ir_version, producer_name="rtl4ml-tests")
        return _with_output_shapes(model)


    # ---- common layers ----------------------------------------------------------------
    def conv(self, x: str, cin: int, cout: int, kernel, bias: bool = True, **attrs) -> str:
        kernel = tuple(kernel)
        ins = [x, self.weight(cout, cin, *kernel)]
        if bias:
            ins.append(self.weight(cout, scale=0.1))
        return self.node("Conv", ins, **attrs)

    def gemm(self, x: str, n_in: int, n_out: int, trans_b: int = 1, name: str | None = None, **attrs) -> str:
        w = self.weight(n_out, n_in) if trans_b else self.weight(n_in, n_out)
        return self.node("Gemm", [x, w, self.weight(n_out, scale=0.1)], name=name, transB=trans_b, **attrs)

    def batchnorm(self, x: str, channels: int, **attrs) -> str:
        r = self.rng
        params = [
            self.const((1 + 0.2 * r.standard_normal(channels)).astype(np.float32)),
            self.const((0.1 * r.standard_normal(channels)).astype(np.float32)),
            self.const((0.1 * r.standard_normal(channels)).astype(np.float32)),
            self.const((0.5 + r.random(channels)).astype(np.float32)),
        ]
        return self.node("BatchNormalization", [x, *params], **attrs)

    def axes(self, op: str, x: str, axes) -> str:
        """Squeeze/Unsqueeze with axes as attribute (opset < 13) or input (from 13)."""
        if self.opset < 13:
            return self.node(op, [x], axes=list(axes))
        return self.node(op, [x, self.ints(axes)])

    def clip(self, x: str, lo: float | None, hi: float | None) -> str:
        """Clip with bounds as attributes (opset < 11) or inputs (from 11)."""
        if self.opset < 11:
            attrs = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
            return self.node("Clip", [x], **attrs)
        ins = [x, "" if lo is None else self.const(np.float32(lo)), "" if hi is None else self.const(np.float32(hi))]
        while ins[-1] == "":
            ins.pop()
        return self.node("Clip", ins)


def cnn2d(opset: int) -> onnx.ModelProto:
    """Conv2D + Relu + MaxPool + Flatten + Gemm + Softmax, channels-first."""
    m = OnnxBuilder(opset)
    x = m.input(["N", 3, 8, 8])
    y = m.conv(x, 3, 4, (3, 3), pads=[1, 1, 1, 1])
    y = m.node("Relu", [y])
    y = m.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = m.node("Flatten", [y])
    y = m.gemm(y, 4 * 4 * 4, 10, name="/fc1/Gemm")
    m.output(m.node("Softmax", [y], axis=1))
    return m.build()


def torch_view_chain(opset: int) -> onnx.ModelProto:
    """``x.view(x.size(0), -1)`` as torch exports it: Shape->Gather->Unsqueeze->Concat->Reshape."""
    m = OnnxBuilder(opset)
    x = m.input(["batch", 2, 6, 6])
    y = m.node("Relu", [m.conv(x, 2, 3, (3, 3))])
    shape = m.node("Shape", [y])
    n = m.node("Gather", [shape, m.ints(0)], axis=0)
    n = m.axes("Unsqueeze", n, [0])
    target = m.node("Concat", [n, m.ints([-1])], axis=0)
    y = m.node("Reshape", [y, target])
    m.output(m.gemm(y, 3 * 4 * 4, 5))
    return m.build()


def branched(opset: int = 13) -> onnx.ModelProto:
    """Two conv branches added, concatenated with the trunk on the channel axis."""
    m = OnnxBuilder(opset)
    x = m.input(["N", 3, 7, 7])
    a = m.node("Relu", [m.conv(x, 3, 4, (3, 3), pads=[1, 1, 1, 1])])
    b = m.conv(a, 4, 4, (3, 3), pads=[1, 1, 1, 1])
    c = m.conv(a, 4, 4, (1, 1))
    s = m.node("Add", [b, c])
    y = m.node("Concat", [s, a], axis=1)
    y = m.node("GlobalAveragePool", [y])
    y = m.node("Flatten", [y])
    m.output(m.gemm(y, 8, 3))
    return m.build()


def unsupported_ops() -> onnx.ModelProto:
    """Erf twice and Mul once on runtime tensors (plus a foldable Mul of constants)."""
    m = OnnxBuilder(13)
    x = m.input(["N", 4])
    y = m.node("Erf", [x], name="erf_a")
    y = m.node("Mul", [y, x], name="mul_xy")
    y = m.node("Erf", [y], name="erf_b")
    k = m.node("Mul", [m.const(np.ones(4, np.float32)), m.const(np.ones(4, np.float32))], name="mul_consts")
    m.output(m.node("Add", [y, k]))
    return m.build()


def _with_output_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """The checker wants a shape on every graph output: take it from shape inference or,
    where that cannot tell (shape arithmetic), from running the model once."""
    model = onnx.shape_inference.infer_shapes(model)
    missing = [o for o in model.graph.output if not o.type.tensor_type.HasField("shape")]
    if not missing:
        return model
    import onnxruntime as ort

    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {i.name: np.zeros([d if isinstance(d, int) else 2 for d in i.shape], np.float32) for i in sess.get_inputs()}
    symbolic = any(not isinstance(i.shape[0], int) for i in sess.get_inputs())
    results = dict(zip((o.name for o in sess.get_outputs()), sess.run(None, feeds)))
    for out in missing:
        dims = list(results[out.name].shape)
        if symbolic:
            dims[0] = "N"
        out.type.tensor_type.CopyFrom(helper.make_tensor_type_proto(out.type.tensor_type.elem_type, dims).tensor_type)
    return model


# ---- comparing an import against onnxruntime -------------------------------------------
BATCH = 3


def run_both(model: onnx.ModelProto, batch: int = BATCH, seed: int = 1):
    """Import ``model``, run it with onnxruntime and the IR; assert they agree."""
    imported = load_onnx(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    feeds = {
        i.name: rng.standard_normal([d if isinstance(d, int) else batch for d in i.shape]).astype(np.float32)
        for i in sess.get_inputs()
    }
    expected = sess.run(None, feeds)
    g = imported.graph
    ir_feeds = {n: imported.input_layouts[n].to_ir(feeds[n], g.shapes[n]) for n in g.inputs}
    got = run_float(g, ir_feeds)
    assert len(g.outputs) == len(expected)
    for name, want in zip(g.outputs, expected):
        y = imported.output_layouts[name].from_ir(got[name])
        assert y.shape == want.shape, name
        np.testing.assert_allclose(y, want, rtol=0, atol=1e-5, err_msg=name)
    return imported


def op_types(imported) -> list[str]:
    return [type(n.op).__name__ for n in imported.graph.nodes]

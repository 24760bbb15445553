"""QONNX test graphs and the reference: QONNX's ops written from their documented
definitions, run with the ONNX reference evaluator in float64."""

from __future__ import annotations


import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun

import rtl4ml
from onnx_models import OnnxBuilder
from rtl4ml.fixed import FixedType, Overflow, Rounding

QONNX = "qonnx.custom_op.general"
FINN = "finn.custom_op.general"
SAMPLES = 400


# ---- the QONNX ops, from their specification -------------------------------------------------
def qonnx_round(y: np.ndarray, mode: str) -> np.ndarray:
    """The rounding modes of QONNX's Quant (its table: ROUND is half to even)."""
    mode = mode.upper()
    if mode == "CEIL":
        return np.ceil(y)
    if mode == "FLOOR":
        return np.floor(y)
    a = np.abs(y)
    whole = np.floor(a)
    frac = a - whole  # exact
    up = {
        "ROUND": (frac > 0.5) | ((frac == 0.5) & (whole % 2 == 1)),
        "HALF_EVEN": (frac > 0.5) | ((frac == 0.5) & (whole % 2 == 1)),
        "HALF_UP": frac >= 0.5,
        "HALF_DOWN": frac > 0.5,
        "UP": frac > 0,
        "DOWN": np.zeros(a.shape, bool),
        "ROUND_TO_ZERO": np.zeros(a.shape, bool),
    }[mode]
    return np.sign(y) * (whole + up)


def int_range(bits: int, signed: bool, narrow: bool) -> tuple[int, int]:
    if signed:
        return -(2 ** (bits - 1)) + int(narrow), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1 - int(narrow)


def quant_ref(x, scale, zeropt, bitwidth, signed=1, narrow=0, rounding_mode="ROUND"):
    """``(round(clip(x / scale + zeropt, qmin, qmax)) - zeropt) * scale``; a 1-bit signed
    Quant is bipolar, as QONNX executes it."""
    y = x / scale + zeropt
    bits = int(bitwidth)
    if bits == 1 and signed:
        return (np.where(y >= 0, 1.0, -1.0) - zeropt) * scale
    lo, hi = int_range(bits, bool(signed), bool(narrow))
    return (qonnx_round(np.clip(y, lo, hi), rounding_mode) - zeropt) * scale


def trunc_ref(x, scale, zeropt, in_bits, *rest, rounding_mode="FLOOR", signed=1, narrow=0):
    """Version 1 ``(x, scale, zeropt, in_bitwidth, out_bitwidth)``: the value divided by
    2**(in - out bits); version 2 adds ``out_scale, out_zeropt`` before ``out_bitwidth``."""
    y = qonnx_round(x / scale + zeropt, "ROUND")
    if len(rest) == 1:
        y = qonnx_round(y / 2.0 ** (int(in_bits) - int(rest[0])), rounding_mode)
        return (y - zeropt) * scale
    out_scale, _, out_bits = rest
    t = 2.0 ** np.round(np.log2(out_scale / scale))
    lo, hi = int_range(int(out_bits), bool(signed), bool(narrow))
    y = qonnx_round(np.clip(y / t, lo, hi), rounding_mode)
    return (y - zeropt / t) * out_scale


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def _ops(domain: str) -> list[type[OpRun]]:
    class Quant(OpRun):
        op_domain = domain

        def _run(self, x, scale, zeropt, bitwidth, signed=1, narrow=0, rounding_mode="ROUND"):
            return (quant_ref(x, scale, zeropt, bitwidth, signed, narrow, _text(rounding_mode)),)

    class BipolarQuant(OpRun):
        op_domain = domain

        def _run(self, x, scale):
            return (np.where(x >= 0, 1.0, -1.0) * scale,)

    class Trunc(OpRun):
        op_domain = domain

        def _run(self, *inputs, rounding_mode="FLOOR", signed=1, narrow=0):
            return (trunc_ref(*inputs, rounding_mode=_text(rounding_mode), signed=signed, narrow=narrow),)

    class BatchNormalization(OpRun):  # inference form (the reference evaluator's own uses batch statistics)
        op_domain = ""

        def _run(self, x, scale, bias, mean, var, epsilon=1e-5, momentum=None, training_mode=None, spatial=None):
            shape = (1, -1) + (1,) * (x.ndim - 2)
            s = scale / np.sqrt(var + epsilon)
            return (x * s.reshape(shape) + (bias - mean * s).reshape(shape),)

    return [Quant, BipolarQuant, Trunc, BatchNormalization]


def _as_double(model: onnx.ModelProto) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for i, init in enumerate(g.initializer):
        a = numpy_helper.to_array(init)
        if a.dtype.kind == "f":
            g.initializer[i].CopyFrom(numpy_helper.from_array(a.astype(np.float64), init.name))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.DOUBLE
    return m


def reference(model: onnx.ModelProto, x: np.ndarray, domain: str = QONNX):
    """The QONNX graph run in float64 with the ops above."""
    ev = ReferenceEvaluator(_as_double(model), new_ops=_ops(domain))
    (name,) = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    out = ev.run(None, {name: np.asarray(x, np.float64)})
    return out[0] if len(out) == 1 else out


def grid_inputs(shape, frac: int = 6, limit: float = 5.0, seed: int = 0) -> np.ndarray:
    """Random dyadic inputs a few bits finer than the quantizers: ties are frequent."""
    rng = np.random.default_rng(seed)
    n = int(limit * 2**frac)
    return rng.integers(-n, n + 1, size=(SAMPLES, *shape)) / 2.0**frac


def assert_exact(model, x, domain=QONNX, config=None):
    want = reference(model, x, domain)
    design = rtl4ml.convert(model, config)
    got = design.predict(x)
    np.testing.assert_array_equal(got, want)
    return design


# ---- building QONNX graphs ------------------------------------------------------------------
def qmodel(domain: str = QONNX, opset: int = 13) -> OnnxBuilder:
    m = OnnxBuilder(opset, seed=3)
    m.extra_opsets.append(helper.make_opsetid(domain, 1))
    return m


def quant(m: OnnxBuilder, x: str, scale, bits, signed=1, narrow=0, mode="ROUND", zeropt=0.0, name=None,
          domain=QONNX) -> str:
    ins = [x, m.const(np.asarray(scale, np.float32)), m.const(np.asarray(zeropt, np.float32)),
           m.const(np.asarray(bits, np.float32))]
    return m.node("Quant", ins, name=name, domain=domain, signed=signed, narrow=narrow, rounding_mode=mode)


def ftype(bits, log2_scale, signed=True, mode=Rounding.RND_CONV, narrow=False) -> FixedType:
    overflow = Overflow.SAT_SYM if narrow and signed else Overflow.SAT
    return FixedType(bits, bits + log2_scale, signed, mode, overflow)


MODES = {
    "ROUND": Rounding.RND_CONV,
    "FLOOR": Rounding.TRN,
    "DOWN": Rounding.TRN_ZERO,
    "HALF_UP": Rounding.RND_INF,
    "HALF_DOWN": Rounding.RND_ZERO,
}

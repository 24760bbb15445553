"""The Keras frontend against Keras 3 itself (torch backend), and Keras 2 legacy files."""

from __future__ import annotations


import numpy as np
import pytest

from keras_models import (  # noqa: I001
    ATOL,
    L,
    roundtrip,
    seq,
    data,
    forward,
    randomize,
)

import keras  # noqa: E402  (keras_models picked the backend)
import rtl4ml
from rtl4ml.errors import ModelLoadError, UnsupportedError
from rtl4ml.frontends.keras import load_keras, supported_layers
from rtl4ml.ir import ActivationKind, BatchNorm, Conv, Pool, Softmax

# ---- dense, activations, batch norm ------------------------------------------------------

ACTIVATIONS = ["linear", "relu", "relu6", "leaky_relu", "tanh", "sigmoid", "hard_sigmoid", "hard_tanh", "softmax"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_activation_argument_and_activation_layer(activation):
    model = seq((6,), L.Dense(5, activation=activation, name="fc"), L.Activation(activation, name="act"))
    roundtrip(model, data((6,), scale=3.0))
    imported = load_keras(model)
    names = [n.name for n in imported.graph.nodes]
    assert names[1] == "fc" and names[-1] == "act"
    if activation != "linear":
        assert names[2] == f"fc_{activation}"


def test_hard_sigmoid_is_the_keras3_definition():
    imported = load_keras(seq((3,), L.Activation("hard_sigmoid", name="hs")))
    op = imported.graph["hs"].op
    assert op.kind is ActivationKind.HARD_SIGMOID and op.alpha == pytest.approx(1 / 6) and op.beta == 0.5


def test_dense_without_bias_and_on_a_rank2_sample():
    model = seq((5, 3), L.Dense(4, use_bias=False, name="fc"), L.Flatten(), L.Dense(2, name="out"))
    roundtrip(model, data((5, 3)))
    assert np.all(load_keras(model).graph["fc"].op.bias == 0)


@pytest.mark.parametrize(
    "layer, kinds",
    [
        (L.ReLU(), [ActivationKind.RELU]),
        (L.ReLU(max_value=1.5), [ActivationKind.CLIP]),
        (L.ReLU(negative_slope=0.1), [ActivationKind.LEAKY_RELU]),
        (L.ReLU(max_value=2.0, negative_slope=0.25), [ActivationKind.LEAKY_RELU, ActivationKind.CLIP]),
        (L.LeakyReLU(negative_slope=0.05), [ActivationKind.LEAKY_RELU]),
    ],
    ids=["relu", "relu_max", "relu_slope", "relu_slope_max", "leaky"],
)
def test_relu_and_leaky_relu_layers(layer, kinds):
    model = seq((6,), L.Dense(6, name="fc"), layer)
    roundtrip(model, data((6,), scale=4.0))
    ops = [n.op for n in load_keras(model).graph.nodes[2:]]
    assert [op.kind for op in ops] == kinds


def test_relu_threshold_is_unsupported():
    with pytest.raises(UnsupportedError, match=r"'thr'.*threshold 0\.5"):
        load_keras(seq((4,), L.ReLU(threshold=0.5, name="thr")))


def test_softmax_layer():
    model = seq((6,), L.Dense(4, name="fc"), L.Softmax(name="sm"))
    roundtrip(model, data((6,)))
    assert isinstance(load_keras(model).graph["sm"].op, Softmax)


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batch_normalization_after_dense_and_alone(center, scale):
    model = seq(
        (5,),
        L.BatchNormalization(center=center, scale=scale, epsilon=0.01, name="bn0"),
        L.Dense(4, name="fc"),
        L.BatchNormalization(center=center, scale=scale, name="bn1"),
    )
    roundtrip(model, data((5,)))
    assert isinstance(load_keras(model).graph["bn0"].op, BatchNorm)


def test_batch_normalization_on_another_axis_is_unsupported():
    with pytest.raises(UnsupportedError, match="'bn'.*axis 1"):
        load_keras(seq((4, 3), L.BatchNormalization(axis=1, name="bn")))


# ---- convolution and pooling -------------------------------------------------------------


@pytest.mark.parametrize("padding", ["same", "valid", "causal"])
@pytest.mark.parametrize("strides", [1, 2])
def test_conv1d(padding, strides):
    model = seq((9, 3), L.Conv1D(4, 3, strides=strides, padding=padding, activation="relu", name="c"))
    roundtrip(model, data((9, 3)))
    assert isinstance(load_keras(model).graph["c"].op, Conv)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("strides", [1, 2, (2, 1)])
def test_conv2d(padding, strides):
    model = seq(
        (7, 6, 2),
        L.Conv2D(3, (3, 2), strides=strides, padding=padding, name="c1"),
        L.Conv2D(2, 2, padding=padding, use_bias=False, activation="tanh", name="c2"),
    )
    roundtrip(model, data((7, 6, 2)))


def test_conv_data_format_and_dilation_are_checked():
    with pytest.raises(UnsupportedError, match="'cf'.*channels_first"):
        load_keras(seq((2, 6, 6), L.Conv2D(2, 3, data_format="channels_first", name="cf")))
    with pytest.raises(UnsupportedError, match="'dil'.*dilation_rate"):
        load_keras(seq((8, 2), L.Conv1D(2, 3, dilation_rate=2, name="dil")))


POOLS = [(2, None, "valid"), (3, 2, "same"), (2, 1, "same"), (3, 1, "valid")]


@pytest.mark.parametrize("pool_size, strides, padding", POOLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_1d_and_2d(kind, pool_size, strides, padding):
    cls1, cls2 = (L.MaxPooling1D, L.MaxPooling2D) if kind == "max" else (L.AveragePooling1D, L.AveragePooling2D)
    one = seq((7, 3), cls1(pool_size, strides=strides, padding=padding, name="p"))
    two = seq((7, 5, 3), cls2(pool_size, strides=strides, padding=padding, name="p"))
    for model, shape in ((one, (7, 3)), (two, (7, 5, 3))):
        roundtrip(model, data(shape))
        op = load_keras(model).graph["p"].op
        assert isinstance(op, Pool) and not op.count_include_pad


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(keepdims):
    inp1, inp2 = keras.Input((6, 3), name="a"), keras.Input((5, 4, 3), name="b")
    outs = [
        L.GlobalAveragePooling1D(keepdims=keepdims, name="ga1")(inp1),
        L.GlobalMaxPooling1D(keepdims=keepdims, name="gm1")(inp1),
        L.GlobalAveragePooling2D(keepdims=keepdims, name="ga2")(inp2),
        L.GlobalMaxPooling2D(keepdims=keepdims, name="gm2")(inp2),
    ]
    model = keras.Model([inp1, inp2], outs)
    design = rtl4ml.convert(model)
    x = [data((6, 3)), data((5, 4, 3), seed=2)]
    for got, want in zip(design.predict_float(x), forward(model, x)):
        np.testing.assert_allclose(got, want, atol=ATOL)


def test_cnn2d_with_batchnorm_pooling_flatten_dropout():
    model = seq(
        (10, 10, 2),
        L.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
        L.BatchNormalization(name="bn"),
        L.MaxPooling2D(2, name="mp"),
        L.Conv2D(4, 3, strides=2, padding="valid", name="c2"),
        L.LeakyReLU(negative_slope=0.1, name="lr"),
        L.AveragePooling2D(2, padding="same", name="ap"),
        L.Flatten(name="fl"),
        L.Dropout(0.3, name="do"),
        L.Dense(3, activation="softmax", name="out"),
    )
    design = roundtrip(model, data((10, 10, 2)))
    assert "do" not in design.graph and "bn" in design.graph  # dropout removed; bn follows a relu: kept


def test_cnn1d_with_global_pooling():
    model = seq(
        (12, 2),
        L.Conv1D(4, 5, padding="same", activation="relu6", name="c1"),
        L.MaxPooling1D(2, name="mp"),
        L.Conv1D(3, 3, strides=2, name="c2"),
        L.GlobalAveragePooling1D(name="gap"),
        L.Dense(2, name="out"),
    )
    roundtrip(model, data((12, 2)))


# ---- functional graphs -------------------------------------------------------------------


def test_functional_branches_add_concatenate_reshape():
    inp = keras.Input((12,), name="x")
    h = L.Dense(8, activation="relu", name="stem")(inp)
    a = L.Dense(8, activation="tanh", name="left")(h)
    b = L.Dense(8, name="right")(h)
    s = L.Add(name="sum")([a, b, h])
    r1 = L.Reshape((4, 2), name="r1")(s)
    r2 = L.Reshape((4, 2), name="r2")(a)
    c = L.Concatenate(axis=1, name="cat1")([r1, r2])  # axis 1 of the batch: the first sample axis
    c = L.Concatenate(name="cat2")([c, c])
    out = L.Dense(3, activation="softmax", name="head")(L.Flatten(name="fl")(c))
    model = keras.Model(inp, [out, s], name="branchy")
    design = roundtrip(model, data((12,)))
    graph = load_keras(model).graph
    assert graph.name == "branchy" and graph.outputs == ("head_softmax", "sum")
    assert graph.shapes["cat1"] == (8, 2) and graph.shapes["cat2"] == (8, 4)
    assert len(design.output_types()) == 2


def test_multiple_inputs_keep_the_model_order_and_shared_layers_are_called_twice():
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    shared = L.Dense(4, activation="relu", name="shared")
    s = L.Add(name="sum")([shared(b), shared(a)])  # b is called first
    model = keras.Model([b, a], L.Dense(2, name="out")(s))
    randomize(model)
    imported = load_keras(model)
    assert imported.graph.inputs == ("b", "a")
    assert {"shared", "shared_call1"} <= {n.name for n in imported.graph.nodes}
    x = [data((5,)), data((5,), seed=3)]
    np.testing.assert_allclose(rtl4ml.convert(model).predict_float(x), forward(model, x), atol=ATOL)


def test_model_without_input_shape_and_subclassed_model_are_refused():
    with pytest.raises(ModelLoadError, match="no input shape"):
        load_keras(keras.Sequential([L.Dense(2)]))

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.fc = L.Dense(2)

        def call(self, x):
            return self.fc(x)

    model = Custom()
    model(np.zeros((1, 3), "float32"))
    with pytest.raises(UnsupportedError, match="subclassed"):
        load_keras(model)


def test_unsupported_layers_are_all_named_at_once():
    inp = keras.Input((4, 4, 2), name="x")
    h = L.Conv2DTranspose(2, 3, name="up")(inp)
    h = L.Reshape((36, 2), name="seq")(h)
    h = L.LSTM(3, name="lstm")(h)
    out = L.Dense(2, activation="elu", name="out")(h)
    with pytest.raises(UnsupportedError) as err:
        load_keras(keras.Model(inp, out))
    text = str(err.value)
    for part in ("Conv2DTranspose (layer up)", "LSTM (layer lstm)", "activation 'elu' (layer out)"):
        assert part in text
    assert "Supported layers:" in text and all(name in text for name in supported_layers())


def test_nested_model_is_refused_with_a_hint():
    inner = keras.Sequential([keras.Input((4,)), L.Dense(3)], name="inner")
    inp = keras.Input((4,))
    with pytest.raises(UnsupportedError, match=r"Sequential \(layer inner\).*Nested models"):
        load_keras(keras.Model(inp, L.Dense(2)(inner(inp))))


# ---- the bit-exact emulation ---------------------------------------------------------------


def test_fixed_point_mlp_stays_within_the_derived_rounding_bound():
    """``predict`` (default ``fixed<16,6>``: RND, SAT, exact accumulators) against Keras.

    With lsb q = 2**-10 and no saturation (every value well inside +-32), the only
    errors are three roundings to the nearest multiple of q, each at most q/2: the
    input x, each weight W and bias b, and each layer's result. Write the fixed-point
    input of layer l as a + e (a: the float activation, |e| <= E) and the weights as
    W + d (|d| <= q/2). The exact accumulator holds

        (a + e)(W + d) + b + d_b = aW + b + [a d + e (W + d) + d_b]

    so, per output unit j, with the result rounding and a 1-Lipschitz ReLU after it,

        E_l[j] = q/2 * sum_i |a_i| + sum_i (|W_ij| + q/2) E_{l-1}[i] + q/2 + q/2,

    starting from E_0 = q/2 (input rounding). The bound is evaluated per sample from
    the float activations and asserted with a 1e-5 allowance for Keras's float32.
    (Uniform form: fan-in n, |a| <= A, |W| <= w gives E_l <= n A q/2 + n (w + q/2) E_{l-1} + q.)
    """
    model = seq(
        (10,),
        L.Dense(16, activation="relu", name="h1"),
        L.Dense(8, activation="relu", name="h2"),
        L.Dense(4, name="out"),
    )
    randomize(model, seed=5, scale=0.3)
    x = np.random.default_rng(7).uniform(-2, 2, (500, 10)).astype("float32")
    q = 2.0**-10
    design = rtl4ml.convert(model)
    got, want = design.predict(x), forward(model, x)
    a = x.astype(np.float64)
    err = np.full_like(a, q / 2)
    for layer in model.layers:
        w, b = (np.asarray(v, np.float64) for v in layer.get_weights())
        err = q / 2 * np.abs(a).sum(1, keepdims=True) + err @ (np.abs(w) + q / 2) + q
        a = a @ w + b
        if layer.name != "out":
            a = np.maximum(a, 0)
        assert np.abs(a).max() < 30  # no saturation anywhere
    np.testing.assert_allclose(a, want, atol=ATOL)
    assert np.all(np.abs(got - want) <= err + 1e-5)
    # worst case adds every rounding with the same sign: ~110 lsb here, against ~5 lsb seen
    assert 0 < np.abs(got - want).max() and err.max() < 128 * q

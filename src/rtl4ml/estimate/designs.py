"""Random one-layer designs across the supported space, for the estimator's dataset.

Each design is one layer behind an input, small enough for Yosys to synthesize in
seconds: whole networks are sums of their layers (the estimate adds per-layer figures),
so layers are what the dataset measures. A design is a pure function of its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..ir import (
    Activation,
    ActivationKind,
    Conv,
    Dense,
    Graph,
    Input,
    Node,
    Padding,
    Pool,
    PoolKind,
    Softmax,
)

KINDS = ("dense", "conv2d", "conv1d", "pool", "activation", "softmax")
_WEIGHTS = (0.22, 0.22, 0.12, 0.14, 0.18, 0.12)  # how often each kind is drawn


@dataclass(frozen=True)
class DesignSpec:
    """A generated design: its graph, its config (as a config file would hold it) and
    the parameters it was drawn with (features of the dataset row)."""

    seed: int
    kind: str
    graph: Graph
    config: dict
    params: dict


def _type(rng, width_lo: int, width_hi: int) -> tuple[str, int]:
    width = int(rng.integers(width_lo, width_hi + 1))
    ints = int(rng.integers(1, max(2, width // 2) + 1))
    return f"fixed<{width},{ints}>", width


def _divisors(n: int, most: int) -> list[int]:
    return [d for d in range(1, min(n, most) + 1) if n % d == 0]


def _weights(rng, shape, bits: int, sparsity: float) -> np.ndarray:
    w = rng.normal(0, 0.5, shape)
    w[rng.random(shape) < sparsity] = 0.0
    return w


def _folding(rng, n_mult: int, model: dict, params: dict) -> None:
    if rng.random() < 0.5:
        reuse = int(rng.choice(_divisors(n_mult, 64)[1:] or [1]))
        if reuse > 1:
            model.update(reuse_factor=reuse, strategy="resource")
    model["use_dsp"] = bool(rng.random() < 0.4)
    model["adder_levels"] = int(rng.integers(1, 5))
    params.update(reuse_factor=model.get("reuse_factor", 1), use_dsp=model["use_dsp"],
                  adder_levels=model["adder_levels"])


def _dense(rng, seed):
    n_in, n_out = int(rng.integers(2, 33)), int(rng.integers(1, 17))
    while n_in * n_out > 320:
        n_in //= 2
    x, xw = _type(rng, 4, 16)
    w, ww = _type(rng, 3, 10)
    sparsity = float(rng.choice([0.0, 0.0, 0.3, 0.6]))
    act = Activation(ActivationKind.RELU) if rng.random() < 0.5 else None
    model = {"precision": x, "weight": w}
    params = {"n_in": n_in, "n_out": n_out, "x_bits": xw, "w_bits": ww, "sparsity": sparsity, "relu": act is not None}
    _folding(rng, n_in * n_out, model, params)
    op = Dense(_weights(rng, (n_in, n_out), ww, sparsity), rng.normal(0, 0.3, n_out), act)
    return (n_in,), op, model, params


def _conv(rng, seed, ndim: int):
    c, f, k = int(rng.integers(1, 5)), int(rng.integers(1, 7)), int(rng.integers(1, 4 if ndim == 2 else 6))
    spatial = tuple(int(v) for v in rng.integers(max(k, 4), 11 if ndim == 2 else 25, ndim))
    stride = int(rng.integers(1, 3))
    padding = Padding.SAME if rng.random() < 0.5 else Padding.VALID
    x, xw = _type(rng, 4, 14)
    w, ww = _type(rng, 3, 8)
    model = {"precision": x, "weight": w}
    params = {"channels": c, "filters": f, "kernel": k, "stride": stride, "same": padding is Padding.SAME,
              "rows": spatial[0], "cols": spatial[-1], "x_bits": xw, "w_bits": ww}
    _folding(rng, k ** ndim * c * f, model, params)
    weight = _weights(rng, (k,) * ndim + (c, f), ww, 0.0)
    op = Conv.with_padding(weight, rng.normal(0, 0.3, f), (stride,) * ndim, padding, spatial,
                           Activation(ActivationKind.RELU))
    return spatial + (c,), op, model, params


def _pool(rng, seed):
    c, k = int(rng.integers(1, 7)), int(rng.integers(2, 4))
    spatial = tuple(int(v) for v in rng.integers(k + 1, 13, 2))
    kind = PoolKind.MAX if rng.random() < 0.6 else PoolKind.AVG
    x, xw = _type(rng, 4, 14)
    model = {"precision": x}
    params = {"channels": c, "kernel": k, "stride": k, "avg": kind is PoolKind.AVG, "rows": spatial[0],
              "cols": spatial[1], "x_bits": xw}
    op = Pool.with_padding(kind, (k, k), (k, k), Padding.VALID, spatial)
    return spatial + (c,), op, model, params


_ACTS = (ActivationKind.RELU, ActivationKind.LEAKY_RELU, ActivationKind.TANH, ActivationKind.SIGMOID,
         ActivationKind.CLIP, ActivationKind.HARD_SIGMOID)


def _activation(rng, seed):
    n = int(rng.integers(2, 33))
    kind = _ACTS[int(rng.integers(len(_ACTS)))]
    act = {ActivationKind.LEAKY_RELU: lambda: Activation(kind, alpha=0.1),
           ActivationKind.CLIP: lambda: Activation(kind, min_value=0.0, max_value=3.0),
           ActivationKind.HARD_SIGMOID: lambda: Activation(kind, alpha=0.2, beta=0.5)}.get(kind, lambda: Activation(kind))()
    x, xw = _type(rng, 4, 16)
    r, rw = _type(rng, 4, 16)
    model = {"input": x, "result": r}
    if kind in (ActivationKind.TANH, ActivationKind.SIGMOID):
        model["table_size"] = int(rng.choice([64, 256, 1024]))
    params = {"n": n, "activation": kind.value, "x_bits": xw, "y_bits": rw, "table_size": model.get("table_size", 0)}
    return (n,), act, model, params


def _softmax(rng, seed):
    n = int(rng.integers(2, 11))
    x, xw = _type(rng, 6, 14)
    model = {"precision": x, "table_size": int(rng.choice([64, 256]))}
    return (n,), Softmax(), model, {"n": n, "x_bits": xw, "table_size": model["table_size"]}


_MAKERS = {"dense": _dense, "conv2d": lambda r, s: _conv(r, s, 2), "conv1d": lambda r, s: _conv(r, s, 1),
           "pool": _pool, "activation": _activation, "softmax": _softmax}


def random_design(seed: int, kind: str | None = None) -> DesignSpec:
    """The design of ``seed`` (its kind drawn too, unless ``kind`` is given)."""
    rng = np.random.default_rng(seed)
    k = kind or KINDS[int(rng.choice(len(KINDS), p=_WEIGHTS))]
    if k not in _MAKERS:
        raise ConfigError(f"unknown design kind {k!r}; known: {', '.join(KINDS)}")
    shape, op, model, params = _MAKERS[k](rng, seed)
    graph = Graph([Node("x", Input(shape)), Node("layer", op, ("x",))], ["layer"], f"d{seed}")
    return DesignSpec(seed, k, graph, {"model": model}, params)

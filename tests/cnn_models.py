"""Convolutional networks for the pixel-stream hardware tests: random CNNs (kernels 1-5,
strides 1-2, same/valid padding, pooling, residual and concatenated branches, folding)
with their configs."""

from __future__ import annotations

import numpy as np

from rtl4ml.ir import (
    Activation,
    ActivationKind,
    Add,
    Concat,
    Conv,
    Dense,
    Flatten,
    GlobalPool,
    Graph,
    Input,
    Node,
    Padding,
    Pool,
    PoolKind,
)

RELU = Activation(ActivationKind.RELU)


def conv(rng, shape, filters, kernel, stride, padding, act=RELU):
    nd = len(shape) - 1
    k = (kernel,) * nd
    w = rng.normal(0, 0.6, k + (shape[-1], filters))
    return Conv.with_padding(w, rng.normal(0, 0.3, filters), (stride,) * nd, padding, shape[:-1], act)


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def _out(shape, op):
    return op.infer_shape([shape])


def random_cnn_case(seed: int):
    """A random 1-D or 2-D CNN: 1-3 conv/pool stages, maybe a residual Add or a channel
    Concat, then a Flatten or global pooling and a Dense (or the pixel stream itself)."""
    rng = np.random.default_rng(500 + seed)
    fold = np.random.default_rng(900 + seed)
    two_d = seed % 3 != 2
    spatial = tuple(int(v) for v in rng.integers(4, 9, 2 if two_d else 1))
    if not two_d:
        spatial = (int(rng.integers(6, 14)),)
    shape = spatial + (int(rng.integers(1, 4)),)
    nodes, newest, shapes, layers = [Node("x", Input(shape))], "x", {"x": shape}, {}

    def add(name, op, inputs):
        nodes.append(Node(name, op, tuple(inputs)))
        shapes[name] = _out(shapes[inputs[0]], op) if len(inputs) == 1 else op.infer_shape([shapes[i] for i in inputs])
        return name

    for k in range(int(rng.integers(1, 4))):
        s = shapes[newest]
        smallest = min(s[:-1])
        kernel = int(rng.integers(1, min(5, smallest) + 1))
        stride = int(rng.choice([1, 1, 2])) if smallest > 3 else 1
        padding = Padding.SAME if rng.random() < 0.5 else Padding.VALID
        filters = int(rng.integers(1, 5))
        act = RELU if rng.random() < 0.7 else None
        name = add(f"c{k}", conv(rng, s, filters, kernel, stride, padding, act), [newest])
        n_mult = kernel ** (len(s) - 1) * s[-1] * filters
        if rng.random() < 0.4:
            choices = [r for r in (2, 3, 4, 6) if n_mult % r == 0]
            if choices:
                layers[name] = {"reuse_factor": int(rng.choice(choices))}
        elif fold.random() < 0.4:  # PE x SIMD lanes
            n_in = n_mult // filters
            layers[name] = {"pe": int(fold.choice(_divisors(filters))), "simd": int(fold.choice(_divisors(n_in)))}
        if rng.random() < 0.35 and min(shapes[name][:-1]) >= 3:  # a branch around a same-size conv
            s2 = shapes[name]
            side = add(f"b{k}", conv(rng, s2, s2[-1], int(rng.choice([1, 3])), 1, Padding.SAME), [name])
            if rng.random() < 0.5:
                name = add(f"add{k}", Add(), [name, side] if rng.random() < 0.5 else [side, name])
                layers[name] = {"result": "fixed<12,5,RND_CONV,SAT>"}
            else:
                name = add(f"cat{k}", Concat(axis=-1), [side, name])
        newest = name
        s = shapes[newest]
        if min(s[:-1]) >= 2 and rng.random() < 0.5:
            kind = PoolKind.MAX if rng.random() < 0.6 else PoolKind.AVG
            pk = 2 if kind is PoolKind.AVG or rng.random() < 0.6 else min(3, min(s[:-1]))
            pool = Pool.with_padding(kind, (pk,) * (len(s) - 1), (pk,) * (len(s) - 1), Padding.VALID, s[:-1])
            newest = add(f"p{k}", pool, [newest])
    tail = rng.random()
    s = shapes[newest]
    if tail < 0.4:
        newest = add("flat", Flatten(), [newest])
        n = int(np.prod(s))
        newest = add("out", Dense(rng.normal(0, 0.4, (n, 3)), rng.normal(0, 0.2, 3)), [newest])
    elif tail < 0.7 and int(np.prod(s[:-1])) in (1, 2, 4, 8, 16, 32, 64):
        newest = add("gap", GlobalPool(PoolKind.AVG if rng.random() < 0.5 else PoolKind.MAX), [newest])
        newest = add("out", Dense(rng.normal(0, 0.4, (s[-1], 2)), rng.normal(0, 0.2, 2)), [newest])
    graph = Graph(nodes, [newest], name=f"cnn{seed}")
    config = {"model": {"input": "fixed<8,3>", "weight": "fixed<6,1>", "result": "fixed<10,4>"}, "layers": layers}
    return graph, config

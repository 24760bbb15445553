"""Networks for the hardware tests: chains, branched and residual nets, random MLPs and
random branched networks with their configs."""

from __future__ import annotations

import numpy as np

from rtl4ml.ir import Activation, ActivationKind, Add, Concat, Dense, Graph, Input, Node, Softmax

K = ActivationKind


def chain(*ops, shape=(6,), names=None, name="mlp") -> Graph:
    nodes = [Node("x", Input(shape))]
    for i, op in enumerate(ops):
        nodes.append(Node(names[i] if names else f"n{i}", op, (nodes[-1].name,)))
    return Graph(nodes, [nodes[-1].name], name=name)


def dense(rng, n_in, n_out, act=None, scale=0.8):
    return Dense(rng.normal(0, scale, (n_in, n_out)), rng.normal(0, 0.5, n_out), act)


def branched(rng) -> Graph:
    """Two forks, an Add of paths of unequal latency, a Concat, a softmax at the end."""
    nodes = [Node("x", Input((6,))),
             Node("d1", dense(rng, 6, 5, Activation(K.RELU)), ("x",)),
             Node("d2", dense(rng, 5, 4), ("d1",)),
             Node("d3", dense(rng, 6, 4), ("x",)),
             Node("sum", Add(), ("d2", "d3")),
             Node("cat", Concat(), ("sum", "d1")),
             Node("out", dense(rng, 9, 4), ("cat",)),
             Node("sm", Softmax(), ("out",))]
    return Graph(nodes, ["sm"], name="branchy")


def residual(rng) -> Graph:
    """The input read three times: by a Dense, by a residual Add, by a Concat."""
    nodes = [Node("x", Input((6,))),
             Node("d1", dense(rng, 6, 6, Activation(K.RELU)), ("x",)),
             Node("d2", dense(rng, 6, 6), ("d1",)),
             Node("res", Add(), ("x", "d2")),
             Node("act", Activation(K.RELU), ("res",)),
             Node("cat", Concat(), ("x", "act")),
             Node("out", dense(rng, 12, 3), ("cat",)),
             Node("sm", Softmax(), ("out",))]
    return Graph(nodes, ["sm"], name="residual")


def random_case(seed: int):
    """A random small MLP and config: shapes 2..16, several precisions and activations."""
    rng = np.random.default_rng(seed)
    acts = [None, Activation(K.RELU), Activation(K.LEAKY_RELU, alpha=0.1), Activation.relu6(),
            Activation(K.HARD_SIGMOID, alpha=0.2, beta=0.5), Activation.hard_tanh()]
    results = ["fixed<16,6>", "fixed<10,3,TRN,WRAP>", "fixed<12,2,RND_CONV,SAT_SYM>", "ufixed<8,2,RND_ZERO,SAT>",
               "fixed<9,4,RND_INF,SAT_ZERO>", "ap_fixed<14,5>"]
    sizes = [int(v) for v in rng.integers(2, 17, int(rng.integers(2, 4)) + 1)]
    ops, layers = [], {}
    for k in range(len(sizes) - 1):
        act = acts[int(rng.integers(len(acts)))]
        ops.append(dense(rng, sizes[k], sizes[k + 1], act))
        n = sizes[k] * sizes[k + 1]
        cfg = {"result": results[int(rng.integers(len(results)))]}
        if rng.random() < 0.4:
            divisors = [r for r in range(2, n + 1) if n % r == 0 and r <= 24]
            if divisors:
                cfg["reuse_factor"] = int(rng.choice(divisors))
        layers[f"n{k}"] = cfg
    weight = ["fixed<8,2>", "fixed<6,1,RND,SAT>", "fixed<10,3>"][seed % 3]
    graph = chain(*ops, shape=(sizes[0],))
    return graph, {"model": {"weight": weight, "input": "fixed<10,4>"}, "layers": layers}


def random_branched_case(seed: int):
    """A random network with skip connections: each Dense reads the newest tensor; after
    it, an Add with an earlier tensor of the same size or a Concat with any earlier one."""
    rng = np.random.default_rng(100 + seed)
    sizes = {"x": int(rng.integers(3, 9))}
    nodes, newest, layers = [Node("x", Input((sizes["x"],)))], "x", {}
    for k in range(int(rng.integers(3, 5))):
        n_out = int(rng.choice([sizes["x"], int(rng.integers(2, 9))]))
        act = Activation(K.RELU) if rng.random() < 0.6 else None
        name = f"d{k}"
        nodes.append(Node(name, dense(rng, sizes[newest], n_out, act), (newest,)))
        sizes[name] = n_out
        if rng.random() < 0.4:
            layers[name] = {"reuse_factor": int(rng.choice([r for r in (2, 3, 4) if sizes[newest] * n_out % r == 0] or [1]))}
        newest = name
        earlier = [t for t in sizes if t != newest]
        same = [t for t in earlier if sizes[t] == sizes[newest]]
        if same and rng.random() < 0.6:
            other = same[int(rng.integers(len(same)))]
            nodes.append(Node(f"add{k}", Add(), (newest, other) if rng.random() < 0.5 else (other, newest)))
            sizes[f"add{k}"] = sizes[newest]
            layers[f"add{k}"] = {"result": "fixed<14,6,RND_CONV,SAT>"}
            newest = f"add{k}"
        elif rng.random() < 0.5:
            other = earlier[int(rng.integers(len(earlier)))]
            nodes.append(Node(f"cat{k}", Concat(), (other, newest)))
            sizes[f"cat{k}"] = sizes[newest] + sizes[other]
            newest = f"cat{k}"
    graph = Graph(nodes, [newest], name=f"branchy{seed}")
    return graph, {"model": {"weight": "fixed<7,2>", "input": "fixed<10,4>", "result": "fixed<13,5>"}, "layers": layers}


def softmax_layer(n: int, precision: str) -> tuple[Graph, dict]:
    """A softmax over ``n`` inputs of ``precision`` with 256-entry tables."""
    graph = Graph([Node("x", Input((n,))), Node("s", Softmax(), ("x",))], ["s"], "sm")
    return graph, {"model": {"precision": precision, "table_size": 256}}

"""A readable table of a graph, for ``print(graph)`` and ``rtl4ml inspect``."""

from __future__ import annotations

from .graph import Graph


def graph_rows(graph: Graph) -> list[dict[str, str]]:
    """One row of display strings per node."""
    rows = []
    for node in graph.nodes:
        op = node.op
        shape = graph.shapes[node.name]
        p = node.precision
        rows.append(
            {
                "name": node.name,
                "op": op.label,
                "attributes": op.describe(),
                "inputs": ", ".join(node.inputs),
                "shape": "x".join(map(str, shape)),
                "result": str(p.result) if p else "",
                "weight": str(p.weight) if p and p.weight else "",
                "accumulator": str(p.accumulator) if p and p.accumulator else "",
                "params": f"{op.n_params:,}" if op.n_params else "",
                "macs": f"{op.macs(graph.input_shapes(node), shape):,}" if op.n_params else "",
            }
        )
    return rows


def graph_table(graph: Graph) -> str:
    rows = graph_rows(graph)
    cols = [c for c in rows[0] if any(r[c] for r in rows)]
    width = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    line = lambda r: "  ".join(r[c].ljust(width[c]) for c in cols).rstrip()  # noqa: E731
    head = {c: c for c in cols}
    out = [f"Graph '{graph.name}'", line(head), "  ".join("-" * width[c] for c in cols)]
    out += [line(r) for r in rows]
    params = sum(n.op.n_params for n in graph.nodes)
    out.append(f"outputs: {', '.join(graph.outputs)}   parameters: {params:,}   MACs: {total_macs(graph):,}")
    return "\n".join(out)


def total_macs(graph: Graph) -> int:
    return sum(n.op.macs(graph.input_shapes(n), graph.shapes[n.name]) for n in graph.nodes)


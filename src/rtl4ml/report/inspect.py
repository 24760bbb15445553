"""``rtl4ml inspect``: a rich table of the optimized, typed graph."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..ir.text import graph_rows, total_macs


def print_design(design, console: Console | None = None) -> None:
    if console is None:
        probe = Console()
        console = probe if probe.is_terminal else Console(width=200)
    graph = design.graph
    rows = graph_rows(graph)
    table = Table(title=f"{graph.name}: {len(graph)} layers", show_lines=False)
    cols = [c for c in rows[0] if any(r[c] for r in rows)]
    for c in cols:
        table.add_column(c, justify="right" if c in ("params", "macs") else "left")
    for r in rows:
        table.add_row(*(r[c] for c in cols))
    console.print(table)
    params = sum(n.op.n_params for n in graph.nodes)
    out_types = ", ".join(f"{n}: {t}" for n, t in zip(graph.outputs, design.output_types()))
    console.print(f"parameters: {params:,}   MACs: {total_macs(graph):,}   outputs: {out_types}")

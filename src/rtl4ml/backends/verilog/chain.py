"""A layer built from parts in a row (:class:`rtl4ml.hw.records.ChainImpl`): one module
per part and a wrapper connecting their streams."""

from __future__ import annotations

from ...hw.records import ChainImpl
from .streams import PORTS

PORT_NAMES = ("s_axis_tdata", "s_axis_tvalid", "s_axis_tready", "m_axis_tdata", "m_axis_tvalid", "m_axis_tready")


def chain_module(name: str, impl: ChainImpl, part_modules: list[str]) -> str:
    """``part_modules[i]`` is the module of ``impl.parts[i]``; stream ``i`` connects part
    ``i`` to part ``i + 1``."""
    x, y = impl.input, impl.output
    lines = [f"module {name} (", PORTS.format(i=x.bits - 1, o=y.bits - 1), ");"]
    n = len(impl.parts)
    for i, part in enumerate(impl.parts[:-1]):
        lines += [f"    wire [{part.output.bits - 1}:0] p{i}_tdata;", f"    wire p{i}_tvalid;", f"    wire p{i}_tready;"]
    for i, module in enumerate(part_modules):
        src = ("s_axis_tdata", "s_axis_tvalid", "s_axis_tready") if i == 0 else (
            f"p{i - 1}_tdata", f"p{i - 1}_tvalid", f"p{i - 1}_tready")
        dst = ("m_axis_tdata", "m_axis_tvalid", "m_axis_tready") if i == n - 1 else (
            f"p{i}_tdata", f"p{i}_tvalid", f"p{i}_tready")
        conns = [("clk", "clk"), ("rst", "rst"), *zip(PORT_NAMES, src + dst)]
        lines.append(f"    {module} u_part{i} (")
        lines += [f"        .{p}({s}){',' if k < len(conns) - 1 else ''}" for k, (p, s) in enumerate(conns)]
        lines.append("    );")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"

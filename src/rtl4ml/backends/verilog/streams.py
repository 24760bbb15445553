"""Stream plumbing of the top level: a fork (one stream to several readers) and a FIFO
(on the shorter input paths of a join). The fork is written once per design, the FIFO
once per depth."""

from __future__ import annotations

from .netlist import literal

#: The stream ports of an engine or a top level (``{i}``/``{o}``: the data MSB indices).
PORTS = """    input  wire clk,
    input  wire rst,
    input  wire [{i}:0] s_axis_tdata,
    input  wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [{o}:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input  wire m_axis_tready"""


def fork_module(name: str) -> str:
    """Every reader takes each sample exactly once, in any order of readiness: a reader
    that has taken the current sample is masked (``taken``) until all have, then the
    input moves on. ``m_valid`` never depends on ``m_ready`` (no combinational loop
    through a join that waits for several inputs)."""
    return f"""module {name} #(
    parameter N = 2
) (
    input  wire clk,
    input  wire rst,
    input  wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [N-1:0] m_axis_tvalid,
    input  wire [N-1:0] m_axis_tready
);
    reg [N-1:0] taken;
    assign m_axis_tvalid = {{N{{s_axis_tvalid}}}} & ~taken;
    assign s_axis_tready = &(m_axis_tready | taken);
    always @(posedge clk) begin
        if (rst || (s_axis_tvalid && s_axis_tready)) taken <= {{N{{1'b0}}}};
        else taken <= taken | (m_axis_tvalid & m_axis_tready);
    end
endmodule
"""


def fifo_module(name: str, depth: int, attributes: str = "") -> str:
    """A first-in first-out buffer of ``depth`` samples of WIDTH bits. A sample written in
    one cycle can be read in the next; ``s_axis_tready`` is high while it is not full
    (it does not depend on ``m_axis_tready``). One module per depth, so every constant
    has its exact width. ``attributes``: synthesis attributes of its memory, e.g. a
    ``ram_style``."""
    aw = address_bits(depth)
    return f"""module {name} #(
    parameter WIDTH = 1
) (
    input  wire clk,
    input  wire rst,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire s_axis_tvalid,
    output wire s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata,
    output wire m_axis_tvalid,
    input  wire m_axis_tready
);
    {attributes}reg [WIDTH-1:0] mem [0:{depth - 1}];
    reg [{aw - 1}:0] wr;
    reg [{aw - 1}:0] rd;
    reg [{aw}:0] count;
    wire push = s_axis_tvalid && s_axis_tready;
    wire pop = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = count != {literal(depth, aw + 1)};
    assign m_axis_tvalid = count != {literal(0, aw + 1)};
    assign m_axis_tdata = mem[rd];
    always @(posedge clk) begin
        if (push) mem[wr] <= s_axis_tdata;
        if (rst) begin
            wr <= {literal(0, aw)};
            rd <= {literal(0, aw)};
            count <= {literal(0, aw + 1)};
        end else begin
            if (push) wr <= wr == {literal(depth - 1, aw)} ? {literal(0, aw)} : wr + {literal(1, aw)};
            if (pop) rd <= rd == {literal(depth - 1, aw)} ? {literal(0, aw)} : rd + {literal(1, aw)};
            if (push && !pop) count <= count + {literal(1, aw + 1)};
            else if (pop && !push) count <= count - {literal(1, aw + 1)};
        end
    end
endmodule
"""


def address_bits(depth: int) -> int:
    """Bits of an index below ``depth``."""
    return max((depth - 1).bit_length(), 1)

"""Stream plumbing of the top level: a fork (one stream to several readers) and a FIFO
(on the shorter input paths of a join). Both are parameterized Verilog-2005 modules,
written once per design."""

from __future__ import annotations


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


def fifo_module(name: str) -> str:
    """A first-in first-out buffer of DEPTH samples of WIDTH bits. A sample written in
    one cycle can be read in the next; ``s_axis_tready`` is high while it is not full
    (it does not depend on ``m_axis_tready``)."""
    return f"""module {name} #(
    parameter WIDTH = 1,
    parameter DEPTH = 2,
    parameter AW = 1
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
    localparam [AW:0] FULL = DEPTH;
    localparam [AW-1:0] LAST = DEPTH - 1;
    reg [WIDTH-1:0] mem [0:DEPTH-1];
    reg [AW-1:0] wr;
    reg [AW-1:0] rd;
    reg [AW:0] count;
    wire push = s_axis_tvalid && s_axis_tready;
    wire pop = m_axis_tvalid && m_axis_tready;
    assign s_axis_tready = count != FULL;
    assign m_axis_tvalid = count != {{(AW + 1){{1'b0}}}};
    assign m_axis_tdata = mem[rd];
    always @(posedge clk) begin
        if (push) mem[wr] <= s_axis_tdata;
        if (rst) begin
            wr <= {{AW{{1'b0}}}};
            rd <= {{AW{{1'b0}}}};
            count <= {{(AW + 1){{1'b0}}}};
        end else begin
            if (push) wr <= wr == LAST ? {{AW{{1'b0}}}} : wr + 1'b1;
            if (pop) rd <= rd == LAST ? {{AW{{1'b0}}}} : rd + 1'b1;
            if (push && !pop) count <= count + 1'b1;
            else if (pop && !push) count <= count - 1'b1;
        end
    end
endmodule
"""


def address_bits(depth: int) -> int:
    """The FIFO's AW parameter: bits of an index below ``depth``."""
    return max((depth - 1).bit_length(), 1)

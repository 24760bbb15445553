"""Small hand-written designs implementing the port contract of docs/hardware.md, and
the helpers the tool tests share."""

from __future__ import annotations


import shutil
from pathlib import Path

import numpy as np
import pytest

from rtl4ml.tools import (
    SimResult,
    Simulator,
    compile_testbench,
    unpack,
)


# Designs under test

#: 4 signed 8-bit elements in, each plus 3 as a signed 9-bit element out; three register
#: stages advancing together when the last one is empty or read: latency 3, II 1.
ADDPIPE = """\
module {name} (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [35:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    localparam [8:0] K = 9'd3;
    reg v0, v1, v2;
    reg [31:0] d0;
    reg [35:0] d1, d2;
    wire [35:0] sums;
    wire advance = {advance};
    genvar i;
    generate
        for (i = 0; i < 4; i = i + 1) begin : g_add
            assign sums[i*9 +: 9] = {{{sign}, d0[i*8 +: 8]}} + K;
        end
    endgenerate
    always @(posedge clk) begin
        if (rst) begin
            v0 <= 1'b0;
            v1 <= 1'b0;
            v2 <= 1'b0;
        end else if (advance) begin
            v0 <= s_axis_tvalid;
            v1 <= v0;
            v2 <= v1;
        end
    end
    always @(posedge clk) begin
        if (advance) begin
            d0 <= s_axis_tdata;
            d1 <= sums;
            d2 <= d1;
        end
    end
    assign s_axis_tready = advance;
    assign m_axis_tvalid = v2;
    assign m_axis_tdata = d2;
endmodule
"""

GOOD_ADVANCE = "!v2 || m_axis_tready"
GOOD_SIGN = "d0[i*8 + 7]"


def addpipe(name: str, *, advance: str = GOOD_ADVANCE, sign: str = GOOD_SIGN) -> str:
    return ADDPIPE.format(name=name, advance=advance, sign=sign)


#: Folded: sums the 4 signed elements one per cycle into a signed 10-bit output;
#: latency 5, II 5.
SERIAL_SUM = """\
module serial_sum (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [9:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    reg busy;
    reg ovalid;
    reg [1:0] idx;
    reg [31:0] data;
    reg [9:0] acc;
    reg [9:0] odata;
    wire [7:0] elem = data[{3'd0, idx} * 5'd8 +: 8];
    wire [9:0] next_acc = acc + {{2{elem[7]}}, elem};
    assign s_axis_tready = !busy && (!ovalid || m_axis_tready);
    assign m_axis_tvalid = ovalid;
    assign m_axis_tdata = odata;
    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            ovalid <= 1'b0;
            idx <= 2'd0;
            acc <= 10'd0;
        end else begin
            if (ovalid && m_axis_tready) ovalid <= 1'b0;
            if (s_axis_tvalid && s_axis_tready) begin
                busy <= 1'b1;
                idx <= 2'd0;
                acc <= 10'd0;
                data <= s_axis_tdata;
            end else if (busy) begin
                acc <= next_acc;
                idx <= idx + 2'd1;
                if (idx == 2'd3) begin
                    busy <= 1'b0;
                    ovalid <= 1'b1;
                    odata <= next_acc;
                end
            end
        end
    end
endmodule
"""

#: Multi-beat input: a sample is 3 beats of one unsigned 8-bit word, the output one
#: 10-bit beat, their sum. One pipeline advancing when its output register is empty or
#: read (s_axis_tready = advance): the accumulator takes every beat, the sum register
#: the third beat's total, then the output register.
BEAT_SUM3 = """\
module beat_sum3 (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output wire [9:0] m_axis_tdata,
    output wire       m_axis_tvalid,
    input  wire       m_axis_tready
);
    reg [1:0] idx;
    reg [9:0] acc;
    reg sv, ov;
    reg [9:0] s, o;
    wire advance = !ov || m_axis_tready;
    wire [9:0] total = acc + {2'd0, s_axis_tdata};
    assign s_axis_tready = advance;
    assign m_axis_tvalid = ov;
    assign m_axis_tdata = o;
    always @(posedge clk) begin
        if (rst) begin
            idx <= 2'd0;
            acc <= 10'd0;
            sv <= 1'b0;
            ov <= 1'b0;
        end else if (advance) begin
            if (s_axis_tvalid) begin
                idx <= (idx == 2'd2) ? 2'd0 : idx + 2'd1;
                acc <= (idx == 2'd2) ? 10'd0 : total;
            end
            sv <= s_axis_tvalid && idx == 2'd2;
            ov <= sv;
        end
    end
    always @(posedge clk) begin
        if (advance) begin
            s <= total;
            o <= s;
        end
    end
endmodule
"""

#: Multi-beat output: each 8-bit input word leaves as two beats, the word then its
#: complement. An input register feeds a serializer that takes the next word on the edge
#: its second beat is read.
BEAT_SPLIT = """\
module beat_split (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output wire [7:0] m_axis_tdata,
    output wire       m_axis_tvalid,
    input  wire       m_axis_tready
);
    reg v1, busy, phase;
    reg [7:0] d1, d2;
    wire last_out = busy && phase && m_axis_tready;
    wire take = v1 && (!busy || last_out);
    assign s_axis_tready = !v1 || take;
    assign m_axis_tvalid = busy;
    assign m_axis_tdata = phase ? ~d2 : d2;
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            busy <= 1'b0;
            phase <= 1'b0;
        end else begin
            if (s_axis_tready) v1 <= s_axis_tvalid;
            if (take) begin
                busy <= 1'b1;
                phase <= 1'b0;
            end else if (busy && m_axis_tready) begin
                if (phase) busy <= 1'b0;
                phase <= !phase;
            end
        end
    end
    always @(posedge clk) begin
        if (s_axis_tready) d1 <= s_axis_tdata;
        if (take) d2 <= d1;
    end
endmodule
"""

#: Accepts everything, never answers.
SILENT = """\
module silent (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [35:0] m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    assign s_axis_tready = 1'b1;
    assign m_axis_tvalid = 1'b0;
    assign m_axis_tdata = 36'd0;
endmodule
"""

#: Lint: an 8-bit output driven by a 9-bit sum (WIDTH).
WIDE_SUM = """\
module wide_sum (
    input  wire [7:0] a,
    input  wire [7:0] b,
    output wire [7:0] y
);
    wire [8:0] s = a + b;
    assign y = s;
endmodule
"""

#: Synthesis: a 4-bit latch.
LATCHY = """\
module latchy (
    input  wire       en,
    input  wire [3:0] d,
    output reg  [3:0] q
);
    always @(*) begin
        if (en) q = d;
    end
endmodule
"""

#: Synthesis: a registered 10x10 multiply (a DSP when allowed).
MULT = """\
module mult (
    input  wire        clk,
    input  wire [9:0]  a,
    input  wire [9:0]  b,
    output reg  [19:0] p
);
    always @(posedge clk) p <= a * b;
endmodule
"""

#: A ROM read with $readmemh from a file beside the RTL: out = ROM[low 4 bits of elem 0].
ROM_LOOKUP = """\
module rom_lookup (
    input  wire        clk,
    input  wire        rst,
    input  wire [31:0] s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    output wire [7:0]  m_axis_tdata,
    output wire        m_axis_tvalid,
    input  wire        m_axis_tready
);
    reg [7:0] rom [0:15];
    reg [7:0] q;
    reg v;
    initial $readmemh("rom_lookup.mem", rom);
    assign s_axis_tready = !v || m_axis_tready;
    assign m_axis_tvalid = v;
    assign m_axis_tdata = q;
    always @(posedge clk) begin
        if (rst) v <= 1'b0;
        else if (s_axis_tready) v <= s_axis_tvalid;
        if (s_axis_tready) q <= rom[s_axis_tdata[3:0]];
    end
endmodule
"""
ROM = [(7 * i + 5) % 256 for i in range(16)]

N = 200
SEEDS = (1, 2, 3, 7)
SIM_PROGRAMS = {Simulator.VERILATOR: ("verilator", "make"), Simulator.ICARUS: ("iverilog", "vvp")}
INSTALL = {"verilator": "verilator", "make": "make", "iverilog": "iverilog", "vvp": "iverilog",
           "yosys": "yosys"}


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pkgs = " ".join(sorted({INSTALL.get(p, p) for p in missing}))
        pytest.skip(f"{', '.join(missing)} not on PATH (apt-get install {pkgs})")


def need_simulator(sim: Simulator) -> None:
    need(*SIM_PROGRAMS[sim])


def cheapest_simulator() -> Simulator:
    """Icarus builds in a blink; Verilator takes seconds."""
    for sim in (Simulator.ICARUS, Simulator.VERILATOR):
        if all(shutil.which(p) for p in SIM_PROGRAMS[sim]):
            return sim
    pytest.skip("no simulator on PATH (apt-get install iverilog or verilator)")


def add_model(x: np.ndarray) -> np.ndarray:
    return x + 3


def sum_model(x: np.ndarray) -> np.ndarray:
    return x.sum(axis=1, keepdims=True)


class Builds:
    """Testbench builds shared by the tests of this module (a build takes seconds)."""

    def __init__(self, rtl_dir: Path, tmp: Path) -> None:
        self.rtl_dir = rtl_dir
        self.tmp = tmp
        self.cache: dict[tuple[Simulator, str, int, int], object] = {}

    def get(self, sim: Simulator, top: str, out_bits: int, *, in_bits: int = 32,
            in_beats: int = 1, out_beats: int = 1):
        """The build of ``top`` for N samples of ``in_beats``/``out_beats`` beats."""
        need_simulator(sim)
        key = (sim, top, in_beats, out_beats)
        if key not in self.cache:
            self.cache[key] = compile_testbench(
                self.rtl_dir / top, top, in_bits, out_bits, N, simulator=sim,
                in_beats=in_beats, out_beats=out_beats,
                workdir=self.tmp / f"{sim.value}_{top}_{in_beats}x{out_beats}")
        return self.cache[key]


def check_outputs(result: SimResult, expected: np.ndarray, width: int) -> bool:
    if result.timed_out or len(result.outputs) != len(expected):
        return False
    got = unpack(result.outputs, expected.shape[1], width, signed=True)
    return bool(np.array_equal(got, expected))


SIMULATORS = pytest.mark.parametrize("sim", list(Simulator), ids=lambda s: s.value)

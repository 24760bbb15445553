"""Pixel-stream parts in front of a convolution or pooling: padding and the sliding
window with its line buffers (docs/hardware.md, "Pixel streams").

Both keep a raster position (row, column) of the frame they read or write and a
registered output with the pipeline rule ``en = !m_valid || m_ready``, the rules
:mod:`rtl4ml.hw.timing` models.
"""

from __future__ import annotations

from ...hw.records import Frame, PadImpl, WindowImpl
from .netlist import literal
from .streams import PORTS, address_bits



def ram_style(block: bool) -> str:
    return f'(* ram_style = "{"block" if block else "distributed"}" *) '


class _Raster:
    """Row and column counters over ``frame`` (no row counter for a single row)."""

    def __init__(self, frame: Frame):
        self.frame = frame
        self.cw = address_bits(frame.cols)
        self.rw = address_bits(frame.rows) if frame.rows > 1 else 0

    def decls(self) -> list[str]:
        lines = [f"reg [{self.cw - 1}:0] col;"]
        if self.rw:
            lines.append(f"reg [{self.rw - 1}:0] row;")
        return lines

    def reset(self) -> list[str]:
        lines = [f"col <= {literal(0, self.cw)};"]
        if self.rw:
            lines.append(f"row <= {literal(0, self.rw)};")
        return lines

    def advance(self) -> list[str]:
        last_col = f"col == {literal(self.frame.cols - 1, self.cw)}"
        if not self.rw:
            return [f"col <= {last_col} ? {literal(0, self.cw)} : col + {literal(1, self.cw)};"]
        last_row = f"row == {literal(self.frame.rows - 1, self.rw)}"
        return [
            f"if ({last_col}) begin",
            f"    col <= {literal(0, self.cw)};",
            f"    row <= {last_row} ? {literal(0, self.rw)} : row + {literal(1, self.rw)};",
            f"end else col <= col + {literal(1, self.cw)};",
        ]

    def table(self, name: str, axis: str, flags: list[bool]) -> tuple[str, str]:
        """A constant bit per row or column (``axis``): its declaration and its lookup."""
        bits = self.rw if axis == "row" else self.cw
        value = sum(1 << k for k, f in enumerate(flags) if f)
        return f"localparam [{(1 << bits) - 1}:0] {name} = {literal(value, 1 << bits)};", f"{name}[{axis}]"

    def inside(self, name: str, axis: str, lo: int, n: int) -> tuple[list[str], str]:
        """Whether the counter on ``axis`` lies in [lo, lo + n): the full range is always."""
        size = self.frame.rows if axis == "row" else self.frame.cols
        if lo == 0 and n == size:
            return [], "1'b1"
        decl, ref = self.table(name, axis, [lo <= k < lo + n for k in range(size)])
        return [decl], ref


def _body(decls: list[str], assigns: list[str], seq: list[str]) -> list[str]:
    return [f"    {d}" for d in decls + assigns] + ["    always @(posedge clk) begin"] + [
        f"        {s}" for s in seq] + ["    end"]


def pad_module(name: str, impl: PadImpl) -> str:
    """Each output position inside the input frame passes the next input beat; the others
    send the padding value without reading the input."""
    (top, _), (left, _) = impl.pads
    bits = impl.input.bits
    raster = _Raster(impl.out_frame)
    width = impl.input.type.width
    pixel = "{" + ", ".join([literal(impl.value, width)] * impl.input.elements) + "}"
    rows, row_ok = raster.inside("ROW_IN", "row", top, impl.frame.rows) if raster.rw else ([], "1'b1")
    cols, col_ok = raster.inside("COL_IN", "col", left, impl.frame.cols)
    decls = raster.decls() + rows + cols + [
        f"reg [{bits - 1}:0] data;",
        "reg valid;",
        "wire en = !valid || m_axis_tready;",
        f"wire is_input = {row_ok} & {col_ok};",
        "wire load = en && (!is_input || s_axis_tvalid);",
    ]
    assigns = ["assign s_axis_tready = en && is_input;", "assign m_axis_tvalid = valid;", "assign m_axis_tdata = data;"]
    seq = ["if (rst) begin", *(f"    {x}" for x in raster.reset()), "    valid <= 1'b0;",
           "end else if (en) begin", "    valid <= load;", "    if (load) begin",
           *(f"        {x}" for x in raster.advance()), "    end", "end",
           f"if (load) data <= is_input ? s_axis_tdata : {pixel};"]
    return "\n".join([f"module {name} (", PORTS.format(i=bits - 1, o=bits - 1), ");"]
                     + _body(decls, assigns, seq) + ["endmodule"]) + "\n"


def window_module(name: str, impl: WindowImpl) -> str:
    """Taps ``t<a>_<b>`` hold the pixel ``a`` rows and ``b`` columns before the incoming
    one (``t0_0`` is the input). Between window rows a line buffer delays each pixel by
    ``cols - kernel_w`` beats: a memory of one fewer words, read before it is written,
    into a register. A beat that completes a window loads the output register with the
    taps in im2col order; it waits for that register to be free, the other beats never
    wait."""
    kh, kw = impl.kernel
    bits = impl.input.bits
    raster = _Raster(impl.frame)
    delay = impl.delays

    def tap(a: int, b: int) -> str:
        return "s_axis_tdata" if (a, b) == (0, 0) else f"t{a}_{b}"

    decls = raster.decls()
    decls += [f"reg [{bits - 1}:0] {tap(a, b)};" for a in range(kh) for b in range(kw) if (a, b) != (0, 0)]
    shift = [f"{tap(a, b)} <= {tap(a, b - 1)};" for a in range(kh) for b in range(1, kw)]
    words = delay - 1
    pw = address_bits(words) if words > 1 and kh > 1 else 0
    if pw:
        decls.append(f"reg [{pw - 1}:0] lb_ptr;")
    for a in range(1, kh):
        feed = tap(a - 1, kw - 1)
        if delay == 0:
            shift.append(f"{tap(a, 0)} <= {feed};")
            continue
        decls.append(f"reg [{bits - 1}:0] lb{a}_q;")
        shift.append(f"{tap(a, 0)} <= lb{a}_q;")
        if words == 0:
            shift.append(f"lb{a}_q <= {feed};")
            continue
        decls.append(f"{ram_style(impl.block_ram[a - 1])}reg [{bits - 1}:0] lb{a} [0:{words - 1}];")
        at = "lb_ptr" if pw else literal(0, 1)
        shift += [f"lb{a}_q <= lb{a}[{at}];", f"lb{a}[{at}] <= {feed};"]
    advance = raster.advance()
    if pw:
        advance.append(f"lb_ptr <= lb_ptr == {literal(words - 1, pw)} ? {literal(0, pw)} : lb_ptr + {literal(1, pw)};")
    col_decl, col_ok = raster.table("COL_OK", "col", [impl.emits_col(c) for c in range(impl.frame.cols)])
    decls.append(col_decl)
    emit = col_ok
    if raster.rw:
        row_decl, row_ok = raster.table("ROW_OK", "row", [impl.emits_row(r) for r in range(impl.frame.rows)])
        decls.append(row_decl)
        emit = f"{row_ok} & {col_ok}"
    window = "{" + ", ".join(tap(a, b) for a in range(kh) for b in range(kw)) + "}"
    decls += [
        f"reg [{impl.output.bits - 1}:0] data;",
        "reg valid;",
        "wire en = !valid || m_axis_tready;",
        f"wire emit = {emit};",
        "wire ready = en || !emit;  // a beat that completes no window never waits",
        "wire accept = s_axis_tvalid && ready;",
    ]
    assigns = ["assign s_axis_tready = ready;", "assign m_axis_tvalid = valid;", "assign m_axis_tdata = data;"]
    reset = [*raster.reset(), "valid <= 1'b0;"] + ([f"lb_ptr <= {literal(0, pw)};"] if pw else [])
    seq = ["if (rst) begin", *(f"    {x}" for x in reset), "end else begin",
           "    if (en) valid <= accept && emit;", "    if (accept) begin", *(f"        {x}" for x in advance),
           "    end", "end"]
    if shift:
        seq += ["if (accept) begin", *(f"    {x}" for x in shift), "end"]
    seq.append(f"if (accept && emit) data <= {window};")
    return "\n".join([f"module {name} (", PORTS.format(i=bits - 1, o=impl.output.bits - 1), ");"]
                     + _body(decls, assigns, seq) + ["endmodule"]) + "\n"

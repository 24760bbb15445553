"""Element-wise logic the Verilog backend writes (requantization, table activations),
simulated in Icarus on every input value and compared with the emulator's integers."""

from __future__ import annotations

import itertools
import shutil
import subprocess

import numpy as np
import pytest

from rtl4ml.backends.verilog.netlist import Module
from rtl4ml.backends.verilog.requant import requantize
from rtl4ml.fixed import FixedType, Overflow, Rounding
from rtl4ml.ir import Activation, ActivationKind

HAVE_ICARUS = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
HAVE_VERILATOR = shutil.which("verilator") is not None


# ---- requantization in simulation ----------------------------------------------------
REQUANT_CASES = [  # (source width, frac bits, signed, target width, int bits, signed)
    (12, 6, True, 8, 3, True),  # right shift by 1
    (12, 6, True, 6, 2, False),  # to unsigned
    (10, 2, False, 8, 8, True),  # unsigned source
    (8, 2, True, 12, 6, True),  # left shift by 4
    (8, 0, True, 6, 8, True),  # negative fraction bits
    (6, 0, True, 4, 12, True),  # shift beyond the source width
    (9, 5, True, 9, 4, True),  # no shift: overflow alone
    (16, 8, True, 5, 1, True),  # large shift, heavy saturation
    (5, 1, False, 3, 0, False),
    (7, 3, False, 9, 9, False),  # unsigned to unsigned, shift past the width
]
MODES = list(itertools.product(Rounding, Overflow))


def _requant_modules() -> list[str]:
    texts = []
    for ci, (ws, fs, ss, wt, it, st) in enumerate(REQUANT_CASES):
        m = Module(f"rq{ci}")
        lo, hi = (-(1 << ws - 1), (1 << ws - 1) - 1) if ss else (0, (1 << ws) - 1)
        x = m.port("input", "x", ws, lo, hi)
        ys = [requantize(m, x, fs, FixedType(wt, it, st, r, o), f"{r.name}_{o.name}") for r, o in MODES]
        y = m.port("output", "y", wt * len(ys))
        m.drive(y, "{" + ", ".join(m.ref(v) for v in reversed(ys)) + "}")
        texts.append(m.text())
    return texts


@pytest.mark.sim
@pytest.mark.skipif(not (HAVE_ICARUS and HAVE_VERILATOR), reason="needs iverilog and verilator")
def test_requantization_logic_equals_from_raw_for_every_mode(tmp_path):
    texts = _requant_modules()
    files = []
    for ci, text in enumerate(texts):
        f = tmp_path / f"rq{ci}.v"
        f.write_text(text)
        files.append(str(f))
        lint = subprocess.run(["verilator", "--lint-only", "-Wall", str(f)], capture_output=True, text=True, check=False)
        assert lint.returncode == 0, lint.stderr
    rng = np.random.default_rng(0)
    xs = list(range(4096)) + [int(v) for v in rng.integers(0, 2**62, 1500, dtype=np.int64)]
    (tmp_path / "in.hex").write_text("".join(f"{v:016x}\n" for v in xs))
    tb = ["module tb;", f"reg [63:0] mem [0:{len(xs) - 1}];", "reg [63:0] x;", "integer i;"]
    for ci, case in enumerate(REQUANT_CASES):
        tb.append(f"wire [{case[3] * len(MODES) - 1}:0] y{ci}; rq{ci} u{ci} (.x(x[{case[0] - 1}:0]), .y(y{ci}));")
    fmt = " ".join(["%h"] * len(REQUANT_CASES))
    outs = ", ".join(f"y{ci}" for ci in range(len(REQUANT_CASES)))
    tb += [
        "initial begin",
        '    $readmemh("in.hex", mem);',
        f"    for (i = 0; i < {len(xs)}; i = i + 1) begin x = mem[i]; #1; $display(\"{fmt}\", {outs}); end",
        "    $finish;",
        "end",
        "endmodule",
    ]
    (tmp_path / "tb.v").write_text("\n".join(tb) + "\n")
    subprocess.run(["iverilog", "-o", "sim", "tb.v", *files], check=True, cwd=tmp_path)
    out = subprocess.run(["vvp", "-n", "sim"], check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    lines = [ln.split() for ln in out.splitlines() if ln and ln[0] in "0123456789abcdefx"][: len(xs)]
    assert len(lines) == len(xs)
    for ci, (ws, fs, ss, wt, it, st) in enumerate(REQUANT_CASES):
        raw = np.array([v & ((1 << ws) - 1) for v in xs], dtype=np.int64)
        if ss:
            raw = np.where(raw >= 1 << (ws - 1), raw - (1 << ws), raw)
        words = [int(ln[ci], 16) for ln in lines]
        for k, (r, o) in enumerate(MODES):
            t = FixedType(wt, it, st, r, o)
            expected = t.from_raw(raw, fs).astype(np.int64)
            got = np.array([(w >> (k * wt)) & ((1 << wt) - 1) for w in words], dtype=np.int64)
            if st:
                got = np.where(got >= 1 << (wt - 1), got - (1 << wt), got)
            bad = np.nonzero(got != expected)[0]
            assert not bad.size, f"{(ws, fs, ss)} -> {t}: raw {raw[bad[0]]} gave {got[bad[0]]}, expected {expected[bad[0]]}"


# (activation, input type, table: size, start, span, result type); ranges that leave the
# table on both sides, on one, and not at all, tables of both readings (hw.table_read)
TABLE_CASES = [
    (ActivationKind.TANH, FixedType(12, 5), (64, -4.0, 8.0), FixedType(14, 5)),
    (ActivationKind.TANH, FixedType(16, 4), (64, -4.0, 8.0), FixedType(10, 2)),
    (ActivationKind.SIGMOID, FixedType(9, 4), (32, -2.0, 8.0), FixedType(9, 1, False)),
    (ActivationKind.SIGMOID, FixedType(8, 4, False), (64, -8.0, 16.0), FixedType(8, 1, False)),
    (ActivationKind.TANH, FixedType(7, 3), (64, -8.0, 16.0), FixedType(8, 2)),
    (ActivationKind.SIGMOID, FixedType(11, 5), (128, -8.0, 16.0), FixedType(10, 1, False)),
]


@pytest.mark.sim
@pytest.mark.skipif(not HAVE_ICARUS, reason="needs iverilog")
def test_table_activations_equal_the_emulator_on_every_input(tmp_path):
    from rtl4ml.backends.verilog.activation import activate as emit_activation
    from rtl4ml.emulate.fixed_activation import activate as emulate_activation
    from rtl4ml.hw.table_read import selects_ends
    from rtl4ml.ir import NodePrecision, Table

    assert {selects_ends(Table(size, 0.0, 1.0, FixedType(8, 1))) for _, _, (size, _, _), _ in TABLE_CASES} == {True, False}
    files = []
    for ci, (kind, x_type, (size, start, span), y_type) in enumerate(TABLE_CASES):
        table = Table(size, start, span, FixedType(18, 2))
        m = Module(f"tab{ci}")
        x = m.port("input", "x", x_type.width, x_type.raw_min, x_type.raw_max)
        y = emit_activation(m, x, x_type.frac_bits, Activation(kind), y_type, None, "act", table)
        out = m.port("output", "y", y_type.width)
        m.drive(out, m.ref(y, y_type.width))
        f = tmp_path / f"tab{ci}.v"
        f.write_text(m.text())
        files.append(str(f))
        raw = np.arange(x_type.raw_min, x_type.raw_max + 1, dtype=np.int64)
        expected = emulate_activation(raw, x_type, Activation(kind), NodePrecision(result=y_type, table=table))
        tb = [f"module tb{ci};", f"reg [{x_type.width - 1}:0] x;", f"wire [{y_type.width - 1}:0] y;",
              f"tab{ci} u (.x(x), .y(y));", "integer i;", "initial begin",
              f"    for (i = {x_type.raw_min}; i <= {x_type.raw_max}; i = i + 1) begin x = i; #1; $display(\"%0d\", y); end",
              "    $finish;", "end", "endmodule"]
        (tmp_path / f"tb{ci}.v").write_text("\n".join(tb) + "\n")
        subprocess.run(["iverilog", "-o", f"sim{ci}", f"tb{ci}.v", str(f)], check=True, cwd=tmp_path)
        run = subprocess.run(["vvp", "-n", f"sim{ci}"], check=True, capture_output=True, text=True, cwd=tmp_path)
        got = np.array([int(v) for v in run.stdout.split() if v.isdigit()], dtype=np.int64)
        if y_type.signed:
            got = np.where(got >= 1 << (y_type.width - 1), got - (1 << y_type.width), got)
        assert got.shape == expected.shape, f"case {ci}: {got.size} outputs for {raw.size} inputs"
        bad = np.nonzero(got != expected)[0]
        assert not bad.size, f"case {ci}: input {raw[bad[0]]} gave {got[bad[0]]}, expected {expected[bad[0]]}"

"""Building one Verilog-2005 module: exact-width wires, registers and lint-clean text.

Every signal is a plain unsigned vector in Verilog; this module tracks in Python the
exact integer range ``[lo, hi]`` each one holds (two's complement when ``lo < 0``),
extends operands to the result width explicitly (no implicit width or sign rules are
ever relied upon), and records which bits are read so that bits nothing reads are
collected into one ``unused_bits`` sink (Verilator ignores signals named ``*unused*``).

A sum that reads another sum of the same cycle at its full width, unextended, is made
one bit wider: Yosys (``alumacc``) otherwise fuses such chained adders into one
multi-operand ``$macc``, which it maps to more LUTs than the two carry-chain adders.
"""

from __future__ import annotations

from dataclasses import dataclass

from .names import Namer


def bits_for(lo: int, hi: int) -> int:
    """Width of the narrowest vector holding every integer in [lo, hi]: two's complement
    when ``lo < 0``, unsigned otherwise."""
    if lo < 0:
        return max(int(hi).bit_length(), (-int(lo) - 1).bit_length()) + 1
    return max(int(hi).bit_length(), 1)


def literal(value: int, width: int) -> str:
    """``value`` (wrapped to ``width`` bits, two's complement) as a sized hex literal."""
    return f"{width}'h{value % (1 << width):x}"


@dataclass(frozen=True)
class Sig:
    """A named vector of ``width`` bits holding integers in ``[lo, hi]``."""

    name: str
    width: int
    lo: int
    hi: int

    @property
    def signed(self) -> bool:
        return self.lo < 0

    @property
    def constant(self) -> int | None:
        return self.lo if self.lo == self.hi else None


@dataclass(frozen=True)
class Term:
    """``±(sig << shift)`` inside a sum."""

    sig: Sig
    shift: int = 0
    neg: bool = False

    def bounds(self) -> tuple[int, int]:
        a, b = self.sig.lo << self.shift, self.sig.hi << self.shift
        return (-b, -a) if self.neg else (a, b)


class Module:
    """Collects ports, declarations and statements; :meth:`text` renders the module."""

    def __init__(self, name: str):
        self.name = name
        self.names = Namer(["clk", "rst", "unused_bits"])
        self.ports: list[tuple[str, Sig]] = []
        self.decls: list[str] = []
        self.body: list[str] = []
        self.seq: list[str] = []  # nonblocking assignments under `if (en)`
        self.functions: dict[object, tuple[str, str]] = {}  # key -> (name, text)
        self._width: dict[str, int] = {}
        self._used: dict[str, set[int]] = {}
        self._sums: set[str] = set()  # wires that are sums of two or more signals

    # ---- declarations -------------------------------------------------------------
    def _new(self, hint: str, width: int, lo: int, hi: int) -> Sig:
        name = self.names.take(hint)
        self._width[name] = width
        self._used[name] = set()
        return Sig(name, width, lo, hi)

    def port(self, direction: str, hint: str, width: int, lo: int | None = None, hi: int | None = None) -> Sig:
        """An input or output port; an input's range defaults to its unsigned range."""
        lo = 0 if lo is None else lo
        hi = (1 << width) - 1 if hi is None else hi
        sig = self._new(hint, width, lo, hi)
        if sig.name != hint:
            raise ValueError(f"port name {hint!r} is taken or invalid")
        self.ports.append((direction, sig))
        if direction == "output":
            self._used[sig.name] = set(range(width))
        return sig

    def wire(self, hint: str, width: int, expr: str, lo: int, hi: int) -> Sig:
        sig = self._new(hint, width, lo, hi)
        self.decls.append(f"wire [{width - 1}:0] {sig.name};")
        self.body.append(f"assign {sig.name} = {expr};")
        return sig

    def reg(self, hint: str, width: int, lo: int, hi: int) -> Sig:
        sig = self._new(hint, width, lo, hi)
        self.decls.append(f"reg [{width - 1}:0] {sig.name};")
        return sig

    def memory(self, hint: str, width: int, depth: int, attributes: dict[str, str] | None = None) -> str:
        """The name of a new memory ``reg [width-1:0] name [0:depth-1]`` (read whole words
        only; its bits are not tracked), with synthesis ``attributes`` (string values)."""
        name = self.names.take(hint)
        attrs = ", ".join(f'{k} = "{v}"' for k, v in (attributes or {}).items())
        self.decls.append((f"(* {attrs} *) " if attrs else "") + f"reg [{width - 1}:0] {name} [0:{depth - 1}];")
        return name

    def drive(self, out: Sig, expr: str) -> None:
        self.body.append(f"assign {out.name} = {expr};")

    # ---- reading ------------------------------------------------------------------
    def mark(self, sig: Sig, hi: int, lo: int) -> None:
        if sig.name in self._used:
            self._used[sig.name].update(range(lo, hi + 1))

    def bit(self, sig: Sig, i: int) -> str:
        self.mark(sig, i, i)
        return f"{sig.name}[{i}]" if sig.width > 1 or sig.name not in self._width else sig.name

    def slice(self, sig: Sig, hi: int, lo: int) -> str:
        if hi == lo:
            return self.bit(sig, hi)
        self.mark(sig, hi, lo)
        if lo == 0 and hi == sig.width - 1:
            return sig.name
        return f"{sig.name}[{hi}:{lo}]"

    def ref(self, sig: Sig, width: int | None = None) -> str:
        """``sig`` as exactly ``width`` bits: sign- or zero-extended, or its low bits."""
        width = sig.width if width is None else width
        if sig.constant is not None:
            return literal(sig.constant, width)
        if width <= sig.width:
            return self.slice(sig, width - 1, 0)
        ext = width - sig.width
        fill = self.bit(sig, sig.width - 1) if sig.signed else "1'b0"
        pad = fill if ext == 1 else f"{{{ext}{{{fill}}}}}"
        return f"{{{pad}, {self.slice(sig, sig.width - 1, 0)}}}"

    # ---- arithmetic ---------------------------------------------------------------
    def const(self, value: int, width: int | None = None) -> Sig:
        """A constant as a signal that is never declared (rendered as a literal)."""
        return Sig(literal(value, width or bits_for(value, value)), width or bits_for(value, value), value, value)

    def linear(self, hint: str, terms: list[Term], const: int = 0, bounds: tuple[int, int] | None = None) -> Sig:
        """``Σ ±(sig << shift) + const`` exactly, in a wire just wide enough.

        ``bounds`` (the exact range, when the caller knows a tighter one than interval
        arithmetic gives) sets the width; every operand is extended or cut to it, which
        is exact because the true sum fits.
        """
        terms = [t for t in terms if t.sig.constant != 0]
        for t in terms:
            if t.sig.constant is not None:
                const += -(t.sig.constant << t.shift) if t.neg else t.sig.constant << t.shift
        terms = [t for t in terms if t.sig.constant is None]
        lo = const + sum(t.bounds()[0] for t in terms)
        hi = const + sum(t.bounds()[1] for t in terms)
        if bounds is not None:
            lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
        if not terms:
            return self.const(const)
        if len(terms) == 1 and const == 0 and terms[0].shift == 0 and not terms[0].neg:
            return terms[0].sig
        width = bits_for(lo, hi)
        if any(t.shift == 0 and t.sig.name in self._sums and t.sig.width == width for t in terms):
            width += 1  # keep Yosys from fusing the two sums (see the module docstring)
        parts: list[tuple[str, bool]] = []
        for t in terms:
            keep = width - t.shift
            if keep <= 0:  # a multiple of 2**width: nothing mod 2**width
                continue
            text = self.ref(t.sig, keep)
            if t.shift:
                text = f"{{{text}, {t.shift}'b0}}"
            parts.append((text, t.neg))
        if const % (1 << width):
            parts.append((literal(const, width), False))
        if not parts:
            return self.const(0)
        parts.sort(key=lambda p: p[1])  # a positive operand first when there is one
        expr = parts[0][0] if not parts[0][1] else f"{literal(0, width)} - {parts[0][0]}"
        for text, neg in parts[1:]:
            expr += f" {'-' if neg else '+'} {text}"
        sig = self.wire(hint, width, expr, lo, hi)
        if len(parts) > 1:
            self._sums.add(sig.name)
        return sig

    def compare(self, sig: Sig, op: str, value: int) -> str:
        """Text of ``sig <op> value`` (op: <, <=, >, >=, ==) as a 1-bit expression."""
        width = max(sig.width, bits_for(value, value)) + (0 if sig.signed or value >= 0 else 1)
        if sig.signed or value < 0:
            return f"($signed({self.ref(sig, width)}) {op} $signed({literal(value, width)}))"
        return f"({self.ref(sig, width)} {op} {literal(value, width)})"

    def mux(self, hint: str, cond: str, a: Sig, b: Sig) -> Sig:
        """``cond ? a : b``."""
        lo, hi = min(a.lo, b.lo), max(a.hi, b.hi)
        width = bits_for(lo, hi)
        return self.wire(hint, width, f"{cond} ? {self.ref(a, width)} : {self.ref(b, width)}", lo, hi)

    def resize(self, hint: str, sig: Sig, width: int) -> Sig:
        """``sig`` extended to ``width`` bits (its range must fit)."""
        if sig.width == width and sig.constant is None:
            return sig
        return self.wire(hint, width, self.ref(sig, width), sig.lo, sig.hi)

    def rom_function(self, key, hint: str, index_bits: int, width: int, values: list[int]) -> str:
        """The name of a function ``name(index)`` returning ``values[index]`` (a ROM as a
        case statement), declared once per module for each ``key``."""
        if key not in self.functions:
            name = self.names.take(hint)
            lines = [f"function [{width - 1}:0] {name};", f"    input [{index_bits - 1}:0] i;", "    begin",
                     "        case (i)"]
            lines += [f"            {literal(k, index_bits)}: {name} = {literal(v, width)};" for k, v in enumerate(values)]
            if len(values) < 1 << index_bits:
                lines.append(f"            default: {name} = {literal(values[-1], width)};")
            lines += ["        endcase", "    end", "endfunction"]
            self.functions[key] = (name, "\n".join(lines))
        return self.functions[key][0]

    # ---- registers ----------------------------------------------------------------
    def register(self, hint: str, value: Sig) -> Sig:
        """A pipeline register loading ``value`` on clock edges where ``en`` is high
        (constants need none)."""
        if value.constant is not None:
            return value
        r = self.reg(hint, value.width, value.lo, value.hi)
        self.seq.append(f"{r.name} <= {self.ref(value)};")
        return r

    # ---- rendering ----------------------------------------------------------------
    def _unused(self) -> list[str]:
        parts = []
        for name, used in self._used.items():
            width = self._width[name]
            free = [i for i in range(width) if i not in used]
            if len(free) == width:
                parts.append(name)
                continue
            i = 0
            while i < len(free):  # contiguous runs
                j = i
                while j + 1 < len(free) and free[j + 1] == free[j] + 1:
                    j += 1
                parts.append(f"{name}[{free[j]}:{free[i]}]" if j > i else f"{name}[{free[i]}]")
                i = j + 1
        return parts

    def text(self, extra_ports: list[str] = (), always: list[str] = ()) -> str:
        lines = [f"module {self.name} ("]
        decl = list(extra_ports) + [
            f"{d:<6} wire [{s.width - 1}:0] {s.name}" if s.width > 1 else f"{d:<6} wire {s.name}"
            for d, s in self.ports
        ]
        lines += [f"    {p}{',' if i < len(decl) - 1 else ''}" for i, p in enumerate(decl)]
        lines.append(");")
        lines += [f"    {d}" for d in self.decls]
        unused = self._unused()
        if unused:
            lines.append(f"    wire unused_bits = &{{1'b0, {', '.join(unused)}}};")
        for _, text in self.functions.values():
            lines += [f"    {ln}" for ln in text.split("\n")]
        lines += [f"    {b}" for b in self.body]
        if self.seq:
            lines += ["    always @(posedge clk) begin", "        if (en) begin"]
            lines += [f"            {a}" for a in self.seq]
            lines += ["        end", "    end"]
        lines += [f"    {a}" for a in always]
        lines.append("endmodule")
        return "\n".join(lines) + "\n"

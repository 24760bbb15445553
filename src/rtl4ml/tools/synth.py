"""Logic synthesis with Yosys, parsed into typed resource counts.

The Yosys script (:func:`write_yosys_script`) elaborates the design, runs ``proc`` and
records the generic cell statistics (to count latches), runs the target's ``synth_*``
pass and records the mapped cell statistics. Both statistics come from ``stat -json``
and are read by one parser (:func:`parse_stat_json`) into a :class:`SynthResult` by the
target's cell classes (:data:`CELL_CLASSES`).

Counting conventions:

* ``lut``: xc7 ``LUT1``..``LUT6`` plus ``INV`` (a LUT1 on the device); ecp5 ``LUT4``;
  ice40 ``SB_LUT4``. LUTs used as memory or shift registers are in ``lutram``, carry
  cells (``CCU2C`` on ECP5 holds two LUT4s) in ``carry``, wide-function muxes in neither.
* ``ff``: xc7 ``FD*``; ecp5 ``TRELLIS_FF``; ice40 ``SB_DFF*``.
* ``dsp``: xc7 ``DSP48E1``; ecp5 ``MULT18X18D`` (+ ``ALU54B``); ice40 ``SB_MAC16``.
* ``bram``: in the device's basic block RAM unit: xc7 18 Kb (``RAMB18E1`` counts 1,
  ``RAMB36E1`` counts 2); ecp5 ``DP16KD`` (18 Kb); ice40 ``SB_RAM40_4K`` (4 Kb).
* ``carry``: xc7 ``CARRY4``; ecp5 ``CCU2C``; ice40 ``SB_CARRY``.
* ``latches``: latch bits after ``proc`` (``$dlatch``, ``$adlatch``, ``$dlatchsr`` cells
  weighted by width; or mapped latch primitives, xc7 ``LD*``, if more); the signals are
  listed in ``latch_signals`` (from Yosys' "Latch inferred" messages).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rtl4ml.tools._run import run_tool
from rtl4ml.tools.errors import ToolError
from rtl4ml.tools.rtl_files import resolve_sources
from rtl4ml.tools.which import which
from rtl4ml.util.choice import Choice

#: Default limit for one Yosys run (large layers without DSPs take many minutes).
DEFAULT_TIMEOUT_S = 3600.0

#: File names the generated script writes (relative to Yosys' working directory).
RTL_STAT_JSON = "rtl_stat.json"
STAT_JSON = "stat.json"


class Target(Choice):
    """The FPGA families Yosys synthesizes for."""

    XC7 = "xc7"
    ECP5 = "ecp5"
    ICE40 = "ice40"

    @classmethod
    def what(cls) -> str:
        return "synthesis target"


@dataclass(frozen=True)
class CellClasses:
    """Which mapped cell types count as what, and with which weight."""

    lut: Mapping[str, int]
    ff_prefixes: tuple[str, ...]
    dsp: Mapping[str, int]
    bram: Mapping[str, int]
    carry: Mapping[str, int]
    lutram_prefixes: tuple[str, ...] = ()
    latch_prefixes: tuple[str, ...] = ()


CELL_CLASSES: dict[Target, CellClasses] = {
    Target.XC7: CellClasses(
        lut={"LUT1": 1, "LUT2": 1, "LUT3": 1, "LUT4": 1, "LUT5": 1, "LUT6": 1, "INV": 1},
        ff_prefixes=("FDRE", "FDSE", "FDCE", "FDPE"),
        dsp={"DSP48E1": 1},
        bram={"RAMB18E1": 1, "RAMB36E1": 2},
        carry={"CARRY4": 1},
        lutram_prefixes=("RAM16", "RAM32", "RAM64", "RAM128", "RAM256", "SRL16", "SRLC"),
        latch_prefixes=("LDCE", "LDPE"),
    ),
    Target.ECP5: CellClasses(
        lut={"LUT4": 1},
        ff_prefixes=("TRELLIS_FF",),
        dsp={"MULT18X18D": 1, "ALU54B": 1},
        bram={"DP16KD": 1},
        carry={"CCU2C": 1},
        lutram_prefixes=("TRELLIS_DPR16X4",),
    ),
    Target.ICE40: CellClasses(
        lut={"SB_LUT4": 1},
        ff_prefixes=("SB_DFF",),
        dsp={"SB_MAC16": 1},
        bram={"SB_RAM40_4K": 1},
        carry={"SB_CARRY": 1},
    ),
}

#: LUTs of each xc7 LUT RAM cell (the others, shift registers and single-port RAMs: one).
_XC7_LUTRAM_LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM16X1D": 2, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM128X1S": 2,
                    "RAM256X1S": 4}

#: Generic (pre-mapping) latch cell types, by prefix.
_GENERIC_LATCH_PREFIXES = ("$dlatch", "$adlatch", "$dlatchsr", "$_DLATCH", "$_DLATCHSR")


@dataclass(frozen=True)
class SynthResult:
    """Resources of one synthesis run (see the module docstring for the conventions)."""

    target: Target
    lut: int
    ff: int
    dsp: int
    bram: int
    carry: int
    latches: int
    lutram: int = 0
    cells: dict[str, int] = field(default_factory=dict)
    latch_signals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    log_tail: str = ""

    @property
    def lut_equivalents(self) -> int:
        """Logic cells in the unit of the family's LUT, everything that occupies them:
        xc7 LUTs plus the LUTs of LUT RAMs and shift registers; ecp5 LUT4s plus two per
        CCU2C carry cell and four per 16x4 LUT RAM; ice40 LUT4s."""
        if self.target is Target.ECP5:
            return self.lut + 2 * self.carry + 4 * self.lutram
        if self.target is Target.XC7:
            prefixes = CELL_CLASSES[Target.XC7].lutram_prefixes
            return self.lut + sum(n * _XC7_LUTRAM_LUTS.get(cell, 1) for cell, n in self.cells.items()
                                  if cell.startswith(prefixes))
        return self.lut

    def as_dict(self) -> dict[str, object]:
        """Plain data (for JSON output)."""
        return {"target": self.target.value, "lut": self.lut, "ff": self.ff, "dsp": self.dsp,
                "bram": self.bram, "carry": self.carry, "lutram": self.lutram,
                "latches": self.latches, "latch_signals": list(self.latch_signals),
                "cells": dict(self.cells)}


#: A line of the plain-text design hierarchy (``name  count``) that Yosys 0.23's
#: ``stat -json`` prints inside its JSON when modules are parametrized (``$paramod``).
_HIERARCHY_LINE = re.compile(r"^[ \t]+[^\s\"{}\[\],:]+[ \t]+\d+[ \t]*\n", re.MULTILINE)


def parse_stat_json(text: str) -> dict[str, int]:
    """Cell counts by type from Yosys ``stat -json`` output (the whole design's totals)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        try:
            data = json.loads(_HIERARCHY_LINE.sub("", text))
        except json.JSONDecodeError:
            raise ToolError(f"cannot parse Yosys stat output: {exc}") from None
    design = data.get("design")
    if design is None:
        # Without a top module, stat reports modules only: sum them.
        totals: dict[str, int] = {}
        for module in data.get("modules", {}).values():
            for cell, count in module.get("num_cells_by_type", {}).items():
                totals[cell] = totals.get(cell, 0) + int(count)
        return dict(sorted(totals.items()))
    return {cell: int(count) for cell, count in sorted(design.get("num_cells_by_type", {}).items())}


def _weighted(cells: Mapping[str, int], weights: Mapping[str, int]) -> int:
    return sum(count * weights[cell] for cell, count in cells.items() if cell in weights)


def _prefixed(cells: Mapping[str, int], prefixes: Sequence[str]) -> int:
    return sum(count for cell, count in cells.items() if cell.startswith(tuple(prefixes)))


_WIDTH_SUFFIX = re.compile(r"^(.*)_(\d+)$")


def _latch_bits(rtl_cells: Mapping[str, int]) -> int:
    """Latch bits among generic cells counted by ``stat -width`` (``$dlatch_8`` is 8)."""
    bits = 0
    for cell, count in rtl_cells.items():
        if not cell.startswith(_GENERIC_LATCH_PREFIXES):
            continue
        match = _WIDTH_SUFFIX.match(cell)
        width = int(match.group(2)) if match and not cell.startswith("$_") else 1
        bits += width * count
    return bits


def classify_cells(target: Target | str, cells: Mapping[str, int],
                   rtl_cells: Mapping[str, int] | None = None) -> SynthResult:
    """Resource counts of mapped ``cells`` (and latches of the generic ``rtl_cells``)."""
    target = Target.parse(target)
    classes = CELL_CLASSES[target]
    mapped_latches = _prefixed(cells, classes.latch_prefixes) if classes.latch_prefixes else 0
    latches = max(_latch_bits(rtl_cells or {}), mapped_latches)
    return SynthResult(
        target=target,
        lut=_weighted(cells, classes.lut),
        ff=_prefixed(cells, classes.ff_prefixes),
        dsp=_weighted(cells, classes.dsp),
        bram=_weighted(cells, classes.bram),
        carry=_weighted(cells, classes.carry),
        latches=latches,
        lutram=_prefixed(cells, classes.lutram_prefixes) if classes.lutram_prefixes else 0,
        cells=dict(cells),
    )


def synth_command(top: str, target: Target | str, dsp: bool = True, *, flatten: bool = True) -> str:
    """The Yosys ``synth_*`` command line for ``target``."""
    target = Target.parse(target)
    if target is Target.XC7:
        cmd = f"synth_xilinx -top {top}" + (" -flatten" if flatten else "")
        return cmd + ("" if dsp else " -nodsp")
    if target is Target.ECP5:
        # without wide functions (LUT5..7 built from LUT4s and PFUMX/L6MUX21 cells):
        # abc's delay-driven mapping onto them took up to 5x the LUT4s on the estimator
        # dataset's layers (a 12-bit 2x2 max pool: 1 362 against 268; a dense layer routed
        # with nextpnr: 14 539 against 3 114), while Fmax moved between -7 % and +10 %
        cmd = f"synth_ecp5 -top {top} -nowidelut" + ("" if flatten else " -noflatten")
        return cmd + ("" if dsp else " -nodsp")
    cmd = f"synth_ice40 -top {top}" + ("" if flatten else " -noflatten")
    return cmd + (" -dsp" if dsp else "")


def _quote(path: str) -> str:
    return f'"{path}"' if re.search(r"\s", path) else path


def write_yosys_script(
    rtl_files: Iterable[str | Path],
    top: str,
    target: Target | str = Target.XC7,
    dsp: bool = True,
    *,
    flatten: bool = True,
    netlist_json: str | None = None,
    mem_files: Iterable[str | Path] = (),
) -> str:
    """A Yosys script synthesizing ``top`` from ``rtl_files`` (paths written as given,
    so relative paths stay relative to where Yosys runs). ``mem_files``, the memory
    images the RTL loads, are listed in a comment: Yosys finds a ``$readmemh`` file in
    the folder of the Verilog file that reads it (or where Yosys runs).

    It writes ``rtl_stat.json`` (generic cells after ``proc``, for latches) and
    ``stat.json`` (mapped cells), prints ``stat``, and with ``netlist_json`` writes the
    netlist for place and route.
    """
    target = Target.parse(target)
    dsps = "with" if dsp else "without"
    lines = [f"# Generated by rtl4ml: synthesis of {top} for {target.value} ({dsps} DSPs)"]
    mems = [str(p) for p in mem_files]
    if mems:
        lines.append(f"# $readmemh images, next to the Verilog that loads them: {' '.join(mems)}")
    for path in rtl_files:
        path = str(path)
        sv = " -sv" if path.endswith(".sv") else ""
        lines.append(f"read_verilog{sv} {_quote(path)}")
    lines += [f"hierarchy -check -top {top}", "proc"]
    if target is Target.ICE40:
        # iCE40 has no LUT RAM: the memories the RTL marks for it (short line buffers,
        # FIFOs) are built from flip-flops instead of failing to map
        lines.append('setattr -set ram_style "logic" a:ram_style=distributed')
    lines += [
        f"tee -q -o {RTL_STAT_JSON} stat -width -json",
        synth_command(top, target, dsp, flatten=flatten),
        "check",
        f"tee -q -o {STAT_JSON} stat -json -top {top}",
        f"stat -top {top}",
    ]
    if netlist_json is not None:
        lines.append(f"write_json {_quote(netlist_json)}")
    return "\n".join(lines) + "\n"


def write_vivado_tcl(
    rtl_files: Iterable[str | Path],
    top: str,
    part: str = "xc7a100tcsg324-1",
    *,
    clock_period_ns: float = 5.0,
    out_of_context: bool = True,
    mem_files: Iterable[str | Path] = (),
) -> str:
    """A Vivado non-project Tcl script: read the RTL (and with ``read_mem`` the memory
    images ``mem_files`` its ``$readmemh`` calls load), ``synth_design``, report
    utilization and timing (for users who have Vivado; rtl4ml does not run it).

    ``out_of_context`` synthesizes the core without I/O buffers, as wide streams exceed
    any package's pins.
    """
    files = " ".join("{" + str(p) + "}" for p in rtl_files)
    mems = " ".join("{" + str(p) + "}" for p in mem_files)
    mode = " -mode out_of_context" if out_of_context else ""
    return (
        f"# Generated by rtl4ml: Vivado non-project synthesis of {top}\n"
        f"# Run: vivado -mode batch -source <this file>\n"
        f"read_verilog [list {files}]\n"
        + (f"read_mem [list {mems}]\n" if mems else "")
        + f"synth_design -top {top} -part {part}{mode}\n"
        f"create_clock -name clk -period {clock_period_ns:g} [get_ports clk]\n"
        f"report_utilization -file {top}_utilization.txt\n"
        f"report_timing_summary -file {top}_timing.txt\n"
        f"report_utilization\n"
    )


_LATCH_SIGNAL = re.compile(r"Latch inferred for signal `([^']*)'")


def _latch_signals(log: str) -> list[str]:
    names = (m.group(1).replace("\\", "") for m in _LATCH_SIGNAL.finditer(log))
    return list(dict.fromkeys(names))


def _warnings(log: str) -> list[str]:
    return [line.strip() for line in log.splitlines() if line.strip().startswith("Warning:")]


def run_yosys(script: str, workdir: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S,
              what: str = "yosys synthesis") -> str:
    """Run a Yosys script in ``workdir``; returns the log. Failures raise ToolError."""
    yosys = which("yosys")
    (workdir / "synth.ys").write_text(script)
    run_tool([yosys, "-q", "-l", "yosys.log", "-s", "synth.ys"], cwd=workdir,
             timeout_s=timeout_s, what=what)
    log_path = workdir / "yosys.log"
    return log_path.read_text(errors="replace") if log_path.exists() else ""


def synthesize(
    rtl_files: str | Path | Iterable[str | Path],
    top: str,
    target: Target | str = Target.XC7,
    dsp: bool = True,
    workdir: str | Path | None = None,
    *,
    flatten: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    data_files: Iterable[str | Path] = (),
    netlist_json: str | None = None,
) -> SynthResult:
    """Synthesize ``top`` with Yosys for ``target`` and count its resources.

    ``rtl_files`` is a list of files or a folder (its ``*.mem`` ROM images are taken
    along). ``data_files`` (more ROM images read by ``$readmemh``) are copied into the
    working folder, where Yosys runs. ``netlist_json`` (a file name
    inside ``workdir``) also writes the mapped netlist.
    """
    target = Target.parse(target)
    files, data_paths = resolve_sources(rtl_files, data_files)
    with tempfile.TemporaryDirectory(prefix="rtl4ml-synth-") as tmp:
        work = Path(workdir).resolve() if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for data in data_paths:
            (work / data.name).write_bytes(data.read_bytes())
        for name in (RTL_STAT_JSON, STAT_JSON):
            (work / name).unlink(missing_ok=True)
        script = write_yosys_script(files, top, target, dsp, flatten=flatten,
                                    netlist_json=netlist_json)
        log = run_yosys(script, work, timeout_s=timeout_s,
                        what=f"yosys synthesis of {top} for {target.value}")
        try:
            rtl_cells = parse_stat_json((work / RTL_STAT_JSON).read_text())
            cells = parse_stat_json((work / STAT_JSON).read_text())
        except FileNotFoundError as exc:
            raise ToolError(f"yosys wrote no statistics ({exc.filename})") from None
    result = classify_cells(target, cells, rtl_cells)
    tail = "\n".join(log.splitlines()[-60:])
    return dataclasses.replace(result, latch_signals=_latch_signals(log),
                               warnings=_warnings(log), log_tail=tail)

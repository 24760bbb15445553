"""Simulating a design with the generated testbench, on Verilator or Icarus Verilog.

Build once with :func:`compile_testbench`, then :meth:`CompiledTestbench.run` as often as
needed (different inputs, stalls, seeds); :func:`simulate` does both for one run.
:func:`lint` runs ``verilator --lint-only -Wall``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rtl4ml.tools._run import first_error_lines, run_tool
from rtl4ml.tools.errors import ToolError
from rtl4ml.tools.packing import read_hex, write_hex
from rtl4ml.tools.rtl_files import resolve_rtl, resolve_sources
from rtl4ml.tools.testbench import (
    ERROR_PREFIX,
    SUMMARY_PREFIX,
    TB_MODULE,
    check_positive,
    make_testbench,
)
from rtl4ml.tools.which import which
from rtl4ml.util.choice import Choice

RtlSource = str | Path | Iterable[str | Path]

#: Default limit for one build and for one simulation run, in seconds.
DEFAULT_TIMEOUT_S = 900.0

#: C++ optimization of the Verilator build: the model at -O1, its runtime library at -O0
#: (compiles about 40 % faster than Verilator's default -Os; simulation speed hardly
#: matters for a few thousand samples).
VERILATOR_MAKEFLAGS = "OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O0"


class Simulator(Choice):
    """The supported simulators."""

    VERILATOR = "verilator"
    ICARUS = "icarus"


@dataclass(frozen=True)
class SimSummary:
    """The testbench's ``RTL4ML ...`` summary line, typed.

    ``samples`` counts complete output samples, ``inputs`` input transfers (beats),
    ``starts`` the samples whose first input beat was accepted (``inputs`` in logs of
    testbenches without the field).
    """

    samples: int
    latency: int | None
    interval: int | None
    stalls: bool
    inputs: int
    starts: int
    cycles: int
    timed_out: bool


@dataclass(frozen=True)
class SimResult:
    """One simulation run.

    ``outputs`` are the output stream words in order (one per output transfer, so
    ``out_beats`` per sample; compare its length with the number of inputs). ``samples``
    counts complete output samples, ``inputs`` input transfers (beats) and ``starts`` the
    samples whose first input beat was accepted. ``latency`` (first input transfer to the
    first sample's last output beat) and ``interval`` (spacing of sample starts) are in
    cycles, ``None`` when the first sample never came out, or with fewer than two starts;
    they are the contract's figures only when ``stalls`` is false. ``timed_out`` means
    the design stopped producing outputs before the testbench's cycle limit.
    """

    outputs: list[int]
    samples: int
    latency: int | None
    interval: int | None
    log: str
    stalls: bool = False
    inputs: int = 0
    starts: int = 0
    cycles: int = 0
    timed_out: bool = False


_SUMMARY = re.compile(r"^RTL4ML ((?:\w+=-?\d+\s*)+)$")


def parse_summary(log: str) -> SimSummary:
    """Parse the testbench summary line out of a simulation log.

    Raises :class:`ToolError` when the testbench reported an error other than a timeout
    or printed no summary.
    """
    fields: dict[str, int] | None = None
    for line in log.splitlines():
        line = line.strip()
        if line.startswith(ERROR_PREFIX) and "timeout" not in line:
            raise ToolError(f"testbench error: {line[len(ERROR_PREFIX):].strip()}")
        match = _SUMMARY.match(line)
        if match:
            fields = {k: int(v) for k, v in (t.split("=") for t in match.group(1).split())}
    if fields is None:
        raise ToolError(f"the simulation printed no {SUMMARY_PREFIX.strip()} summary line:\n"
                        + first_error_lines(log))
    try:
        latency = fields["latency"]
        interval = fields["interval"]
        inputs = fields.get("inputs", 0)
        starts = fields.get("starts", inputs)
        return SimSummary(
            samples=fields["samples"],
            latency=latency if latency >= 0 else None,
            interval=interval if starts >= 2 else None,
            stalls=bool(fields.get("stalls", 0)),
            inputs=inputs,
            starts=starts,
            cycles=fields.get("cycles", 0),
            timed_out=bool(fields.get("timeout", 0)),
        )
    except KeyError as exc:
        raise ToolError(f"the simulation summary line lacks {exc.args[0]!r}") from None


def sample_count(words: int, in_beats: int) -> int:
    """The number of samples in ``words`` input words of ``in_beats`` beats per sample.

    Raises ValueError unless ``words`` is a positive multiple of ``in_beats``.
    """
    check_positive(in_beats=in_beats)
    if words < 1 or words % in_beats:
        raise ValueError(f"need a positive multiple of in_beats={in_beats} input words "
                         f"(whole samples), got {words}")
    return words // in_beats


class CompiledTestbench:
    """A built simulation of one design and its testbench, ready to run repeatedly.

    :attr:`capacity` counts samples; one sample is :attr:`in_beats` input words and
    :attr:`out_beats` output words. Not thread-safe: runs share ``run_dir``. Use as a
    context manager (or call :meth:`close`) to delete a temporary build folder.
    """

    def __init__(self, *, simulator: Simulator, workdir: Path, command: list[str],
                 top: str, in_bits: int, out_bits: int, capacity: int,
                 data_files: Sequence[Path], build_log: str,
                 tmp: tempfile.TemporaryDirectory[str] | None,
                 in_beats: int = 1, out_beats: int = 1) -> None:
        self.simulator = simulator
        self.workdir = workdir
        self.command = command
        self.top = top
        self.in_bits = in_bits
        self.out_bits = out_bits
        self.capacity = capacity
        self.in_beats = in_beats
        self.out_beats = out_beats
        self.data_files = list(data_files)
        self.build_log = build_log
        self.run_dir = workdir / "run"
        self._tmp = tmp

    def run(self, inputs: Sequence[int], *, stalls: bool = False, seed: int = 1,
            timeout_s: float = DEFAULT_TIMEOUT_S, timeout_cycles: int | None = None) -> SimResult:
        """Simulate ``inputs``: packed input words, one per beat, :attr:`in_beats` per
        sample, for 1..:attr:`capacity` samples."""
        n = sample_count(len(inputs), self.in_beats)
        if n > self.capacity:
            raise ValueError(
                f"need 1..{self.capacity} input samples for this build of {self.top}, got {n} "
                f"({len(inputs)} input words at {self.in_beats} per sample; at most "
                f"{self.capacity * self.in_beats} words)")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for data in self.data_files:
            shutil.copyfile(data, self.run_dir / data.name)
        write_hex(self.run_dir / "input.hex", inputs, self.in_bits)
        output_path = self.run_dir / "output.hex"
        output_path.unlink(missing_ok=True)
        args = [f"+samples={n}", f"+seed={int(seed)}"]
        if stalls:
            args.append("+stalls")
        if timeout_cycles is not None:
            args.append(f"+timeout={int(timeout_cycles)}")
        proc = run_tool(self.command + args, cwd=self.run_dir, timeout_s=timeout_s,
                        what=f"{self.simulator.value} simulation of {self.top}")
        log = proc.stdout + proc.stderr
        summary = parse_summary(log)
        if not output_path.exists():
            raise ToolError(f"the simulation of {self.top} wrote no output.hex:\n"
                            + first_error_lines(log))
        outputs = read_hex(output_path, self.out_bits)
        return SimResult(outputs=outputs, samples=summary.samples, latency=summary.latency,
                         interval=summary.interval, log=log, stalls=summary.stalls,
                         inputs=summary.inputs, starts=summary.starts, cycles=summary.cycles,
                         timed_out=summary.timed_out)

    def close(self) -> None:
        """Delete the build folder if it is temporary."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def compile_testbench(
    rtl_files: RtlSource,
    top: str,
    in_bits: int,
    out_bits: int,
    samples: int,
    *,
    simulator: Simulator | str = Simulator.VERILATOR,
    workdir: str | Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    data_files: Iterable[str | Path] = (),
    tb_source: str | None = None,
    in_beats: int = 1,
    out_beats: int = 1,
) -> CompiledTestbench:
    """Build the testbench for ``top`` (capacity ``samples`` samples) with the RTL.

    ``rtl_files`` is a list of files or a folder (its ``*.v``/``*.sv``; its ``*.mem`` ROM
    images are taken along). ``data_files`` (more ROM images read by ``$readmemh``) are
    copied next to ``input.hex`` before each run. One sample is ``in_beats`` input
    transfers and ``out_beats`` output transfers (:func:`make_testbench`). ``tb_source``
    replaces the generated testbench (its module must be named ``rtl4ml_tb``). Raises
    :class:`ToolError` when the simulator is missing or the build fails.
    """
    check_positive(in_beats=in_beats, out_beats=out_beats)
    sim = Simulator.parse(simulator)
    files, data = resolve_sources(rtl_files, data_files)
    tmp = None
    if workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="rtl4ml-sim-")
        work = Path(tmp.name)
    else:
        work = Path(workdir).resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        tb = work / "tb.sv"
        tb.write_text(tb_source if tb_source is not None
                      else make_testbench(top, in_bits, out_bits, samples,
                                          in_beats=in_beats, out_beats=out_beats))
        sources = [str(tb)] + [str(p) for p in files]
        if sim is Simulator.VERILATOR:
            command, log = _build_verilator(sources, work, timeout_s)
        else:
            command, log = _build_icarus(sources, work, timeout_s)
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        raise
    return CompiledTestbench(simulator=sim, workdir=work, command=command, top=top,
                             in_bits=int(in_bits), out_bits=int(out_bits),
                             capacity=int(samples), data_files=data, build_log=log, tmp=tmp,
                             in_beats=int(in_beats), out_beats=int(out_beats))


def _build_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _build_verilator(sources: list[str], work: Path, timeout_s: float) -> tuple[list[str], str]:
    verilator = which("verilator")
    which("make")
    obj = work / "obj_dir"
    argv = [verilator, "--binary", "--timing", "-Wno-fatal", "-Wno-lint", "-Wno-style",
            "--top-module", TB_MODULE, "-Mdir", str(obj), "-o", "sim",
            "-j", str(_build_jobs()), "-MAKEFLAGS", VERILATOR_MAKEFLAGS, *sources]
    proc = run_tool(argv, cwd=work, timeout_s=timeout_s, what="verilator build")
    return [str(obj / "sim")], proc.stdout + proc.stderr


def _build_icarus(sources: list[str], work: Path, timeout_s: float) -> tuple[list[str], str]:
    iverilog = which("iverilog")
    vvp = which("vvp")
    image = work / "sim.vvp"
    argv = [iverilog, "-g2012", "-s", TB_MODULE, "-o", str(image), *sources]
    proc = run_tool(argv, cwd=work, timeout_s=timeout_s, what="iverilog build")
    return [vvp, "-n", str(image)], proc.stdout + proc.stderr


def simulate(
    rtl_files: RtlSource,
    top: str,
    in_bits: int,
    out_bits: int,
    inputs: Sequence[int],
    *,
    stalls: bool = False,
    seed: int = 1,
    simulator: Simulator | str = Simulator.VERILATOR,
    workdir: str | Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    data_files: Iterable[str | Path] = (),
    in_beats: int = 1,
    out_beats: int = 1,
) -> SimResult:
    """Build and run the testbench once on ``inputs`` (packed input words, ``in_beats``
    per sample; ``out_beats`` output words per sample)."""
    samples = sample_count(len(inputs), in_beats)
    with compile_testbench(rtl_files, top, in_bits, out_bits, samples, simulator=simulator,
                           workdir=workdir, timeout_s=timeout_s, data_files=data_files,
                           in_beats=in_beats, out_beats=out_beats) as built:
        return built.run(inputs, stalls=stalls, seed=seed, timeout_s=timeout_s)


_LINT_MESSAGE = re.compile(r"^%(Warning|Error)(-[A-Z0-9_]+)?: (.*)$")


def lint(rtl_files: RtlSource, top: str, *, extra_args: Sequence[str] = (),
         timeout_s: float = 300.0) -> list[str]:
    """Warnings of ``verilator --lint-only -Wall`` (empty when clean).

    Each warning is one line, ``CODE: file:line:col: message``. Errors (the RTL does not
    parse or elaborate) raise :class:`ToolError`.
    """
    verilator = which("verilator")
    files = [str(p) for p in resolve_rtl(rtl_files)]
    argv = [verilator, "--lint-only", "-Wall", "--top-module", top, *extra_args, *files]
    cwd = Path(files[0]).parent
    proc = run_tool(argv, cwd=cwd, timeout_s=timeout_s, what="verilator lint", check=False)
    warnings: list[str] = []
    errors: list[str] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        match = _LINT_MESSAGE.match(line)
        if not match:
            continue
        kind, code, message = match.groups()
        if kind == "Warning":
            warnings.append(f"{code[1:] if code else 'WARNING'}: {message}")
        elif not message.startswith("Exiting due to"):
            errors.append(line)
    if errors:
        raise ToolError("verilator lint failed:\n" + "\n".join(errors[:8]))
    if proc.returncode != 0 and not warnings:
        raise ToolError("verilator lint failed:\n" + first_error_lines(proc.stdout + proc.stderr))
    return warnings

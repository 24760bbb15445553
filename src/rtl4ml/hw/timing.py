"""The cycle model of pixel-streamed designs: a cycle-by-cycle model of every engine's
handshake, the same rules its Verilog follows, without the data.

Each engine's output valid is a register; its input ready is a function of its state and
of its output's ready (and, for a join, of its inputs' valids). A cycle therefore
computes the valids, then the readies from the output back to the input, then moves
every transfer (``valid & ready``) and each engine's state, as a clock edge does. The
figures are those the testbench measures on an unstalled run: ``latency`` from the first
input beat of the first sample to its last output beat, ``interval`` the spacing of
samples in the steady state (docs/hardware.md). As in the testbench, the input is offered
from the second clock edge after reset: a padding engine starts sending its padding at
the first, and a FIFO in front of it lets the input in before it needs it.

A design whose samples are one beat each has the closed-form model of
:mod:`rtl4ml.hw.cycles`; this one agrees with it there (tested). Each model keeps the
state its Verilog has (``state()``): a design whose state stays the same for
STUCK_CYCLES cycles is deadlocked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..config import Strategy
from ..errors import Rtl4mlError
from .records import (
    ArgMaxImpl,
    ChainImpl,
    CollectImpl,
    DenseImpl,
    JoinImpl,
    PadImpl,
    PointwiseImpl,
    PoolImpl,
    SoftmaxImpl,
    WindowImpl,
    WireImpl,
)

SAMPLES = 10  # samples per modelled run: enough to reach the steady state of any engine here
STUCK_CYCLES = 100_000  # cycles without any transfer that mean the design deadlocked


class DeadlockError(Rtl4mlError, RuntimeError):
    """The modelled design stopped moving: a FIFO is too small for a branch."""


class _Pipe:
    """A pipelined engine (global enable ``en = !m_valid | m_ready``); several inputs: a
    sample is taken when every input has one."""

    def __init__(self, latency: int, n_in: int = 1):
        self.v = [False] * latency
        self.n_in = n_in

    def state(self) -> tuple:
        return tuple(self.v)

    def valid(self) -> bool:
        return self.v[-1]

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        en = not self.v[-1] or mr
        return [en and all(iv)] * self.n_in

    def step(self, iv: list[bool], mr: bool) -> None:
        if not self.v[-1] or mr:
            self.v = [all(iv)] + self.v[:-1]


class _Folded:
    """The folded Dense: busy for R cycles per sample, one result register."""

    def __init__(self, reuse: int):
        self.reuse, self.busy, self.cnt, self.ov = reuse, False, 0, False

    def state(self) -> tuple:
        return (self.busy, self.cnt, self.ov)

    def valid(self) -> bool:
        return self.ov

    def _finish(self, mr: bool) -> bool:
        return self.busy and self.cnt == self.reuse - 1 and (not self.ov or mr)

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [not self.busy or self._finish(mr)]

    def step(self, iv: list[bool], mr: bool) -> None:
        finish = self._finish(mr)
        accept = iv[0] and (not self.busy or finish)
        advance = self.busy and self.cnt != self.reuse - 1
        self.busy = True if accept else (False if finish else self.busy)
        self.cnt = 0 if accept else (self.cnt + 1 if advance else self.cnt)
        self.ov = True if finish else (False if mr else self.ov)


class _Raster:
    """A position counter over a frame's rows and columns."""

    def __init__(self, rows: int, cols: int):
        self.rows, self.cols, self.r, self.c = rows, cols, 0, 0

    def advance(self) -> None:
        self.c += 1
        if self.c == self.cols:
            self.c = 0
            self.r = (self.r + 1) % self.rows


class _Pad:
    """Padding: a registered output; a padding position goes out without taking input."""

    def __init__(self, impl: PadImpl):
        out = impl.out_frame
        (self.top, _), (self.left, _) = impl.pads
        self.frame = impl.frame
        self.pos = _Raster(out.rows, out.cols)
        self.mv = False

    def _pad(self) -> bool:
        r, c = self.pos.r - self.top, self.pos.c - self.left
        return not (0 <= r < self.frame.rows and 0 <= c < self.frame.cols)

    def state(self) -> tuple:
        return (self.pos.r, self.pos.c, self.mv)

    def valid(self) -> bool:
        return self.mv

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [(not self.mv or mr) and not self._pad()]

    def step(self, iv: list[bool], mr: bool) -> None:
        if not self.mv or mr:
            if self._pad() or iv[0]:
                self.mv = True
                self.pos.advance()
            else:
                self.mv = False


class _Window:
    """The sliding window: takes a beat whenever its output register is free, and a beat
    that completes no window even while it is not; the beat that completes a window sends
    it out."""

    def __init__(self, impl: WindowImpl):
        rows = [impl.emits_row(r) for r in range(impl.frame.rows)]
        cols = [impl.emits_col(c) for c in range(impl.frame.cols)]
        self.emits = lambda r, c: rows[r] and cols[c]
        self.pos = _Raster(impl.frame.rows, impl.frame.cols)
        self.mv = False

    def state(self) -> tuple:
        return (self.pos.r, self.pos.c, self.mv)

    def valid(self) -> bool:
        return self.mv

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [not self.mv or mr or not self.emits(self.pos.r, self.pos.c)]

    def step(self, iv: list[bool], mr: bool) -> None:
        emit = self.emits(self.pos.r, self.pos.c)
        accept = iv[0] and (not self.mv or mr or not emit)
        if not self.mv or mr:
            self.mv = accept and emit
        if accept:
            self.pos.advance()


class _Collect:
    """Gathers (or reduces) a sample's beats; only the last beat needs the output free."""

    def __init__(self, beats: int):
        self.beats, self.k, self.mv = beats, 0, False

    def state(self) -> tuple:
        return (self.k, self.mv)

    def valid(self) -> bool:
        return self.mv

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [self.k != self.beats - 1 or not self.mv or mr]

    def step(self, iv: list[bool], mr: bool) -> None:
        accept = iv[0] and self.ready(iv, mr)[0]
        if accept and self.k == self.beats - 1:
            self.mv = True
        elif mr:
            self.mv = False
        if accept:
            self.k = (self.k + 1) % self.beats


class _Fifo:
    """A FIFO (``depth`` None: unbounded, to size it): ready while not full, one cycle of
    latency; ``peak`` is the most beats it held."""

    def __init__(self, depth: int | None):
        self.depth, self.count, self.peak = depth, 0, 0

    def state(self) -> tuple:
        return (self.count,)

    def valid(self) -> bool:
        return self.count > 0

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [self.depth is None or self.count < self.depth]

    def step(self, iv: list[bool], mr: bool) -> None:
        push = iv[0] and self.ready(iv, mr)[0]
        pop = self.count > 0 and mr
        self.count += int(push) - int(pop)
        self.peak = max(self.peak, self.count)


def _timing_key(impl) -> tuple:
    """What an engine's cycle model depends on (two engines with equal keys behave alike)."""
    if isinstance(impl, ChainImpl):
        return ("chain", *(_timing_key(p) for p in impl.parts))
    if isinstance(impl, DenseImpl) and impl.strategy is Strategy.RESOURCE:
        return ("fold", impl.reuse_factor)
    if isinstance(impl, JoinImpl):
        return ("pipe", impl.latency, len(impl.inputs))
    if isinstance(impl, PadImpl):
        return ("pad", impl.frame, impl.pads)
    if isinstance(impl, WindowImpl):
        return ("window", impl.frame, impl.kernel, impl.strides)
    if isinstance(impl, CollectImpl):
        return ("collect", impl.input.beats)
    if isinstance(impl, WireImpl):
        return ("wire",)
    return ("pipe", impl.latency, 1)


def _leaf_model(impl):
    if isinstance(impl, DenseImpl) and impl.strategy is Strategy.RESOURCE:
        return _Folded(impl.reuse_factor)
    if isinstance(impl, (DenseImpl, PointwiseImpl, SoftmaxImpl, ArgMaxImpl, PoolImpl)):
        return _Pipe(impl.latency)
    if isinstance(impl, JoinImpl):
        return _Pipe(impl.latency, len(impl.inputs))
    if isinstance(impl, PadImpl):
        return _Pad(impl)
    if isinstance(impl, WindowImpl):
        return _Window(impl)
    if isinstance(impl, CollectImpl):
        return _Collect(impl.input.beats)
    raise TypeError(f"no cycle model for {type(impl).__name__}")


@dataclass
class _Unit:
    name: str
    model: object
    sources: list[str]  # unit names; the network input is INPUT
    fifo: tuple[str, int] | None = None  # a FIFO unit: the (engine, port) it feeds


INPUT = "\0input"
OUTPUT = ""  # the testbench, reading the design's output


@dataclass(frozen=True)
class Trace:
    """Cycles of each sample's first input beat and last output beat; FIFO peaks."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    peaks: Mapping[tuple[str, int], int]

    @property
    def latency(self) -> int:
        return self.ends[0] - self.starts[0]

    @property
    def interval(self) -> int:
        """Mean spacing of samples over the second half of the run, rounded: the steady
        state, in which samples enter as fast as they leave. (Samples are counted where
        they leave: on the input side, buffers in the design hide the steady state for as
        many samples as they hold, and a run of the testbench is far longer.)"""
        n = len(self.ends)
        if n < 2:
            return 0
        mid = (n - 1) // 2
        return ((self.ends[-1] - self.ends[mid]) * 2 + (n - 1 - mid)) // ((n - 1 - mid) * 2)


def _units(engines, sources: dict[str, tuple[str, ...]], input_node: str,
           fifos: dict[tuple[str, int], int | None]) -> tuple[list[_Unit], dict[str, str]]:
    """Leaf units in topological order (chains expanded, wires skipped, FIFOs on the
    ports in ``fifos``) and, per node, the unit that produces its stream."""
    produced = {input_node: INPUT}
    units: list[_Unit] = []
    for e in engines:
        srcs = [produced[s] for s in sources[e.node]]
        if isinstance(e, WireImpl):
            produced[e.node] = srcs[0]
            continue
        for k, s in enumerate(srcs):
            if (e.node, k) in fifos:
                name = f"{e.node}\0fifo{k}"
                units.append(_Unit(name, _Fifo(fifos[(e.node, k)]), [s], (e.node, k)))
                srcs[k] = name
        parts = e.parts if isinstance(e, ChainImpl) else (e,)
        for i, part in enumerate(parts):
            name = e.node if i == len(parts) - 1 else f"{e.node}\0{i}"
            units.append(_Unit(name, _leaf_model(part), srcs))
            srcs = [name]
        produced[e.node] = e.node
    return units, produced


class _Net:
    """The units, who reads whom, and the forks' ``taken`` flags."""

    def __init__(self, units: list[_Unit], out_unit: str):
        self.units = units
        self.readers: dict[str, list[tuple[str, int]]] = {INPUT: []}
        for u in units:
            self.readers.setdefault(u.name, [])
            for k, s in enumerate(u.sources):
                self.readers[s].append((u.name, k))
        self.readers[out_unit].append((OUTPUT, 0))
        self.taken = {p: [False] * len(r) for p, r in self.readers.items() if len(r) > 1}
        # per unit input port: (producer, index among the producer's readers)
        self.ports = {u.name: [(s, self.readers[s].index((u.name, k))) for k, s in enumerate(u.sources)]
                      for u in units}

    def offered(self, valid: dict[str, bool], p: str, i: int) -> bool:
        """The valid reader ``i`` of producer ``p`` sees (a fork masks a taken sample)."""
        return valid[p] and not (p in self.taken and self.taken[p][i])

    def readies(self, ready: dict[str, list[bool]], p: str) -> list[bool]:
        return [True if name == OUTPUT else ready[name][k] for name, k in self.readers[p]]

    def source_ready(self, ready: dict[str, list[bool]], p: str) -> bool:
        """The ready producer ``p`` sees: its reader's, or its fork's."""
        rs = self.readies(ready, p)
        if p in self.taken:
            return all(r or t for r, t in zip(rs, self.taken[p]))
        return rs[0] if rs else True

    def update_forks(self, valid: dict[str, bool], ready: dict[str, list[bool]]) -> None:
        for p, flags in self.taken.items():
            if valid[p] and self.source_ready(ready, p):
                self.taken[p] = [False] * len(flags)
            else:
                rs = self.readies(ready, p)
                self.taken[p] = [t or (self.offered(valid, p, i) and rs[i]) for i, t in enumerate(flags)]


_RUNS: dict[tuple, Trace] = {}  # designs already modelled, by what their cycles depend on
_MAX_RUNS = 4096


def run(engines, sources: dict[str, tuple[str, ...]], input_node: str, output_node: str,
        in_beats: int, out_beats: int, fifos: dict[tuple[str, int], int | None] | None = None,
        samples: int = SAMPLES) -> Trace:
    """Model ``samples`` samples fed back to back into the design (the output always
    ready). ``fifos``: depth per (engine, input port), None for unbounded. Remembered:
    designs that differ only in what the handshakes do not see (types, weights) are
    modelled once."""
    fifos = fifos or {}
    key = (tuple((e.node, _timing_key(e), sources[e.node]) for e in engines), input_node, output_node,
           in_beats, out_beats, tuple(sorted(fifos.items(), key=repr)), samples)
    trace = _RUNS.get(key)
    if trace is None:
        trace = _run(engines, sources, input_node, output_node, in_beats, out_beats, fifos, samples)
        if len(_RUNS) >= _MAX_RUNS:
            _RUNS.clear()
        _RUNS[key] = trace
    return trace


def _run(engines, sources, input_node, output_node, in_beats, out_beats, fifos, samples) -> Trace:
    units, produced = _units(engines, sources, input_node, fifos)
    out_unit = produced[output_node]
    if out_unit == INPUT:  # nothing but wires: the output is the input
        return Trace((0,), (0,), MappingProxyType({}))
    net = _Net(units, out_unit)
    n_in = n_out = cycle = idle = 0
    starts, ends = [], []
    total_in, total_out = samples * in_beats, samples * out_beats
    order = list(reversed(units))
    while n_out < total_out:
        cycle += 1
        valid = {u.name: u.model.valid() for u in units}
        valid[INPUT] = n_in < total_in and cycle > 1  # offered from the 2nd edge after reset, as the testbench
        iv = {u.name: [net.offered(valid, p, i) for p, i in net.ports[u.name]] for u in units}
        ready: dict[str, list[bool]] = {}
        m_ready: dict[str, bool] = {}
        for u in order:  # readies from the output back to the input
            m_ready[u.name] = net.source_ready(ready, u.name)
            ready[u.name] = u.model.ready(iv[u.name], m_ready[u.name])
        before = [u.model.state() for u in units]
        if valid[INPUT] and net.source_ready(ready, INPUT):
            if n_in % in_beats == 0:
                starts.append(cycle)
            n_in += 1
            idle = -1
        if valid[out_unit] and m_ready[out_unit]:
            n_out += 1
            if n_out % out_beats == 0:
                ends.append(cycle)
        net.update_forks(valid, ready)
        for u in units:
            u.model.step(iv[u.name], m_ready[u.name])
        moved = idle < 0 or any(u.model.state() != b for u, b in zip(units, before))
        idle = 0 if moved else idle + 1
        if idle > STUCK_CYCLES:
            stuck = [u.name.split("\0")[0] for u in units if valid[u.name]]
            raise DeadlockError(f"the design stops after {n_in} input and {n_out} output beats; "
                                f"waiting with data: {sorted(set(stuck))}")
    peaks = {u.fifo: u.model.peak for u in units if u.fifo is not None}
    return Trace(tuple(starts), tuple(ends), MappingProxyType(peaks))  # shared by the memo: read-only


def alone(impl) -> tuple[int, int]:
    """(latency, interval) of one engine or part fed on its own: whole samples of its
    input stream, back to back, its output always ready (a wire: none)."""
    if isinstance(impl, WireImpl):
        return 0, impl.input.beats
    name = getattr(impl, "node", "x")
    t = run([impl], {name: ("\0in",) * _n_inputs(impl)}, "\0in", name, impl_input(impl).beats, impl.output.beats)
    return t.latency, t.interval


def sample_figures(impl) -> tuple[int, int]:
    """(latency, interval) per sample of an engine in a pixel-streamed design: chains,
    collectors and parts carry them; an engine that works beat by beat is modelled alone."""
    if isinstance(impl, (ChainImpl, CollectImpl, PadImpl, WindowImpl)) or impl_input(impl).beats == 1:
        return impl.latency, impl.interval
    return alone(impl)


def _n_inputs(impl) -> int:
    return len(impl.inputs) if isinstance(impl, JoinImpl) else 1


def impl_input(impl):
    return impl.inputs[0] if isinstance(impl, JoinImpl) else impl.input

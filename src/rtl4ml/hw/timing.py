"""The cycle model of pixel-streamed designs: a cycle-by-cycle model of every engine's
handshake, the same rules its Verilog follows, without the data.

Each engine's output valid is a register; its input ready is a function of its state and
of its output's ready (and, for a join, of its inputs' valids). A cycle therefore
computes the valids, then the readies from the output back to the input, then moves
every transfer (``valid & ready``) and each engine's state, as a clock edge does. The
figures are those the testbench measures on an unstalled run: ``latency`` from the first
input beat of the first sample to its last output beat, ``interval`` the spacing of
samples in the steady state (docs/hardware.md).

A design whose samples are one beat each has the closed-form model of
:mod:`rtl4ml.hw.cycles`; this one agrees with it there (tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Strategy
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


class DeadlockError(RuntimeError):
    """The modelled design stopped moving: a FIFO is too small for a branch."""


class _Pipe:
    """A pipelined engine (global enable ``en = !m_valid | m_ready``); several inputs: a
    sample is taken when every input has one."""

    def __init__(self, latency: int, n_in: int = 1):
        self.v = [False] * latency
        self.n_in = n_in

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
    """The sliding window: takes a beat whenever its output register is free; the beat
    that completes a window sends it out."""

    def __init__(self, impl: WindowImpl):
        self.emits = impl.emits
        self.pos = _Raster(impl.frame.rows, impl.frame.cols)
        self.mv = False

    def valid(self) -> bool:
        return self.mv

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [not self.mv or mr]

    def step(self, iv: list[bool], mr: bool) -> None:
        if not self.mv or mr:
            self.mv = bool(iv[0]) and self.emits(self.pos.r, self.pos.c)
            if iv[0]:
                self.pos.advance()


class _Collect:
    """Gathers (or reduces) a sample's beats; only the last beat needs the output free."""

    def __init__(self, beats: int):
        self.beats, self.k, self.mv = beats, 0, False

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
    latency; ``peak`` is the most samples it held."""

    def __init__(self, depth: int | None):
        self.depth, self.count, self.peak = depth, 0, 0

    def valid(self) -> bool:
        return self.count > 0

    def ready(self, iv: list[bool], mr: bool) -> list[bool]:
        return [self.depth is None or self.count < self.depth]

    def step(self, iv: list[bool], mr: bool) -> None:
        push = iv[0] and self.ready(iv, mr)[0]
        pop = self.count > 0 and mr
        self.count += int(push) - int(pop)
        self.peak = max(self.peak, self.count)


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
    readers: list[tuple[str, int]] = field(default_factory=list)


INPUT = "\0input"


@dataclass(frozen=True)
class Trace:
    """Cycles of each sample's first input beat and last output beat; FIFO peaks."""

    starts: list[int]
    ends: list[int]
    peaks: dict[tuple[str, int], int]

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
                units.append(_Unit(name, _Fifo(fifos[(e.node, k)]), [s]))
                srcs[k] = name
        parts = e.parts if isinstance(e, ChainImpl) else (e,)
        for i, part in enumerate(parts):
            name = e.node if i == len(parts) - 1 else f"{e.node}\0{i}"
            units.append(_Unit(name, _leaf_model(part), srcs))
            srcs = [name]
        produced[e.node] = e.node
    return units, produced


def run(engines, sources: dict[str, tuple[str, ...]], input_node: str, output_node: str,
        in_beats: int, out_beats: int, fifos: dict[tuple[str, int], int | None] | None = None,
        samples: int = SAMPLES) -> Trace:
    """Model ``samples`` samples fed back to back into the design (the output always
    ready). ``fifos``: depth per (engine, input port), None for unbounded."""
    fifos = fifos or {}
    units, produced = _units(engines, sources, input_node, fifos)
    by_name = {u.name: u for u in units}
    out_unit = produced[output_node]
    readers: dict[str, list[tuple[str, int]]] = {INPUT: []}
    for u in units:
        readers.setdefault(u.name, [])
        for k, s in enumerate(u.sources):
            readers[s].append((u.name, k))
    readers[out_unit].append(("", 0))  # the testbench
    taken = {p: [False] * len(r) for p, r in readers.items() if len(r) > 1}
    n_in, n_out, cycle, idle = 0, 0, 0, 0
    starts, ends = [], []
    total_in, total_out = samples * in_beats, samples * out_beats
    order = list(reversed(units))
    while n_out < total_out:
        cycle += 1
        valid = {u.name: u.model.valid() for u in units}
        valid[INPUT] = n_in < total_in

        def offered(p: str, i: int) -> bool:  # valid seen by reader i of producer p
            return valid[p] and not (p in taken and taken[p][i])

        iv = {u.name: [offered(s, readers[s].index((u.name, k))) for k, s in enumerate(u.sources)]
              for u in units}
        ready: dict[str, list[bool]] = {}
        m_ready: dict[str, bool] = {}

        def reader_ready(p: str) -> bool:
            rs = [True if name == "" else ready[name][k] for name, k in readers[p]]
            if p in taken:
                return all(r or t for r, t in zip(rs, taken[p]))
            return rs[0] if rs else True

        for u in order:
            m_ready[u.name] = reader_ready(u.name)
            ready[u.name] = u.model.ready(iv[u.name], m_ready[u.name])
        in_ready = reader_ready(INPUT)
        moved = False
        if valid[INPUT] and in_ready:
            if n_in % in_beats == 0:
                starts.append(cycle)
            n_in += 1
            moved = True
        if valid[out_unit] and m_ready[out_unit]:
            n_out += 1
            moved = True
            if n_out % out_beats == 0:
                ends.append(cycle)
        # forks: each reader that took the sample is masked until all have
        for p, flags in taken.items():
            if valid[p] and reader_ready(p):
                taken[p] = [False] * len(flags)
            else:
                rs = [True if name == "" else ready[name][k] for name, k in readers[p]]
                taken[p] = [t or (offered(p, i) and rs[i]) for i, t in enumerate(flags)]
        for u in units:
            before = u.model.valid()
            u.model.step(iv[u.name], m_ready[u.name])
            moved = moved or any(a and b for a, b in zip(iv[u.name], ready[u.name])) or before != u.model.valid()
        idle = 0 if moved else idle + 1
        if idle > STUCK_CYCLES:
            raise DeadlockError(f"the design stops after {n_in} input and {n_out} output beats")
    peaks = {(name.split("\0fifo")[0], int(name.split("\0fifo")[1])): by_name[name].model.peak
             for name in by_name if "\0fifo" in name}
    return Trace(starts, ends, peaks)


def alone(impl) -> tuple[int, int]:
    """(latency, interval) of one engine or part fed on its own: whole samples of its
    input stream, back to back, its output always ready."""
    name = getattr(impl, "node", "x")
    t = run([impl], {name: ("\0in",) * _n_inputs(impl)}, "\0in", name, impl_input(impl).beats, impl.output.beats)
    return t.latency, t.interval


def _n_inputs(impl) -> int:
    return len(impl.inputs) if isinstance(impl, JoinImpl) else 1


def impl_input(impl):
    return impl.inputs[0] if isinstance(impl, JoinImpl) else impl.input

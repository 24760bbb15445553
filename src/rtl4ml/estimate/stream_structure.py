"""The structure of the pixel-stream parts (padding, sliding windows, pooling, the
collector, chains of parts) and of FIFOs, registered on
:func:`rtl4ml.estimate.structure.structure`. Counted as the emitters in
``backends/verilog/window.py``, ``pool.py`` and ``streams.py`` build them."""

from __future__ import annotations

from ..hw.cycles import ROUND_LEVELS, cycle_of
from ..hw.records import ChainImpl, CollectImpl, Fifo, PadImpl, PoolImpl, WindowImpl
from ..ir import PoolKind
from .structure import (
    Memory,
    Structure,
    division,
    known_conversion,
    pipeline,
    structure,
    tree_registers,
)


@structure.register
def _(impl: PadImpl) -> Structure:
    s = Structure()
    s.mux_bits += impl.output.bits
    s.reg_bits += impl.output.bits + 2 * max(impl.out_frame.rows, impl.out_frame.cols).bit_length() + 1
    s.compare_bits += 4 * max(impl.out_frame.rows, impl.out_frame.cols).bit_length()
    return s


@structure.register
def _(impl: WindowImpl) -> Structure:
    """Taps (all but the incoming pixel), per line buffer a memory of ``delay - 1`` words
    read into a register, the output register holding the whole window (its load enable
    a flip-flop's clock enable), the counters."""
    s = Structure()
    (kh, kw), pixel = impl.kernel, impl.input.bits
    delay = impl.delays
    s.reg_bits += (kh * kw - 1) * pixel + kh * kw * pixel + 1
    s.reg_bits += _counter_bits(impl.frame.cols) + (_counter_bits(impl.frame.rows) if impl.frame.rows > 1 else 0)
    if delay > 0:
        for block in impl.block_ram:
            s.reg_bits += pixel
            if delay > 1:
                s.rams[Memory(pixel, delay - 1, block)] += 1
        if delay > 2 and kh > 1:
            s.reg_bits += _counter_bits(delay - 1)
    s.compare_bits += 2 * (_counter_bits(impl.frame.cols) + _counter_bits(impl.frame.rows))
    return s


def _counter_bits(n: int) -> int:
    return max((n - 1).bit_length(), 1)


@structure.register
def _(impl: PoolImpl) -> Structure:
    s, c, w = Structure(), impl.channels, impl.input.type.width
    wide = w if impl.kind is PoolKind.MAX else w + (impl.size - 1).bit_length()
    if impl.kind is PoolKind.MAX:
        s.max_bits += c * (impl.size - 1) * w
    else:
        s.adder_bits += c * (impl.size - 1) * wide
        _average(s, c, impl.size, impl)
    regs, depth = tree_registers(impl.size, wide, impl.adder_levels, ROUND_LEVELS)
    s.reg_bits += c * regs
    y_cycle = cycle_of(depth + ROUND_LEVELS, impl.adder_levels)
    s.reg_bits += max(impl.latency - 1 - y_cycle, 0) * impl.output.bits  # carried to the last cycle
    pipeline(s, impl.latency, impl.output)
    return s


@structure.register
def _(impl: CollectImpl) -> Structure:
    s = Structure()
    if impl.kind is None:
        s.reg_bits += impl.output.bits + impl.input.beats.bit_length()
        s.mux_bits += impl.output.bits  # each word's load enable
        return s
    c, w = impl.output.elements, impl.input.type.width + impl.input.beats.bit_length()
    s.reg_bits += c * w + impl.output.bits + impl.input.beats.bit_length()
    if impl.kind is PoolKind.MAX:
        s.max_bits += c * w
    else:
        s.adder_bits += c * w
        _average(s, c, impl.input.beats, impl)
    return s


def _average(s: Structure, channels: int, count: int, impl: PoolImpl | CollectImpl) -> None:
    """The sums of ``count`` inputs to the result type: a rounding shift of their known
    range for a power-of-two count, else the division by the constant."""
    x = impl.input
    lo, hi = count * x.raw_lo, count * x.raw_hi
    if impl.division is None:
        known_conversion(s, channels, lo, hi, x.type.frac_bits + impl.shift, impl.output.type)
    else:
        division(s, channels, lo, hi, impl.division, impl.output.type)


@structure.register
def _(impl: ChainImpl) -> Structure:
    s = Structure()
    for part in impl.parts:
        s += structure(part)
    return s


@structure.register
def _(fifo: Fifo) -> Structure:
    s = Structure()
    pointer = max(fifo.depth - 1, 1).bit_length()
    s.rams[Memory(fifo.stream.bits, fifo.depth, fifo.block_ram)] += 1
    s.reg_bits += 3 * pointer + 2
    s.adder_bits += 3 * pointer
    return s

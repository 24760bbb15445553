"""The weight ROM of a folded Dense engine and its memory image (``$readmemh`` file).

A folded Dense with reuse factor R and ``M = n_in * n_out / R`` multipliers computes its
products as its :class:`~rtl4ml.hw.fold.FoldSchedule` says. Word ``r`` of the ROM holds every multiplier's weight for cycle ``r``:
multiplier ``m`` in bits ``[m*W + W-1 : m*W]``, ``W`` the weight type's width, each
weight its raw integer (two's complement when the type is signed). The image has one
line per word, word 0 first, in hexadecimal (most significant digit first, zero padded
to whole digits).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Strategy
from ...hw.fold import fold_schedule
from ...hw.records import DenseImpl

#: Fewest words (cycles per sample) of a ROM that goes to block RAM. As LUT logic a ROM
#: costs about one LUT6 per 64 bits; an 18 Kb block RAM is 512 words of 36 bits, so a
#: shallower ROM would leave most of each block empty.
MIN_ROM_DEPTH = 256

#: Fewest bits of varying weights (words x bits of the multipliers whose weight changes)
#: of a ROM that goes to block RAM: each block then replaces at least ~128 LUTs.
MIN_ROM_BITS = 8192


@dataclass(frozen=True)
class WeightRom:
    """``words[r]``: the weights of cycle r, ``slots`` fields of ``slot_bits`` bits."""

    slot_bits: int
    slots: int
    words: tuple[int, ...]

    @property
    def width(self) -> int:
        return self.slot_bits * self.slots

    @property
    def depth(self) -> int:
        return len(self.words)

    def mem_text(self) -> str:
        """The ``$readmemh`` image: one hexadecimal line per word, word 0 first."""
        digits = (self.width + 3) // 4
        return "".join(f"{w:0{digits}x}\n" for w in self.words)


def multiplier_weights(impl: DenseImpl, mi: int) -> list[int]:
    """Raw weights multiplier ``mi`` uses in cycles 0..R-1."""
    sched = fold_schedule(impl)
    return [int(impl.arith.weight[sched.slot(mi, r)]) for r in range(impl.reuse_factor)]


def weight_rom(impl: DenseImpl) -> WeightRom:
    """The ROM of a folded Dense (every multiplier, whether or not its weight varies)."""
    a, R = impl.arith, impl.reuse_factor
    if impl.strategy is not Strategy.RESOURCE:
        raise ValueError(f"layer '{impl.node}': only a folded Dense (strategy resource) has a weight ROM")
    wt = a.precision.weight
    bits = wt.width
    M = a.n_in * a.n_out // R
    words = [0] * R
    for mi in range(M):
        for r, w in enumerate(multiplier_weights(impl, mi)):
            if not wt.raw_min <= w <= wt.raw_max:
                raise ValueError(f"layer '{impl.node}': raw weight {w} (multiplier {mi}, cycle {r}) is outside {wt}")
            words[r] |= (w % (1 << bits)) << (mi * bits)
    return WeightRom(bits, M, tuple(words))


def varying_multipliers(impl: DenseImpl) -> list[int]:
    """The multipliers whose weight changes from cycle to cycle (the others use a constant)."""
    M = impl.n_in * impl.n_out // impl.reuse_factor
    return [mi for mi in range(M) if len(set(multiplier_weights(impl, mi))) > 1]


def uses_rom(impl: DenseImpl) -> bool:
    """Whether the engine reads its weights from a block RAM: a folded Dense of at least
    :data:`MIN_ROM_DEPTH` cycles per sample whose varying weights take at least
    :data:`MIN_ROM_BITS` bits. Smaller ROMs are a case statement on the cycle counter."""
    if impl.strategy is not Strategy.RESOURCE or impl.reuse_factor < MIN_ROM_DEPTH:
        return False
    bits = impl.reuse_factor * impl.arith.precision.weight.width * len(varying_multipliers(impl))
    return bits >= MIN_ROM_BITS


def rom_file(module: str) -> str:
    """File name of the memory image of engine module ``module``."""
    return f"{module}_w.mem"


def folded_memories(module: str, impl: DenseImpl) -> dict[str, str]:
    """Memory images (``$readmemh`` files, by file name) folded Dense module ``module`` reads."""
    if uses_rom(impl):
        return {rom_file(module): weight_rom(impl).mem_text()}
    return {}

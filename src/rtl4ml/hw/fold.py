"""Which multiplier of a folded Dense computes which product in which cycle.

A folded Dense has ``M`` multipliers and takes ``R`` cycles per sample (``M * R =
n_in * n_out``). Two schedules:

* reuse factor R (``pe = simd = 0``): product ``k = j * n_in + i`` (output j, input i)
  on multiplier ``k // R`` in cycle ``k % R``;
* PE x SIMD: ``PE`` output channels at a time, each from ``SIMD`` inputs at a time.
  Multiplier ``p * SIMD + s`` works for output ``j = q * PE + p`` in cycles
  ``q * SF .. q * SF + SF - 1`` (``SF = n_in / SIMD``) on inputs ``t * SIMD + s``.

Either way each multiplier serves an output in one contiguous run of cycles, which is
what the engine's accumulators rely on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FoldSchedule:
    n_in: int
    n_out: int
    reuse: int
    pe: int = 0
    simd: int = 0

    @property
    def multipliers(self) -> int:
        return self.n_in * self.n_out // self.reuse

    def slot(self, mi: int, r: int) -> tuple[int, int]:
        """(input, output) of the product multiplier ``mi`` computes in cycle ``r``."""
        if not self.pe:
            k = mi * self.reuse + r
            return k % self.n_in, k // self.n_in
        sf = self.n_in // self.simd
        p, s = divmod(mi, self.simd)
        q, t = divmod(r, sf)
        return t * self.simd + s, q * self.pe + p

    def slots(self):
        """:meth:`slot` for every multiplier and cycle at once: arrays (M, R) of the
        inputs and of the outputs."""
        import numpy as np

        mi = np.arange(self.multipliers)[:, None]
        r = np.arange(self.reuse)[None, :]
        if not self.pe:
            k = mi * self.reuse + r
            return k % self.n_in, k // self.n_in
        sf = self.n_in // self.simd
        p, s = np.divmod(mi, self.simd)
        q, t = np.divmod(r, sf)
        return t * self.simd + s, q * self.pe + p

    def uses(self, j: int) -> list[tuple[int, int, int]]:
        """(multiplier, first cycle, last cycle) of every multiplier working for output ``j``."""
        if not self.pe:
            R = self.reuse
            lo_k, hi_k = j * self.n_in, (j + 1) * self.n_in - 1
            return [(mi, max(0, lo_k - mi * R), min(R - 1, hi_k - mi * R)) for mi in range(lo_k // R, hi_k // R + 1)]
        sf = self.n_in // self.simd
        q, p = divmod(j, self.pe)
        return [(p * self.simd + s, q * sf, q * sf + sf - 1) for s in range(self.simd)]


def fold_schedule(impl) -> FoldSchedule:
    """The schedule of a folded :class:`~rtl4ml.hw.records.DenseImpl`."""
    return FoldSchedule(impl.n_in, impl.n_out, impl.reuse_factor, impl.pe, impl.simd)

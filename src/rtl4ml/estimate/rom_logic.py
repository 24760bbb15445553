"""What a constant table costs in LUTs when synthesis builds it in logic, counted from
its contents.

Each data bit of a ROM is a function of the address. Split on the address's top bit
until a part fits one LUT: a constant part takes no LUT, a part the top bit does not
change is one function of the other bits, and the two halves of any other part are
joined by a 2:1 multiplexer (a LUT, or on AMD/Xilinx one of the MUXF7/MUXF8 cells over
up to four LUT6s, which are not LUTs). A monotone function's high bits, constant over
long runs of entries, so cost far less than one LUT per bit and address block.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def bit_luts(truth: np.ndarray, lut_inputs: int, free_mux_levels: int) -> int:
    """LUTs of one data bit whose value at each address is ``truth`` (a power-of-two
    length); ``free_mux_levels``: levels of multiplexers above the LUTs that take none."""
    if truth.min() == truth.max():
        return 0
    if len(truth) <= 1 << lut_inputs:
        return 1
    half = len(truth) // 2
    low, high = truth[:half], truth[half:]
    if np.array_equal(low, high):
        return bit_luts(low, lut_inputs, free_mux_levels)
    level = (half.bit_length() - 1) - lut_inputs + 1  # 1: the multiplexers right above the LUTs
    return bit_luts(low, lut_inputs, free_mux_levels) + bit_luts(high, lut_inputs, free_mux_levels) \
        + (level > free_mux_levels)


@lru_cache(maxsize=512)
def rom_luts(contents: tuple[int, ...], lut_inputs: int, free_mux_levels: int) -> int:
    """LUTs of a ROM holding ``contents`` (raw integers, a power-of-two number of words)."""
    values = np.array(contents, dtype=np.int64)
    width = max(int(np.abs(values).max()).bit_length() + 1, 1)  # every bit that can vary, a sign bit too
    return sum(bit_luts((values >> b) & 1, lut_inputs, free_mux_levels) for b in range(width))

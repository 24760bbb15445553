"""How a table is read in hardware: an element-wise activation's, and which entry any table reads.

A table of up to :data:`SELECTED_ENDS_MAX_DEPTH` entries is read at the low bits of its
unclamped index, by a ROM rotated so that no adder forms them (:func:`rotated`), and its
first or last entry is selected where the index lies before or past the table. Such a
ROM is one LUT6 per output bit and never a block RAM, and synthesis keeps it apart from
the comparators; with a clamped index, Yosys merges clamp and ROM into one function of
all the index bits (a 64-entry tanh of a 12-bit input, on xc7: 64 LUTs and 51 wide
multiplexers, against 12 LUTs). Measured on the estimator dataset's 6 such layers:
2 663 -> 1 444 LUTs on xc7, 5 570 -> 4 339 LUT4s on ECP5, 5 262 -> 3 939 on iCE40.

A deeper table keeps its clamped index, which a block RAM's address port takes. So do the
softmax's tables, whose logic the selected ends made 4 % larger on xc7 and iCE40, with
more flip-flops.
"""

from __future__ import annotations

from ..ir import Table

SELECTED_ENDS_MAX_DEPTH = 64


def selects_ends(table: Table) -> bool:
    """Whether an activation reads ``table`` by selecting its end entries."""
    return table.size <= SELECTED_ENDS_MAX_DEPTH


def single_entry(lo: int, hi: int, size: int) -> int | None:
    """The entry of a table of ``size`` entries that every index in ``lo .. hi`` (before
    clamping to the table) reads, or None when they read several."""
    if hi <= 0 or lo >= size - 1 or lo == hi:
        return min(max(lo, 0), size - 1)
    return None


def rotated(entries: list[int], first: int) -> list[int]:
    """The ROM read at the low bits of an unclamped index whose entry 0 is at ``first``
    (a table's size is a power of two, so those bits address every entry once)."""
    return [entries[(k - first) % len(entries)] for k in range(len(entries))]

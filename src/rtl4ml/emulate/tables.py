"""Lookup tables for nonlinear functions: their contents and how they are read.

A :class:`~rtl4ml.ir.Table` has ``size`` entries covering inputs in
``[start, start + span)`` with ``step = span / size`` (a power of two). An input
``x`` reads entry ``i = clamp(floor((x - start) / step), 0, size - 1)``; because
``step`` is a power of two, ``i`` is a bit slice of ``x`` in hardware.

Entry ``i`` holds, rounded to the table's precision:

* Tanh, Sigmoid: ``f(start + (i + 1/2) * step)`` (the bin's centre);
* Softmax exp table: ``exp(-(i * step))`` (the bin's left edge, so that the largest
  logit reads exactly ``exp(0) = 1``);
* Softmax inverse table: ``1 / (start + i * step)`` (left edge; the table starts at
  1, the smallest possible sum, so a sum of exactly 1 reads exactly 1).
"""

from __future__ import annotations

import math
from enum import Enum

import numpy as np

from ..ir import ActivationKind, Table


class TableFunction(Enum):
    TANH = "tanh"
    SIGMOID = "sigmoid"
    EXP_NEG = "exp(-x)"
    INVERSE = "1/x"


#: the activations computed from a table, and their tables' functions
TABLE_ACTIVATIONS = {ActivationKind.TANH: TableFunction.TANH, ActivationKind.SIGMOID: TableFunction.SIGMOID}


def table_entries(fn: TableFunction, table: Table) -> np.ndarray:
    """Raw integers of every entry, in the table's precision."""
    i = np.arange(table.size, dtype=np.float64)
    centre = table.start + (i + 0.5) * table.step
    if fn is TableFunction.TANH:
        values = np.tanh(centre)
    elif fn is TableFunction.SIGMOID:
        values = 0.5 * (1.0 + np.tanh(0.5 * centre))
    elif fn is TableFunction.EXP_NEG:
        values = np.exp(-(table.start + i * table.step))
    else:
        values = 1.0 / (table.start + i * table.step)
    return table.precision.quantize(values)


def index_scaling(frac_bits: int, table: Table) -> tuple[int, int]:
    """(shift, first): an input's unclamped entry index is ``floor(raw * 2**-shift) - first``
    for raw values with ``frac_bits`` fraction bits."""
    return frac_bits + int(math.log2(table.step)), round(table.start / table.step)


def table_index(raw: np.ndarray, frac_bits: int, table: Table) -> np.ndarray:
    """Entry index (int64) for raw inputs with ``frac_bits`` fraction bits."""
    shift, first = index_scaling(frac_bits, table)  # x / step = raw * 2**-shift
    if raw.dtype == np.float64:
        scaled = np.floor(raw * 2.0**-shift)
    elif shift >= 0:
        scaled = raw >> shift
    else:  # clamp first: values this far out read the first or last entry anyway
        m = 1 << -shift
        scaled = np.clip(raw, (first - 1) // m, (first + table.size) // m + 1) << -shift
    return np.clip(scaled - first, 0, table.size - 1).astype(np.int64)


def lookup(fn: TableFunction, raw: np.ndarray, frac_bits: int, table: Table) -> np.ndarray:
    return table_entries(fn, table)[table_index(raw, frac_bits, table)]

"""Which bits of an element-wise engine's output synthesis keeps.

A register bit that is constant over every input the engine can see is removed by
synthesis, and registers with the same input (a sign extension) are merged into one. The
engine's function is known exactly (the emulator is its specification), and its input
range is known, so both are counted by running the emulator on every input value in
range; a range of more than :data:`EXHAUSTIVE` values is sampled (evenly, plus whole runs
at both ends and around zero, so that every low bit varies). Columns equal in value are
counted once, which assumes synthesis finds them equal: true of a sign extension, an
approximation elsewhere.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..emulate.fixed_activation import activate
from ..emulate.tables import TableFunction, table_entries
from ..fixed import FixedType
from ..hw.records import PointwiseImpl
from ..ir import Activation, ActivationKind, NodePrecision, Table

EXHAUSTIVE = 1 << 16  # input ranges up to this many values are run in full
_RUN = 4096  # values taken in a row at each end of a larger range, and around zero


def distinct_columns(values: np.ndarray, width: int) -> int:
    """How many of the ``width`` low bits of ``values`` vary, counting equal bits (a
    sign extension) as one."""
    if values.size == 0 or width <= 0:
        return 0
    v = values.astype(np.int64)
    columns = (v[None, :] >> np.arange(width, dtype=np.int64)[:, None]) & 1  # width x values
    varying = columns[columns.min(axis=1) != columns.max(axis=1)]
    if not len(varying):
        return 0
    return len(np.unique(varying, axis=0))


def _inputs(lo: int, hi: int) -> np.ndarray:
    if hi - lo + 1 <= EXHAUSTIVE:
        return np.arange(lo, hi + 1, dtype=np.int64)
    runs = [np.arange(a, b, dtype=np.int64) for a, b in ((lo, lo + _RUN), (hi - _RUN + 1, hi + 1),
                                                          (max(lo, -_RUN // 2), min(hi, _RUN // 2) + 1))]
    return np.unique(np.concatenate([np.linspace(lo, hi, EXHAUSTIVE).round().astype(np.int64), *runs]))


@lru_cache(maxsize=1024)
def _live_bits(lo: int, hi: int, x: FixedType, y: FixedType, kind: ActivationKind | None, alpha: float, beta: float,
               min_value: float, max_value: float, param: FixedType | None, table: Table | None) -> int:
    act = None if kind is None else Activation(kind, alpha=alpha, beta=beta, min_value=min_value, max_value=max_value)
    out = activate(_inputs(lo, hi), x, act, NodePrecision(result=y, param=param, table=table))
    return distinct_columns(np.asarray(out), y.width)


def output_bits(impl: PointwiseImpl) -> int:
    """Register bits synthesis keeps for one output value of ``impl``."""
    a = impl.activation
    key = (None, 0.0, 0.0, 0.0, 0.0) if a is None else (a.kind, a.alpha, a.beta, a.min_value, a.max_value)
    return _live_bits(impl.input.raw_lo, impl.input.raw_hi, impl.input.type, impl.output.type, *key,
                        impl.param, impl.table)


@lru_cache(maxsize=256)
def table_values(fn: TableFunction, table: Table, y: FixedType) -> np.ndarray:
    """Every entry of a table as the ROM holds it: raw integers of ``y``."""
    return y.requantize(table_entries(fn, table), table.precision).astype(np.int64)


def table_lanes(fn: TableFunction, table: Table, y: FixedType) -> int:
    """Data bits of a whole table (in ``y``) that are not constant over its entries: the
    ROM's width as synthesis sees it, before the address range is known."""
    entries = table_values(fn, table, y)
    varying = np.bitwise_or.reduce((entries ^ entries[0]) & ((1 << y.width) - 1))
    return int(varying).bit_count()

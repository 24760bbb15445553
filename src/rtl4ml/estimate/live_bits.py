"""Which bits of an element-wise engine's output synthesis keeps.

A register bit that is constant over every input the engine can see is removed by
synthesis, and register bits with the same input are merged into one. The engine's
function is known exactly (the emulator is its specification), and its input range is
known, so both are counted by running the emulator on every input value in range (a
monotone sample of the range when it holds more than :data:`EXHAUSTIVE` values).
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

_TABLE_FN = {ActivationKind.TANH: TableFunction.TANH, ActivationKind.SIGMOID: TableFunction.SIGMOID}


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
    return int(len(np.unique(varying, axis=0)))


def _inputs(lo: int, hi: int) -> np.ndarray:
    if hi - lo + 1 <= EXHAUSTIVE:
        return np.arange(lo, hi + 1, dtype=np.int64)
    return np.unique(np.linspace(lo, hi, EXHAUSTIVE).round().astype(np.int64))


@lru_cache(maxsize=1024)
def _outputs_key(lo: int, hi: int, x: FixedType, y: FixedType, kind, alpha: float, beta: float,
                 min_value: float, max_value: float, param: FixedType | None, table: Table | None) -> int:
    act = None if kind is None else Activation(kind, alpha=alpha, beta=beta, min_value=min_value, max_value=max_value)
    out = activate(_inputs(lo, hi), x, act, NodePrecision(result=y, param=param, table=table))
    return distinct_columns(np.asarray(out), y.width)


def output_bits(impl: PointwiseImpl) -> int:
    """Register bits synthesis keeps for one output value of ``impl``."""
    a = impl.activation
    key = (None, 0.0, 0.0, 0.0, 0.0) if a is None else (a.kind, a.alpha, a.beta, a.min_value, a.max_value)
    return _outputs_key(impl.input.raw_lo, impl.input.raw_hi, impl.input.type, impl.output.type, *key,
                        impl.param, impl.table)


@lru_cache(maxsize=256)
def table_lanes(kind: ActivationKind, table: Table, y: FixedType) -> int:
    """Data bits of a whole activation table (in the result type) that are not constant
    over its entries: the ROM's width as synthesis sees it, before the address range is
    known."""
    entries = y.requantize(table_entries(_TABLE_FN[kind], table), table.precision).astype(np.int64)
    varying = np.bitwise_or.reduce((entries ^ entries[0]) & ((1 << y.width) - 1))
    return int(varying).bit_count()

"""How a source framework's tensor maps onto an IR tensor.

The IR is channels-last; ONNX and PyTorch models are usually channels-first, and a
Flatten after a channels-first convolution orders features differently from the IR.
A :class:`Layout` records, for one tensor, where each element of the source tensor
lives in the IR tensor: ``source_sample = ir_sample.reshape(-1)[index]``. Every
layout change a frontend meets (transpose, flatten, reshape, squeeze) is just an
operation on ``index``; no data moves until a consumer needs a particular order.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

Shape = tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Layout:
    """``index`` has the source per-sample shape; its values index the flat IR sample."""

    index: np.ndarray

    @staticmethod
    def identity(shape: Shape) -> Layout:
        return Layout(np.arange(math.prod(shape), dtype=np.int64).reshape(shape))

    @staticmethod
    def channels_first(ir_shape: Shape) -> Layout:
        """Source (C, *spatial) viewing an IR tensor (*spatial, C)."""
        rank = len(ir_shape)
        perm = (rank - 1,) + tuple(range(rank - 1))
        return Layout.identity(ir_shape).transpose(perm)

    @property
    def shape(self) -> Shape:
        return tuple(self.index.shape)

    @property
    def size(self) -> int:
        return self.index.size

    def is_identity(self) -> bool:
        return self._identity

    @cached_property
    def _identity(self) -> bool:
        return bool(np.array_equal(self.index.reshape(-1), np.arange(self.size)))

    def transpose(self, perm) -> Layout:
        return Layout(self.index.transpose(tuple(perm)))

    def reshape(self, shape: Shape) -> Layout:
        return Layout(self.index.reshape(tuple(shape)))

    def same_as(self, other: Layout) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self.index, other.index))

    def axis_permutation(self, ir_shape: Shape) -> tuple[int, ...] | None:
        """``perm`` with ``source = ir.transpose(perm)`` if this layout is a pure transpose
        of an IR tensor of ``ir_shape``, else None."""
        if math.prod(ir_shape) != self.size or len(ir_shape) != len(self.shape):
            return None
        base = Layout.identity(ir_shape)
        for perm in itertools.permutations(range(len(ir_shape))):
            if tuple(ir_shape[p] for p in perm) == self.shape and np.array_equal(
                base.index.transpose(perm), self.index
            ):
                return perm
        return None

    # ---- moving data between the two orders (batch axis first) ----------------------
    def to_ir(self, x: np.ndarray, ir_shape: Shape) -> np.ndarray:
        """Source-layout batch -> IR-layout batch."""
        x = np.asarray(x)
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(f"expected samples of shape {self.shape}, got {tuple(x.shape[1:])}")
        if self.is_identity():
            return x.reshape((x.shape[0],) + tuple(ir_shape))
        flat = np.empty((x.shape[0], self.size), dtype=x.dtype)
        flat[:, self.index.reshape(-1)] = x.reshape(x.shape[0], -1)
        return flat.reshape((x.shape[0],) + tuple(ir_shape))

    def from_ir(self, y: np.ndarray) -> np.ndarray:
        """IR-layout batch -> source-layout batch."""
        flat = y.reshape(y.shape[0], -1)
        if self.is_identity():
            return flat.reshape((y.shape[0],) + self.shape)
        return flat[:, self.index.reshape(-1)].reshape((y.shape[0],) + self.shape)

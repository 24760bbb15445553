"""The type of one tensor: its per-sample shape (channels-last) and, once precision is
inferred, its fixed-point type."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..fixed import FixedType


@dataclass(frozen=True)
class TensorType:
    shape: tuple[int, ...]
    precision: FixedType | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __str__(self) -> str:
        dims = "x".join(map(str, self.shape))
        return f"{dims} {self.precision}" if self.precision else dims

"""Random test inputs for hardware verification, as raw integers of the input type.

Half the samples are spread uniformly over the whole input range (every bit pattern,
so saturation and wrap-around paths are exercised); the other half are Gaussian around
zero with a spread of an eighth of the range, where trained networks usually live.
"""

from __future__ import annotations

import numpy as np

from ..fixed import FixedType


def random_raw(t: FixedType, shape: tuple[int, ...], n: int, seed: int) -> np.ndarray:
    """``n`` samples of ``shape`` of raw integers of ``t`` (int64)."""
    rng = np.random.default_rng(seed)
    n_uniform = n // 2
    uniform = rng.integers(t.raw_min, t.raw_max, size=(n_uniform, *shape), endpoint=True)
    spread = (t.raw_max - t.raw_min) / 8
    normal = np.rint(rng.normal(0, spread, size=(n - n_uniform, *shape)))
    normal = np.clip(normal, t.raw_min, t.raw_max).astype(np.int64)
    out = np.concatenate([uniform, normal])
    return out[rng.permutation(n)]

"""Layout-only calls (flatten, view, reshape, permute, squeeze, ...) and size queries:
no IR node, just a new view of the same IR tensor."""

from __future__ import annotations

import math
import operator

from torch import fx

from ...errors import ModelLoadError, UnsupportedError
from .context import BATCH, Context, Ref


def _dim(c: Context, node: fx.Node, dim, rank: int, what: str) -> int:
    try:
        d = operator.index(dim)
    except TypeError:
        raise UnsupportedError(f"{c.where(node)}: {what} must be an integer, got {dim!r}") from None
    if not -rank <= d < rank:
        raise ModelLoadError(f"{c.where(node)}: {what} {d} is out of range for a rank-{rank} tensor")
    return d % rank


def flatten(c: Context, node: fx.Node, x: Ref, start_dim=0, end_dim=-1) -> None:
    """Merge axes ``start_dim..end_dim`` (counted with the batch axis, which must stay)."""
    t = c.tensor(node, x)
    rank = len(t.shape) + 1
    start = _dim(c, node, start_dim, rank, "start_dim")
    end = _dim(c, node, end_dim, rank, "end_dim")
    if start > end:
        raise ModelLoadError(f"{c.where(node)}: flatten start_dim {start} comes after end_dim {end}")
    if start == 0 and end > 0:
        raise UnsupportedError(
            f"{c.where(node)}: flattens the batch axis into the features (start_dim={start_dim}); "
            "use start_dim=1, e.g. torch.flatten(x, 1) or x.flatten(1)"
        )
    s = t.shape
    if start == 0:  # flatten(0, 0) merges nothing
        shape = s
    else:
        shape = s[: start - 1] + (math.prod(s[start - 1 : end]),) + s[end:]
    c.relayout(node, x, t.layout.reshape(shape))


def _text(shape) -> str:
    return "(" + ", ".join(map(repr, shape)) + ")"


def reshape(c: Context, node: fx.Node, x: Ref, shape) -> None:
    """View or reshape whose first size keeps the batch axis: ``x.size(0)``, or -1 with
    the other sizes covering one whole sample."""
    t = c.tensor(node, x)
    shape = list(shape)
    size = math.prod(t.shape)
    keep = "the first size must keep the batch axis: x.size(0) (or -1 when the other sizes cover one sample)"
    if not shape:
        raise UnsupportedError(f"{c.where(node)}: reshape to a scalar drops the batch axis")
    first, rest = shape[0], shape[1:]
    try:
        rest = [operator.index(d) for d in rest]
    except TypeError:
        raise UnsupportedError(
            f"{c.where(node)}: sizes {_text(shape)}: only the first size may depend on the batch size; {keep}"
        ) from None
    if first is BATCH:
        if rest.count(-1) > 1 or any(d < -1 for d in rest):
            raise ModelLoadError(f"{c.where(node)}: invalid sizes {_text(shape)}")
        known = math.prod(d for d in rest if d != -1)
        if -1 in rest:
            if known == 0 or size % known:
                raise ModelLoadError(f"{c.where(node)}: cannot view per-sample shape {t.shape} as {_text(shape)}")
            rest[rest.index(-1)] = size // known
    elif first != -1 or -1 in rest:
        raise UnsupportedError(f"{c.where(node)}: sizes {_text(shape)} fix or change the batch size; {keep}")
    if math.prod(rest) != size or min(rest, default=1) < 1:
        raise UnsupportedError(
            f"{c.where(node)}: sizes {_text(shape)} do not hold one sample of shape {t.shape} per batch entry; {keep}"
        )
    c.relayout(node, x, t.layout.reshape(tuple(rest)))


def size(c: Context, node: fx.Node, x: Ref, dim=None):
    """``x.size()`` / ``x.size(d)``: known sizes, and :data:`BATCH` for axis 0."""
    t = c.tensor(node, x)
    full = (BATCH,) + tuple(t.shape)
    return full if dim is None else full[_dim(c, node, dim, len(full), "dim")]


def shape_attribute(c: Context, node: fx.Node, x: Ref, name: str):
    """``x.shape`` (``getattr(x, "shape")`` in fx)."""
    if name != "shape":
        raise UnsupportedError(f"{c.where(node)}: tensor attribute '{name}' is not supported; only .shape")
    return size(c, node, x)


def ndim(c: Context, node: fx.Node, x: Ref) -> int:
    return len(c.tensor(node, x).shape) + 1


def permute(c: Context, node: fx.Node, x: Ref, *dims) -> None:
    """``x.permute(0, ...)``: any order of the per-sample axes; the batch axis stays first."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    t = c.tensor(node, x)
    rank = len(t.shape) + 1
    perm = [_dim(c, node, d, rank, "dim") for d in dims]
    if sorted(perm) != list(range(rank)):
        raise ModelLoadError(f"{c.where(node)}: {tuple(dims)} is not a permutation of {rank} axes")
    if perm[0] != 0:
        raise UnsupportedError(f"{c.where(node)}: permutation {tuple(dims)} moves the batch axis; it must stay first")
    c.relayout(node, x, t.layout.transpose([p - 1 for p in perm[1:]]))


def transpose(c: Context, node: fx.Node, x: Ref, dim0, dim1) -> None:
    """``x.transpose(a, b)`` of two per-sample axes."""
    rank = len(c.tensor(node, x).shape) + 1
    perm = list(range(rank))
    a, b = _dim(c, node, dim0, rank, "dim0"), _dim(c, node, dim1, rank, "dim1")
    perm[a], perm[b] = perm[b], perm[a]
    permute(c, node, x, perm)


def squeeze(c: Context, node: fx.Node, x: Ref, dim=None) -> None:
    """Drop size-1 per-sample axes (all of them, or those of ``dim`` that have size 1)."""
    t = c.tensor(node, x)
    rank = len(t.shape) + 1
    if dim is None:
        drop = {i + 1 for i, d in enumerate(t.shape) if d == 1}
    else:
        drop = {_dim(c, node, d, rank, "dim") for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        if 0 in drop:
            raise UnsupportedError(f"{c.where(node)}: squeezes the batch axis (dim 0)")
        drop = {d for d in drop if t.shape[d - 1] == 1}  # as in PyTorch, other sizes stay
    c.relayout(node, x, t.layout.reshape(tuple(d for i, d in enumerate(t.shape) if i + 1 not in drop)))


def unsqueeze(c: Context, node: fx.Node, x: Ref, dim) -> None:
    """Insert a size-1 axis after the batch axis."""
    t = c.tensor(node, x)
    d = _dim(c, node, dim, len(t.shape) + 2, "dim")
    if d == 0:
        raise UnsupportedError(f"{c.where(node)}: inserts an axis before the batch axis (dim 0)")
    shape = list(t.shape)
    shape.insert(d - 1, 1)
    c.relayout(node, x, t.layout.reshape(tuple(shape)))

"""IR node names derived from a source model's names."""

from __future__ import annotations


def unique_name(hint: str, taken: set[str]) -> str:
    """``hint``, or ``hint_1``, ``hint_2``... whichever is free; records it as taken."""
    name, k = hint, 1
    while name in taken:
        name, k = f"{hint}_{k}", k + 1
    taken.add(name)
    return name

"""The pass protocol: ``run(graph, ctx) -> (graph, changed)``; a Pipeline is a pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..config import Config
from ..errors import Rtl4mlError
from ..ir import Graph


@dataclass(frozen=True)
class PassContext:
    """What passes may read besides the graph: the config and optional calibration
    inputs (IR layout, by input node name)."""

    config: Config = field(default_factory=Config)
    calibration: dict[str, np.ndarray] | None = None


class Pass(Protocol):
    def __call__(self, graph: Graph, ctx: PassContext) -> tuple[Graph, bool]: ...


@dataclass(frozen=True)
class Pipeline:
    """Runs passes in order; with ``until_fixpoint`` repeats the whole list until no pass
    changes the graph (at most ``max_rounds`` times)."""

    passes: tuple[Pass, ...]
    until_fixpoint: bool = False
    max_rounds: int = 20

    def __call__(self, graph: Graph, ctx: PassContext) -> tuple[Graph, bool]:
        changed_any = False
        for _ in range(self.max_rounds if self.until_fixpoint else 1):
            changed_round = False
            for p in self.passes:
                graph, changed = p(graph, ctx)
                changed_round |= changed
            changed_any |= changed_round
            if not changed_round:
                return graph, changed_any
        if self.until_fixpoint:
            raise Rtl4mlError(f"pipeline did not settle after {self.max_rounds} rounds")
        return graph, changed_any

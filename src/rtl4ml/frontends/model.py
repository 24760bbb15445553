"""What every frontend returns: an IR graph plus the layouts of its inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import LayerConfig
from ..ir import Graph
from .layout import Layout


@dataclass(frozen=True)
class ImportedModel:
    """An IR graph and, per graph input and output (by IR node name), the layout the
    source framework uses for it, so that users feed and read data in their own layout.

    ``layer_configs`` are settings the model itself carries, by node name: the types
    a quantization-aware-trained model was trained with. They act as per-layer config
    that the user's own per-layer settings override.
    """

    graph: Graph
    input_layouts: dict[str, Layout] = field(default_factory=dict)
    output_layouts: dict[str, Layout] = field(default_factory=dict)
    source: str = "ir"
    layer_configs: dict[str, LayerConfig] = field(default_factory=dict)

    @staticmethod
    def channels_last(graph: Graph, source: str = "ir") -> ImportedModel:
        """A model whose source layout equals the IR's (Keras, or an IR graph)."""
        ins = {n: Layout.identity(graph.shapes[n]) for n in graph.inputs}
        outs = {n: Layout.identity(graph.shapes[n]) for n in graph.outputs}
        return ImportedModel(graph, ins, outs, source)

"""The Keras frontend: :func:`load_keras` turns a Keras model into an rtl4ml IR graph.

In-memory Keras 3 models and ``.keras`` archives are read through the Keras API;
Keras 2 files (architecture JSON with its HDF5 weights, full-model ``.h5``) are parsed
directly, since Keras 3 cannot load them. Both end as one description of the layer
calls (:class:`KerasModelSpec`), converted to the IR once. Keras is channels-last,
like the IR, so inputs and outputs keep their layout.
"""

from .activations import ACTIVATIONS
from .loader import load_keras
from .registry import supported_layers
from .spec import KerasModelSpec, LayerCall, Ref

__all__ = ["ACTIVATIONS", "KerasModelSpec", "LayerCall", "Ref", "load_keras", "supported_layers"]

"""Keras layer class name -> handler that adds the layer's computation to the IR."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import activations as act
from . import layers_conv as conv
from . import layers_core as core
from .builder import Builder
from .spec import LayerCall

Handler = Callable[[Builder, LayerCall, list[str]], str]


@dataclass(frozen=True)
class LayerKind:
    """How to import one layer class: its handler, how many inputs it reads (None:
    two or more) and whether it has weights."""

    handler: Handler
    inputs: int | None = 1
    weighted: bool = False


_DROPOUTS = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout")

LAYERS: dict[str, LayerKind] = {
    "InputLayer": LayerKind(core.input_layer, inputs=0),
    "Dense": LayerKind(core.dense, weighted=True),
    "Conv1D": LayerKind(conv.conv, weighted=True),
    "Conv2D": LayerKind(conv.conv, weighted=True),
    "MaxPooling1D": LayerKind(conv.max_pooling),
    "MaxPooling2D": LayerKind(conv.max_pooling),
    "AveragePooling1D": LayerKind(conv.average_pooling),
    "AveragePooling2D": LayerKind(conv.average_pooling),
    "GlobalMaxPooling1D": LayerKind(conv.global_max_pooling),
    "GlobalMaxPooling2D": LayerKind(conv.global_max_pooling),
    "GlobalAveragePooling1D": LayerKind(conv.global_average_pooling),
    "GlobalAveragePooling2D": LayerKind(conv.global_average_pooling),
    "BatchNormalization": LayerKind(core.batch_normalization, weighted=True),
    "Activation": LayerKind(act.activation_layer),
    "ReLU": LayerKind(act.relu_layer),
    "LeakyReLU": LayerKind(act.leaky_relu_layer),
    "Softmax": LayerKind(act.softmax_layer),
    "Add": LayerKind(core.add, inputs=None),
    "Concatenate": LayerKind(core.concatenate, inputs=None),
    "Flatten": LayerKind(core.flatten),
    "Reshape": LayerKind(core.reshape),
    "Identity": LayerKind(core.identity),
    **{name: LayerKind(core.dropout) for name in _DROPOUTS},
}

#: Other names Keras accepts for the same classes (a config normally holds the canonical one).
ALIASES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
}


def layer_kind(class_name: str) -> LayerKind | None:
    return LAYERS.get(ALIASES.get(class_name, class_name))


def supported_layers() -> list[str]:
    """Every Keras layer class the importer accepts, sorted."""
    return sorted(LAYERS)

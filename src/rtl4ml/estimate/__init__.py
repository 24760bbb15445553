"""Estimation before synthesis: exact cycles and modelled resources of a model's
hardware across configurations (:func:`estimate`)."""

# these register their engines' structure on structure.structure
from . import dense_structure, softmax_structure, stream_structure  # noqa: F401
from .run import DESIGN_ROW, clear_cache, estimate

__all__ = ["DESIGN_ROW", "clear_cache", "estimate"]

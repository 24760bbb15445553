"""Estimation before synthesis: exact cycles and modelled resources of a model's
hardware across configurations (:func:`estimate`)."""

from . import stream_structure  # noqa: F401 - registers the pixel-stream parts' structure
from .run import DESIGN_ROW, clear_cache, estimate

__all__ = ["DESIGN_ROW", "clear_cache", "estimate"]

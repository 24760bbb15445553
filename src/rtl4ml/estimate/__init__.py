"""Estimation before synthesis: exact cycles and modelled resources of a model's
hardware across configurations (:func:`estimate`)."""

from .run import DESIGN_ROW, estimate

__all__ = ["DESIGN_ROW", "estimate"]

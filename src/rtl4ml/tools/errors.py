"""Errors raised when an external tool (simulator, synthesizer, place-and-route) is
missing or fails."""

from rtl4ml.errors import Rtl4mlError, ToolError

__all__ = ["Rtl4mlError", "ToolError"]

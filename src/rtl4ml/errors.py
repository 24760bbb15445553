"""The exceptions rtl4ml raises for bad input.

Every error a user can cause derives from :class:`Rtl4mlError`; the command line turns
one of these into a single line on stderr and a non-zero exit. Messages say what was
wrong, where (file, node or layer name), and what is accepted.
"""


class Rtl4mlError(Exception):
    """Base class of all user-facing rtl4ml errors."""


class FixedTypeError(Rtl4mlError, ValueError):
    """A fixed-point type string or parameter set is invalid."""


class GraphError(Rtl4mlError, ValueError):
    """The IR graph is malformed: bad shapes, dangling tensors, invalid attributes."""


class UnsupportedError(Rtl4mlError):
    """The model uses an operation or layer rtl4ml does not support."""


class ModelLoadError(Rtl4mlError):
    """A model file is missing, unreadable or corrupt."""


class ConfigError(Rtl4mlError, ValueError):
    """The configuration has an unknown key, an unknown layer name or a bad value."""


class PrecisionWarning(UserWarning):
    """A constant does not fit its fixed-point type and saturates (or wraps)."""


class ToolError(Rtl4mlError, RuntimeError):
    """An external tool (simulator, synthesis, place and route) is missing or failed."""

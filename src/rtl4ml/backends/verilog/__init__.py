"""The Verilog-2005 backend: a planned design to an in-memory FileTree."""

from .filetree import FileTree
from .names import Namer, sanitize
from .top import emit, top_name

__all__ = ["FileTree", "Namer", "emit", "sanitize", "top_name"]

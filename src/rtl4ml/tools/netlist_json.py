"""Reading Yosys JSON netlists (``write_json``): the top module and its ports."""

from __future__ import annotations


def top_module(netlist: dict) -> dict:
    """The module Yosys marked as top, or ValueError saying what is wrong."""
    try:
        for module in netlist["modules"].values():
            if "1" in str(module.get("attributes", {}).get("top", "")):  # Yosys writes a binary string
                return module
    except (KeyError, AttributeError, TypeError) as e:
        raise ValueError(f"not a Yosys JSON netlist ({type(e).__name__}: {e})") from None
    raise ValueError("no module has the top attribute")


def top_port_bits(netlist: dict) -> int:
    """The number of top-level port bits of a Yosys JSON netlist: the pins it needs."""
    ports = top_module(netlist).get("ports", {})
    try:
        return sum(len(port["bits"]) for port in ports.values())
    except (KeyError, AttributeError, TypeError) as e:
        raise ValueError(f"not a Yosys JSON netlist ({type(e).__name__}: {e})") from None

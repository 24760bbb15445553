"""Clock enables of large fan-out onto the ECP5 global network.

An engine stalls through one enable that loads every one of its registers; in a large
engine that net reaches thousands of flip-flop CE pins. nextpnr promotes only clocks to the
global network, so such a net is routed over general wires, where it congests the fabric,
slows routing down by hours and limits the clock. A DCCA (a global buffer) inserted between
the net and its CE pins puts those pins on a global: nextpnr routes a DCCA whose net drives
non-clock pins on one of the globals that reach the slices' control inputs. The net's other
loads (LUT inputs) stay on the original net.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from rtl4ml.tools.netlist_json import top_module

#: Globals that reach the slices' CE inputs, less one for the clock.
MAX_ENABLE_GLOBALS = 7

#: An enable below this many CE pins is left on general routing.
MIN_ENABLE_FANOUT = 256


@dataclass(frozen=True)
class PromotedEnable:
    net: str
    ce_pins: int


def _net_names(module: dict) -> dict[int, str]:
    """The shortest name of each net bit (Yosys lists a bit under every alias)."""
    names: dict[int, str] = {}
    for name, net in module.get("netnames", {}).items():
        bits = net["bits"]
        for k, bit in enumerate(bits):
            label = name if len(bits) == 1 else f"{name}[{k}]"
            if isinstance(bit, int) and (bit not in names or len(label) < len(names[bit])):
                names[bit] = label
    return names


def promote_enables(netlist: dict, *, max_nets: int = MAX_ENABLE_GLOBALS,
                    min_fanout: int = MIN_ENABLE_FANOUT) -> list[PromotedEnable]:
    """Put the CE pins of the ``max_nets`` nets with the most flip-flop CE loads (at least
    ``min_fanout``) of a ``synth_ecp5`` JSON netlist behind a DCCA each, in place; DCCAs
    already in the netlist count against ``max_nets``. Returns the promoted nets, largest
    first."""
    module = top_module(netlist)
    cells = module.setdefault("cells", {})
    ce_loads: dict[int, list[dict]] = defaultdict(list)
    on_global: set[int] = set()  # nets a DCCA already drives
    next_bit = 2
    for cell in cells.values():
        for bits in cell.get("connections", {}).values():
            next_bit = max([next_bit, *(b + 1 for b in bits if isinstance(b, int))])
        if cell.get("type") == "DCCA":
            on_global.update(cell.get("connections", {}).get("CLKO", []))
        if cell.get("type") == "TRELLIS_FF":
            ce = cell.get("connections", {}).get("CE", [])
            if len(ce) == 1 and isinstance(ce[0], int):
                ce_loads[ce[0]].append(cell)
    for net in module.get("netnames", {}).values():
        next_bit = max([next_bit, *(b + 1 for b in net["bits"] if isinstance(b, int))])
    chosen = sorted((b for b, loads in ce_loads.items() if len(loads) >= min_fanout and b not in on_global),
                    key=lambda b: (-len(ce_loads[b]), b))[:max(0, max_nets - len(on_global))]
    names = _net_names(module)
    promoted = []
    for bit in chosen:
        name = names.get(bit, f"net{bit}")
        glb = next_bit
        next_bit += 1
        cells[f"$enable_global${name}"] = {
            "hide_name": 0, "type": "DCCA", "parameters": {}, "attributes": {},
            "port_directions": {"CLKI": "input", "CE": "input", "CLKO": "output"},
            "connections": {"CLKI": [bit], "CE": ["1"], "CLKO": [glb]},
        }
        module.setdefault("netnames", {})[f"{name}$global"] = {"hide_name": 0, "bits": [glb], "attributes": {}}
        for ff in ce_loads[bit]:
            ff["connections"]["CE"] = [glb]
        promoted.append(PromotedEnable(name, len(ce_loads[bit])))
    return promoted

"""FPGA devices and what they hold: the table estimates are read against.

Block RAM is counted in each family's basic unit, as synthesis reports it
(:mod:`rtl4ml.tools.synth`): 18 Kb on AMD/Xilinx (a 36 Kb block is two) and ECP5
(``DP16KD``), 4 Kb on iCE40 (``SB_RAM40_4K``). ``lut`` is the device's logic cells: LUT6s
on AMD/Xilinx, LUT4s on ECP5 and iCE40.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .errors import ConfigError
from .tools.synth import Target


class Family(Enum):
    """Device families with the same logic cells: what a resource model maps onto."""

    XILINX = "xilinx"  # 7 series and UltraScale(+): LUT6, CARRY4/8, DSP48, RAMB18/36
    ECP5 = "ecp5"  # LUT4, CCU2C carry cells (2 bits), MULT18X18D, DP16KD
    ICE40 = "ice40"  # LUT4 with SB_CARRY, SB_MAC16 (UltraPlus), SB_RAM40_4K

    @property
    def target(self) -> Target:
        """The Yosys synthesis target whose cells this family's estimates count."""
        return {Family.XILINX: Target.XC7, Family.ECP5: Target.ECP5, Family.ICE40: Target.ICE40}[self]


@dataclass(frozen=True)
class Device:
    name: str
    family: Family
    lut: int
    ff: int
    dsp: int
    bram: int  # in the family's basic block RAM unit (see the module docstring)

    def capacity(self) -> dict[str, int]:
        return {"lut": self.lut, "ff": self.ff, "dsp": self.dsp, "bram": self.bram}


DEVICES: dict[str, Device] = {d.name: d for d in (
    Device("xc7z020", Family.XILINX, 53_200, 106_400, 220, 280),
    Device("xc7a100t", Family.XILINX, 63_400, 126_800, 240, 270),
    Device("xczu9eg", Family.XILINX, 274_080, 548_160, 2_520, 1_824),
    Device("xcvu9p", Family.XILINX, 1_182_240, 2_364_480, 6_840, 4_320),
    Device("xcu250", Family.XILINX, 1_728_000, 3_456_000, 12_288, 5_376),
    Device("ecp5-25", Family.ECP5, 24_288, 24_288, 28, 56),
    Device("ecp5-45", Family.ECP5, 43_848, 43_848, 72, 108),
    Device("ecp5-85", Family.ECP5, 83_640, 83_640, 156, 208),
    Device("ice40up5k", Family.ICE40, 5_280, 5_280, 8, 30),
    Device("ice40hx8k", Family.ICE40, 7_680, 7_680, 0, 32),
)}

#: nextpnr-ecp5's device flag of each ECP5 device, smallest first.
ECP5_PNR_FLAGS = {"ecp5-25": "25k", "ecp5-45": "45k", "ecp5-85": "85k"}


def device(name: str | Device) -> Device:
    """The device called ``name`` (case-insensitive; "ECP5-45" and "ecp5_45" too)."""
    if isinstance(name, Device):
        return name
    key = str(name).strip().lower().replace("_", "-")
    if key not in DEVICES:
        raise ConfigError(f"unknown device {name!r}; known: {', '.join(DEVICES)}")
    return DEVICES[key]

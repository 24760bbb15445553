"""Synthesis of a build folder with Yosys (and optionally nextpnr-ecp5 for Fmax)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelLoadError
from ..tools import SynthResult, place_and_route, synthesize


@dataclass(frozen=True)
class SynthReport:
    synth: SynthResult
    fmax_mhz: float | None = None
    device: str | None = None  # the ECP5 device placed and routed on
    out_of_context: bool | None = None  # placed without I/O buffers and global clock
    global_enables: int = 0  # clock enables placed on the global network

    def as_dict(self) -> dict:
        d = dict(self.synth.as_dict())
        if self.fmax_mhz is not None:
            d["fmax_mhz"] = self.fmax_mhz
        if self.device:
            d["device"] = self.device
        if self.out_of_context is not None:
            d["out_of_context"] = self.out_of_context
            d["global_enables"] = self.global_enables
        return d


def synthesize_folder(folder, target: str = "xc7", dsp: bool = True, pnr: bool = False,
                      timeout_s: float | None = None, placer: str | None = None,
                      router: str | None = None) -> SynthReport:
    """Yosys ``synth_<target>`` on the folder's RTL; with ``pnr`` (ECP5 only) also
    nextpnr-ecp5 place and route for the maximum clock frequency, with nextpnr's
    ``placer`` and ``router`` (default: its own). ``timeout_s`` limits each tool run
    (default: the tools' own limits)."""
    folder = Path(folder)
    try:
        top = json.loads((folder / "design.json").read_text())["top"]
    except (OSError, ValueError, KeyError):
        raise ModelLoadError(f"'{folder}' is not an rtl4ml build folder (no readable design.json)") from None
    rtl = folder / "rtl"
    limit = {} if timeout_s is None else {"timeout_s": timeout_s}
    choices = {k: v for k, v in (("placer", placer), ("router", router)) if v is not None}
    if not pnr:
        if choices:
            raise ValueError(f"{' and '.join('--' + k for k in choices)} only apply to place and route: "
                             f"give --pnr too")
        return SynthReport(synthesize(rtl, top, target, dsp=dsp, **limit))
    if target != "ecp5":
        raise ValueError(f"place and route is available for --target ecp5, not {target}")
    routed = place_and_route(rtl, top, dsp=dsp, **limit, **choices)  # its own synthesis is the report's
    return SynthReport(routed.synth, routed.fmax_mhz, routed.device, routed.out_of_context,
                       len(routed.global_enables))

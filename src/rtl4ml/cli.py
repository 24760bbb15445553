"""The ``rtl4ml`` command line. Bad input gives one line on stderr and exit code 1;
``--debug`` shows the traceback instead."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from .errors import ModelLoadError, Rtl4mlError
from .util.files import write_bytes_atomic

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Trained neural networks to bit-exact FPGA hardware.")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="YAML or JSON config file")]
PrecisionOpt = Annotated[Optional[str], typer.Option("--precision", help="model-wide type, e.g. fixed<16,6>")]
WeightOpt = Annotated[Optional[str], typer.Option("--weight-precision", help="model-wide weight type")]
ReuseOpt = Annotated[Optional[int], typer.Option("--reuse", help="model-wide reuse factor", min=1)]
CalOpt = Annotated[Optional[Path], typer.Option("--calibration", help=".npy sample inputs for fixed<W,auto> types")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="show tracebacks")]
WeightsOpt = Annotated[
    Optional[Path], typer.Option("--weights", help="weights of a Keras architecture JSON, or a PyTorch state dict")
]
ShapeOpt = Annotated[Optional[str], typer.Option("--input-shape", help="PyTorch input sample shape, e.g. 1,28,28")]
PickleOpt = Annotated[
    bool, typer.Option("--allow-pickle", help="load a fully pickled PyTorch module (this runs code from the file)")
]


def _shape(text: str | None):
    if text is None:
        return None
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        dims = ()
    if not dims or min(dims) < 1:
        raise Rtl4mlError(f"--input-shape {text!r}: expected positive integers such as 1,28,28")
    return dims


def _load_npy(path: Path, what: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ModelLoadError(f"{what} file '{path}' does not exist") from None
    except (OSError, ValueError) as e:
        raise ModelLoadError(f"{what} file '{path}' is not a readable .npy array: {e}") from None


def _design(model: str, config, precision, weight_precision, reuse, calibration, weights, input_shape, allow_pickle):
    from . import api
    from .config import Config, load_config, with_shortcuts

    cfg = load_config(config) if config else Config()
    cfg = with_shortcuts(cfg, precision, weight_precision, reuse)
    cal = _load_npy(calibration, "calibration") if calibration else None
    return api.convert(model, cfg, cal, weights=weights, input_shape=_shape(input_shape), allow_pickle=allow_pickle)


def _guard(debug: bool, fn, *args):
    try:
        return fn(*args)
    except (Rtl4mlError, ValueError, OSError) as e:
        if debug:
            raise
        typer.echo(f"rtl4ml: error: {e}", err=True)
        raise typer.Exit(1) from None


@app.command()
def inspect(
    model: Annotated[str, typer.Argument(help="model file (.onnx, .keras, .h5, .json, .pt)")],
    config: ConfigOpt = None,
    precision: PrecisionOpt = None,
    weight_precision: WeightOpt = None,
    reuse: ReuseOpt = None,
    calibration: CalOpt = None,
    weights: WeightsOpt = None,
    input_shape: ShapeOpt = None,
    allow_pickle: PickleOpt = False,
    debug: DebugOpt = False,
):
    """Show layers, shapes, types, parameters and MACs after optimization."""

    def run():
        design = _design(model, config, precision, weight_precision, reuse, calibration, weights, input_shape, allow_pickle)
        from .report.inspect import print_design

        print_design(design)

    _guard(debug, run)


@app.command()
def predict(
    model: Annotated[str, typer.Argument(help="model file (.onnx, .keras, .h5, .json, .pt)")],
    input: Annotated[Path, typer.Option("--input", "-i", help=".npy batch of inputs (source layout)")],
    output: Annotated[Path, typer.Option("--output", "-o", help=".npy file for the outputs")],
    float_: Annotated[bool, typer.Option("--float", help="the float reference instead of bit-exact")] = False,
    config: ConfigOpt = None,
    precision: PrecisionOpt = None,
    weight_precision: WeightOpt = None,
    reuse: ReuseOpt = None,
    calibration: CalOpt = None,
    weights: WeightsOpt = None,
    input_shape: ShapeOpt = None,
    allow_pickle: PickleOpt = False,
    debug: DebugOpt = False,
):
    """Run the bit-exact emulation (or the float reference) on a batch of inputs."""

    def run():
        design = _design(model, config, precision, weight_precision, reuse, calibration, weights, input_shape, allow_pickle)
        x = _load_npy(input, "input")
        y = design.predict_float(x) if float_ else design.predict(x)
        if isinstance(y, list):
            raise Rtl4mlError(f"the model has {len(y)} outputs; predict writes one .npy, use the Python API")
        buf = io.BytesIO()
        np.save(buf, y)
        write_bytes_atomic(output, buf.getvalue())
        typer.echo(f"wrote {output} ({y.shape[0]} samples, shape {y.shape[1:]}, {'float' if float_ else 'bit-exact'})")

    _guard(debug, run)


@app.command()
def build(
    model: Annotated[str, typer.Argument(help="model file (.onnx, .keras, .h5, .json, .pt)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="build folder to create")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing folder")] = False,
    samples: Annotated[int, typer.Option("--samples", help="test vectors written to tb/", min=1)] = 256,
    config: ConfigOpt = None,
    precision: PrecisionOpt = None,
    weight_precision: WeightOpt = None,
    reuse: ReuseOpt = None,
    calibration: CalOpt = None,
    weights: WeightsOpt = None,
    input_shape: ShapeOpt = None,
    allow_pickle: PickleOpt = False,
    debug: DebugOpt = False,
):
    """Generate the hardware: Verilog, testbench and vectors, scripts, design.json."""

    def run():
        design = _design(model, config, precision, weight_precision, reuse, calibration, weights, input_shape, allow_pickle)
        folder = design.write(output, overwrite=overwrite, samples=samples)
        hp = json.loads((folder / "design.json").read_text())
        typer.echo(
            f"wrote {folder}: top {hp['top']}, latency {hp['predicted_latency_cycles']} cycles, "
            f"interval {hp['predicted_interval_cycles']}"
        )

    _guard(debug, run)


@app.command()
def verify(
    folder: Annotated[Path, typer.Argument(help="build folder from rtl4ml build")],
    samples: Annotated[int, typer.Option("--samples", help="random input vectors", min=1)] = 256,
    stalls: Annotated[bool, typer.Option("--stalls", help="also run with random valid/ready stalls")] = False,
    simulator: Annotated[str, typer.Option("--simulator", help="verilator or icarus")] = "verilator",
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
    debug: DebugOpt = False,
):
    """Simulate the build and compare every output with the emulator; exit 1 on any mismatch."""

    def run():
        from .project import verify as verify_folder

        if simulator not in ("verilator", "icarus"):
            raise Rtl4mlError(f"--simulator {simulator!r}: accepted verilator, icarus")
        report = verify_folder(folder, samples, stalls, simulator)
        if as_json:
            typer.echo(json.dumps(report.as_dict()))
        else:
            typer.echo(
                f"{report.samples} samples{' (and random stalls)' if stalls else ''} on {simulator}: "
                f"{report.mismatches} mismatches; latency {report.latency_cycles} cycles "
                f"(predicted {report.predicted_latency_cycles}), interval {report.interval_cycles} "
                f"(predicted {report.predicted_interval_cycles})"
            )
            if report.first_mismatch:
                typer.echo(f"first mismatch: {report.first_mismatch}")
        if not report.ok:
            raise typer.Exit(1)

    _guard(debug, run)


@app.command()
def synth(
    folder: Annotated[Path, typer.Argument(help="build folder from rtl4ml build")],
    target: Annotated[str, typer.Option("--target", help="xc7, ecp5 or ice40")] = "xc7",
    no_dsp: Annotated[bool, typer.Option("--no-dsp", help="map multipliers to logic")] = False,
    pnr: Annotated[bool, typer.Option("--pnr", help="nextpnr-ecp5 place and route for Fmax")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
    debug: DebugOpt = False,
):
    """Synthesize with Yosys and report LUT/FF/DSP/BRAM/CARRY (and Fmax with --pnr)."""

    def run():
        from .project import synthesize_folder

        if target not in ("xc7", "ecp5", "ice40"):
            raise Rtl4mlError(f"--target {target!r}: accepted xc7, ecp5, ice40")
        report = synthesize_folder(folder, target, not no_dsp, pnr)
        d = report.as_dict()
        if as_json:
            typer.echo(json.dumps({k: v for k, v in d.items() if k not in ("cells", "latch_signals")}))
        else:
            figures = ", ".join(f"{k} {d[k]}" for k in ("lut", "ff", "dsp", "bram", "carry", "latches"))
            typer.echo(f"{target}{' (no DSP)' if no_dsp else ''}: {figures}" + (f", Fmax {d['fmax_mhz']:.1f} MHz" if "fmax_mhz" in d else ""))

    _guard(debug, run)


def main() -> None:
    app(prog_name="rtl4ml")


if __name__ == "__main__":
    sys.exit(main())

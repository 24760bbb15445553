"""The ``rtl4ml`` command line. Bad input gives one line on stderr and exit code 1;
``--debug`` shows the traceback instead."""

from __future__ import annotations

import io
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


def main() -> None:
    app(prog_name="rtl4ml")


if __name__ == "__main__":
    sys.exit(main())

"""The ``rtl4ml`` command line. Bad input gives one line on stderr and exit code 1;
``--debug`` shows the traceback instead."""

from __future__ import annotations

import functools
import inspect
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
ArgmaxOpt = Annotated[bool, typer.Option("--argmax", help="output the index of the largest value (drops a final softmax)")]
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


def _design(model: str, config, precision, weight_precision, reuse, argmax, calibration, weights, input_shape,
            allow_pickle):
    from . import api
    from .config import Config, load_config, with_shortcuts

    cfg = load_config(config) if config else Config()
    cfg = with_shortcuts(cfg, precision, weight_precision, reuse, argmax)
    cal = _load_npy(calibration, "calibration") if calibration else None
    return api.convert(model, cfg, cal, weights=weights, input_shape=_shape(input_shape), allow_pickle=allow_pickle)


def _with_options(fn, options: dict, adapt):
    """``fn`` as a command that also takes ``options`` (name -> (annotation, default)),
    keyword-only at the end of its signature; ``adapt(options_given, kwargs)`` calls it."""
    sig = inspect.signature(fn, eval_str=True)
    extra = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d) for n, (a, d) in options.items()]

    @functools.wraps(fn)
    def command(**kwargs):
        given = {n: kwargs.pop(n) for n in options}
        return adapt(given, kwargs)

    params = [p for p in sig.parameters.values() if p.name != "design"] + extra
    command.__signature__ = sig.replace(parameters=params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def guarded(fn):
    """Add ``--debug``; bad input becomes one line on stderr and exit code 1."""
    return _with_options(fn, {"debug": (DebugOpt, False)}, lambda o, kw: _guard(o["debug"], lambda: fn(**kw)))


MODEL_ARGUMENT = Annotated[str, typer.Argument(help="model file (.onnx, .keras, .h5, .json, .pt)")]
MODEL_OPTIONS = {
    "config": (ConfigOpt, None),
    "precision": (PrecisionOpt, None),
    "weight_precision": (WeightOpt, None),
    "reuse": (ReuseOpt, None),
    "argmax": (ArgmaxOpt, False),
    "calibration": (CalOpt, None),
    "weights": (WeightsOpt, None),
    "input_shape": (ShapeOpt, None),
    "allow_pickle": (PickleOpt, False),
}


def loads_model(fn):
    """A command on a converted model: takes MODEL and every model option, and calls
    ``fn(design=..., **its own options)``."""

    def adapt(given, kwargs):
        model = kwargs.pop("model")
        return fn(design=_design(model, **given), **kwargs)

    with_model = _with_options(fn, MODEL_OPTIONS, adapt)
    sig = with_model.__signature__
    model = inspect.Parameter("model", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=MODEL_ARGUMENT)
    with_model.__signature__ = sig.replace(parameters=[model, *sig.parameters.values()])
    with_model.__annotations__ = {"model": MODEL_ARGUMENT, **with_model.__annotations__}
    return guarded(with_model)


def _guard(debug: bool, fn):
    try:
        return fn()
    except (Rtl4mlError, ValueError, OSError) as e:
        if debug:
            raise
        typer.echo(f"rtl4ml: error: {e}", err=True)
        raise typer.Exit(1) from None


@app.command("inspect")
@loads_model
def inspect_model(design):
    """Show layers, shapes, types, parameters and MACs after optimization."""
    from .report.inspect import print_design

    print_design(design)


@app.command()
@loads_model
def predict(
    design,
    input: Annotated[Path, typer.Option("--input", "-i", help=".npy batch of inputs (source layout)")],
    output: Annotated[Path, typer.Option("--output", "-o", help=".npy file for the outputs")],
    float_: Annotated[bool, typer.Option("--float", help="the float reference instead of bit-exact")] = False,
):
    """Run the bit-exact emulation (or the float reference) on a batch of inputs."""
    x = _load_npy(input, "input")
    y = design.predict_float(x) if float_ else design.predict(x)
    if isinstance(y, list):
        raise Rtl4mlError(f"the model has {len(y)} outputs; predict writes one .npy, use the Python API")
    buf = io.BytesIO()
    np.save(buf, y)
    write_bytes_atomic(output, buf.getvalue())
    typer.echo(f"wrote {output} ({y.shape[0]} samples, shape {y.shape[1:]}, {'float' if float_ else 'bit-exact'})")


@app.command()
@loads_model
def build(
    design,
    output: Annotated[Path, typer.Option("--output", "-o", help="build folder to create")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace an existing folder")] = False,
    samples: Annotated[int, typer.Option("--samples", help="test vectors written to tb/", min=1)] = 256,
):
    """Generate the hardware: Verilog, testbench and vectors, scripts, design.json."""
    folder = design.write(output, overwrite=overwrite, samples=samples)
    hp = json.loads((folder / "design.json").read_text())
    typer.echo(
        f"wrote {folder}: top {hp['top']}, latency {hp['predicted_latency_cycles']} cycles, "
        f"interval {hp['predicted_interval_cycles']}"
    )


@app.command()
@guarded
def verify(
    folder: Annotated[Path, typer.Argument(help="build folder from rtl4ml build")],
    samples: Annotated[int, typer.Option("--samples", help="random input vectors", min=1)] = 256,
    stalls: Annotated[bool, typer.Option("--stalls", help="also run with random valid/ready stalls")] = False,
    simulator: Annotated[str, typer.Option("--simulator", help="verilator or icarus")] = "verilator",
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
):
    """Simulate the build and compare every output with the emulator; exit 1 on any mismatch."""
    from .project import verify as verify_folder
    from .tools import Simulator

    report = verify_folder(folder, samples, stalls, Simulator.parse(simulator).value)
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


@app.command()
@guarded
def synth(
    folder: Annotated[Path, typer.Argument(help="build folder from rtl4ml build")],
    target: Annotated[str, typer.Option("--target", help="xc7, ecp5 or ice40")] = "xc7",
    no_dsp: Annotated[bool, typer.Option("--no-dsp", help="map multipliers to logic")] = False,
    pnr: Annotated[bool, typer.Option("--pnr", help="nextpnr-ecp5 place and route for Fmax")] = False,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="seconds each tool may run (default 3600)",
                                                     min=1)] = None,
    placer: Annotated[Optional[str], typer.Option("--placer", help="with --pnr: nextpnr's placer, heap (its "
                                                  "default), static or sa")] = None,
    router: Annotated[Optional[str], typer.Option("--router", help="with --pnr: nextpnr's router, router1 (its "
                                                  "default) or router2")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON object")] = False,
):
    """Synthesize with Yosys and report LUT/FF/DSP/BRAM/CARRY (and Fmax with --pnr)."""
    from .project import synthesize_folder
    from .tools import Target

    report = synthesize_folder(folder, Target.parse(target).value, not no_dsp, pnr, timeout, placer, router)
    d = report.as_dict()
    if as_json:
        typer.echo(json.dumps({k: v for k, v in d.items() if k not in ("cells", "latch_signals")}))
    else:
        figures = ", ".join(f"{k} {d[k]}" for k in ("lut", "ff", "dsp", "bram", "carry", "latches"))
        fmax = ""
        if "fmax_mhz" in d:
            placed = " (out of context)" if d.get("out_of_context") else ""
            fmax = f", Fmax {d['fmax_mhz']:.1f} MHz on ECP5-{d.get('device', '?').upper()}{placed}"
        typer.echo(f"{target}{' (no DSP)' if no_dsp else ''}: {figures}" + fmax)


def _items(text: str | None, what: str) -> list[str] | None:
    """A comma-separated list; commas inside <...> belong to a type (fixed<16,6>)."""
    if text is None:
        return None
    items, depth, start = [], 0, 0
    for k, ch in enumerate(text + ","):
        depth += (ch == "<") - (ch == ">")
        if ch == "," and depth == 0:
            items.append(text[start:k].strip())
            start = k + 1
    if depth:
        items = [text.strip()]  # an unbalanced type: the type parser says what is wrong
    if not all(items):
        raise Rtl4mlError(f"{what} {text!r}: an empty item in the comma-separated list")
    return items


def _numbers(text: str | None, what: str, kind):
    items = _items(text, what)
    try:
        return None if items is None else [kind(v) for v in items]
    except ValueError:
        raise Rtl4mlError(f"{what} {text!r}: expected comma-separated numbers") from None


def _flags(text: str | None, what: str) -> list[bool] | None:
    words = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}
    items = _items(text, what)
    if items is not None and any(v.lower() not in words for v in items):
        raise Rtl4mlError(f"{what} {text!r}: expected true/false values")
    return None if items is None else [words[v.lower()] for v in items]


@app.command()
@guarded
def estimate(
    model: MODEL_ARGUMENT,
    config: ConfigOpt = None,
    precision: Annotated[Optional[str], typer.Option("--precision", help="types to try, e.g. fixed<16,6>,fixed<8,3>")] = None,
    weight_precision: WeightOpt = None,
    reuse: Annotated[Optional[str], typer.Option("--reuse", help="reuse factors to try, e.g. 1,2,4")] = None,
    strategy: Annotated[Optional[str], typer.Option("--strategy", help="strategies to try: latency, resource or latency,resource")] = None,
    use_dsp: Annotated[Optional[str], typer.Option("--use-dsp", help="true, false or true,false")] = None,
    device: Annotated[Optional[str], typer.Option("--device", help="devices, e.g. xc7z020,ecp5-45")] = None,
    clock_mhz: Annotated[Optional[str], typer.Option("--clock-mhz", help="clocks, e.g. 200")] = None,
    per_layer: Annotated[bool, typer.Option("--per-layer", help="also a row per layer")] = False,
    argmax: ArgmaxOpt = False,
    calibration: CalOpt = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="write the table as CSV")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="write the table as HTML")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON list of row objects")] = False,
    correction: Annotated[Optional[Path], typer.Option("--correction", help="learned correction file")] = None,
    analytic: Annotated[bool, typer.Option("--analytic", help="the analytic model alone (no correction)")] = False,
    weights: WeightsOpt = None,
    input_shape: ShapeOpt = None,
    allow_pickle: PickleOpt = False,
):
    """Estimate resources and cycles for every combination of the given settings."""
    from .estimate import estimate as run_estimate

    design = _design(model, config, None, weight_precision, None, argmax, calibration, weights, input_shape,
                     allow_pickle)
    grid = {"precision": _items(precision, "--precision"), "reuse_factor": _numbers(reuse, "--reuse", int),
            "strategy": _items(strategy, "--strategy"), "use_dsp": _flags(use_dsp, "--use-dsp"),
            "device": _items(device, "--device"), "clock_mhz": _numbers(clock_mhz, "--clock-mhz", float)}
    cal = _load_npy(calibration, "calibration") if calibration else None
    table = run_estimate(design, per_layer=per_layer, calibration=cal, correction=False if analytic else correction,
                         **{k: v for k, v in grid.items() if v is not None})
    if csv:
        write_bytes_atomic(csv, table.to_csv(index=False).encode())
    if html:
        write_bytes_atomic(html, table.to_html(index=False, na_rep="").encode())
    if as_json:
        typer.echo(table.to_json(orient="records"))
    else:
        typer.echo(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:.4g}"))


dataset_app = typer.Typer(no_args_is_help=True, help="Datasets of measured designs for the estimator.")
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("generate")
@guarded
def dataset_generate(
    n: Annotated[int, typer.Option("--n", help="designs (seeds first-seed .. first-seed+n-1)", min=1)],
    out: Annotated[Path, typer.Option("--out", "-o", help="dataset folder (re-running resumes it)")],
    scheduler: Annotated[Optional[str], typer.Option("--scheduler", help="Dask scheduler address")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", help="local processes (default: CPUs)", min=1)] = None,
    first_seed: Annotated[int, typer.Option("--first-seed", help="seed of the first design", min=0)] = 0,
    targets: Annotated[str, typer.Option("--targets", help="Yosys targets, e.g. xc7,ecp5")] = "xc7,ecp5",
    samples: Annotated[int, typer.Option("--samples", help="simulated samples per design", min=1)] = 16,
):
    """Build random one-layer designs, simulate (Verilator) and synthesize (Yosys) them,
    and store features with the measured results (Parquet)."""
    from rich.progress import Progress

    from .estimate.dataset import generate

    with Progress(transient=False) as bar:
        task = bar.add_task("designs", total=n)
        table = generate(n, out, first_seed=first_seed, targets=_items(targets, "--targets"), samples=samples,
                         workers=workers, scheduler=scheduler,
                         progress=lambda done, total: bar.update(task, completed=done))
    failed = int((table.status != "ok").sum()) if len(table) else 0
    typer.echo(f"{out}: {len(table)} designs, {failed} failed ({out / 'dataset.parquet'})")


estimator_app = typer.Typer(no_args_is_help=True, help="The learned correction of the resource estimates.")
app.add_typer(estimator_app, name="estimator")


@estimator_app.command("train")
@guarded
def estimator_train(
    data: Annotated[Path, typer.Argument(help="dataset folder (rtl4ml dataset generate) or its .parquet file")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="correction file to write")] = None,
    hold_out: Annotated[int, typer.Option("--hold-out", help="leave out every K-th seed (for testing)", min=0)] = 0,
):
    """Train the learned correction on a dataset; use it with rtl4ml estimate --correction
    (or $RTL4ML_CORRECTION)."""
    from .estimate.train import train_file

    target = out or (data if data.is_dir() else data.parent) / "correction.json"
    correction, report = train_file(data, target, hold_out)
    typer.echo(f"wrote {target}: trained on {correction.designs} designs")
    for (family, resource), s in sorted(report.items(), key=lambda kv: (kv[0][0].value, kv[0][1])):
        use = "corrected" if s.corrects else "left analytic"
        typer.echo(f"  {family.value} {resource}: cross-validated sMAPE {s.analytic:.1f} % analytic, "
                   f"{s.learned:.1f} % learned ({s.fit}): {use}")


def main() -> None:
    app(prog_name="rtl4ml")


if __name__ == "__main__":
    sys.exit(main())

"""Shared test setup: Keras on the torch backend, and the fixtures of the tool tests
(tests/test_tools*.py: small hand-written designs from tests/tool_duts.py)."""

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from tool_duts import (
    BEAT_SPLIT,
    BEAT_SUM3,
    LATCHY,
    MULT,
    ROM,
    ROM_LOOKUP,
    SERIAL_SUM,
    SILENT,
    WIDE_SUM,
    Builds,
    N,
    addpipe,
)

from rtl4ml.hw import graph_store
from rtl4ml.tools import format_hex

# Keras 3 runs on the torch backend here; TensorFlow is not needed
os.environ.setdefault("KERAS_BACKEND", "torch")


def pytest_configure(config: pytest.Config) -> None:
    """Solved adder graphs go to a folder of the test session, not the user's cache, from
    collection on (the variable reaches the command-line tests' processes too)."""
    folder = tempfile.mkdtemp(prefix="rtl4ml-test-graphs-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    os.environ[graph_store.ENV] = folder


@pytest.fixture(scope="module")
def samples() -> np.ndarray:
    rng = np.random.default_rng(1234)
    x = rng.integers(-128, 128, size=(N, 4), dtype=np.int64)
    x[0] = [-128, 127, 0, -1]
    x[1] = [127, -128, -1, 0]
    return x


@pytest.fixture(scope="module")
def rtl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file per module, named after it (as `verilator -Wall` wants)."""
    root = tmp_path_factory.mktemp("rtl")
    sources = {
        "addpipe": addpipe("addpipe"),
        "addpipe_drop": addpipe("addpipe_drop", advance="1'b1"),
        "addpipe_sign": addpipe("addpipe_sign", sign="(i == 3 ? 1'b0 : d0[i*8 + 7])"),
        "serial_sum": SERIAL_SUM,
        "silent": SILENT,
        "wide_sum": WIDE_SUM,
        "latchy": LATCHY,
        "mult": MULT,
        "rom_lookup": ROM_LOOKUP,
        "beat_sum3": BEAT_SUM3,
        "beat_split": BEAT_SPLIT,
    }
    for name, text in sources.items():
        (root / name).mkdir()
        (root / name / f"{name}.v").write_text(text)
    (root / "rom_lookup" / "rom_lookup.mem").write_text(format_hex(ROM, 8))
    return root


@pytest.fixture(scope="module")
def builds(rtl_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    return Builds(rtl_dir, tmp_path_factory.mktemp("builds"))

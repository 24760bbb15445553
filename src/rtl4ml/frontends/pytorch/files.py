"""Reading ``.pt``/``.pth`` files without running code from them unless allowed.

``torch.load(..., weights_only=True)`` restores tensors and plain containers only. A
file that holds a whole pickled ``nn.Module`` fails that way; it is opened with full
unpickling, which imports and runs whatever the file names, only with
``allow_pickle``. To tell such a file from a corrupt one, its pickle is read opcode by
opcode (:mod:`pickletools` parses without executing anything).
"""

from __future__ import annotations

import io
import os
import pickletools
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from ...errors import ModelLoadError, UnsupportedError

PICKLE_HINT = (
    "if you trust the file, pass allow_pickle=True (Python) or --allow-pickle (command line); "
    "weights saved with torch.save(model.state_dict(), path) load safely, given as weights= with the module"
)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return (text[:200] + "...") if len(text) > 200 else (text or type(e).__name__)


def _pickle_imports(stream) -> list[str]:
    """The ``module.name`` globals one pickle imports, read without unpickling."""
    found, strings, memo, last = [], [], {}, None
    for op, arg, _ in pickletools.genops(stream):
        name = op.name
        if name == "GLOBAL":
            found.append(str(arg).replace(" ", "."))
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]}.{strings[-1]}")
        if isinstance(arg, str) and ("UNICODE" in name or "STRING" in name):
            last = arg
            strings.append(arg)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
            memo[len(memo) if name == "MEMOIZE" else arg] = last
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            last = memo.get(arg)
            if isinstance(last, str):
                strings.append(last)
        else:
            last = None
    return found


def pickled_imports(path: Path) -> list[str] | None:
    """What a torch.save file would import when fully unpickled, or None if the file is
    not a readable pickle (a corrupt file)."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n == "data.pkl" or n.endswith("/data.pkl")]
                if not names:
                    return None
                return _pickle_imports(io.BytesIO(z.read(names[0])))
        with open(path, "rb") as f:  # the legacy format: magic number, protocol, system info, object
            found = []
            for _ in range(4):
                found += _pickle_imports(f)
            return found
    except Exception:  # any parse failure means the file is not a pickle we can read
        return None


#: Globals every torch.save file names (tensor storage and containers): not worth listing.
_PLAIN = ("torch._utils.", "collections.", "builtins.", "__builtin__.", "torch.jit._pickle.")


def _interesting(imports: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in imports if not i.startswith(_PLAIN) and not i.endswith("Storage")))


def is_torchscript(path: Path) -> bool:
    """A ``torch.jit.save`` archive (it carries its code and constants)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _torch_load(path: Path, weights_only: bool):
    return torch.load(path, map_location="cpu", weights_only=weights_only)


def _check_exists(path: Path, what: str) -> None:
    if not path.exists():
        raise ModelLoadError(f"{what} '{path}' does not exist")
    if not path.is_file():
        raise ModelLoadError(f"{what} '{path}' is not a file")


def _is_weights(obj) -> bool:
    """A state dict, or a checkpoint dict holding one."""
    return isinstance(obj, Mapping) and all(
        isinstance(v, torch.Tensor) or _is_weights(v) or not isinstance(v, (Mapping, nn.Module)) for v in obj.values()
    )


def read_module_file(path: str | os.PathLike, allow_pickle: bool) -> nn.Module:
    """The ``nn.Module`` saved (with ``torch.save(model)``) in ``path``."""
    path = Path(path)
    _check_exists(path, "PyTorch model file")
    if is_torchscript(path):
        raise UnsupportedError(
            f"PyTorch model file '{path}' holds a TorchScript module (torch.jit.save), which torch.fx cannot trace; "
            "give the Python module, or save it with torch.save(model) or its weights with "
            "torch.save(model.state_dict(), path)"
        )
    try:
        obj = _torch_load(path, weights_only=True)
    except Exception as e:
        obj = _load_pickled(path, allow_pickle, e)
    if isinstance(obj, nn.Module):
        return obj
    if _is_weights(obj):
        raise ModelLoadError(
            f"PyTorch model file '{path}' holds only weights (a state dict), not the network's architecture; "
            f"build the module in Python and give this file as its weights: "
            f"rtl4ml.convert(model, weights='{path}', input_shape=...)"
        )
    raise ModelLoadError(f"PyTorch model file '{path}' holds a {type(obj).__name__}, not a torch.nn.Module")


def _load_pickled(path: Path, allow_pickle: bool, weights_error: Exception):
    imports = pickled_imports(path)
    if imports is None:
        raise ModelLoadError(
            f"cannot load PyTorch model file '{path}': not a readable torch.save file ({_one_line(weights_error)})"
        )
    if not allow_pickle:
        named = ", ".join(_interesting(imports)) or "objects other than tensors"
        raise ModelLoadError(
            f"PyTorch model file '{path}' is a pickle of Python objects (it imports {named}); "
            f"loading it could run arbitrary code from the file; {PICKLE_HINT}"
        )
    try:
        return _torch_load(path, weights_only=False)
    except Exception as e:
        raise ModelLoadError(
            f"cannot load PyTorch model file '{path}': {_one_line(e)} (the classes it names must be importable)"
        ) from None


def read_state_dict(path: str | os.PathLike) -> Mapping[str, torch.Tensor]:
    """A state dict saved with ``torch.save(model.state_dict(), path)`` (never unpickles code)."""
    path = Path(path)
    _check_exists(path, "PyTorch weights file")
    try:
        obj = _torch_load(path, weights_only=True)
    except Exception as e:
        if pickled_imports(path) is None:
            raise ModelLoadError(
                f"cannot load PyTorch weights file '{path}': not a readable torch.save file ({_one_line(e)})"
            ) from None
        raise ModelLoadError(
            f"PyTorch weights file '{path}' holds pickled Python objects, not just tensors; weights are never "
            "unpickled: save them with torch.save(model.state_dict(), path)"
        ) from None
    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        keys = list(obj)[:8] if isinstance(obj, Mapping) else None
        what = f"a dict with keys {keys}" if keys is not None else f"a {type(obj).__name__}"
        raise ModelLoadError(
            f"PyTorch weights file '{path}' holds {what}, not a state dict (names to tensors); "
            "save one with torch.save(model.state_dict(), path)"
        )
    return obj

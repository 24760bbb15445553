"""Resolving the RTL sources of a design: a list of files or a folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: Suffixes read as HDL source when a folder is given.
HDL_SUFFIXES = (".v", ".sv")

#: Suffix of memory images (``$readmemh`` files) taken along when a folder is given.
MEM_SUFFIX = ".mem"


def resolve_rtl(rtl: str | Path | Iterable[str | Path]) -> list[Path]:
    """Absolute paths of the HDL files: ``rtl`` is a folder (its ``*.v`` and ``*.sv``
    files, sorted by name) or a list of files (memory images among them are left out:
    see :func:`resolve_data_files`). Raises :class:`ValueError` if none exist."""
    if isinstance(rtl, (str, Path)):
        root = Path(rtl)
        if root.is_dir():
            files = sorted(p for p in root.iterdir() if p.suffix in HDL_SUFFIXES and p.is_file())
            if not files:
                raise ValueError(f"no .v or .sv files in {root}")
            return [p.resolve() for p in files]
        rtl = [root]
    files = [Path(p) for p in rtl]
    missing = [str(p) for p in files if not p.is_file()]
    files = [p for p in files if p.suffix != MEM_SUFFIX]
    if not files:
        raise ValueError("no RTL files given")
    if missing:
        raise ValueError(f"RTL file(s) not found: {', '.join(missing)}")
    return [p.resolve() for p in files]


def resolve_data_files(rtl: str | Path | Iterable[str | Path],
                       extra: Iterable[str | Path] = ()) -> list[Path]:
    """Memory images the RTL reads at run time: the ``*.mem`` files of an RTL folder (or
    of a list of files), plus ``extra`` files. They are copied to the folder the
    simulator or Yosys runs in, since ``$readmemh`` paths are relative to it."""
    files: list[Path] = []
    if isinstance(rtl, (str, Path)) and Path(rtl).is_dir():
        files += sorted(p for p in Path(rtl).iterdir() if p.suffix == MEM_SUFFIX and p.is_file())
    elif not isinstance(rtl, (str, Path)):
        files += [Path(p) for p in rtl if Path(p).suffix == MEM_SUFFIX]
    for path in extra:
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"data file not found: {path}")
        files.append(path)
    return [p.resolve() for p in files]


def resolve_sources(rtl: str | Path | Iterable[str | Path],
                    extra: Iterable[str | Path] = ()) -> tuple[list[Path], list[Path]]:
    """:func:`resolve_rtl` and :func:`resolve_data_files` of the same ``rtl`` (read once)."""
    if not isinstance(rtl, (str, Path)):
        rtl = list(rtl)
    return resolve_rtl(rtl), resolve_data_files(rtl, extra)

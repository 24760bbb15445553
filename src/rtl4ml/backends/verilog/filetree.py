"""An in-memory tree of generated files, written to disk in one atomic step."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath


def _check_path(path: str) -> str:
    if not isinstance(path, str) or not path or any(part in ("", ".", "..") for part in path.split("/")) or "\\" in path:
        raise ValueError(f"file tree paths must be relative, without '.', '..' or backslashes: {path!r}")
    return path


class FileTree:
    """Relative POSIX path -> file contents (text or bytes).

    Iteration, :meth:`paths` and :meth:`digest` are in sorted path order, so equal
    trees compare and serialize identically. Nothing touches the disk until :meth:`write`.
    """

    def __init__(self, files: dict[str, str | bytes] | None = None):
        self._files: dict[str, bytes] = {}
        for path, data in (files or {}).items():
            self[path] = data

    def __setitem__(self, path: str, data: str | bytes) -> None:
        path = _check_path(path)
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes):
            raise TypeError(f"file {path!r}: contents must be str or bytes, got {type(data).__name__}")
        for other in self._files:  # a file may not also be a folder
            if other.startswith(path + "/") or path.startswith(other + "/"):
                raise ValueError(f"file tree path {path!r} clashes with {other!r}")
        self._files[path] = data

    def __getitem__(self, path: str) -> bytes:
        return self._files[_check_path(path)]

    def text(self, path: str) -> str:
        return self[path].decode()

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def __iter__(self):
        return iter(self.paths())

    def __len__(self) -> int:
        return len(self._files)

    def __eq__(self, other) -> bool:
        return isinstance(other, FileTree) and self._files == other._files

    def paths(self, under: str = "") -> list[str]:
        """Sorted paths, optionally only those under the folder ``under``."""
        prefix = under.rstrip("/") + "/" if under else ""
        return sorted(p for p in self._files if p.startswith(prefix))

    def update(self, other: FileTree, under: str = "") -> None:
        """Add every file of ``other`` (below the folder ``under`` when given)."""
        for path in other.paths():
            self[f"{under.rstrip('/')}/{path}" if under else path] = other[path]

    def write(self, directory, overwrite: bool = False) -> Path:
        """Write the tree as the folder ``directory``, atomically.

        The files are written to a temporary sibling folder which is then renamed into
        place, so a failure leaves nothing behind. An existing ``directory`` is an error
        unless ``overwrite``, in which case it is replaced as a whole.
        """
        target = Path(directory)
        parent = target.parent
        parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and not overwrite:
            raise FileExistsError(f"output folder '{target}' already exists")
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
        old = None
        try:
            for path in self.paths():
                dest = tmp.joinpath(*PurePosixPath(path).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(self._files[path])
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
                os.rmdir(old)
                os.rename(target, old)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old is not None and not target.exists():
                os.rename(old, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def __repr__(self) -> str:
        return f"<FileTree: {len(self)} files>"

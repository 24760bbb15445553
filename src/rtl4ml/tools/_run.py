"""Running external programs: one place for timeouts, logs and error extraction."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

from rtl4ml.tools.errors import ToolError

_ERROR_LINE = re.compile(r"(%Error|\berror\b|ERROR|Error:|syntax error|I give up)", re.IGNORECASE)


def first_error_lines(text: str, limit: int = 8) -> str:
    """The first lines of ``text`` that look like errors (else its last lines), joined."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR_LINE.search(line)]
    picked = errors[:limit] if errors else lines[-limit:]
    return "\n".join(picked)


def run_tool(
    argv: Sequence[str],
    *,
    cwd: str | Path,
    timeout_s: float,
    what: str,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd``; stdout and stderr are captured as text.

    Raises :class:`ToolError` (naming ``what``) on timeout, and with ``check`` on a
    non-zero exit, quoting the tool's first error lines.
    """
    try:
        proc = subprocess.run(
            list(argv),
            check=False,
            cwd=str(cwd),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} did not finish within {timeout_s:g} s") from None
    except OSError as exc:
        raise ToolError(f"{what} could not start: {exc}") from None
    if check and proc.returncode != 0:
        detail = first_error_lines(proc.stdout + "\n" + proc.stderr)
        raise ToolError(f"{what} failed (exit code {proc.returncode}):\n{detail}")
    return proc

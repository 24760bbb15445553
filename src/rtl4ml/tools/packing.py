"""Packing element vectors into stream words, and the hex file format of the testbench.

A stream word carries one whole sample: element ``i`` in bits ``[i*W + W-1 : i*W]``
(element 0 in the least significant bits), each element its raw two's complement (or
unsigned) integer masked to ``W`` bits. A hex file has one word per line, most
significant digit first, zero padded to ``ceil(bits / 4)`` digits (docs/hardware.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rtl4ml.tools.errors import ToolError

#: Samples converted per NumPy batch (bounds the temporary bit matrix).
_CHUNK = 4096


def _check_width(width: int, *, limit: int = 64) -> None:
    if not isinstance(width, (int, np.integer)) or not 1 <= width <= limit:
        raise ValueError(f"element width must be an integer in 1..{limit}, got {width!r}")


def pack(raw: np.ndarray, width: int) -> list[int]:
    """Pack raw integers of shape ``(samples, elements)`` into one int per sample.

    Each element is taken modulo ``2**width`` (its two's complement for negatives).
    """
    _check_width(width)
    arr = np.asarray(raw)
    if arr.ndim != 2:
        raise ValueError(f"pack expects a (samples, elements) array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"pack expects integers, got dtype {arr.dtype}")
    samples, elements = arr.shape
    if elements == 0:
        return [0] * samples
    # Work on the unsigned 64-bit view: masking it equals two's complement modulo 2**width.
    unsigned = arr.astype(np.int64, copy=False).view(np.uint64)
    shifts = np.arange(width, dtype=np.uint64)
    nbytes = (elements * width + 7) // 8
    words: list[int] = []
    for start in range(0, samples, _CHUNK):
        block = unsigned[start : start + _CHUNK]
        bits = ((block[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8)
        packed = np.packbits(bits.reshape(len(block), elements * width), axis=1, bitorder="little")
        assert packed.shape[1] == nbytes
        words.extend(int.from_bytes(row.tobytes(), "little") for row in packed)
    return words


def unpack(words: Sequence[int], elements: int, width: int, signed: bool) -> np.ndarray:
    """Split stream words into an int64 array of shape ``(len(words), elements)``.

    ``signed`` reads each element as two's complement; otherwise as unsigned (then
    ``width`` must be at most 63 to fit int64).
    """
    _check_width(width, limit=64 if signed else 63)
    if elements < 0:
        raise ValueError(f"elements must be >= 0, got {elements}")
    total_bits = elements * width
    nbytes = (total_bits + 7) // 8
    out = np.zeros((len(words), elements), dtype=np.int64)
    if elements == 0 or not len(words):
        return out
    weights = np.left_shift(np.uint64(1), np.arange(width, dtype=np.uint64))
    for start in range(0, len(words), _CHUNK):
        block = words[start : start + _CHUNK]
        buf = bytearray()
        for word in block:
            word = int(word)
            if word < 0 or word.bit_length() > total_bits:
                raise ValueError(f"word {word:#x} does not fit in {total_bits} bits")
            buf += word.to_bytes(nbytes, "little")
        raw = np.frombuffer(bytes(buf), dtype=np.uint8).reshape(len(block), nbytes)
        bits = np.unpackbits(raw, axis=1, bitorder="little")[:, :total_bits]
        bits = bits.reshape(len(block), elements, width).astype(np.uint64)
        values = (bits * weights).sum(axis=2, dtype=np.uint64)
        if signed:
            # Move the sign bit to bit 63, then shift back arithmetically.
            spare = 64 - width
            shifted = (values << np.uint64(spare)).view(np.int64)
            out[start : start + len(block)] = shifted >> np.int64(spare)
        else:
            out[start : start + len(block)] = values.view(np.int64)
    return out


def hex_digits(bits: int) -> int:
    """Hex digits of one line for a ``bits``-wide word."""
    return max(1, (bits + 3) // 4)


def format_hex(words: Iterable[int], bits: int) -> str:
    """Words as hex lines (MSB first, zero padded), newline terminated."""
    if bits < 1:
        raise ValueError(f"word width must be >= 1, got {bits}")
    digits = hex_digits(bits)
    lines = []
    for word in words:
        word = int(word)
        if word < 0 or word.bit_length() > bits:
            raise ValueError(f"word {word:#x} does not fit in {bits} bits")
        lines.append(f"{word:0{digits}x}\n")
    return "".join(lines)


def parse_hex(text: str, bits: int, *, source: str = "hex data") -> list[int]:
    """Parse hex lines into words; blank lines and ``//`` comments are skipped.

    An ``x`` or ``z`` digit (an undriven output in a 4-state simulator) raises
    :class:`ToolError` naming the line.
    """
    words = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.split("//", 1)[0].strip().replace("_", "")
        if not line:
            continue
        if any(c in "xXzZ" for c in line):
            raise ToolError(f"{source} line {lineno}: output has undefined bits (X/Z): {line}")
        try:
            word = int(line, 16)
        except ValueError:
            raise ToolError(f"{source} line {lineno}: not a hex number: {line!r}") from None
        if word.bit_length() > bits:
            raise ToolError(f"{source} line {lineno}: {line} is wider than {bits} bits")
        words.append(word)
    return words


def write_hex(path: str | Path, words: Iterable[int], bits: int) -> None:
    """Write words to a hex file."""
    Path(path).write_text(format_hex(words, bits))


def read_hex(path: str | Path, bits: int) -> list[int]:
    """Read a hex file written by :func:`write_hex` or by the testbench."""
    path = Path(path)
    return parse_hex(path.read_text(), bits, source=str(path.name))

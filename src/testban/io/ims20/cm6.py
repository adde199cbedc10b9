"""Vectorised decoder for the CM6 waveform compression of GSE2.x / IMS2.0 messages.

CM6 writes each *second difference* of the samples as one or more printable characters
from a 64-letter alphabet. Each character carries six bits: bit ``0x20`` says that more
characters of the same number follow; in the first character of a number bit ``0x10`` is
the sign and the low four bits are data, in every later character the low five bits are
data (most significant first).

Decoding is one bounds-checked Numba pass (decode and double integration together): a
damaged payload must raise :class:`CM6Error`, never crash the process the way ObsPy's C
decoder reading past its buffer does.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["ALPHABET", "CM6Error", "decode", "decode_differences"]

#: The 64 CM6 characters in code order (code 0 is ``+``, code 63 is ``z``).
ALPHABET = b"+-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

#: Byte value -> 6-bit code, -1 for bytes outside the alphabet.
_LUT = np.full(256, -1, dtype=np.int8)
_LUT[np.frombuffer(ALPHABET, dtype=np.uint8)] = np.arange(64, dtype=np.int8)

_WHITESPACE = b" \t\r\n\x0b\x0c"

#: A valid second difference of int32 samples needs at most 34 bits: 4 + 5 * 6.
_MAX_CHARS = 7

_INT32_MIN = np.iinfo(np.int32).min
_INT32_MAX = np.iinfo(np.int32).max


class CM6Error(ValueError):
    """The text is not a valid CM6 payload (bad character, truncated or oversized number).

    ``position`` is the offset of the offending character in the payload after whitespace
    removal, or -1 when the error is not tied to one character.
    """

    def __init__(self, message: str, position: int = -1) -> None:
        super().__init__(message)
        self.position = position


#: Kernel status codes -> message.
_OK, _BAD_CHAR, _TRUNCATED, _TOO_LONG, _OVERFLOW = range(5)

#: Byte value -> 6-bit code, -1 outside the alphabet, -2 for whitespace (skipped).
_KERNEL_LUT = _LUT.copy()
_KERNEL_LUT[np.frombuffer(_WHITESPACE, dtype=np.uint8)] = -2


@numba.njit(cache=True, nogil=True)
def _cm6_kernel(buf, lut, out, integrate):  # pragma: no cover - compiled
    """Decode ``buf`` into ``out``; returns (count, status, position after whitespace).

    One pass, bounds-checked: every character is looked up, every number is limited to
    ``_MAX_CHARS`` characters and (when integrating) every sample is range-checked, so a
    damaged payload ends in a status code, never in an out-of-bounds access.
    """
    n = 0
    nchar = 0
    value = 0
    negative = False
    first = 0
    sample = 0
    k = -1
    for i in range(buf.size):
        code = lut[buf[i]]
        if code == -2:
            continue
        k += 1
        if code < 0:
            return n, 1, k
        if nchar == 0:
            negative = (code & 0x10) != 0
            value = code & 0x0F
        else:
            value = (value << 5) | (code & 0x1F)
        nchar += 1
        if nchar > 7:
            return n, 3, k
        if code & 0x20:
            continue
        d = -value if negative else value
        nchar = 0
        if integrate:
            first += d
            sample += first
            if first > 4294967296 or first < -4294967296:
                return n, 4, k
            if sample > 2147483647 or sample < -2147483648:
                return n, 4, k
            out[n] = sample
        else:
            out[n] = d
        n += 1
    if nchar:
        return n, 2, k
    return n, 0, -1


def _as_bytes(text: str | bytes | bytearray | memoryview) -> bytes:
    """Return the payload as bytes (whitespace is skipped by the kernel)."""
    if isinstance(text, str):
        try:
            return text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise CM6Error(f"non-ASCII character in CM6 payload at offset {exc.start}") from exc
    return bytes(text)


def _run(text: str | bytes | bytearray | memoryview, integrate: bool) -> np.ndarray:
    raw = _as_bytes(text)
    buf = np.frombuffer(raw, dtype=np.uint8)
    out = np.empty(buf.size, dtype=np.int64)
    n, status, pos = _cm6_kernel(buf, _KERNEL_LUT, out, integrate)
    if status == _BAD_CHAR:
        stripped = raw.translate(None, _WHITESPACE)
        char = stripped[pos : pos + 1].decode("ascii", "backslashreplace")
        n_bad = int((_LUT.take(np.frombuffer(stripped, dtype=np.uint8)) < 0).sum())
        raise CM6Error(
            f"invalid CM6 character {char!r} at payload offset {pos} ({n_bad} invalid characters)",
            pos,
        )
    if status == _TRUNCATED:
        raise CM6Error("CM6 payload is truncated: last number is incomplete", pos)
    if status == _TOO_LONG:
        raise CM6Error(f"CM6 number longer than {_MAX_CHARS} characters at offset {pos}", pos)
    if status == _OVERFLOW:
        raise CM6Error("CM6 samples exceed the int32 range", pos)
    return out[:n]


def decode_differences(text: str | bytes | bytearray | memoryview) -> np.ndarray:
    """Decode CM6 text to the raw (second-difference) integers, as int64.

    Raises :class:`CM6Error` on a character outside the alphabet, a number whose last
    character still has the continuation bit set (truncated payload), or a number longer
    than any int32 series can need.
    """
    return _run(text, integrate=False)


def decode(text: str | bytes | bytearray | memoryview) -> np.ndarray:
    """Decode a CM6 payload to int32 samples (second differences integrated twice).

    Whitespace and line breaks are ignored. Raises :class:`CM6Error` when the payload is
    invalid or the integrated samples do not fit in int32.
    """
    return _run(text, integrate=True).astype(np.int32)

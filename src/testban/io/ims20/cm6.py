"""Vectorised decoder for the CM6 waveform compression of GSE2.x / IMS2.0 messages.

CM6 writes each *second difference* of the samples as one or more printable characters
from a 64-letter alphabet. Each character carries six bits: bit ``0x20`` says that more
characters of the same number follow; in the first character of a number bit ``0x10`` is
the sign and the low four bits are data, in every later character the low five bits are
data (most significant first).

Decoding is done with whole-array NumPy operations (no Python loop over samples) and in
pure Python/NumPy on purpose: a damaged payload must raise :class:`CM6Error`, never crash
the process the way a C decoder reading past its buffer can.
"""

from __future__ import annotations

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


def _as_bytes(text: str | bytes | bytearray | memoryview) -> bytes:
    """Return the payload as bytes without whitespace (line breaks are not data)."""
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise CM6Error(f"non-ASCII character in CM6 payload at offset {exc.start}") from exc
    else:
        raw = bytes(text)
    return raw.translate(None, _WHITESPACE)


def decode_differences(text: str | bytes | bytearray | memoryview) -> np.ndarray:
    """Decode CM6 text to the raw (second-difference) integers, as int64.

    Raises :class:`CM6Error` on a character outside the alphabet, a number whose last
    character still has the continuation bit set (truncated payload), or a number longer
    than any int32 series can need.
    """
    raw = _as_bytes(text)
    if not raw:
        return np.zeros(0, dtype=np.int64)
    codes = _LUT.take(np.frombuffer(raw, dtype=np.uint8))
    if codes.min() < 0:
        bad = np.flatnonzero(codes < 0)
        pos = int(bad[0])
        char = raw[pos : pos + 1].decode("ascii", "backslashreplace")
        raise CM6Error(
            f"invalid CM6 character {char!r} at payload offset {pos} "
            f"({bad.size} invalid characters)",
            pos,
        )
    more = codes >= 0x20
    if more[-1]:
        raise CM6Error("CM6 payload is truncated: last number is incomplete", len(raw) - 1)
    ends = np.flatnonzero(~more)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if int(lengths.max()) > _MAX_CHARS:
        pos = int(starts[np.argmax(lengths > _MAX_CHARS)])
        raise CM6Error(f"CM6 number longer than {_MAX_CHARS} characters at offset {pos}", pos)

    first = codes[starts]
    values = (first & 0x0F).astype(np.int64)
    # Horner's rule over character position within a number (at most _MAX_CHARS steps),
    # each step vectorised over all numbers that are still that long.
    data = codes & 0x1F
    longer = np.flatnonzero(lengths > 1)
    for k in range(1, int(lengths.max())):
        if k > 1:
            longer = longer[lengths[longer] > k]
        values[longer] = (values[longer] << 5) | data[starts[longer] + k]
    negative = (first & 0x10) != 0
    values[negative] = -values[negative]
    return values


def decode(text: str | bytes | bytearray | memoryview) -> np.ndarray:
    """Decode a CM6 payload to int32 samples (second differences integrated twice).

    Whitespace and line breaks are ignored. Raises :class:`CM6Error` when the payload is
    invalid or the integrated samples do not fit in int32.
    """
    diffs = decode_differences(text)
    if diffs.size == 0:
        return np.zeros(0, dtype=np.int32)
    first = np.cumsum(diffs)
    # First differences of int32 samples lie within +-2**32; checking here also keeps
    # the second integration far from int64 overflow.
    if np.abs(first).max() > 2**32:
        raise CM6Error("CM6 first differences exceed the int32 range")
    samples = np.cumsum(first)
    if samples.min() < _INT32_MIN or samples.max() > _INT32_MAX:
        raise CM6Error("CM6 samples exceed the int32 range")
    return samples.astype(np.int32)

"""Fixtures for the waveform-reader tests: an independent CM6/IMS2.0 *writer* and the data path.

The writer here is deliberately separate from the library's decoder (a plain Python loop
following the GSE2.1 description) so that round trips test the decoder against an
independent implementation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from obspy import UTCDateTime

CM6_CHARS = "+-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MODULUS = 100_000_000


def shared_data_dir() -> Path:
    """The read-only reference data: ``../shared/data`` from the project root."""
    env = os.environ.get("TESTBAN_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def encode_number(value: int) -> str:
    """CM6 characters of one integer (sign + 4 bits first, then 5 bits per character)."""
    mag, neg = abs(int(value)), value < 0
    n = 1
    while mag >= 1 << (4 + 5 * (n - 1)):
        n += 1
    out = []
    for i in range(n):
        shift = 5 * (n - 1 - i)
        more = 0x20 if i < n - 1 else 0
        if i == 0:
            code = more | (0x10 if neg else 0) | ((mag >> shift) & 0x0F)
        else:
            code = more | ((mag >> shift) & 0x1F)
        out.append(CM6_CHARS[code])
    return "".join(out)


def second_differences(samples: Sequence[int] | np.ndarray) -> list[int]:
    """D(j) = S(j) - 2 S(j-1) + S(j-2), samples before the first taken as zero."""
    s = [int(v) for v in samples]
    padded = [0, 0, *s]
    return [padded[j] - 2 * padded[j - 1] + padded[j - 2] for j in range(2, len(padded))]


def cm6_encode(samples: Sequence[int] | np.ndarray, width: int = 80) -> str:
    """CM6 text of integer samples, wrapped at ``width`` characters per line."""
    text = "".join(encode_number(d) for d in second_differences(samples))
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def c_checksum(samples: Sequence[int] | np.ndarray) -> int:
    """The GSE2 checksum as C writers compute it (running C remainder, then abs)."""
    total = 0
    for v in (int(x) for x in samples):
        if abs(v) >= MODULUS:
            v = int(np.fmod(v, MODULUS))
        total += v
        if abs(total) >= MODULUS:
            total = int(np.fmod(total, MODULUS))
    return abs(total)


@dataclass
class Block:
    """One waveform block to write."""

    data: np.ndarray
    station: str = "ABC01"
    channel: str = "SHZ"
    network: str | None = "ABC"
    start: UTCDateTime = field(default_factory=lambda: UTCDateTime(2005, 5, 11))
    rate: float = 20.0
    datatype: str = "CM6"
    nsamp: int | None = None  # written count, default len(data)
    chk2: int | None = None  # written checksum, default the C checksum
    calib: float = 5.0e-3
    calper: float = 1.0


def wid2_line(b: Block) -> str:
    """A WID2 line in the GSE2.1 fixed columns."""
    t = b.start
    date = f"{t.year:04d}/{t.month:02d}/{t.day:02d}"
    time = f"{t.hour:02d}:{t.minute:02d}:{t.second + t.microsecond / 1e6:06.3f}"
    n = len(b.data) if b.nsamp is None else b.nsamp
    return (
        f"WID2 {date} {time} {b.station:<5s} {b.channel:<3s} {'':<4s} {b.datatype:<3s} "
        f"{n:8d} {b.rate:11.6f} {b.calib:10.2e} {b.calper:7.3f} {'-':<6s} {-1.0:5.1f} {0.0:4.1f}"
    )


def block_text(b: Block) -> str:
    """The full text of one block (WID2, STA2, DAT2, payload, CHK2)."""
    lines = [wid2_line(b)]
    if b.network is not None:
        lines.append(
            f"STA2 {b.network:<9s} {18.4205:9.5f} {98.9588:10.5f} {'WGS-84':<12s} 0.292 0.044"
        )
    lines.append("DAT2")
    if b.datatype == "INT":
        vals = [str(int(v)) for v in b.data]
        lines += [" ".join(vals[i : i + 10]) for i in range(0, len(vals), 10)]
    else:
        lines.append(cm6_encode(b.data))
    chk = c_checksum(b.data) if b.chk2 is None else b.chk2
    lines.append(f"CHK2 {chk:<8d}")
    return "\n".join(lines) + "\n"


def ims20_message(blocks: Sequence[Block], envelope: bool = False) -> bytes:
    """A bare GSE2-style message, or one wrapped in an IMS2.0 ``BEGIN``/``STOP`` envelope."""
    body = "".join(block_text(b) for b in blocks)
    if envelope:
        body = (
            "BEGIN IMS2.0\nMSG_TYPE DATA\nMSG_ID 1234 TESTBAN\nDATA_TYPE WAVEFORM IMS2.0:CM6\n"
            + body
            + "STOP\n"
        )
    return body.encode("ascii")


@pytest.fixture
def ims() -> SimpleNamespace:
    """The test-side IMS2.0 writer: ``Block``, ``message``, ``encode``, ``checksum``,
    ``noise(n, scale)``."""
    gen = np.random.default_rng(1)
    return SimpleNamespace(
        Block=Block,
        message=ims20_message,
        encode=cm6_encode,
        checksum=c_checksum,
        noise=lambda n, scale=1000.0: noise(gen, n, scale),
    )


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator."""
    return np.random.default_rng(20050511)


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder; skips the test when it is absent."""
    root = shared_data_dir()
    if not root.is_dir():
        pytest.skip(f"reference data not found at {root} (set TESTBAN_SHARED_DATA)")
    return root


@pytest.fixture
def cmar_dir(shared_data: Path) -> Path:
    """The CMAR 24-hour IMS2.0 folder; skips the test when it is absent."""
    path = shared_data / "arrays" / "cmar_20050511"
    if not path.is_dir():
        pytest.skip(f"CMAR reference data not found at {path}")
    return path


def noise(rng: np.random.Generator, n: int, scale: float = 1000.0) -> np.ndarray:
    """Random-walk-ish int32 test samples."""
    return np.cumsum(rng.normal(0, scale, n)).astype(np.int32)

"""A small seeded mutator for reader fuzzing (used by ``tests/fuzz`` and ``bench/fuzz_readers.py``).

Each :class:`Mutant` is the damaged bytes plus the byte ranges of the *original* file that
the damage touched, so that a test can tell which blocks of the file were left intact and
must come out unchanged. Kinds: bit flips, truncation, an overwritten range, an absurd
number put in place of a number, an empty file and a file of another format. The same
seed gives the same mutants on every machine (NumPy's PCG64).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["KINDS", "Mutant", "intact", "mutants", "mutate"]

#: Mutation kinds, in the order :func:`mutants` cycles through them.
KINDS = ("bitflip", "truncate", "overwrite", "number", "empty", "other")

#: Numbers no header may hold: too large for any date, count or C integer, negative,
#: not finite.
ABSURD_NUMBERS = (
    b"99999999999",
    b"-99999999999",
    b"100000000000000000000",
    b"-1",
    b"0",
    b"1e308",
    b"nan",
    b"-inf",
)

#: A number standing alone (not digits inside a word or a compressed payload line).
#: Absurd binary header words (largest, smallest, all ones, NaN as float32).
_ABSURD_WORDS = (b"\x7f\xff\xff\xff", b"\x80\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xc0\x00\x00")

_NUMBER = re.compile(rb"(?<![A-Za-z0-9.+-])-?\d+(?:\.\d+)?(?![A-Za-z0-9.])")


@dataclass(frozen=True)
class Mutant:
    """A damaged copy of a file; ``damaged`` lists the original byte ranges ``[a, b)`` hit.

    ``damaged`` is empty for the whole-file kinds (``empty``, ``other``), where nothing of
    the original is expected to survive.
    """

    kind: str
    data: bytes
    damaged: tuple[tuple[int, int], ...]
    note: str = ""


def _span(rng: np.random.Generator, lo: int, hi: int) -> int:
    """A position in ``[lo, hi)`` (``lo`` when the range is empty)."""
    return int(rng.integers(lo, hi)) if hi > lo else lo


def mutate(
    data: bytes,
    kind: str,
    rng: np.random.Generator,
    region: tuple[int, int] | None = None,
    other: bytes = b"",
) -> Mutant:
    """One mutant of ``data`` of ``kind``, with the damage inside ``region`` (default all)."""
    lo, hi = region if region is not None else (0, len(data))
    hi = min(hi, len(data))
    buf = bytearray(data)
    if kind == "bitflip":
        n = int(rng.integers(1, 9))
        pos = sorted({_span(rng, lo, hi) for _ in range(n)})
        for p in pos:
            if p < len(buf):
                buf[p] ^= 1 << int(rng.integers(0, 8))
        return Mutant(kind, bytes(buf), tuple((p, p + 1) for p in pos), f"{len(pos)} flips")
    if kind == "truncate":
        cut = _span(rng, lo, hi)
        return Mutant(kind, data[:cut], ((cut, len(data)),), f"cut at byte {cut}")
    if kind == "overwrite":
        a = _span(rng, lo, hi)
        b = min(hi, a + int(rng.integers(1, 257)))
        fill = rng.integers(0, 256, b - a, dtype=np.uint8).tobytes()
        if rng.random() < 0.3:  # printable garbage is parsed further than binary garbage
            fill = bytes(32 + v % 95 for v in fill)
        buf[a:b] = fill
        return Mutant(kind, bytes(buf), ((a, b),), f"bytes {a}-{b} overwritten")
    if kind == "number" and b"\0" in data[:4096]:
        # Binary: an absurd value over a 4-byte header word near the region's start.
        a = _span(rng, lo, min(hi, lo + 64) - 3)
        new = _ABSURD_WORDS[int(rng.integers(0, len(_ABSURD_WORDS)))]
        buf[a : a + 4] = new
        return Mutant(kind, bytes(buf), ((a, a + 4),), f"bytes {a}-{a + 4} -> {new.hex()}")
    if kind == "number":
        found = [m for m in _NUMBER.finditer(data, lo, hi)]
        if not found:
            return mutate(data, "overwrite", rng, region, other)
        m = found[int(rng.integers(0, len(found)))]
        new = ABSURD_NUMBERS[int(rng.integers(0, len(ABSURD_NUMBERS)))]
        # Keep the width where the field is fixed-width (right-aligned in its column).
        width = m.end() - m.start()
        text = new if len(new) >= width else new.rjust(width)
        out = data[: m.start()] + text + data[m.end() :]
        return Mutant(kind, out, ((m.start(), m.end()),), f"{m.group(0)!r} -> {new!r}")
    if kind == "empty":
        return Mutant(kind, b"", (), "empty file")
    if kind == "other":
        return Mutant(kind, other, (), "a file of another format")
    raise ValueError(f"unknown mutation kind {kind!r}")


def mutants(
    data: bytes,
    n: int,
    seed: int,
    *,
    regions: Sequence[tuple[int, int]] | None = None,
    other: bytes = b"",
    kinds: Sequence[str] = KINDS,
) -> Iterator[Mutant]:
    """``n`` mutants of ``data``, cycling through ``kinds``; deterministic for ``seed``.

    With ``regions`` (e.g. the byte ranges of the blocks of a message), each mutant's damage
    is confined to one region picked at random, so the other regions must read unchanged.
    The whole-file kinds are produced once each at most.
    """
    rng = np.random.default_rng(seed)
    local = [k for k in kinds if k not in ("empty", "other")]
    whole = [k for k in kinds if k in ("empty", "other")]
    for i in range(n):
        if i < len(whole):
            yield mutate(data, whole[i], rng, other=other)
            continue
        kind = local[i % len(local)]
        region = None
        if regions:
            region = regions[int(rng.integers(0, len(regions)))]
        yield mutate(data, kind, rng, region, other)


def intact(span: tuple[int, int], mutant: Mutant) -> bool:
    """True when the original byte range ``span`` was not touched by ``mutant``'s damage.

    Whole-file kinds leave nothing intact. ``span`` should include the line break before
    a block, since damaging it joins the block to the line before.
    """
    if not mutant.damaged:
        return False
    a, b = span
    return all(e <= a or s >= b for s, e in mutant.damaged)

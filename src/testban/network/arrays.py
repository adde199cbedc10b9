"""Array structure for station metadata that does not state it (StationXML as FDSN serves it).

CSS3.0 tables (``refsta``) and ``.geom`` files say which stations form an array; an FDSN
inventory does not: YKA arrives as 18 ``CN`` stations, GRF as 13 ``GR`` stations among
the German network's broadbands. Two ways to add the structure:

* :func:`group_arrays`, automatic: stations of one FDSN network whose codes share a
  prefix of at least :attr:`ArrayRule.prefix` characters (one: the site letter) and are
  element codes (a letter, then letters or digits, ending in an index digit), that
  record the same vertical channel and are chained at most :attr:`ArrayRule.link_km`
  apart, form an array when there are at least :attr:`ArrayRule.min_elements` of them
  and their aperture lies between :attr:`ArrayRule.min_aperture_km` and
  :attr:`ArrayRule.max_aperture_km`.
* :func:`apply_array_map`, explicit: ``{"YKA": ["CN.YKR*", "CN.YKB*"]}`` (parsed from
  ``--arrays YKA=CN.YKR*,CN.YKB*`` by :func:`parse_array_spec`) overrides everything.

Why these numbers: an array is a group of matched instruments close enough for the
signal to stay coherent, so that a delay-and-sum beam works. The IMS tables hold 113
arrays: their largest element-to-nearest-element spacing is 21.5 km (CMAR's outliers;
KSRS 20.1 km) and their apertures reach 77.5 km (NOA); GRF's three sub-arrays span
~100 km with sub-arrays ~11-14 km apart. Hence a 30 km link (every IMS array and GRF
chain up, unrelated stations of a network 50-300 km apart do not) and a 150 km aperture
ceiling (GRF fits; beyond it a P wavefront is no longer plane and coherence at 1 Hz is
gone). The link also joins sub-arrays: the longest edge of the shortest tree joining
an IMS array's elements is 28.5 km (NOA's seven sub-arrays), 21.7 km next (CMAR). The
code rule is what keeps ordinary networks apart: element codes are a site prefix plus
an index (``YKR1``, ``GRA1``, ``AS01``, ``KUR01``), station codes of a network are names
(``BFO``, ``BUG``, ``MDJ``). The shared prefix is one letter, not two, because large
arrays name their sub-arrays or lines with the second letter: NORSAR's elements are
``NAO01``, ``NB201``, ``NBO01``, ``NC201`` … ``NC604``, Warramunga's ``WR0``-``WR10``
and ``WB0``-``WB9`` (an L of two lines); the link and the aperture keep apart the
arrays of one network that share a letter. Co-located sensors (``PMG00``, ``PMG10``)
are not an array: the aperture must reach 0.1 km (KVAR, the smallest IMS array, is 0.3 km).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np

from testban.network.model import Network, Station

__all__ = [
    "ArrayGroup",
    "ArrayRule",
    "apply_array_map",
    "find_arrays",
    "group_arrays",
    "parse_array_spec",
]


#: An element code: a letter, letters or digits, an index digit at the end (NC602, WR1).
ELEMENT_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]*[0-9]")


@dataclass(frozen=True, slots=True)
class ArrayRule:
    """When stations of one FDSN network are taken for an array (see the module notes)."""

    prefix: int = 1
    min_elements: int = 3
    link_km: float = 30.0
    min_aperture_km: float = 0.1
    max_aperture_km: float = 150.0


@dataclass(frozen=True, slots=True)
class ArrayGroup:
    """One array found by :func:`find_arrays`: its name, network, elements and aperture."""

    name: str
    network: str
    elements: tuple[str, ...]
    aperture_km: float


def _vertical(station: Station) -> set[str]:
    return {c.code for c in station.channels if c.code.endswith("Z")}


def _same_vertical(a: Station, b: Station) -> bool:
    """Both sensors record one vertical channel code (true when either lists none)."""
    za, zb = _vertical(a), _vertical(b)
    return not (za and zb) or bool(za & zb)


def _distances(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Pairwise great-circle km between points (haversine on a 6371 km sphere: a global
    network's stations, unlike a tangent plane, keep their true separation)."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi[:, None]) * np.cos(phi[None, :]) * np.sin(dlam / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _components(n: int, edges: np.ndarray) -> list[list[int]]:
    """Connected components of an ``n``-node graph given as a boolean adjacency matrix."""
    seen = np.zeros(n, bool)
    out = []
    for i in range(n):
        if seen[i]:
            continue
        stack, comp = [i], []
        seen[i] = True
        while stack:
            j = stack.pop()
            comp.append(j)
            for k in np.flatnonzero(edges[j] & ~seen):
                seen[k] = True
                stack.append(int(k))
        out.append(sorted(comp))
    return out


def _name(prefix: str, members: Sequence[str], taken: set[str]) -> str:
    """An IMS-style array code: ``prefix + "A"`` (YK → YKA, as EKA, WRA) unless an element
    code starts with it (GRA1), else ``prefix + "AR"`` (GR → GRAR, as ASAR, ILAR); a
    number is appended when the code is taken. Trailing index digits of the common
    prefix are not part of the name (XA01..XA09 → XAA); elements sharing one letter
    only are named by their most common two-letter prefix (WR1.., WB1.. → WRA)."""
    if len(prefix) < 2:  # sub-arrays or lines sharing one letter: the largest names it
        counts = Counter(m[:2] for m in members)
        prefix = max(sorted(counts), key=lambda p: counts[p])
    prefix = prefix[:2] + prefix[2:].rstrip("0123456789")
    for cand in (prefix + "A", prefix + "AR"):
        if cand not in taken and not any(m.startswith(cand) for m in members):
            return cand
    i = 1
    while f"{prefix}AR{i}" in taken:
        i += 1
    return f"{prefix}AR{i}"


def find_arrays(network: Network, rule: ArrayRule | None = None) -> list[ArrayGroup]:
    """Arrays hidden among ``network``'s single stations (see the module notes for why).

    Only stations with an FDSN network code that belong to no array yet are considered.
    """
    rule = rule or ArrayRule()
    in_arrays = set(network.arrays())
    candidates: dict[tuple[str, str], list[Station]] = {}
    for s in network:
        if not s.network or s.in_array or s.statype == "ar" or s.code in in_arrays:
            continue
        if len(s.code) > rule.prefix and ELEMENT_CODE.fullmatch(s.code):
            candidates.setdefault((s.network, s.code[: rule.prefix]), []).append(s)
    taken = set(network.codes)
    groups: list[ArrayGroup] = []
    for (net, _prefix), stations in candidates.items():
        if len(stations) < rule.min_elements:
            continue
        lat = np.array([s.lat for s in stations])
        lon = np.array([s.lon for s in stations])
        dist = _distances(lat, lon)
        same = np.array([[_same_vertical(a, b) for b in stations] for a in stations])
        for comp in _components(len(stations), same & (dist <= rule.link_km)):
            if len(comp) < rule.min_elements:
                continue
            aperture = float(_distances(lat[comp], lon[comp]).max())
            if not rule.min_aperture_km <= aperture <= rule.max_aperture_km:
                continue
            codes = [stations[i].code for i in comp]
            name = _name(os.path.commonprefix(codes), codes, taken)
            taken.add(name)
            groups.append(ArrayGroup(name, net, tuple(codes), aperture))
    return groups


def group_arrays(network: Network, rule: ArrayRule | None = None) -> Network:
    """``network`` with the arrays :func:`find_arrays` finds defined (reference: centroid)."""
    for g in find_arrays(network, rule):
        network = network.define_array(g.name, g.elements)
    return network


# ------------------------------------------------------------------------ explicit mapping


def _matches(station: Station, pattern: str) -> bool:
    """``NET.STA`` patterns match network and code; a bare pattern the code (glob, any case)."""
    pattern = pattern.upper()
    if "." in pattern:
        net, sta = pattern.split(".", 1)
        return fnmatchcase(station.network.upper(), net) and fnmatchcase(station.code.upper(), sta)
    return fnmatchcase(station.code.upper(), pattern)


def apply_array_map(network: Network, mapping: Mapping[str, Sequence[str]]) -> Network:
    """``network`` where each named array holds exactly the stations its patterns match.

    Overrides membership from the metadata or from :func:`group_arrays`: a matched
    station leaves any array it was in. Raises ValueError for a pattern that matches
    nothing, or a station claimed by two arrays (both are user errors worth stopping for).
    """
    owner: dict[str, str] = {}
    chosen: dict[str, list[str]] = {}
    for array, patterns in mapping.items():
        codes = []
        for pat in patterns:
            hits = [s.code for s in network if s.code != array and _matches(s, pat)]
            if not hits:
                raise ValueError(f"--arrays {array}: pattern {pat!r} matches no station")
            codes += hits
        codes = list(dict.fromkeys(codes))
        for c in codes:
            if owner.setdefault(c, array) != array:
                raise ValueError(f"--arrays: station {c} is in both {owner[c]} and {array}")
        chosen[array] = codes
    if not chosen:
        return network
    # first release the stations from the arrays the metadata put them in
    free = [
        dataclasses.replace(s, refsta=s.code, statype="ss", dnorth=None, deast=None)
        if s.code in owner
        else s
        for s in network
    ]
    out = Network(free, name=network.name)
    for array, codes in chosen.items():
        out = out.define_array(array, codes)
    return out


def parse_array_spec(specs: Iterable[str]) -> dict[str, list[str]] | None:
    """``["YKA=CN.YKR*,CN.YKB*", "arrays.txt"]`` → ``{"YKA": ["CN.YKR*", "CN.YKB*"]}``.

    Each spec is ``NAME=PATTERN[,PATTERN...]`` or a file of such lines (``#`` comments,
    blank lines allowed). ``none`` (alone) turns automatic grouping off: returns None.
    Raises ValueError naming the spec (and file line) that is malformed.
    """
    specs = list(specs)
    if [s.strip().lower() for s in specs] == ["none"]:
        return None
    out: dict[str, list[str]] = {}
    for spec in specs:
        lines: list[tuple[str, str]] = [(spec, spec)]
        if "=" not in spec and Path(spec).is_file():
            text = Path(spec).read_text(encoding="utf-8").splitlines()
            lines = [
                (f"{spec} line {i}", ln.split("#", 1)[0].strip())
                for i, ln in enumerate(text, start=1)
            ]
            lines = [(w, ln) for w, ln in lines if ln]
        for where, line in lines:
            name, sep, rest = line.partition("=")
            name = name.strip().upper()
            patterns = [p.strip() for p in re.split(r"[,\s]+", rest) if p.strip()]
            if not sep or not re.fullmatch(r"[A-Z0-9_]{1,6}", name) or not patterns:
                raise ValueError(
                    f"--arrays {where!r}: expected NAME=NET.STA[,NET.STA...] (NAME up to 6 "
                    "letters/digits, glob patterns such as CN.YKR*), or a file of such lines"
                )
            out.setdefault(name, []).extend(patterns)
    return out

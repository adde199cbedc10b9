"""Match the events of a bulletin with those of a reference and score the association.

Matching is one to one, in two rounds: first by shared arrivals (``assoc.arid``; the pair
sharing the most arrivals first), then, among events left, by origin time and epicentre
within ``max_dt`` seconds and ``max_km`` km (the closest pair first, by the sum of both
normalised differences). Recall is the fraction of reference events matched, precision
the fraction of bulletin events matched. Arrival association is scored on (arid, event)
pairs: an arrival is a true positive when the bulletin puts it in the event matched to
the reference event that holds it.

Duplicates are measured apart: a bulletin event left unmatched whose arrivals belong
mostly to a reference event already matched to another bulletin event (or, sharing no
arrival with the reference, that lies within ``max_dt`` and ``max_km`` of one) is a second
automatic event of one source — counted, with their rate over the bulletin events scored.

A part of a bulletin (an hour held out from a fit) is scored with ``span``: matching is
done on everything, then only reference events whose origin time lies in the span count,
with the bulletin events matched to them and the unmatched bulletin events whose own
origin time lies in it (so an event near the span's edge is judged with its match).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from testban.io.css30 import read_table
from testban.records.css30 import Assoc, Netmag, Origin
from testban.records.earth import EARTH_RADIUS_KM


@dataclass(frozen=True)
class Match:
    """One matched pair: bulletin orid, reference orid, how, and the differences."""

    orid: int
    ref_orid: int
    how: str  # "arrivals" or "distance"
    shared: int
    distance_km: float
    dt: float
    ddepth: float
    dmag: float  # bulletin − reference mb (NaN when either is missing)


@dataclass
class Comparison:
    """Scores of a bulletin against a reference."""

    matches: list[Match]
    n_events: int
    n_reference: int
    assoc_tp: int
    assoc_bulletin: int
    assoc_reference: int
    unmatched: list[int] = field(default_factory=list)  # bulletin orids
    missed: list[int] = field(default_factory=list)  # reference orids
    #: (bulletin orid, reference orid) of each duplicate: an unmatched bulletin event that
    #: matches a reference event already matched to another bulletin event.
    duplicates: list[tuple[int, int]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return len(self.matches) / self.n_reference if self.n_reference else float("nan")

    @property
    def precision(self) -> float:
        return len(self.matches) / self.n_events if self.n_events else float("nan")

    @property
    def duplicate_rate(self) -> float:
        """Duplicates over the bulletin events scored."""
        return len(self.duplicates) / self.n_events if self.n_events else float("nan")

    @property
    def assoc_precision(self) -> float:
        return self.assoc_tp / self.assoc_bulletin if self.assoc_bulletin else float("nan")

    @property
    def assoc_recall(self) -> float:
        return self.assoc_tp / self.assoc_reference if self.assoc_reference else float("nan")

    @property
    def assoc_f1(self) -> float:
        p, r = self.assoc_precision, self.assoc_recall
        return 2 * p * r / (p + r) if p + r > 0 else float("nan")

    def _stat(self, name: str, q: float) -> float:
        v = np.array([abs(getattr(m, name)) for m in self.matches], float)
        v = v[np.isfinite(v)]
        return float(np.percentile(v, q)) if v.size else float("nan")

    def summary(self) -> dict[str, float]:
        """The headline figures as a flat dict."""
        return {
            "events": self.n_events,
            "reference": self.n_reference,
            "matched": len(self.matches),
            "recall": self.recall,
            "precision": self.precision,
            "duplicates": len(self.duplicates),
            "duplicate_rate": self.duplicate_rate,
            "assoc_precision": self.assoc_precision,
            "assoc_recall": self.assoc_recall,
            "assoc_f1": self.assoc_f1,
            "median_km": self._stat("distance_km", 50),
            "p90_km": self._stat("distance_km", 90),
            "median_dt": self._stat("dt", 50),
            "median_dmag": self._stat("dmag", 50),
        }

    def text(self) -> str:
        """A printable report."""
        s = self.summary()
        lines = [
            f"events {s['events']}, reference {s['reference']}, matched {s['matched']} "
            f"({sum(m.how == 'arrivals' for m in self.matches)} by shared arrivals)",
            f"recall {s['recall']:.3f}   precision {s['precision']:.3f}   duplicates "
            f"{s['duplicates']} (rate {s['duplicate_rate']:.3f})",
            f"arrival association: precision {s['assoc_precision']:.3f}  recall "
            f"{s['assoc_recall']:.3f}  F1 {s['assoc_f1']:.3f}",
            f"epicentre difference: median {s['median_km']:.1f} km, 90 % {s['p90_km']:.1f} km; "
            f"origin time: median |Δt| {s['median_dt']:.2f} s; "
            f"median |Δmb| {s['median_dmag']:.2f}",
        ]
        return "\n".join(lines)


def _km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    c = np.sin(p1) * np.sin(p2) + math.cos(p1) * np.cos(p2) * np.cos(dl)
    return EARTH_RADIUS_KM * np.arccos(np.clip(c, -1.0, 1.0))


def _mb(origin: Origin, netmags: dict[int, float]) -> float:
    if origin.orid in netmags:
        return netmags[origin.orid]
    return float(origin.mb) if origin.mb > -999.0 else float("nan")


def compare_records(
    origins: Iterable[Origin],
    assocs: Iterable[Assoc],
    ref_origins: Iterable[Origin],
    ref_assocs: Iterable[Assoc],
    *,
    max_km: float = 100.0,
    max_dt: float = 20.0,
    reference_filter: Callable[[Origin, list[Assoc]], bool] | None = None,
    use_arrivals: bool = True,
    netmags: Iterable[Netmag] = (),
    ref_netmags: Iterable[Netmag] = (),
    span: tuple[float, float] | None = None,
) -> Comparison:
    """Compare records; ``reference_filter(origin, its assocs)`` selects the reference
    events that count (e.g. those with ≥ 3 defining stations). Bulletin events matched to
    a reference event that is filtered out are left out of precision and association
    scores (they are neither right nor wrong for the selected set). ``span`` (epoch s,
    [start, end)) scores a part of the bulletins (see the module notes)."""
    ours = list(origins)
    ref_all = list(ref_origins)
    by_orid: dict[int, list[Assoc]] = {}
    for s in assocs:
        by_orid.setdefault(s.orid, []).append(s)
    ref_by: dict[int, list[Assoc]] = {}
    for s in ref_assocs:
        ref_by.setdefault(s.orid, []).append(s)
    mb_ours = {n.orid: n.magnitude for n in netmags if n.magtype in ("mb", "mb_ave")}
    mb_ref = {n.orid: n.magnitude for n in ref_netmags if n.magtype in ("mb", "mb_ave")}

    pairs: dict[int, tuple[int, str, int]] = {}  # our orid -> (ref orid, how, shared)
    taken_ref: set[int] = set()
    owner: dict[int, int] = {}  # our orid -> the reference event holding most of its arrivals
    if use_arrivals:
        ref_of_arid = {s.arid: s.orid for rows in ref_by.values() for s in rows}
        counts = []
        for o in ours:
            c = Counter(ref_of_arid[s.arid] for s in by_orid.get(o.orid, []) if s.arid in
                        ref_of_arid)  # fmt: skip
            counts += [(-n, o.orid, rid) for rid, n in c.items()]
            if c:
                owner[o.orid] = min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for negn, orid, rid in sorted(counts):
            if orid in pairs or rid in taken_ref:
                continue
            pairs[orid] = (rid, "arrivals", -negn)
            taken_ref.add(rid)
    ref_left = [r for r in ref_all if r.orid not in taken_ref]
    if ref_left:
        rlat = np.array([r.lat for r in ref_left])
        rlon = np.array([r.lon for r in ref_left])
        rt = np.array([r.time for r in ref_left])
        cand = []
        for o in ours:
            if o.orid in pairs:
                continue
            dt = np.abs(rt - o.time)
            near = np.flatnonzero(dt <= max_dt)
            if near.size == 0:
                continue
            dk = _km(o.lat, o.lon, rlat[near], rlon[near])
            for k, d in zip(near, dk, strict=True):
                if d <= max_km:
                    cand.append((d / max_km + dt[k] / max_dt, o.orid, ref_left[k].orid))
        for _c, orid, rid in sorted(cand):
            if orid in pairs or rid in taken_ref:
                continue
            pairs[orid] = (rid, "distance", 0)
            taken_ref.add(rid)

    duplicates = _duplicates(ours, pairs, owner, ref_all, max_km, max_dt)
    ref_map = {r.orid: r for r in ref_all}

    def in_span(t: float) -> bool:
        return span is None or span[0] <= t < span[1]

    def chosen(r: Origin) -> bool:
        keep = reference_filter is None or reference_filter(r, ref_by.get(r.orid, []))
        return keep and in_span(r.time)

    selected = {r.orid for r in ref_all if chosen(r)}
    duplicates = [(o, r) for o, r in duplicates if r in selected]
    matches, unmatched, counted = [], [], 0
    for o in ours:
        if o.orid not in pairs:
            if not in_span(o.time):
                continue
            unmatched.append(o.orid)
            counted += 1
            continue
        r_id, how, shared = pairs[o.orid]
        if r_id not in selected:
            continue
        counted += 1
        r = ref_map[r_id]
        d = float(_km(o.lat, o.lon, np.array([r.lat]), np.array([r.lon]))[0])
        dd = o.depth - r.depth if o.depth > -999 and r.depth > -999 else float("nan")
        matches.append(Match(o.orid, r_id, how, shared, d, o.time - r.time, dd,
                             _mb(o, mb_ours) - _mb(r, mb_ref)))  # fmt: skip
    matched_ref = {m.ref_orid for m in matches}
    missed = sorted(selected - matched_ref)
    # Arrival association over the counted events and the selected reference events.
    ref_pairs = {(s.arid, s.orid) for r in selected for s in ref_by.get(r, [])}
    ours_pairs = set()
    counted_orids = set(unmatched) | {m.orid for m in matches}
    to_ref = {m.orid: m.ref_orid for m in matches}
    for orid in counted_orids:
        for s in by_orid.get(orid, []):
            ours_pairs.add((s.arid, to_ref.get(orid, -orid - 1)))
    tp = len(ours_pairs & ref_pairs)
    return Comparison(matches, counted, len(selected), tp, len(ours_pairs), len(ref_pairs),
                      unmatched, missed, duplicates)  # fmt: skip


def _duplicates(
    ours: list[Origin],
    pairs: dict[int, tuple[int, str, int]],
    owner: dict[int, int],
    ref_all: list[Origin],
    max_km: float,
    max_dt: float,
) -> list[tuple[int, int]]:
    """Unmatched bulletin events that match a reference event already matched: by the
    reference event holding most of their arrivals, else by time and distance (closest)."""
    matched = {rid for rid, _how, _n in pairs.values()}
    ref_m = [r for r in ref_all if r.orid in matched]
    out = []
    for o in ours:
        if o.orid in pairs:
            continue
        if o.orid in owner:
            if owner[o.orid] in matched:
                out.append((o.orid, owner[o.orid]))
            continue
        best = None
        for r in ref_m:
            dt = abs(r.time - o.time)
            if dt > max_dt:
                continue
            d = float(_km(o.lat, o.lon, np.array([r.lat]), np.array([r.lon]))[0])
            if d <= max_km and (best is None or d / max_km + dt / max_dt < best[0]):
                best = (d / max_km + dt / max_dt, r.orid)
        if best is not None:
            out.append((o.orid, best[1]))
    return out


def _read(directory: Path, table: str) -> list:
    path = directory / f"{table}.csv"
    return list(read_table(path, table)) if path.is_file() else []


def compare(
    bulletin_dir: str | os.PathLike,
    reference_dir: str | os.PathLike,
    *,
    max_km: float = 100.0,
    max_dt: float = 20.0,
    min_defining_stations: int = 0,
    use_arrivals: bool = True,
    span: tuple[float, float] | None = None,
) -> Comparison:
    """Compare two CSS3.0 CSV bulletins (``origin.csv``, ``assoc.csv``, ``netmag.csv``).

    ``min_defining_stations`` restricts the reference to events with at least that many
    stations with a time-defining phase (0: all events); ``span`` (epoch s) to a part.
    """
    b, r = Path(bulletin_dir), Path(reference_dir)

    def enough(_o: Origin, rows: list[Assoc]) -> bool:
        return len({s.sta for s in rows if s.timedef == "d"}) >= min_defining_stations

    return compare_records(
        _read(b, "origin"), _read(b, "assoc"), _read(r, "origin"), _read(r, "assoc"),
        max_km=max_km, max_dt=max_dt, use_arrivals=use_arrivals,
        reference_filter=enough if min_defining_stations > 0 else None,
        netmags=_read(b, "netmag"), ref_netmags=_read(r, "netmag"), span=span,
    )  # fmt: skip

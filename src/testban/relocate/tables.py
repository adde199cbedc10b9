"""Relative relocation on CSS3.0 records and tables (``arrival``, ``assoc``, ``origin``).

The cluster is the set of origins given; each (station, phase) of their defining assoc
rows (``timedef`` not "n") is a station-phase, and every two origins that share one give a
catalogue differential time. Results are new ``origin`` rows (same orid and evid,
``algorithm`` "testban:master" or "testban:dd", ``auth`` "testban") and ``origerr`` rows
with the covariance and the 90 % ellipse.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from testban.io.css30 import read_records, write_csv
from testban.records.css30 import Arrival, Assoc, Origerr, Origin, rounded
from testban.relocate.model import Cluster, PairTimes, StationPhases
from testban.relocate.relative import Relocation, double_difference, master_event

PathLike = str | os.PathLike[str]
Coordinates = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class RelocationResult:
    """Relocated ``origin`` and ``origerr`` rows, and the solution behind them."""

    origins: list[Origin]
    origerrs: list[Origerr]
    relocation: Relocation
    cluster: Cluster


def _coordinates(stations: object) -> Coordinates:
    """Station coordinates from a mapping, a :class:`~testban.network.Network` or a path."""
    if isinstance(stations, Mapping):
        return {str(k): (float(v[0]), float(v[1])) for k, v in stations.items()}
    if isinstance(stations, (str, os.PathLike)):
        from testban.network import read_network

        stations, _ = read_network(stations)
    codes = stations.codes  # type: ignore[attr-defined]
    codes = codes() if callable(codes) else codes
    lat, lon = stations.lat(), stations.lon()  # type: ignore[attr-defined]
    return {str(c): (float(a), float(b)) for c, a, b in zip(codes, lat, lon, strict=True)}


def cluster_from_records(
    arrivals: Sequence[Arrival],
    assocs: Sequence[Assoc],
    origins: Sequence[Origin],
    stations: Coordinates,
) -> Cluster:
    """A cluster (events named by orid) with all catalogue pairs of shared station-phases.

    Station-phases at stations without coordinates are left out.
    """
    time_of = {a.arid: a.time for a in arrivals}
    index = {o.orid: n for n, o in enumerate(origins)}
    keys: dict[tuple[str, str], int] = {}
    picks: dict[tuple[int, int], float] = {}
    for a in assocs:
        if a.orid not in index or a.arid not in time_of or a.timedef == "n":
            continue
        if a.sta not in stations:
            continue
        k = keys.setdefault((a.sta, a.phase), len(keys))
        picks.setdefault((index[a.orid], k), time_of[a.arid])
    rows = [(s, p, *stations[s]) for (s, p) in keys]
    sp = StationPhases.from_rows(rows)
    if not picks:
        empty = np.zeros(0, int)
        pairs = PairTimes(empty, empty, empty, np.zeros(0), np.zeros(0))
        return Cluster(tuple(str(o.orid) for o in origins), sp, pairs)
    ev = np.array([e for e, _ in picks], int)
    kk = np.array([k for _, k in picks], int)
    tt = np.array(list(picks.values()), float)
    ii, jj, ks, ti, tj = [], [], [], [], []
    for k in np.unique(kk):
        rows_k = np.flatnonzero(kk == k)
        first, second = np.triu_indices(rows_k.size)  # includes (i, i): the event's own pick
        ii.append(ev[rows_k[first]])
        jj.append(ev[rows_k[second]])
        ks.append(np.full(first.size, k))
        ti.append(tt[rows_k[first]])
        tj.append(tt[rows_k[second]])
    pairs = PairTimes(*(np.concatenate(x) for x in (ii, jj, ks, ti, tj)))
    return Cluster(tuple(str(o.orid) for o in origins), sp, pairs)


def _rows(
    origins: Sequence[Origin], rel: Relocation, algorithm: str, nass: np.ndarray, fix_depth: bool
) -> tuple[list[Origin], list[Origerr]]:
    """Origin and origerr rows of a solution (unlocated events keep their input origin)."""
    out_o, out_e = [], []
    for n, o in enumerate(origins):
        if not np.isfinite(rel.east[n]):
            out_o.append(o)
            continue
        time = float(rel.time[n]) if np.isfinite(rel.time[n]) else o.time
        out_o.append(
            dataclasses.replace(
                o, lat=float(rel.lat[n]), lon=float(rel.lon[n]), depth=float(rel.depth[n]),
                time=time, ndef=int(rel.ndef[n]), nass=int(nass[n]),
                dtype="r" if fix_depth else "f", algorithm=algorithm, auth="testban",
            )
        )  # fmt: skip
        c = rel.cov[n]
        out_e.append(
            Origerr(
                orid=o.orid, sxx=float(c[0, 0]), syy=float(c[1, 1]),
                szz=float(c[2, 2]) if not fix_depth else -1.0, stt=float(c[3, 3]),
                sxy=float(c[0, 1]), sxz=float(c[0, 2]) if not fix_depth else -1.0,
                syz=float(c[1, 2]) if not fix_depth else -1.0, stx=float(c[3, 0]),
                sty=float(c[3, 1]), stz=float(c[3, 2]) if not fix_depth else -1.0,
                sdobs=float(np.nan_to_num(rel.sdobs[n], nan=-1.0)),
                smajax=float(rel.smajax[n]), sminax=float(rel.sminax[n]),
                strike=float(rel.strike[n]), sdepth=float(np.nan_to_num(rel.sdepth[n], nan=-1.0)),
                stime=float(rel.stime[n]), conf=rel.conf,
            )
        )  # fmt: skip
    return out_o, out_e


def relocate(
    arrivals: Sequence[Arrival],
    assocs: Sequence[Assoc],
    origins: Sequence[Origin],
    stations: Coordinates | object,
    *,
    master: int | None = None,
    method: str = "master",
    model: str = "ak135",
    fix_depth: bool = True,
    slowness: str = "model",
) -> RelocationResult:
    """Relocate a cluster of origins relative to one another.

    ``method="master"``: every origin relative to the origin ``master`` (orid), whose
    location and time are kept. ``method="dd"``: double differences over all pairs, with
    the master held fixed when given, else the catalogue centroid. ``stations`` maps a
    station code to (lat, lon), or is a Network or a metadata path (``read_network``).
    """
    coords = _coordinates(stations)
    cluster = cluster_from_records(arrivals, assocs, origins, coords)
    orids = [o.orid for o in origins]
    nass = np.array([sum(1 for a in assocs if a.orid == o) for o in orids])
    if method == "master":
        if master is None or master not in orids:
            raise ValueError(f"master orid {master} is not among the origins {orids}")
        m = orids.index(master)
        mo = origins[m]
        rel = master_event(
            cluster, m, mo.lat, mo.lon, max(mo.depth, 0.0), mo.time, model=model,
            fix_depth=fix_depth, slowness=slowness,
        )  # fmt: skip
        algorithm = "testban:master"
    elif method == "dd":
        if master is not None:
            if master not in orids:
                raise ValueError(f"master orid {master} is not among the origins {orids}")
            mo = origins[orids.index(master)]
            lat, lon, depth = mo.lat, mo.lon, max(mo.depth, 0.0)
        else:
            lat = float(np.mean([o.lat for o in origins]))
            lon = float(np.mean([o.lon for o in origins]))
            depth = float(np.mean([max(o.depth, 0.0) for o in origins]))
        fixed = None if master is None else orids.index(master)
        rel = double_difference(
            cluster, lat, lon, depth, fixed=fixed, model=model, fix_depth=fix_depth
        )
        algorithm = "testban:dd"
    else:
        raise ValueError(f"method must be 'master' or 'dd', not {method!r}")
    out_o, out_e = _rows(origins, rel, algorithm, nass, fix_depth)
    return RelocationResult(out_o, out_e, rel, cluster)


def relocate_tables(
    arrival: PathLike,
    assoc: PathLike,
    origin: PathLike,
    stations: PathLike | Coordinates,
    out_dir: PathLike | None = None,
    *,
    master: int | None = None,
    method: str = "master",
    model: str = "ak135",
    fix_depth: bool = True,
    slowness: str = "model",
) -> RelocationResult:
    """:func:`relocate` on CSS3.0 tables (CSV or flat files); writes ``origin.csv`` and
    ``origerr.csv`` into ``out_dir`` when given (for ``testban relocate --master ORID``)."""
    result = relocate(
        read_records(arrival, Arrival),
        read_records(assoc, Assoc),
        read_records(origin, Origin),
        stations,
        master=master, method=method, model=model, fix_depth=fix_depth, slowness=slowness,
    )  # fmt: skip
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_csv([rounded(o) for o in result.origins], out / "origin.csv", table="origin")
        write_csv([rounded(e) for e in result.origerrs], out / "origerr.csv", table="origerr")
    return result

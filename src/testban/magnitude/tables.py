"""Magnitudes as CSS3.0 rows: amplitude, arrival, assoc and origin in; stamag and netmag out.

Naming follows the IDC bulletin: station rows of one network magnitude share its
``magid`` and ``magtype`` (``mb_ave``, ``mb_mle``, ``ms_ave``, ``ms_mle``, ``ml``,
``mblg``); ``mmodel`` names the distance correction (``qfvc``, ``rez_pearce``,
``idc_ml``, ``nuttli73``); a non-detecting station in a maximum-likelihood magnitude has
``arid = -1`` and its noise magnitude as ``magnitude`` (an upper bound). Out-of-range
stations get a value where the correction table allows it, with ``magdef = 'n'``, as the
IDC reports them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from testban.io.css30 import rows_of
from testban.io.problems import ReadProblem
from testban.magnitude.network import (
    MLE_SIGMA,
    NetworkMagnitude,
    network_mean,
    network_mle,
    network_weighted_mean,
)
from testban.magnitude.station import (
    mb_station,
    mblg_station,
    ml_station,
    ms_station,
    station_reasons,
)
from testban.network import Network, read_network
from testban.network.readers import Meta
from testban.records.css30 import Amplitude, Arrival, Assoc, Netmag, Origin, Record, Stamag
from testban.traveltime import distance_azimuth


@dataclass(frozen=True)
class Scale:
    """How one magnitude type is measured: phases, amplitude types, names, station error.

    ``consider`` is the distance window (°) in which an associated phase is a candidate at
    all (a teleseismic P is silently no ML candidate); inside it, stations outside the
    formula's range are reported.
    """

    magtype: str
    phases: tuple[str, ...]
    amptypes: tuple[str, ...]
    mmodel: str
    mean_name: str
    mle_name: str | None
    station_sd: float
    consider: tuple[float, float] = (0.0, 180.0)


#: The magnitude types testban computes, by station-formula name.
SCALES: dict[str, Scale] = {
    "mb": Scale("mb", ("P",), ("A5/2-OR", "A5/2"), "qfvc", "mb_ave", "mb_mle", MLE_SIGMA),
    "ms": Scale("ms", ("LR",), ("A20",), "rez_pearce", "ms_ave", "ms_mle", 0.25),
    "ml": Scale("ml", ("P", "Pn", "Pg"), ("SBSNR",), "idc_ml", "ml", None, 0.35, (0.0, 29.0)),
    "mblg": Scale("mblg", ("Lg",), ("A5/2",), "nuttli73", "mblg", None, 0.3, (0.0, 40.0)),
}
#: Network magtype name → (station formula, "mean" or "mle").
_NET_NAMES: dict[str, tuple[str, str]] = {
    name: (key, kind)
    for key, sc in SCALES.items()
    for name, kind in ((sc.mean_name, "mean"), (sc.mle_name, "mle"))
    if name
}


class MagnitudeProblem(NamedTuple):
    """A station that got no defining magnitude, and why."""

    orid: int
    sta: str
    magtype: str
    message: str

    def __str__(self) -> str:
        return f"orid {self.orid} {self.sta} {self.magtype}: {self.message}"


def _station_value(
    magtype: str, amp: np.ndarray, per: np.ndarray, delta: np.ndarray, depth: float
) -> np.ndarray:
    """Station values with no range limits (the tables' own extent still applies)."""
    if magtype == "mb":
        return mb_station(amp, per, delta, depth, delta_range=None)
    if magtype == "ms":
        return ms_station(amp, per, delta, delta_range=None, period_range=None)
    if magtype == "ml":
        return ml_station(amp, delta, delta_range=None)
    return mblg_station(amp, per, delta, delta_range=None)


def _delta_of(assoc: Assoc, origin: Origin, network: Network | None) -> float:
    if assoc.delta >= 0:
        return float(assoc.delta)
    if network is None or assoc.sta not in network:
        return float("nan")
    lat, lon, _ = network.coordinates(assoc.sta)
    return float(distance_azimuth(origin.lat, origin.lon, lat, lon)[0])


def _pick_amplitude(rows: Sequence[Amplitude], amptypes: tuple[str, ...]) -> Amplitude | None:
    ranked = [(amptypes.index(a.amptype), i) for i, a in enumerate(rows) if a.amptype in amptypes]
    return rows[min(ranked)[1]] if ranked else None


def station_magnitudes(
    amplitudes: Iterable[Amplitude],
    arrivals: Iterable[Arrival],
    assocs: Iterable[Assoc],
    origin: Origin,
    network: Network | None = None,
    *,
    magtypes: Iterable[str] = ("mb", "ms", "ml", "mblg"),
    problems: list[MagnitudeProblem] | None = None,
) -> list[Stamag]:
    """Station magnitudes of ``origin`` from its associated amplitudes, as ``Stamag`` rows.

    ``magtype`` of each row is the station formula (``mb``, ``ms``, ``ml``, ``mblg``);
    :func:`network_magnitudes` renames rows to the network magnitude they enter.
    Amplitudes come from ``amplitude`` rows of the arrival (preferred ``amptype`` first)
    or, for mb only, from ``arrival.amp``/``per``. Distance is ``assoc.delta``, else from
    ``network`` (a :class:`testban.network.Network`) coordinates. One value per station
    and type: the earliest associated arrival of a suitable phase. Stations outside a
    scale's range get ``magdef = 'n'``; stations with no value are left out; both are
    reported in ``problems``.
    """
    probs = problems if problems is not None else []
    orid = origin.orid
    depth = float(origin.depth) if origin.depth > -999.0 else 0.0
    arr_by_id = {a.arid: a for a in arrivals}
    amps_by_arid: dict[int, list[Amplitude]] = {}
    for amp_rec in amplitudes:
        amps_by_arid.setdefault(amp_rec.arid, []).append(amp_rec)
    mine = [a for a in assocs if a.orid == orid]
    out: list[Stamag] = []
    for key in magtypes:
        sc = SCALES[key]
        chosen: dict[str, tuple[float, Assoc]] = {}
        for a in mine:
            near = a.delta < 0 or sc.consider[0] <= a.delta <= sc.consider[1]
            if a.phase not in sc.phases or not near:
                continue
            t = arr_by_id[a.arid].time if a.arid in arr_by_id else float("inf")
            if a.sta not in chosen or t < chosen[a.sta][0]:
                chosen[a.sta] = (t, a)
        rows: list[tuple[Assoc, int, float, float]] = []
        for _, a in chosen.values():
            amp_row = _pick_amplitude(amps_by_arid.get(a.arid, []), sc.amptypes)
            if amp_row is not None:
                rows.append((a, amp_row.ampid, amp_row.amp, amp_row.per))
            elif key == "mb" and a.arid in arr_by_id and arr_by_id[a.arid].amp > 0:
                arr = arr_by_id[a.arid]
                rows.append((a, -1, arr.amp, arr.per))
            else:
                probs.append(MagnitudeProblem(orid, a.sta, key, "no amplitude"))
        if not rows:
            continue
        amp = np.array([r[2] for r in rows], float)
        per = np.array([r[3] for r in rows], float)
        delta = np.array([_delta_of(r[0], origin, network) for r in rows], float)
        value = _station_value(key, amp, per, delta, depth)
        why = station_reasons(key, amp, per, delta)
        for (a, ampid, _, _), d, m, w in zip(rows, delta, value, why, strict=True):
            if not np.isfinite(m):
                probs.append(MagnitudeProblem(orid, a.sta, key, w or "outside correction table"))
                continue
            if w:
                probs.append(MagnitudeProblem(orid, a.sta, key, f"{w} (non-defining)"))
            out.append(
                Stamag(
                    ampid=ampid, sta=a.sta, arid=a.arid, orid=orid, evid=origin.evid,
                    phase=a.phase, delta=float(d), magtype=key, magnitude=float(m),
                    uncertainty=sc.station_sd if key == "ml" else -1.0,
                    magdef="n" if w else "d", mmodel=sc.mmodel,
                )
            )  # fmt: skip
    return out


def noise_stamags(
    origin: Origin,
    noise: Mapping[str, tuple[float, float]],
    network: Network,
    *,
    detected: Iterable[str] = (),
    magtype: str = "mb",
) -> list[Stamag]:
    """Upper-bound station magnitudes of non-detecting stations, for the MLE.

    ``noise`` maps station → (noise amplitude in nm, period in s) as measured the way the
    scale's signal amplitude is (e.g. A5/2 on noise before the predicted P). Stations in
    ``detected``, unknown to ``network``, or outside the scale's range are skipped.
    """
    skip = set(detected)
    stas = [s for s in noise if s not in skip and s in network]
    if not stas:
        return []
    delta = distance_azimuth(origin.lat, origin.lon, network.lat(stas), network.lon(stas))[0]
    amp = np.array([noise[s][0] for s in stas], float)
    per = np.array([noise[s][1] for s in stas], float)
    depth = float(origin.depth) if origin.depth > -999.0 else 0.0
    value = _station_value(magtype, amp, per, delta, depth)
    ok = station_reasons(magtype, amp, per, delta) == ""
    sc = SCALES[magtype]
    return [
        Stamag(
            sta=s, arid=-1, orid=origin.orid, evid=origin.evid, phase=sc.phases[0],
            delta=float(d), magtype=magtype, magnitude=float(m), magdef="d", mmodel=sc.mmodel,
        )
        for s, d, m, good in zip(stas, delta, value, ok, strict=True)
        if good and np.isfinite(m)
    ]  # fmt: skip


def _netmag_rows(
    rows: list[Stamag], name: str, est: NetworkMagnitude, magid: int, net: str, auth: str
) -> tuple[Netmag, list[Stamag]]:
    unc = est.uncertainty if np.isfinite(est.uncertainty) else -1.0
    first = rows[0]
    netmag = Netmag(
        magid=magid, net=net, orid=first.orid, evid=first.evid, magtype=name, nsta=est.nsta,
        magnitude=est.magnitude, uncertainty=unc, auth=auth,
    )  # fmt: skip
    stas = [
        dataclasses.replace(
            r, magid=magid, magtype=name, magres=float(res) if np.isfinite(res) else -999.0,
            magdef="d" if used else "n", auth=auth,
        )
        for r, res, used in zip(rows, est.magres, est.used, strict=True)
    ]  # fmt: skip
    return netmag, stas


def network_magnitudes(
    stamags: Iterable[Stamag],
    *,
    trim: float = 0.0,
    mle: bool = True,
    sigma: float | None = None,
    first_magid: int = 1,
    net: str = "testban",
    auth: str = "testban",
    detected: Callable[[Stamag], bool] | None = None,
) -> tuple[list[Netmag], list[Stamag]]:
    """Network magnitudes per origin and type, and the station rows renamed to them.

    Station rows with the formula name (``mb``) give the mean (``mb_ave``, trimmed with
    ``trim``) and, with ``mle`` and at least one non-detecting row (``arid = -1``), the
    maximum-likelihood ``mb_mle`` (σ = ``sigma`` or the scale's station σ). Rows already
    named after a network magnitude (``mb_ave``, ``mb_mle``; e.g. an IDC ``stamag``)
    give only that one. Only ``magdef = 'd'`` rows enter; ML is weighted by 1/σ² of each
    row's ``uncertainty`` when all are positive. Returns ``(netmags, stamags)`` with
    ``magid``, ``magres`` and ``magdef`` filled in. ``detected`` tells detections from
    upper bounds (default: a row with an arrival, ``arid != -1``; surface-wave rows have
    no arrival and say it otherwise).
    """
    is_detection = detected or (lambda r: r.arid != -1)
    groups: dict[tuple[int, str], list[Stamag]] = {}
    for r in stamags:
        groups.setdefault((r.orid, r.magtype), []).append(r)
    netmags: list[Netmag] = []
    out: list[Stamag] = []
    magid = first_magid
    for (_, magtype), rows in groups.items():
        if magtype in SCALES:
            key, kinds = magtype, ["mean", "mle"] if mle else ["mean"]
        elif magtype in _NET_NAMES:
            key, kind = _NET_NAMES[magtype]
            kinds = [kind]
        else:
            continue
        sc = SCALES[key]
        m = np.array([r.magnitude for r in rows], float)
        det = np.array([is_detection(r) for r in rows], bool)
        defining = np.array([r.magdef == "d" for r in rows])
        for kind in kinds:
            if kind == "mean":
                sel = [i for i in range(len(rows)) if det[i]]
                if not sel:
                    continue
                sub = [rows[i] for i in sel]
                sd = np.array([r.uncertainty for r in sub], float)
                if key == "ml" and np.all(sd > 0):
                    est = network_weighted_mean(m[sel], sd, defining[sel])
                else:
                    est = network_mean(m[sel], defining[sel], trim=trim, single_sd=sc.station_sd)
                name = sc.mean_name if magtype in SCALES else magtype
            else:
                if sc.mle_name is None or det.all() or not det.any():
                    continue
                sub = rows
                est = network_mle(m, det, defining, sigma=sigma or sc.station_sd)
                name = sc.mle_name
            if not np.isfinite(est.magnitude):
                continue
            nm, st = _netmag_rows(sub, name, est, magid, net, auth)
            netmags.append(nm)
            out.extend(st)
            magid += 1
    return netmags, out


def _read_inputs(
    source: os.PathLike | str | Sequence[os.PathLike | str],
) -> tuple[dict[str, list[Record]], str]:
    from testban.io.css30 import read_table, read_tables

    wanted = ("amplitude", "arrival", "assoc", "origin")
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        return read_tables(source, wanted), os.fspath(source)
    paths = [Path(source)] if isinstance(source, (str, os.PathLike)) else [Path(p) for p in source]
    found: dict[str, list[Record]] = {}
    for p in paths:
        name = p.stem if p.suffix.lower() == ".csv" else p.suffix.lstrip(".")
        if name in wanted:
            found[name] = read_table(p, name)
    return found, ",".join(os.fspath(p) for p in paths)


def magnitudes_for_tables(
    source: os.PathLike | str | Sequence[os.PathLike | str],
    stations_meta: Meta | None = None,
    *,
    trim: float = 0.0,
) -> tuple[list[Netmag], list[Stamag], list[ReadProblem]]:
    """Magnitudes of every origin in CSS3.0 tables (a directory or a list of table files).

    Needs ``origin``, ``assoc`` and ``amplitude`` and/or ``arrival``. ``stations_meta`` (any
    source :func:`testban.network.read_network` reads) is only needed where ``assoc.delta``
    is missing. Problems (stations without a defining value, unreadable station metadata)
    come back as warnings; missing tables raise FileNotFoundError.
    """
    tables, label = _read_inputs(source)
    missing = [t for t in ("origin", "assoc") if t not in tables]
    if missing or not ({"amplitude", "arrival"} & set(tables)):
        raise FileNotFoundError(f"{label}: need origin, assoc and amplitude/arrival tables")
    problems: list[ReadProblem] = []
    network = None
    if stations_meta is not None:
        network, net_problems = read_network(stations_meta)
        problems.extend(net_problems)
    amplitudes = rows_of(tables, Amplitude)
    arrivals = rows_of(tables, Arrival)
    assocs = rows_of(tables, Assoc)
    netmags: list[Netmag] = []
    stamags: list[Stamag] = []
    for origin in rows_of(tables, Origin):
        probs: list[MagnitudeProblem] = []
        rows = station_magnitudes(amplitudes, arrivals, assocs, origin, network, problems=probs)
        nm, st = network_magnitudes(rows, trim=trim, first_magid=len(netmags) + 1)
        netmags.extend(nm)
        stamags.extend(st)
        problems.extend(
            ReadProblem(label, p.message, f"orid {p.orid} {p.magtype}", p.sta, "warning")
            for p in probs
        )
    return netmags, stamags, problems


#: Which netmag types fill which origin columns, in order of preference (IDC names).
_ORIGIN_COLUMNS = {
    "mb": ("mb_ave", "mb", "mb_mle"),
    "ms": ("ms_ave", "ms", "ms_mle"),
    "ml": ("ml",),
}


def with_magnitudes(origins: Sequence[Origin], netmags: Sequence[Netmag]) -> list[Origin]:
    """Origins with ``mb``/``mbid``, ``ms``/``msid``, ``ml``/``mlid`` set from ``netmags``.

    The preferred type per column is the IDC's average (``mb_ave``, ``ms_ave``), then the
    plain and maximum-likelihood values; origins without a magnitude keep their nulls.
    """
    by_orid: dict[int, dict[str, Netmag]] = {}
    for nm in netmags:
        by_orid.setdefault(nm.orid, {})[nm.magtype] = nm
    out = []
    for o in origins:
        have = by_orid.get(o.orid, {})
        changes: dict[str, Any] = {}  # Origin column -> value, for dataclasses.replace
        for column, preferred in _ORIGIN_COLUMNS.items():
            best = next((have[t] for t in preferred if t in have), None)
            if best is not None:
                changes[column] = best.magnitude
                changes[f"{column}id"] = best.magid
        out.append(dataclasses.replace(o, **changes) if changes else o)
    return out

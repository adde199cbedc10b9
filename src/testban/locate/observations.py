"""Columnar observations for the locator, built from CSS3.0 ``arrival`` + ``assoc`` rows.

One row per associated arrival: where it was recorded (station coordinates), which phase,
its time/azimuth/slowness with measurement errors (``deltim``/``delaz``/``delslo``), and
which of them define the location (``timedef``/``azdef``/``slodef`` == "d").
:meth:`Observations.with_time_corrections` applies travel-time station corrections
(``testban calibrate``) to the observed times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from testban.io.problems import ReadProblem
from testban.network import Network
from testban.records.css30 import Arrival, Assoc

#: Stations given as a Network or as ``{code: (lat, lon, elev_km)}``.
Stations = Network | Mapping[str, tuple[float, float, float | None]]

#: Travel-time station corrections: ``(sta, phase, dt s, standard error s)`` rows, ``dt``
#: to add to the predicted travel time of ``phase`` at ``sta``.
TimeCorrections = Sequence[tuple[str, str, float, float]]


def _coordinates(stations: Stations, sta: str) -> tuple[float, float, float] | None:
    """(lat, lon, elev km) of ``sta``, elevation 0 when unknown; None if not known."""
    if isinstance(stations, Network):
        if sta not in stations:
            return None
        lat, lon, elev = stations.coordinates(sta)
    else:
        if sta not in stations:
            return None
        lat, lon, elev = stations[sta]
    e = 0.0 if elev is None or not np.isfinite(elev) else float(elev)
    return float(lat), float(lon), e


@dataclass(frozen=True)
class Observations:
    """Arrivals of one event as arrays (one entry per associated arrival)."""

    sta: np.ndarray  # str
    phase: np.ndarray  # str, IDC/IASPEI phase names
    arid: np.ndarray  # int
    time: np.ndarray  # epoch s
    deltim: np.ndarray  # s
    azimuth: np.ndarray  # ° (station→source, observed back azimuth), NaN if none
    delaz: np.ndarray  # °
    slow: np.ndarray  # s/°, NaN if none
    delslo: np.ndarray  # s/°
    timedef: np.ndarray  # bool
    azdef: np.ndarray  # bool
    slodef: np.ndarray  # bool
    lat: np.ndarray  # station latitude (°, geographic)
    lon: np.ndarray
    elev: np.ndarray  # km

    def __len__(self) -> int:
        return int(self.time.size)

    def select(self, mask: np.ndarray) -> Observations:
        """The rows where ``mask`` is true."""
        return Observations(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def with_time_corrections(
        self, corrections: TimeCorrections, default_deltim: float
    ) -> Observations:
        """Observations with travel-time station corrections applied.

        A correction ``dt`` of (station, phase) is added to the prediction, i.e.
        subtracted from the observed time (one number either way, and the kernels need
        not know); its standard error joins the time error in quadrature, so that a
        poorly known correction weighs less. The measurement and model errors are
        independent terms of one variance, so adding it to either is the same.
        ``default_deltim`` (s) stands in for a missing ``deltim`` (the locator's default)
        so that the sum keeps it. Rows without a correction are unchanged.
        """
        table = {(sta, ph): (dt, se) for sta, ph, dt, se in corrections}
        if not table:
            return self
        dt = np.zeros(len(self))
        se = np.zeros(len(self))
        for i, key in enumerate(zip(self.sta, self.phase, strict=True)):
            got = table.get((str(key[0]), str(key[1])))
            if got is not None and np.isfinite(got[0]):
                dt[i] = got[0]
                se[i] = got[1] if np.isfinite(got[1]) else 0.0
        hit = dt != 0.0
        if not hit.any():
            return self
        base = np.where(self.deltim > 0, self.deltim, default_deltim)
        return self.replace(
            time=self.time - dt,
            deltim=np.where(hit, np.hypot(base, se), self.deltim),
        )

    def replace(self, **columns: np.ndarray) -> Observations:
        """A copy with some columns replaced."""
        cur = {f.name: getattr(self, f.name) for f in fields(self)}
        cur.update(columns)
        return Observations(**cur)

    @classmethod
    def from_arrays(
        cls,
        sta: Sequence[str],
        phase: Sequence[str],
        time: Iterable[float],
        lat: Iterable[float],
        lon: Iterable[float],
        *,
        elev: Iterable[float] | None = None,
        deltim: Iterable[float] | float = 0.0,
        azimuth: Iterable[float] | None = None,
        delaz: Iterable[float] | float = 0.0,
        slow: Iterable[float] | None = None,
        delslo: Iterable[float] | float = 0.0,
        timedef: Iterable[bool] | bool = True,
        azdef: Iterable[bool] | bool | None = None,
        slodef: Iterable[bool] | bool | None = None,
        arid: Iterable[int] | None = None,
    ) -> Observations:
        """Observations from plain arrays; azimuth/slowness define where they are given."""
        t = np.asarray(time, float)
        n = t.size

        def col(v, fill: float) -> np.ndarray:
            if v is None:
                return np.full(n, fill)
            return np.broadcast_to(np.asarray(v, float), (n,)).copy()

        az, sl = col(azimuth, np.nan), col(slow, np.nan)

        def flag(v, default: np.ndarray) -> np.ndarray:
            if v is None:
                return default
            return np.broadcast_to(np.asarray(v, bool), (n,)).copy()

        return cls(
            sta=np.asarray(sta, dtype=object),
            phase=np.asarray(phase, dtype=object),
            arid=np.arange(n) if arid is None else np.asarray(arid, int),
            time=t,
            deltim=col(deltim, 0.0),
            azimuth=az,
            delaz=col(delaz, 0.0),
            slow=sl,
            delslo=col(delslo, 0.0),
            timedef=flag(timedef, np.ones(n, bool)),
            azdef=flag(azdef, np.isfinite(az)),
            slodef=flag(slodef, np.isfinite(sl)),
            lat=np.asarray(lat, float),
            lon=np.asarray(lon, float),
            elev=col(elev, 0.0),
        )

    @classmethod
    def from_records(
        cls,
        arrivals: Iterable[Arrival] | Mapping[int, Arrival],
        assocs: Iterable[Assoc],
        stations: Stations,
        *,
        source: str = "",
    ) -> tuple[Observations, list[ReadProblem]]:
        """Observations of the ``assocs`` rows (one event), joined to their arrivals.

        An assoc whose arrival is missing, or whose station has no coordinates, is
        reported in the returned problems and left out.
        """
        by_arid = arrivals if isinstance(arrivals, Mapping) else {a.arid: a for a in arrivals}
        rows: list[tuple[Arrival, Assoc, tuple[float, float, float]]] = []
        problems: list[ReadProblem] = []
        for s in assocs:
            where = f"orid {s.orid} arid {s.arid}"
            a = by_arid.get(s.arid)
            if a is None:
                problems.append(ReadProblem(source, "no arrival row for this assoc", where, s.sta))
                continue
            sta = a.sta if a.sta != "-" else s.sta
            xyz = _coordinates(stations, sta)
            if xyz is None:
                msg = f"unknown station {sta!r}: observation dropped"
                problems.append(ReadProblem(source, msg, where, sta))
                continue
            rows.append((a, s, xyz))

        def na(v: float, bad: float) -> float:
            return np.nan if v == bad or v < 0 else v

        phase = [s.phase if s.phase != "-" else a.iphase for a, s, _ in rows]
        return (
            cls(
                sta=np.array([a.sta for a, _, _ in rows], dtype=object),
                phase=np.array(phase, dtype=object),
                arid=np.array([a.arid for a, _, _ in rows], dtype=int),
                time=np.array([a.time for a, _, _ in rows], dtype=float),
                deltim=np.array([max(a.deltim, 0.0) for a, _, _ in rows], dtype=float),
                azimuth=np.array([na(a.azimuth, -1.0) for a, _, _ in rows], dtype=float),
                delaz=np.array([max(a.delaz, 0.0) for a, _, _ in rows], dtype=float),
                slow=np.array([na(a.slow, -1.0) for a, _, _ in rows], dtype=float),
                delslo=np.array([max(a.delslo, 0.0) for a, _, _ in rows], dtype=float),
                timedef=np.array([s.timedef == "d" for _, s, _ in rows], dtype=bool),
                azdef=np.array([s.azdef == "d" for _, s, _ in rows], dtype=bool),
                slodef=np.array([s.slodef == "d" for _, s, _ in rows], dtype=bool),
                lat=np.array([c[0] for _, _, c in rows], dtype=float),
                lon=np.array([c[1] for _, _, c in rows], dtype=float),
                elev=np.array([c[2] for _, _, c in rows], dtype=float),
            ),
            problems,
        )

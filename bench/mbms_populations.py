"""mb:Ms populations: SIPRI explosions against USGS earthquakes under the IDC mb:Ms line.

    PYTHONPATH=src .venv/bin/python bench/mbms_populations.py

The criterion is :func:`testban.screening.criteria.mbms_criterion` (Ms − 1.25 mb > −2.2 at
the one-sided 97.5 % confidence, σ² = 1.25²σb²/Nb + σs²/Ns, σb = 0.34, σs = 0.23), applied
to catalogue magnitudes. The catalogues give no station counts for the explosions, so the
share screened out is shown under several assumptions on Nb and Ns:

* the plain line (no uncertainty test: σ = 0);
* Nb = Ns = 1 (the widest σ, the most conservative);
* Nb = 3, Ns = 2 (the fewest stations the IDC screens with);
* typical counts: the median number of mb stations of the USGS "Nuclear Explosion" rows
  and of Ms stations of the USGS Ms rows (read from the catalogue, not assumed);
* the issue's alternative form of the line, Ms − mb > −0.64, with Nb = Ns = 1.

Explosions: ``catalogs/nuclear_explosions_sipri/`` rows with both mb > 0 and Ms > 0 (0
means "not given" there). Earthquakes: ``catalogs/usgs_significant_1965_2016/`` gives one
preferred magnitude per event (``Magnitude Type``), so an earthquake with both mb and Ms
is looked for by pairing an mb row with an Ms row of the same event (≤ 10 s, ≤ 0.5°); where
there are none, a bound is reported instead: for each shallow Ms earthquake, the largest
mb at which it is still screened out; if that exceeds 6.5 (where 1-s mb saturates,
Kanamori 1983, Tectonophysics 93, 185–199) it is screened out whatever its mb.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from testban.screening.criteria import IDC, ScreeningConfig, mbms_criterion

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
SIPRI = SHARED / "catalogs" / "nuclear_explosions_sipri" / "nuclear_explosions.csv"
USGS = SHARED / "catalogs" / "usgs_significant_1965_2016" / "significant_earthquakes_1965_2016.csv"

#: Shallow earthquakes: the crust, where the depth criterion cannot screen them out
#: and mb:Ms must (km).
SHALLOW_KM = 40.0
#: Teleseismic 1-s mb saturates near here (Kanamori 1983).
MB_SATURATION = 6.5


@dataclass(frozen=True)
class Event:
    """One catalogue event with the magnitudes the criterion needs."""

    name: str
    time: dt.datetime
    lat: float
    lon: float
    depth: float
    mb: float = math.nan
    ms: float = math.nan
    nb: int = 0
    ns: int = 0
    kind: str = ""
    source: str = ""


@dataclass(frozen=True)
class Assumption:
    """Station counts and lines under which catalogue magnitudes are screened."""

    label: str
    nb: int | None  # None: the event's own count
    ns: int | None
    config: ScreeningConfig


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def read_sipri(path: Path = SIPRI) -> list[Event]:
    """SIPRI explosions with both mb and Ms (the file writes 0 for a missing magnitude)."""
    out = []
    with path.open(newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            mb = _float(row["Data.Magnitude.Body"])
            ms = _float(row["Data.Magnitude.Surface"])
            if not (mb > 0 and ms > 0):
                continue
            try:
                t = dt.datetime(int(row["Date.Year"]), int(row["Date.Month"]), int(row["Date.Day"]))
            except ValueError as exc:
                raise ValueError(f"{path} line {i}: bad date ({exc})") from exc
            out.append(
                Event(
                    name=row["Data.Name"], time=t, lat=_float(row["latitude"]),
                    lon=_float(row["longitude"]),
                    depth=_float(row["Location.Cordinates.Depth"]), mb=mb, ms=ms,
                    kind=f"{row['WEAPON_SOURCE']} {row['Data.Type']}",
                    source=row["Data.Source"],
                )
            )  # fmt: skip
    return out


def read_usgs(path: Path = USGS) -> list[Event]:
    """Every row of the USGS catalogue with its one magnitude put under mb or Ms."""
    out = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                t = dt.datetime.strptime(f"{row['Date']} {row['Time']}", "%m/%d/%Y %H:%M:%S")
            except ValueError:
                continue  # a handful of rows carry ISO timestamps; none of them mb or Ms
            mtype = row["Magnitude Type"].upper()
            mag = _float(row["Magnitude"])
            n = int(_float(row["Magnitude Seismic Stations"]) or 0) if row[
                "Magnitude Seismic Stations"] else 0  # fmt: skip
            out.append(
                Event(
                    name=row["ID"], time=t, lat=_float(row["Latitude"]),
                    lon=_float(row["Longitude"]), depth=_float(row["Depth"]),
                    mb=mag if mtype == "MB" else math.nan,
                    ms=mag if mtype == "MS" else math.nan,
                    nb=n if mtype == "MB" else 0, ns=n if mtype == "MS" else 0,
                    kind=row["Type"], source=row["Source"],
                )
            )  # fmt: skip
    return out


def pair_mb_ms(events: list[Event], max_s: float = 10.0, max_deg: float = 0.5) -> list[Event]:
    """Earthquakes with both magnitudes: an mb row and an Ms row of the same event."""
    mbs = [e for e in events if math.isfinite(e.mb)]
    mss = [e for e in events if math.isfinite(e.ms)]
    if not mbs or not mss:
        return []
    tms = np.array([e.time.timestamp() for e in mss])
    out = []
    for e in mbs:
        j = np.flatnonzero(np.abs(tms - e.time.timestamp()) <= max_s)
        for k in j:
            s = mss[k]
            if abs(s.lat - e.lat) <= max_deg and abs(s.lon - e.lon) <= max_deg:
                out.append(replace(e, ms=s.ms, ns=s.ns))
                break
    return out


def typical_counts(usgs: list[Event]) -> tuple[int, int]:
    """Median mb station count of USGS nuclear-explosion rows, Ms count of USGS Ms rows."""
    nb = [e.nb for e in usgs if e.kind == "Nuclear Explosion" and e.nb > 0]
    ns = [e.ns for e in usgs if math.isfinite(e.ms) and e.ns > 0]
    return int(statistics.median(nb)), int(statistics.median(ns))


def assumptions(nb_typ: int, ns_typ: int) -> list[Assumption]:
    """The Nb/Ns assumptions and lines of the table (see the module docstring)."""
    one = replace(IDC, min_ms_stations=1)
    return [
        Assumption("plain line, no uncertainty", 1, 1, replace(one, sigma_mb=0.0, sigma_ms=0.0)),
        Assumption("Nb = Ns = 1", 1, 1, one),
        Assumption("Nb = 3, Ns = 2 (IDC minimum)", 3, 2, IDC),
        Assumption(f"typical: Nb = {nb_typ}, Ns = {ns_typ}", nb_typ, ns_typ, IDC),
        Assumption("Ms − mb > −0.64, Nb = Ns = 1", 1, 1, replace(one, mbms_slope=1.0,
                                                                   mbms_offset=-0.64)),
    ]  # fmt: skip


def screened_out(events: list[Event], a: Assumption) -> list[Event]:
    """The events the criterion screens out under assumption ``a``."""
    out = []
    for e in events:
        nb = a.nb if a.nb is not None else e.nb
        ns = a.ns if a.ns is not None else e.ns
        if mbms_criterion(e.mb, nb, e.ms, ns, a.config).screened_out:
            out.append(e)
    return out


def mb_escape(ms: np.ndarray, ns: np.ndarray, nb: int, config: ScreeningConfig) -> np.ndarray:
    """The mb above which an event of Ms ``ms`` is no longer screened out (σ does not
    depend on mb, so the line solves in closed form): Ms − s·mb − zσ = offset."""
    sigma = np.sqrt((config.mbms_slope * config.sigma_mb) ** 2 / nb + config.sigma_ms**2 / ns)
    return (ms - config.mbms_offset - config.z * sigma) / config.mbms_slope


def main() -> None:
    sipri = read_sipri()
    usgs = read_usgs()
    nb_typ, ns_typ = typical_counts(usgs)
    table = assumptions(nb_typ, ns_typ)
    print(f"SIPRI explosions with mb and Ms: {len(sipri)}")
    eq = [e for e in usgs if e.kind == "Earthquake"]
    shallow = [e for e in eq if e.depth <= SHALLOW_KM]
    pairs = pair_mb_ms(shallow)
    print(
        f"USGS earthquakes: {len(eq)}; shallow (≤ {SHALLOW_KM:g} km) with mb: "
        f"{sum(math.isfinite(e.mb) for e in shallow)}, with Ms: "
        f"{sum(math.isfinite(e.ms) for e in shallow)}, with both (paired rows): {len(pairs)}"
    )
    print(f"typical counts: Nb {nb_typ} (USGS explosion mb rows), Ns {ns_typ} (USGS Ms rows)")
    print("\n| assumption | explosions screened out | shallow earthquakes with mb and Ms |")
    print("|---|---|---|")
    for a in table:
        x = screened_out(sipri, a)
        q = screened_out(pairs, a)
        qtxt = f"{len(q)}/{len(pairs)}" if pairs else "0 events: n/a"
        print(f"| {a.label} | {len(x)}/{len(sipri)} ({100 * len(x) / len(sipri):.1f} %) | {qtxt} |")
    # The earthquake bound from the Ms rows alone.
    ms_eq = [e for e in shallow if math.isfinite(e.ms)]
    ms = np.array([e.ms for e in ms_eq])
    own = np.array([e.ns for e in ms_eq])
    print(
        f"\nShallow USGS Ms earthquakes: {len(ms_eq)} (Ms {ms.min():.1f}–{ms.max():.1f}; own "
        f"Ns given for {int((own > 0).sum())}); mb needed to escape screening, and the share "
        f"screened out for any mb ≤ {MB_SATURATION}:"
    )
    for a in table:
        nb = a.nb if a.nb is not None else 1
        ns = np.full(ms.shape, a.ns if a.ns is not None else 1, dtype=float)
        esc = mb_escape(ms, ns, nb, a.config)
        share = float(np.mean(esc > MB_SATURATION))
        print(
            f"  {a.label}: escape mb median {np.median(esc):.2f} "
            f"(10–90 % {np.percentile(esc, 10):.2f}–{np.percentile(esc, 90):.2f}); "
            f"screened out whatever mb ≤ {MB_SATURATION}: {100 * share:.1f} %"
        )
    with_ns = own > 0
    if with_ns.any():
        cfg = replace(IDC, min_ms_stations=1)
        esc = mb_escape(ms[with_ns], own[with_ns].astype(float), nb_typ, cfg)
        print(
            f"  own Ns ({int(with_ns.sum())} events, Nb = {nb_typ}): screened out whatever "
            f"mb ≤ {MB_SATURATION}: {100 * float(np.mean(esc > MB_SATURATION)):.1f} %"
        )
    print(
        "\nExplosions above the plain line; screened out under Nb = Ns = 1 / IDC minimum / typical:"
    )
    print("| date | name | country, type | mb source | mb | Ms | Ms − 1.25 mb | 1 / min / typ |")
    print("|---|---|---|---|---|---|---|---|")
    sets = [{id(e) for e in screened_out(sipri, a)} for a in table[1:4]]
    for e in screened_out(sipri, table[0]):
        flags = " / ".join("yes" if id(e) in s else "no" for s in sets)
        print(
            f"| {e.time:%Y-%m-%d} | {e.name} | {e.kind} | {e.source} | {e.mb:.1f} | {e.ms:.1f} | "
            f"{e.ms - 1.25 * e.mb:+.2f} | {flags} |"
        )


if __name__ == "__main__":
    main()

"""The simulator's station description, its CSS3.0 rows, and a generated IMS-like network.

A :class:`Station` is the minimum the simulator needs: where it is, whether it is a primary
or auxiliary station, its array elements (offsets in km from the reference point), whether
it records three components, its sample rate and its short-period noise level. Stations
convert to and from CSS3.0 ``site``/``sitechan``/``affiliation`` rows (IDC conventions:
the array's beam point is a ``site`` row with ``statype`` "ar" and ``refsta`` itself, each
element a row with ``statype`` "ss", ``refsta`` the array and ``dnorth``/``deast`` in km).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from string import ascii_uppercase
from typing import Any

import numpy as np

from testban.records.css30 import Affiliation, Site, Sitechan
from testban.records.earth import KM_PER_DEG
from testban.simulate.landmask import is_land
from testban.traveltime.geometry import distance_azimuth

PRIMARY_NET, AUXILIARY_NET = "IMS_PRI", "IMS_AUX"


@dataclass(frozen=True)
class Element:
    """One array element: code and offset (km) east and north of the reference point."""

    code: str
    deast: float = 0.0
    dnorth: float = 0.0


#: Median short-period noise (nm) of one element per station class. Calibrated on the
#: IDC's public detection counts for the DPRK tests (REB: mb 4.5 in 2009 at 61 stations,
#: mb 4.9 in 2013 at 94; CTBTO statements): the real IMS tables then give about 61 and 88
#: simulated detecting stations (``bench/simulate_day.py``, ``tests/simulate``).
#: Auxiliary stations are noisier (coastal, cultural noise, no array gain).
NOISE_NM: dict[str, float] = {"array": 2.0, "primary": 2.0, "auxiliary": 3.0}


@dataclass(frozen=True)
class Station:
    """A station as the simulator sees it.

    ``noise_nm`` is the median short-period (0.8–4.5 Hz) displacement noise amplitude of
    one element in nm; Peterson's (1993) low- and high-noise models bracket about 0.1 to
    10 nm at 1 Hz. Defaults per station class are in :data:`NOISE_NM`.
    """

    code: str
    lat: float
    lon: float
    elev: float = 0.0  # km
    primary: bool = True
    elements: tuple[Element, ...] = ()
    three_c: bool = True
    samprate: float = 40.0
    noise_nm: float = 1.0
    name: str = "-"

    @property
    def is_array(self) -> bool:
        """An array has more than one element."""
        return len(self.elements) > 1

    @property
    def kind(self) -> str:
        """``primary`` or ``auxiliary``."""
        return "primary" if self.primary else "auxiliary"

    @property
    def beam_noise_nm(self) -> float:
        """Noise on the vertical beam: incoherent noise drops by sqrt(number of elements)."""
        return self.noise_nm / np.sqrt(max(len(self.elements), 1))


def css_rows(stations: Sequence[Station]) -> dict[str, list]:
    """CSS3.0 ``site``, ``sitechan`` and ``affiliation`` rows describing ``stations``."""
    sites, chans, affs = [], [], []
    chanid = 0

    def add_chans(sta: str, names: Iterable[str], rate: float) -> None:
        nonlocal chanid
        orient = {
            "Z": (-1.0, 0.0, "vertical"),
            "N": (0.0, 90.0, "north"),
            "E": (90.0, 90.0, "east"),
        }
        for chan in names:
            hang, vang, word = orient[chan[-1]]
            band = "short-period" if chan[0] == "S" else "broad-band"
            chanid += 1
            chans.append(
                Sitechan(
                    sta=sta,
                    chan=chan,
                    ondate=2000001,
                    chanid=chanid,
                    ctype="n",
                    edepth=0.0,
                    hang=hang,
                    vang=vang,
                    descrip=f"{band}_{word} {rate:g} sps",
                )
            )

    for s in stations:
        staname = s.name if s.name != "-" else f"testban {s.code}"
        affs.append(Affiliation(net=PRIMARY_NET if s.primary else AUXILIARY_NET, sta=s.code))
        if s.is_array:
            sites.append(
                Site(
                    sta=s.code,
                    lat=s.lat,
                    lon=s.lon,
                    elev=s.elev,
                    statype="ar",
                    refsta=s.code,
                    ondate=2000001,
                    staname=staname,
                )
            )
            lat, lon = element_positions(s)
            for i, e in enumerate(s.elements):
                sites.append(
                    Site(
                        sta=e.code,
                        lat=float(lat[i]),
                        lon=float(lon[i]),
                        elev=s.elev,
                        statype="ss",
                        refsta=s.code,
                        dnorth=e.dnorth,
                        deast=e.deast,
                        ondate=2000001,
                        staname=staname,
                    )
                )
                three = s.three_c and i == 0
                add_chans(e.code, ("SHZ", "BHZ", "BHN", "BHE") if three else ("SHZ",), s.samprate)
        else:
            sites.append(
                Site(
                    sta=s.code,
                    lat=s.lat,
                    lon=s.lon,
                    elev=s.elev,
                    statype="ss",
                    refsta=s.code,
                    ondate=2000001,
                    staname=staname,
                )
            )
            add_chans(s.code, ("BHZ", "BHN", "BHE") if s.three_c else ("BHZ",), s.samprate)
    return {"site": sites, "sitechan": chans, "affiliation": affs}


def element_positions(s: Station) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes of the elements (flat-Earth offsets, fine below 20 km)."""
    de = np.array([e.deast for e in s.elements])
    dn = np.array([e.dnorth for e in s.elements])
    lat = s.lat + dn / KM_PER_DEG
    lon = s.lon + de / (KM_PER_DEG * np.cos(np.radians(s.lat)))
    return lat, lon


def stations_from_sites(
    sites: Sequence[Site],
    affiliations: Sequence[Affiliation] = (),
    sitechans: Sequence[Sitechan] = (),
    noise_nm: dict[str, float] | None = None,
) -> list[Station]:
    """Stations from CSS3.0 rows (e.g. a real network's tables).

    Array elements are the ``site`` rows whose ``refsta`` names another row; a station is
    auxiliary when affiliated to ``IMS_AUX`` and primary otherwise; it is three-component
    when any of its channels (or its elements') is a horizontal. ``noise_nm`` overrides
    the per-class noise medians of :data:`NOISE_NM`.
    """
    noise = NOISE_NM | (noise_nm or {})
    aux = {a.sta for a in affiliations if a.net == AUXILIARY_NET}
    horizontal = {c.sta for c in sitechans if c.chan[-1:] in ("N", "E", "1", "2")}
    members: dict[str, list[Site]] = {}
    for s in sites:
        if s.refsta not in ("-", "", s.sta):
            members.setdefault(s.refsta, []).append(s)
    by_code = {s.sta: s for s in sites}
    out = []
    for s in sites:
        if s.refsta not in ("-", "", s.sta) and s.refsta in by_code:
            continue  # an element of an array listed under its reference code
        elems = tuple(Element(m.sta, m.deast, m.dnorth) for m in members.get(s.sta, []))
        codes = {s.sta} | {e.code for e in elems}
        out.append(
            Station(
                s.sta,
                s.lat,
                s.lon,
                s.elev,
                s.sta not in aux,
                elems,
                three_c=not sitechans or bool(codes & horizontal),
                noise_nm=noise[_noise_class(bool(elems), s.sta not in aux)],
                name=s.staname,
            )
        )
    return out


def _noise_class(is_array: bool, primary: bool) -> str:
    return "array" if is_array else "primary" if primary else "auxiliary"


def as_stations(network: Any) -> list[Station]:
    """Accept simulator stations, CSS3.0 ``site`` rows or a :class:`testban.network.Network`."""
    if hasattr(network, "to_css30"):  # a testban.network.Network read from any metadata
        seismic = network.stations("primary", expand=True) + network.stations(
            "auxiliary", expand=True
        )
        if seismic:  # IMS tables: infrasound and hydroacoustic sites record no seismic phases
            network = network.select(dict.fromkeys(seismic))
        css = network.to_css30()
        return stations_from_sites(css["site"], css["affiliation"], css["sitechan"])
    items = list(network)
    if items and isinstance(items[0], Site):
        return stations_from_sites(items)
    return items


# ------------------------------------------------------------------- generated network


def _spread_pick(cand: np.ndarray, taken: np.ndarray, n: int, rng: np.random.Generator) -> list:
    """Pick ``n`` candidates far from each other and from ``taken`` (randomised maximin)."""
    lat, lon = cand[:, 0], cand[:, 1]
    best = np.full(len(cand), 180.0)
    for t in taken:
        best = np.minimum(best, distance_azimuth(t[0], t[1], lat, lon, geocentric=False)[0])
    chosen = []
    for _ in range(n):
        # Any candidate within 25 % of the largest gap may be chosen: spread, not a lattice.
        pool = np.flatnonzero(best >= 0.75 * best.max())
        k = int(rng.choice(pool))
        chosen.append(k)
        best = np.minimum(best, distance_azimuth(lat[k], lon[k], lat, lon, geocentric=False)[0])
    return chosen


def _array_elements(prefix: str, rng: np.random.Generator) -> tuple[Element, ...]:
    """9–25 elements on 2–4 concentric rings around a centre element, aperture 3–20 km."""
    n = int(rng.integers(9, 26))
    aperture = float(rng.uniform(3.0, 20.0))
    rings = int(np.clip(round((n - 1) / 6), 2, 4))
    per_ring = np.diff(np.round(np.linspace(0, n - 1, rings + 1)).astype(int))
    radius = np.repeat(aperture / 2 * np.arange(1, rings + 1) / rings, per_ring)
    index = np.concatenate([np.arange(m) / m for m in per_ring])
    offset = np.repeat(rng.uniform(0, 1, rings), per_ring)
    angle = 2 * np.pi * (index + offset)
    east = np.concatenate([[0.0], radius * np.sin(angle)])
    north = np.concatenate([[0.0], radius * np.cos(angle)])
    return tuple(
        Element(f"{prefix}{i + 1:02d}", round(float(e), 3), round(float(nn), 3))
        for i, (e, nn) in enumerate(zip(east, north, strict=True))
    )


def ims_like_network(
    seed: int = 0, n_primary: int = 50, n_auxiliary: int = 120, array_fraction: float = 0.6
) -> list[Station]:
    """A generated network with the IMS seismic network's size, mix and global spread.

    Sites are drawn uniformly on land (coarse mask) and thinned by randomised maximin
    spacing, as the IMS was laid out for even global coverage. Arrays get codes ``ZAAR``…
    with elements ``ZA01``…; 3-C primaries ``TBP01``…, auxiliaries ``TX001``… (invented,
    at most 5 characters so they fit MiniSEED headers).
    Primaries sample at 40 Hz, auxiliaries at 20 or 40 Hz.
    """
    rng = np.random.default_rng(seed)
    n = 40000
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    land = is_land(lat, lon)
    cand = np.column_stack([lat[land], lon[land]])
    prim = _spread_pick(cand, np.empty((0, 2)), n_primary, rng)
    rest = np.delete(cand, prim, axis=0)
    auxi = _spread_pick(rest, cand[prim], n_auxiliary, rng)
    is_arr = np.zeros(n_primary, bool)
    is_arr[rng.choice(n_primary, int(round(array_fraction * n_primary)), replace=False)] = True
    prefixes = [a + b for a in "ZYX" for b in ascii_uppercase]
    out, n_arr, n_3c = [], 0, 0
    for i, k in enumerate(prim):
        la, lo = (round(float(v), 4) for v in cand[k])
        elev = round(float(rng.uniform(0.05, 1.5)), 3)
        if is_arr[i]:
            p = prefixes[n_arr]
            n_arr += 1
            elems = _array_elements(p, rng)
            noise = float(10 ** rng.normal(np.log10(NOISE_NM["array"]), 0.2))
            out.append(Station(f"{p}AR", la, lo, elev, True, elems, True, 40.0, noise))
        else:
            n_3c += 1
            noise = float(10 ** rng.normal(np.log10(NOISE_NM["primary"]), 0.25))
            out.append(Station(f"TBP{n_3c:02d}", la, lo, elev, True, (), True, 40.0, noise))
    for j, k in enumerate(auxi):
        la, lo = (round(float(v), 4) for v in rest[k])
        elev = round(float(rng.uniform(0.0, 2.0)), 3)
        noise = float(10 ** rng.normal(np.log10(NOISE_NM["auxiliary"]), 0.3))
        rate = float(rng.choice([20.0, 40.0]))
        out.append(Station(f"TX{j + 1:03d}", la, lo, elev, False, (), True, rate, noise))
    return out

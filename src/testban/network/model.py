"""One station-metadata model for every source: stations, channels and array structure.

A :class:`Network` holds one epoch of each :class:`Station` (the readers choose which) and
answers what the stages ask: where a station is (vectorised for many codes), which array
it belongs to, the array's element offsets, a channel's sample rate and response. Names
follow CSS3.0 ``site``/``sitechan``/``affiliation`` so a network read from StationXML,
CSS3.0 tables, an array geometry file or a CSV can be written back in another format.

Arrays follow the CSS3.0 convention: an element's ``refsta`` names its array; the array's
own ``site`` row (``statype="ar"``, ``refsta`` = itself) is the beam reference point.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from testban.records.css30 import Affiliation, Instrument, Sensor, Site, Sitechan

if TYPE_CHECKING:
    from obspy import Inventory, UTCDateTime
    from obspy.core.inventory.response import Response

#: Station kinds of :meth:`Network.stations` and the IMS affiliation (``net``) of each.
KINDS: Mapping[str, str] = MappingProxyType(
    {
        "primary": "IMS_PRI",
        "auxiliary": "IMS_AUX",
        "infrasound": "IMS_INF",
        "hydroacoustic": "IMS_HYD",
    }
)

#: XML namespace of the CSS3.0 site attributes that StationXML has no element for.
NAMESPACE = "urn:testban:css30"

# WGS84, for the local east/north projection of array elements.
_WGS84_A_KM = 6378.137
_WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563)


class UnknownStation(KeyError):
    """A station (or array) code that the network does not hold."""

    def __init__(self, code: str, network: Network | None = None, what: str = "station"):
        hint = ""
        if network is not None:
            near = [c for c in network.codes if c[:2] == code[:2].upper()][:8]
            hint = f"; similar codes: {', '.join(near)}" if near else ""
            hint = f" (network of {len(network)} stations{hint})"
        self.code = code
        super().__init__(f"unknown {what} {code!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class UnknownChannel(KeyError):
    """A channel code that a station does not have."""

    def __init__(self, sta: str, chan: str, known: Sequence[str]):
        self.sta, self.chan = sta, chan
        super().__init__(
            f"station {sta!r} has no channel {chan!r}; it has: {', '.join(known) or 'none'}"
        )

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel of a station (``sitechan`` plus sample rate and response).

    ``hang`` is the horizontal angle in degrees clockwise from north and ``vang`` the angle
    from the vertical (0 = up, 90 = horizontal), as in CSS3.0; None when unknown.
    ``edepth`` is the emplacement depth in km. ``response`` is an ObsPy ``Response``.
    """

    code: str
    sample_rate: float | None = None
    hang: float | None = None
    vang: float | None = None
    edepth: float = 0.0
    location: str = ""
    ctype: str = "-"
    descrip: str = ""
    response: Response | None = field(default=None, compare=False, repr=False)

    @property
    def seed(self) -> str:
        """``LOC.CHAN`` when the location code is set, else ``CHAN``."""
        return f"{self.location}.{self.code}" if self.location else self.code


@dataclass(frozen=True, slots=True)
class Station:
    """One station epoch (``site`` row): position, array membership, channels.

    ``elev`` is in km (None when unknown). ``refsta`` is the array a station belongs to, or
    the station itself; ``statype`` is ``"ar"`` for an array's reference point and
    ``"ss"`` otherwise. ``dnorth``/``deast`` are km offsets from the array reference, None
    when the source does not give them (they are then computed from lat/lon).
    ``affiliations`` are the networks (CSS3.0 ``affiliation.net``, e.g. ``IMS_PRI``, or an
    FDSN network code); ``network`` is the FDSN network code when known.
    """

    code: str
    lat: float
    lon: float
    elev: float | None = None
    name: str = ""
    statype: str = "ss"
    refsta: str = ""
    dnorth: float | None = None
    deast: float | None = None
    affiliations: tuple[str, ...] = ()
    channels: tuple[Channel, ...] = ()
    ondate: int = -1
    offdate: int = -1
    network: str = ""

    def __post_init__(self) -> None:
        if not self.refsta:
            object.__setattr__(self, "refsta", self.code)

    @property
    def in_array(self) -> bool:
        """True for an element of an array (its ``refsta`` is another station)."""
        return self.refsta != self.code


def _ecef(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Earth-centred coordinates (km) of points on the WGS84 ellipsoid, shape (3, n)."""
    phi, lam = np.radians(lat), np.radians(lon)
    prime = _WGS84_A_KM / np.sqrt(1.0 - _WGS84_E2 * np.sin(phi) ** 2)
    return np.array(
        [
            prime * np.cos(phi) * np.cos(lam),
            prime * np.cos(phi) * np.sin(lam),
            prime * (1.0 - _WGS84_E2) * np.sin(phi),
        ]
    )


def local_offsets(ref_lat: float, ref_lon: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """``(n, 2)`` km east, north of points from a reference, in its tangent plane (WGS84).

    The horizontal part of the straight-line vector from the reference, which is what
    plane-wave delays across an array depend on; it agrees with geodesic distance and
    azimuth to well under a metre over the ~50 km aperture of the largest IMS arrays.
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    d = _ecef(lat, lon) - _ecef(np.array([ref_lat]), np.array([ref_lon]))
    phi, lam = math.radians(ref_lat), math.radians(ref_lon)
    east = -math.sin(lam) * d[0] + math.cos(lam) * d[1]
    north = (
        -math.sin(phi) * math.cos(lam) * d[0]
        - math.sin(phi) * math.sin(lam) * d[1]
        + math.cos(phi) * d[2]
    )
    return np.column_stack([east, north])


def _merge_channels(old: tuple[Channel, ...], new: tuple[Channel, ...]) -> tuple[Channel, ...]:
    """``new`` channels override ``old`` ones with the same LOC.CHAN; gaps are filled."""
    by_seed = {c.seed: c for c in old}
    for c in new:
        prev = by_seed.get(c.seed)
        if prev is not None:
            fill = {
                f.name: getattr(prev, f.name)
                for f in dataclasses.fields(Channel)
                if getattr(c, f.name) is None and getattr(prev, f.name) is not None
            }
            c = dataclasses.replace(c, **fill) if fill else c
        by_seed[c.seed] = c
    return tuple(by_seed.values())


def merge_stations(old: Station, new: Station) -> Station:
    """``new`` wins, but what it does not know (elevation, array membership, channel
    sample rates and responses, affiliations) is kept from ``old``."""
    changes: dict[str, Any] = {
        "affiliations": tuple(dict.fromkeys(old.affiliations + new.affiliations)),
        "channels": _merge_channels(old.channels, new.channels),
        "elev": new.elev if new.elev is not None else old.elev,
        "name": new.name or old.name,
        "network": new.network or old.network,
    }
    trivial = new.refsta == new.code and new.statype == "ss"
    if trivial and (old.refsta != old.code or old.statype != "ss"):
        changes.update(refsta=old.refsta, statype=old.statype, dnorth=old.dnorth, deast=old.deast)
    if new.ondate == -1 and new.offdate == -1:
        changes.update(ondate=old.ondate, offdate=old.offdate)
    return dataclasses.replace(new, **changes)


class Network:
    """Station metadata from any source, one epoch per station; treat it as immutable.

    Lookups by code raise :class:`UnknownStation` (a ``KeyError``). Coordinates of many
    stations come as NumPy arrays (:meth:`lat`, :meth:`lon`, :meth:`elev`).
    """

    def __init__(self, stations: Iterable[Station] = (), name: str = ""):
        by_code: dict[str, Station] = {}
        for s in stations:
            by_code[s.code] = merge_stations(by_code[s.code], s) if s.code in by_code else s
        self.name = name
        self._stations: Mapping[str, Station] = MappingProxyType(by_code)
        self._codes = tuple(by_code)
        self._index = {c: i for i, c in enumerate(self._codes)}
        self._lat = np.array([s.lat for s in by_code.values()], dtype=float)
        self._lon = np.array([s.lon for s in by_code.values()], dtype=float)
        self._elev = np.array(
            [np.nan if s.elev is None else s.elev for s in by_code.values()], dtype=float
        )
        arrays: dict[str, list[str]] = {}
        for s in by_code.values():
            if s.in_array:
                arrays.setdefault(s.refsta, []).append(s.code)
        self._arrays = {a: tuple(e) for a, e in arrays.items()}
        for arr in (self._lat, self._lon, self._elev):
            arr.flags.writeable = False

    # ----------------------------------------------------------------- container

    def __len__(self) -> int:
        return len(self._codes)

    def __iter__(self) -> Iterator[Station]:
        return iter(self._stations.values())

    def __contains__(self, code: object) -> bool:
        return code in self._stations

    def __getitem__(self, code: str) -> Station:
        return self.station(code)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"<Network{label}: {len(self)} stations, {len(self._arrays)} arrays>"

    def __or__(self, other: Network) -> Network:
        return self.merge(other)

    @property
    def codes(self) -> tuple[str, ...]:
        """All station codes, in reading order."""
        return self._codes

    def station(self, code: str) -> Station:
        """The :class:`Station` with ``code``."""
        try:
            return self._stations[code]
        except KeyError:
            raise UnknownStation(code, self) from None

    # ------------------------------------------------------------------- position

    def coordinates(self, sta: str) -> tuple[float, float, float | None]:
        """``(lat, lon, elev_km)`` of a station (elevation None when unknown)."""
        s = self.station(sta)
        return s.lat, s.lon, s.elev

    def indices(self, codes: Iterable[str]) -> np.ndarray:
        """Row numbers of ``codes`` in the coordinate arrays (compute once, index often)."""
        try:
            return np.fromiter((self._index[c] for c in codes), dtype=np.intp)
        except KeyError as exc:
            raise UnknownStation(str(exc.args[0]), self) from None

    def lat(self, codes: Iterable[str] | None = None) -> np.ndarray:
        """Latitudes (degrees) of ``codes`` (all stations when None)."""
        return self._lat if codes is None else self._lat[self.indices(codes)]

    def lon(self, codes: Iterable[str] | None = None) -> np.ndarray:
        """Longitudes (degrees) of ``codes`` (all stations when None)."""
        return self._lon if codes is None else self._lon[self.indices(codes)]

    def elev(self, codes: Iterable[str] | None = None) -> np.ndarray:
        """Elevations (km, NaN when unknown) of ``codes`` (all stations when None)."""
        return self._elev if codes is None else self._elev[self.indices(codes)]

    # --------------------------------------------------------------------- arrays

    def arrays(self) -> dict[str, list[str]]:
        """``{array code: [element codes]}`` for every array with at least one element."""
        return {a: list(e) for a, e in self._arrays.items()}

    def array_of(self, sta: str) -> str | None:
        """The array ``sta`` belongs to (an array's own code gives itself), else None."""
        s = self.station(sta)
        if s.in_array:
            return s.refsta
        return sta if sta in self._arrays else None

    def elements(self, array: str) -> list[str]:
        """Element codes of ``array``, in reading order."""
        try:
            return list(self._arrays[array])
        except KeyError:
            raise UnknownStation(array, self, what="array") from None

    def reference(self, array: str) -> tuple[float, float]:
        """``(lat, lon)`` of the array's reference point.

        The array's own station when the network holds it, else the elements' centroid.
        """
        if array in self._stations:
            s = self._stations[array]
            return s.lat, s.lon
        idx = self.indices(self.elements(array))
        return float(self._lat[idx].mean()), float(self._lon[idx].mean())

    def offsets(self, array: str) -> np.ndarray:
        """``(n, 2)`` km east, north of each element (order of :meth:`elements`).

        Uses the source's ``deast``/``dnorth`` where given, else projects lat/lon onto the
        plane tangent at the reference point.
        """
        codes = self.elements(array)
        idx = self.indices(codes)
        ref_lat, ref_lon = self.reference(array)
        out = local_offsets(ref_lat, ref_lon, self._lat[idx], self._lon[idx])
        for i, c in enumerate(codes):
            s = self._stations[c]
            if s.deast is not None and s.dnorth is not None:
                out[i] = (s.deast, s.dnorth)
        return out

    # ------------------------------------------------------------------- channels

    def channels(self, sta: str) -> tuple[Channel, ...]:
        """The channels of a station (empty when the source lists none)."""
        return self.station(sta).channels

    def channel(self, sta: str, chan: str) -> Channel:
        """Channel ``chan`` (``"BHZ"`` or ``"00.BHZ"``) of ``sta``; raises UnknownChannel."""
        chans = self.station(sta).channels
        for c in chans:
            if chan in (c.seed, c.code):
                return c
        raise UnknownChannel(sta, chan, [c.seed for c in chans])

    def sampling_rate(self, sta: str, chan: str) -> float | None:
        """Samples per second of a channel, None when the source does not say."""
        return self.channel(sta, chan).sample_rate

    def response(self, sta: str, chan: str) -> Response | None:
        """The channel's ObsPy ``Response``, None when unknown."""
        return self.channel(sta, chan).response

    # -------------------------------------------------------------------- subsets

    def stations(self, kind: str | None = None, *, expand: bool = False) -> list[str]:
        """Station codes, all or of one ``kind``.

        ``kind`` is ``"primary"``, ``"auxiliary"``, ``"infrasound"``, ``"hydroacoustic"``
        (the IMS affiliations) or any affiliation name (``"IMS_PRI"``, ``"IU"``). IMS
        affiliations name arrays by their array code; ``expand=True`` adds their elements.
        """
        if kind is None:
            return list(self._codes)
        net = KINDS.get(kind.lower(), kind)
        codes = [s.code for s in self if net in s.affiliations]
        if not codes and kind.lower() not in KINDS:
            known = sorted({a for s in self for a in s.affiliations})
            raise ValueError(
                f"unknown station kind {kind!r}: use one of {', '.join(KINDS)} "
                f"or an affiliation of this network ({', '.join(known) or 'none'})"
            )
        if expand:
            codes = list(dict.fromkeys(c for a in codes for c in (a, *self._arrays.get(a, ()))))
        return codes

    def select(self, codes: Iterable[str]) -> Network:
        """A network of only ``codes`` (unknown codes raise UnknownStation)."""
        return Network((self.station(c) for c in codes), name=self.name)

    def merge(self, other: Network) -> Network:
        """Both networks; for a station in both, ``other`` wins where it knows better
        (see :func:`merge_stations`)."""
        return Network([*self, *other], name=self.name or other.name)

    def define_array(
        self, array: str, elements: Iterable[str], reference: tuple[float, float] | None = None
    ) -> Network:
        """A copy where ``elements`` form ``array`` (for sources without array structure).

        The reference point is the array's station when the network holds it, else
        ``reference`` (lat, lon), else the elements' centroid, added as an ``"ar"`` site.
        """
        elements = list(elements)
        idx = self.indices(elements)
        stations = {s.code: s for s in self}
        for c in elements:
            stations[c] = dataclasses.replace(stations[c], refsta=array, dnorth=None, deast=None)
        if array in stations:
            stations[array] = dataclasses.replace(stations[array], statype="ar", refsta=array)
        else:
            if reference is None:
                reference = (float(self._lat[idx].mean()), float(self._lon[idx].mean()))
            elev = self._elev[idx]
            stations[array] = Station(
                array,
                reference[0],
                reference[1],
                elev=float(np.nanmean(elev)) if np.isfinite(elev).any() else None,
                statype="ar",
                affiliations=self.station(elements[0]).affiliations,
                network=self.station(elements[0]).network,
            )
        return Network(stations.values(), name=self.name)

    # -------------------------------------------------------------------- writers

    def to_css30(self) -> dict[str, list[Any]]:
        """CSS3.0 records: ``{"site", "sitechan", "affiliation", "sensor", "instrument"}``.

        Known sample rates travel as one nominal ``instrument`` per rate and a ``sensor``
        row per channel (responses are not written: they need response files).
        """
        offsets: dict[str, tuple[float, float]] = {}
        for a in self._arrays:
            for code, (e, n) in zip(self.elements(a), self.offsets(a), strict=True):
                offsets[code] = (round(float(e), 4), round(float(n), 4))
        site: list[Site] = []
        sitechan: list[Sitechan] = []
        affiliation: list[Affiliation] = []
        sensor: list[Sensor] = []
        inids: dict[float, int] = {}
        chanid = 0
        for s in self:
            deast, dnorth = offsets.get(s.code, (0.0, 0.0))
            site.append(
                Site(
                    sta=s.code,
                    ondate=s.ondate,
                    offdate=s.offdate,
                    lat=s.lat,
                    lon=s.lon,
                    elev=-999.0 if s.elev is None else s.elev,
                    staname=s.name or "-",
                    statype=s.statype,
                    refsta=s.refsta,
                    dnorth=dnorth,
                    deast=deast,
                )
            )
            seen: set[str] = set()
            for c in s.channels:
                if c.code in seen:  # CSS3.0 has no location code: keep the first
                    continue
                seen.add(c.code)
                chanid += 1
                sitechan.append(
                    Sitechan(
                        sta=s.code,
                        chan=c.code,
                        ondate=s.ondate,
                        chanid=chanid,
                        offdate=s.offdate,
                        ctype=c.ctype,
                        edepth=c.edepth,
                        hang=-1.0 if c.hang is None else c.hang,
                        vang=-1.0 if c.vang is None else c.vang,
                        descrip=c.descrip or "-",
                    )
                )
                if c.sample_rate:
                    inid = inids.setdefault(c.sample_rate, len(inids) + 1)
                    sensor.append(Sensor(sta=s.code, chan=c.code, inid=inid, chanid=chanid))
            affiliation.extend(Affiliation(net=n, sta=s.code) for n in s.affiliations)
        instrument = [
            Instrument(inid=i, insname=f"nominal_{rate:g}_sps", samprate=rate)
            for rate, i in inids.items()
        ]
        return {
            "site": site,
            "sitechan": sitechan,
            "affiliation": affiliation,
            "sensor": sensor,
            "instrument": instrument,
        }

    def to_inventory(self, network: str = "XX", source: str = "testban") -> Inventory:
        """An ObsPy ``Inventory``; stations without an FDSN network code go under ``network``.

        Array membership, station type, offsets and affiliations, which StationXML has no
        element for, travel as extra elements in the :data:`NAMESPACE` namespace so that
        :func:`testban.network.readers.read_stationxml` restores them.
        """
        from obspy import Inventory
        from obspy.core.inventory import Channel as XChannel
        from obspy.core.inventory import Network as XNetwork
        from obspy.core.inventory import Site as XSite
        from obspy.core.inventory import Station as XStation
        from obspy.core.util import AttribDict

        offsets: dict[str, tuple[float, float]] = {}
        for a in self._arrays:
            for c, (e, n) in zip(self.elements(a), self.offsets(a), strict=True):
                offsets[c] = (float(e), float(n))
        groups: dict[str, list[XStation]] = {}
        for s in self:
            elev_m = 0.0 if s.elev is None else s.elev * 1000.0
            chans = [
                XChannel(
                    c.code,
                    c.location,
                    s.lat,
                    s.lon,
                    elev_m,
                    c.edepth * 1000.0,
                    azimuth=c.hang if c.hang is not None else None,
                    dip=c.vang - 90.0 if c.vang is not None else None,
                    sample_rate=c.sample_rate,
                    response=c.response,
                )
                for c in s.channels
            ]
            xs = XStation(
                s.code,
                s.lat,
                s.lon,
                elev_m,
                channels=chans,
                site=XSite(s.name or s.code),
                start_date=_day_start(s.ondate),
                end_date=_day_start(s.offdate),
            )
            extra = {"statype": s.statype, "refsta": s.refsta}
            if s.code in offsets:
                extra.update(deast=f"{offsets[s.code][0]:.6f}", dnorth=f"{offsets[s.code][1]:.6f}")
            if s.affiliations:
                extra["affiliations"] = " ".join(s.affiliations)
            xs.extra = AttribDict(
                {k: AttribDict(value=v, namespace=NAMESPACE) for k, v in extra.items()}
            )
            groups.setdefault(s.network or network, []).append(xs)
        nets = [XNetwork(code, stations=sts) for code, sts in groups.items()]
        return Inventory(networks=nets, source=source)


def computed_offsets(network: Network, array: str) -> np.ndarray:
    """Element offsets of ``array`` always computed from lat/lon (ignores dnorth/deast)."""
    idx = network.indices(network.elements(array))
    ref_lat, ref_lon = network.reference(array)
    return local_offsets(ref_lat, ref_lon, network.lat()[idx], network.lon()[idx])


def _day_start(day: int) -> UTCDateTime | None:
    """Start of CSS3.0 day ``day`` (YYYYDDD); None for the null and open values."""
    if day in (-1, 2286324) or day <= 0:
        return None
    from obspy import UTCDateTime

    return UTCDateTime(year=day // 1000, julday=day % 1000)

"""Radionuclide samples beyond one row: the spectrum itself, xenon samples, air series.

**Spectra are kept in the store**, as the IMS2.0 PHD text of the spectrum (zlib), in
testban's own table ``gards_spectrum`` (``sample_id`` → message), created on first write
like ``wfroot``. Not a file reference, because ``gards_sample_data.dir`` has 64
characters (longer folders are cut), one N42 file holds a thousand spectra (re-reading it
for one page takes a second and a path does not say which spectrum), and a page must
keep working after the source files move. PHD is the IMS format, keeps the energy,
resolution and efficiency calibrations, and costs 5–25 kB per spectrum compressed.
``dir``/``dfile`` still name the file the spectrum came from.

**Xenon samples** (per-sample results, :mod:`testban.radionuclide.xenon`) are a
``gards_sample_data`` row (``data_type`` ``SAMPLEPHD``, ``detector`` ``XE``, ``srid`` the
sample's id, no acquisition start) and ``gards_bg_isotope_concs`` rows (``XE133`` …);
a sample is known again by station, ``srid`` and collection start.

**Air-concentration series** are merged: a file's rows replace the stored rows of the
same sites and nuclides over the same days, and leave the others.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from testban.io.spectra.model import Spectrum
from testban.io.spectra.phd import format_phd, parse_phd
from testban.radionuclide.xenon import ISOTOPES, XenonResult, XenonSample
from testban.records.css30 import NA_STR, NA_TIME, Site, jdate
from testban.records.gards import GardsAirConc, GardsBgIsotopeConcs, GardsSampleData
from testban.store.db import _delete, _insert, _transaction, next_ids, read_rows
from testban.store.samples import store_sample
from testban.store.schema import TABLES_SQL

__all__ = [
    "XENON_DETECTOR",
    "air_series",
    "merge_air_concentrations",
    "read_spectrum",
    "spectrum_table",
    "store_spectrum",
    "store_xenon_sample",
    "stored_xenon_samples",
    "xenon_rows",
]

#: testban's own tables of this module, apart from the main schema: created on first write.
spectrum_metadata = sa.MetaData()

#: A sample's spectrum: ``sample_id`` → the IMS2.0 PHD message, zlib-compressed.
spectrum_table = sa.Table(
    "gards_spectrum",
    spectrum_metadata,
    sa.Column("sample_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

#: ``gards_sample_data.detector`` of a sample loaded from xenon results.
XENON_DETECTOR = "XE"

#: Isotope names of ``gards_bg_isotope_concs`` (``XE133M``) ⇄ testban's (``Xe-133m``).
_GARDS_NAME = {iso: iso.replace("-", "").upper() for iso in ISOTOPES}
_ISOTOPE = {v: k for k, v in _GARDS_NAME.items()}


def _has_spectra(session: Session) -> bool:
    return sa.inspect(session.connection()).has_table(spectrum_table.name)


def store_spectrum(session: Session, sample_id: int, spectrum: Spectrum) -> int:
    """Keep ``spectrum`` as the spectrum of ``sample_id`` (replacing any); returns bytes."""
    blob = zlib.compress(format_phd(spectrum).encode("latin-1", errors="replace"), 6)
    with _transaction(session):
        spectrum_metadata.create_all(session.connection(), checkfirst=True)
        t = spectrum_table
        session.execute(sa.delete(t).where(t.c.sample_id == sample_id))
        session.execute(sa.insert(t).values(sample_id=sample_id, format="IMS2.0", data=blob))
    return len(blob)


def read_spectrum(session: Session, sample_id: int) -> Spectrum | None:
    """The stored spectrum of ``sample_id``, or None when the store has none."""
    if not _has_spectra(session):
        return None
    t = spectrum_table
    blob = session.scalar(sa.select(t.c.data).where(t.c.sample_id == sample_id))
    if blob is None:
        return None
    spectra, _problems = parse_phd(zlib.decompress(blob).decode("latin-1"), f"sample {sample_id}")
    return spectra[0] if spectra else None


# --------------------------------------------------------------------------- xenon


def _num(x: float, na: float) -> float:
    return float(x) if math.isfinite(x) else na


def xenon_rows(
    sample: XenonSample, *, dir: str = NA_STR, dfile: str = NA_STR, auth: str = "testban"
) -> tuple[GardsSampleData, list[GardsBgIsotopeConcs]]:
    """The ``gards_sample_data`` row and ``gards_bg_isotope_concs`` rows of ``sample``."""
    head = GardsSampleData(
        sta=(sample.station or NA_STR)[:6],
        detector=XENON_DETECTOR,
        data_type="SAMPLEPHD",
        spectral_qualifier="FULL",
        srid=(sample.sample_id or NA_STR)[:32],
        collect_start=sample.collect_start,
        collect_stop=sample.collect_stop,
        dir=dir[-64:] or NA_STR,
        dfile=dfile[-64:] or NA_STR,
        auth=auth,
    )
    concs = [
        GardsBgIsotopeConcs(
            name=_GARDS_NAME[r.isotope],
            conc=_num(r.conc, -999.0),
            conc_err=_num(r.conc_err, -1.0),
            mdc=_num(r.mdc, -1.0),
            nid_flag=int(r.detected),
            auth=auth,
        )
        for r in sample.results.values()
    ]
    return head, concs


def _find_xenon(session: Session, head: GardsSampleData) -> int | None:
    t = TABLES_SQL["gards_sample_data"]
    where = sa.and_(
        t.c.sta == head.sta,
        t.c.detector == XENON_DETECTOR,
        t.c.srid == head.srid,
        t.c.collect_start == head.collect_start,
    )
    found = session.scalars(sa.select(t.c.sample_id).where(where).order_by(t.c.sample_id)).first()
    return None if found is None else int(found)


def store_xenon_sample(
    session: Session, sample: XenonSample, *, dir: str = NA_STR, dfile: str = NA_STR
) -> int:
    """Store one xenon sample (re-loading it replaces it); returns its ``sample_id``.

    When the sample has coordinates and the store no ``site`` row for its station, one is
    written (the radionuclide map places stations from ``site``).
    """
    head, concs = xenon_rows(sample, dir=dir, dfile=dfile)
    sid = _find_xenon(session, head)
    if sid is None:
        sid = next_ids(session, "sample_id")[0]
    sid = store_sample(
        session, dataclasses.replace(head, sample_id=sid), {"gards_bg_isotope_concs": concs}
    )
    if math.isfinite(sample.lat) and math.isfinite(sample.lon) and head.sta != NA_STR:
        site = TABLES_SQL["site"]
        with _transaction(session):
            if not read_rows(session, "site", site.c.sta == head.sta):
                t0 = sample.collect_start
                _insert(
                    session,
                    "site",
                    [
                        Site(
                            sta=head.sta,
                            ondate=int(jdate(t0)) if t0 != NA_TIME else -1,
                            lat=sample.lat,
                            lon=sample.lon,
                            staname="radionuclide station",
                            statype="rn",
                        )
                    ],
                )
    return sid


def stored_xenon_samples(
    session: Session, start: float | None = None, end: float | None = None
) -> list[tuple[int, XenonSample]]:
    """Every stored xenon sample (optionally collected between ``start`` and ``end``, epoch
    s, by collection stop) with its ``sample_id``, sorted by collection start; coordinates
    from ``site``."""
    t = TABLES_SQL["gards_sample_data"]
    where = [t.c.detector == XENON_DETECTOR]
    if start is not None:
        where.append(t.c.collect_stop >= start)
    if end is not None:
        where.append(t.c.collect_start <= end)
    heads = [
        h
        for h in read_rows(
            session, "gards_sample_data", sa.and_(*where), order_by=("collect_start", "sample_id")
        )
        if isinstance(h, GardsSampleData)
    ]
    if not heads:
        return []
    c = TABLES_SQL["gards_bg_isotope_concs"]
    by_id: dict[int, list[GardsBgIsotopeConcs]] = {}
    ids = [h.sample_id for h in heads]
    for i in range(0, len(ids), 500):
        for r in read_rows(session, "gards_bg_isotope_concs", c.c.sample_id.in_(ids[i : i + 500])):
            if isinstance(r, GardsBgIsotopeConcs):
                by_id.setdefault(r.sample_id, []).append(r)
    s = TABLES_SQL["site"]
    coords: dict[str, tuple[float, float]] = {}
    for site in read_rows(session, "site", s.c.sta.in_(sorted({h.sta for h in heads}))):
        if isinstance(site, Site) and site.lat > -999 and site.lon > -999:
            coords[site.sta] = (site.lat, site.lon)
    out = []
    for h in heads:
        results = {}
        for r in by_id.get(h.sample_id, []):
            iso = _ISOTOPE.get(r.name)
            if iso is None:
                continue
            results[iso] = XenonResult(
                iso,
                r.conc if r.conc > -999 else math.nan,
                max(r.conc_err, 0.0),
                r.mdc if r.mdc >= 0 else math.nan,
                bool(r.nid_flag) and r.conc > -999,
            )
        lat, lon = coords.get(h.sta, (math.nan, math.nan))
        sid = h.srid if h.srid != NA_STR else str(h.sample_id)
        out.append(
            (
                h.sample_id,
                XenonSample(sid, h.sta, h.collect_start, h.collect_stop, results, lat, lon),
            )
        )
    return out


# --------------------------------------------------------------------------- air series


def merge_air_concentrations(session: Session, rows: Sequence[GardsAirConc]) -> int:
    """Store ``rows``, replacing the stored rows of the same site and nuclide over the days
    they span (loading a file twice keeps it once; other sites and days stay). One
    transaction; returns the rows written."""
    spans: dict[tuple[str, str], tuple[float, float]] = {}
    for r in rows:
        lo, hi = spans.get((r.location, r.name), (math.inf, -math.inf))
        spans[(r.location, r.name)] = (min(lo, r.collect_start), max(hi, r.collect_start))
    t = TABLES_SQL["gards_air_conc"]
    with _transaction(session):
        for (loc, name), (lo, hi) in spans.items():
            _delete(
                session,
                t,
                sa.and_(
                    t.c.location == loc,
                    t.c.name == name,
                    t.c.collect_start >= lo,
                    t.c.collect_start <= hi,
                ),
            )
        return _insert(session, "gards_air_conc", rows)


def air_series(session: Session, nuclide: str | None = None) -> list[GardsAirConc]:
    """Stored air-concentration rows (of ``nuclide`` when given), by site and time."""
    t = TABLES_SQL["gards_air_conc"]
    where = t.c.name == nuclide if nuclide is not None else None
    rows = read_rows(
        session, "gards_air_conc", where, order_by=("location", "collect_start", "seq")
    )
    return [r for r in rows if isinstance(r, GardsAirConc)]

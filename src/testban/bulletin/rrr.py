"""An RRR-like text report of one radionuclide sample (the IDC's Reviewed Radionuclide Report).

The IDC issues a Reviewed Radionuclide Report per particulate sample: sample information,
collection and acquisition, the nuclides identified with their activity concentrations
and uncertainties, the MDCs of the relevant nuclides not found, and the categorisation.
This is testban's plain-text version, from the sample's GARDS rows (what the store holds,
whatever analysis wrote them); sections without rows say so. Units as in
:mod:`testban.records.gards`: activities Bq, particulate concentrations µBq/m³, xenon
mBq/m³, energies keV.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from testban.records.css30 import NA_STR, Record
from testban.records.gards import (
    GardsBgIsotopeConcs,
    GardsNuclIded,
    GardsPeaks,
    GardsSampleCat,
    GardsSampleData,
)

__all__ = ["LEVELS", "format_rrr", "sample_level"]

#: IDC categorisation levels (Miley & Arthur 1999).
LEVELS = {
    1: "natural background",
    2: "normal anthropogenic",
    3: "anomalous anthropogenic",
    4: "one anomalous treaty-relevant fission or activation product",
    5: "several anomalous treaty-relevant fission or activation products",
}


def _t(t: float) -> str:
    if not math.isfinite(t) or t <= -9999999999.0:
        return "-"
    return datetime.fromtimestamp(t, UTC).strftime("%Y/%m/%d %H:%M:%S")


def _v(x: float, spec: str = ".4g", na: float = -1.0) -> str:
    return "-" if not math.isfinite(x) or x <= na else format(x, spec)


def sample_level(cats: Sequence[Record]) -> int | None:
    """The sample's overall level: its ``SAMPLE`` row, else the highest nuclide level."""
    rows = [c for c in cats if isinstance(c, GardsSampleCat) and c.category > 0]
    overall = [c.category for c in rows if c.name.upper() == "SAMPLE"]
    if overall:
        return overall[0]
    return max((c.category for c in rows), default=None)


def format_rrr(
    sample: GardsSampleData,
    tables: Mapping[str, Sequence[Record]],
    *,
    station: str = "",
    generated: float | None = None,
) -> str:
    """The report of ``sample`` from its rows ``tables`` (``gards_peaks``, ``gards_nucl_ided``,
    ``gards_sample_cat``, ``gards_bg_isotope_concs``); ``station`` a description of the
    station (e.g. its coordinates)."""
    s = sample
    nucl = [r for r in tables.get("gards_nucl_ided", []) if isinstance(r, GardsNuclIded)]
    peaks = [r for r in tables.get("gards_peaks", []) if isinstance(r, GardsPeaks)]
    cats = [r for r in tables.get("gards_sample_cat", []) if isinstance(r, GardsSampleCat)]
    xe = [r for r in tables.get("gards_bg_isotope_concs", []) if isinstance(r, GardsBgIsotopeConcs)]
    now = generated if generated is not None else datetime.now(UTC).timestamp()
    out = [
        "REVIEWED RADIONUCLIDE REPORT (RRR-like, testban)",
        f"Generated {_t(now)} UTC from the store; sample {s.sample_id}",
        "",
        "SAMPLE INFORMATION",
        f"  Station            {s.sta}{'  ' + station if station else ''}",
        f"  Detector           {s.detector}",
        f"  Sample id / SRID   {s.sample_id} / {s.srid}",
        f"  Data type          {s.data_type}  {s.spectral_qualifier}",
        f"  Source file        {s.dfile}",
        "",
        "COLLECTION",
        f"  Start / stop       {_t(s.collect_start)} / {_t(s.collect_stop)}",
    ]
    if s.collect_start > -9999999999.0 and s.collect_stop > -9999999999.0:
        out.append(f"  Sampling time      {(s.collect_stop - s.collect_start) / 3600:.2f} h")
    q = f"{s.quantity:.4g} {s.qunit}" if s.quantity > 0 else "-"
    out += [
        f"  Air volume / qty   {q}",
        "",
        "ACQUISITION",
        f"  Start              {_t(s.acquisition_start)}",
        f"  Real / live time   {_v(s.acquisition_real_sec, '.1f')} / "
        f"{_v(s.acquisition_live_sec, '.1f')} s",
    ]
    if s.acquisition_start > -9999999999.0 and s.collect_stop > -9999999999.0:
        out.append(f"  Decay time         {(s.acquisition_start - s.collect_stop) / 3600:.2f} h")
    out += ["", "CATEGORISATION"]
    level = sample_level(cats)
    if level is None:
        out.append("  not categorised")
    else:
        out.append(f"  Sample level       {level} ({LEVELS.get(level, '?')})")
        for c in sorted(cats, key=lambda c: (-c.category, c.name)):
            if c.name.upper() == "SAMPLE":
                continue
            why = f"  {c.reason}" if c.reason != NA_STR else ""
            out.append(f"  {c.name:<8} level {c.category}{why}")
    found = sorted((n for n in nucl if n.nid_flag), key=lambda n: n.name)
    out += ["", "NUCLIDES IDENTIFIED"]
    if found:
        out.append(
            f"  {'nuclide':<8} {'type':<11} {'activity Bq':>12} {'±1σ':>10} "
            f"{'conc µBq/m3':>12} {'±1σ %':>7} {'MDC µBq/m3':>11} {'key keV':>9}"
        )
        for n in found:
            rel = 100 * n.conc_err / n.conc if n.conc > 0 and n.conc_err >= 0 else math.nan
            out.append(
                f"  {n.name:<8} {n.type:<11} {_v(n.activ):>12} {_v(n.activ_err):>10} "
                f"{_v(n.conc):>12} {_v(rel, '.1f'):>7} {_v(n.mdc):>11} "
                f"{_v(n.key_energy, '.2f'):>9}"
            )
    else:
        out.append("  none" if nucl else "  no nuclide results stored (sample not analysed)")
    missed = sorted((n for n in nucl if not n.nid_flag), key=lambda n: n.name)
    if missed:
        out += ["", "MDCs OF NUCLIDES NOT IDENTIFIED"]
        out.append(f"  {'nuclide':<8} {'MDC µBq/m3':>11} {'MDA Bq':>10} {'key keV':>9}")
        for n in missed:
            out.append(
                f"  {n.name:<8} {_v(n.mdc):>11} {_v(n.mda):>10} {_v(n.key_energy, '.2f'):>9}"
            )
    if xe:
        out += ["", "XENON ISOTOPES (mBq/m3)"]
        out.append(f"  {'isotope':<8} {'conc':>10} {'±1σ':>9} {'MDC':>9}  detected")
        for x in sorted(xe, key=lambda x: x.name):
            out.append(
                f"  {x.name:<8} {_v(x.conc, '.4g', -999.0):>10} {_v(x.conc_err):>9} "
                f"{_v(x.mdc):>9}  {'yes' if x.nid_flag else 'no'}"
            )
    out += ["", "PEAKS"]
    if peaks:
        out.append(
            f"  {'energy keV':>10} {'centroid':>9} {'net area':>10} {'±1σ':>8} "
            f"{'FWHM keV':>8} {'sig':>6}  nuclide"
        )
        for p in sorted(peaks, key=lambda p: p.centroid):
            name = p.nuclide if p.ided and p.nuclide != NA_STR else "-"
            out.append(
                f"  {_v(p.energy, '.2f'):>10} {_v(p.centroid, '.1f'):>9} "
                f"{_v(p.area, '.1f'):>10} {_v(p.area_err, '.1f'):>8} "
                f"{_v(p.fwhm, '.2f'):>8} {_v(p.peak_sig, '.1f'):>6}  {name}"
            )
    else:
        out.append("  no peaks stored")
    out += ["", "END OF REPORT", ""]
    return "\n".join(out)

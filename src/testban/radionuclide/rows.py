"""An analysed sample as GARDS rows, and the RRR-like text report of those rows.

:func:`result_rows` turns a :class:`~testban.radionuclide.analysis.SampleResult` into the
rows of ``gards_peaks``, ``gards_nucl_ided``, ``gards_nucl_lines_ided`` and
``gards_sample_cat`` (the store's and ``testban spectrum``'s output); :func:`rrr_text`
writes the report an analyst reads from the rows alone (sample, collection, acquisition,
nuclides with activities or MDCs, categorisation), so a stored sample and a fresh
analysis print the same report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from obspy import UTCDateTime

from testban.radionuclide.analysis import SampleResult
from testban.radionuclide.library import load_library
from testban.records.css30 import Record
from testban.records.gards import (
    GardsNuclIded,
    GardsNuclLinesIded,
    GardsPeaks,
    GardsSampleCat,
    GardsSampleData,
)

#: Bq/m³ → µBq/m³ (the IDC reports particulate concentrations in µBq/m³).
UBQ = 1e6


def _f(x: float | None, na: float = -1.0) -> float:
    return float(x) if x is not None and math.isfinite(x) else na


def result_rows(result: SampleResult, auth: str = "testban") -> dict[str, list[Record]]:
    """The GARDS rows of one analysed sample (``sample_id`` left to the store)."""
    lib = load_library()
    assigned: dict[int, str] = {}
    for n in result.nuclides:
        for m in n.identification.lines:
            if m.peak >= 0:
                assigned.setdefault(m.peak, n.identification.nuclide)
    peaks: list[Record] = [
        GardsPeaks(
            peak_id=k + 1,
            centroid=p.centroid,
            centroid_err=_f(p.centroid_err),
            energy=_f(p.energy),
            energy_err=_f(p.energy_err),
            fwhm=_f(p.fwhm),
            area=_f(p.area),
            area_err=_f(p.area_err),
            back_count=_f(p.background),
            back_uncer=_f(p.background_err),
            peak_sig=_f(p.significance),
            ided=int(k in assigned),
            nuclide=assigned.get(k, "-")[:8],
            auth=auth,
        )  # fmt: skip
        for k, p in enumerate(result.peaks)
    ]
    nucl: list[Record] = []
    lines: list[Record] = []
    for n in result.nuclides:
        ident, act = n.identification, n.activity
        nuc = lib.get(ident.nuclide)
        nucl.append(
            GardsNuclIded(
                name=ident.nuclide[:8],
                type=(ident.cls or "-").upper()[:12],
                halflife=_f(nuc.half_life if nuc is not None else None, -1.0),
                activ=_f(act.activity if act else None),
                activ_err=_f(act.activity_err if act else None),
                conc=_f(act.concentration * UBQ if act and act.concentration is not None else None),
                conc_err=_f(
                    act.concentration_err * UBQ
                    if act and act.concentration_err is not None
                    else None
                ),
                mda=_f(act.mda if act else None),
                mdc=_f(act.mdc * UBQ if act and act.mdc is not None else None),
                key_energy=ident.key_energy,
                nid_flag=1,
                auth=auth,
            )  # fmt: skip
        )
        for m in ident.lines:
            lines.append(
                GardsNuclLinesIded(
                    name=ident.nuclide[:8],
                    energy=m.energy,
                    abundance=m.intensity,
                    key_flag=int(abs(m.energy - ident.key_energy) < 1e-6),
                    peak_id=m.peak + 1 if m.peak >= 0 else -1,
                    nid_flag=int(m.peak >= 0),
                    auth=auth,
                )  # fmt: skip
            )
    for name, limit in result.limits.items():  # treaty-relevant nuclides not identified
        nucl.append(GardsNuclIded(name=name[:8], type="-", mdc=_f(limit * UBQ), nid_flag=0,
                                  auth=auth))  # fmt: skip
    cat: list[Record] = []
    if result.categorisation is not None:
        c = result.categorisation
        cat.append(GardsSampleCat(name="SAMPLE", category=c.level,
                                  reason="; ".join(c.reasons)[:160] or "-", auth=auth))  # fmt: skip
        for name in c.anomalous:
            cat.append(GardsSampleCat(name=name[:8], category=c.level,
                                      reason="anomalous", auth=auth))  # fmt: skip
    return {"gards_peaks": peaks, "gards_nucl_ided": nucl, "gards_nucl_lines_ided": lines,
            "gards_sample_cat": cat}  # fmt: skip


def _time(t: float) -> str:
    return str(UTCDateTime(t))[:19] if t > -9999999999.0 else "–"


def rrr_text(
    sample: GardsSampleData,
    tables: Mapping[str, Iterable[Record]],
    problems: Sequence[str] = (),
) -> str:
    """The sample's report, in the spirit of the IDC's Reviewed Radionuclide Report."""
    nucl = [r for r in tables.get("gards_nucl_ided", []) if isinstance(r, GardsNuclIded)]
    cats = [r for r in tables.get("gards_sample_cat", []) if isinstance(r, GardsSampleCat)]
    peaks = [r for r in tables.get("gards_peaks", []) if isinstance(r, GardsPeaks)]
    conc_unit = "µBq/m³" if sample.qunit == "m3" else "(no air volume)"
    out = [
        f"RADIONUCLIDE REPORT — sample {sample.sample_id} ({sample.data_type})",
        f"Station {sample.sta}  detector {sample.detector}  SRID {sample.srid}",
        f"Collection  {_time(sample.collect_start)} – {_time(sample.collect_stop)}",
        f"Acquisition {_time(sample.acquisition_start)}  real {sample.acquisition_real_sec:.0f}"
        f" s  live {sample.acquisition_live_sec:.0f} s",
        f"Quantity    {sample.quantity:g} {sample.qunit}   file {sample.dir}/{sample.dfile}",
        "",
    ]
    level = next((c for c in cats if c.name == "SAMPLE"), None)
    out.append(f"CATEGORY    {level.category if level else 'not categorised'}"
               + (f"  ({level.reason})" if level and level.reason != "-" else ""))  # fmt: skip
    out += ["", f"IDENTIFIED NUCLIDES ({len([n for n in nucl if n.nid_flag])})",
            f"{'Nuclide':8s} {'Type':11s} {'Activity Bq':>14s} {'±':>10s} "
            f"{'Conc ' + conc_unit:>22s} {'±':>10s} {'MDC':>10s}"]  # fmt: skip
    for n in sorted((n for n in nucl if n.nid_flag), key=lambda n: n.name):
        conc = f"{n.conc:14.4g}" if n.conc >= 0 else f"{'–':>14s}"
        cerr = f"{n.conc_err:10.3g}" if n.conc_err >= 0 else f"{'':>10s}"
        act = f"{n.activ:14.4g}" if n.activ >= 0 else f"{'–':>14s}"
        aerr = f"{n.activ_err:10.3g}" if n.activ_err >= 0 else f"{'':>10s}"
        mdc = f"{n.mdc:10.3g}" if n.mdc >= 0 else f"{'':>10s}"
        out.append(f"{n.name:8s} {n.type:11s} {act} {aerr} {conc:>22s} {cerr} {mdc}")
    limits = sorted((n for n in nucl if not n.nid_flag and n.mdc >= 0), key=lambda n: n.name)
    if limits:
        out += ["", "NOT IDENTIFIED: MDC of the treaty-relevant nuclides (" + conc_unit + ")"]
        out += [f"{n.name:8s} {n.mdc:10.3g}" for n in limits]
    out += [
        "",
        f"PEAKS ({len(peaks)})",
        f"{'Energy keV':>10s} {'FWHM':>6s} {'Net area':>10s} {'±':>8s} {'Sig':>6s}  Nuclide",
    ]
    for p in peaks:
        out.append(f"{p.energy:10.2f} {p.fwhm:6.2f} {p.area:10.1f} {p.area_err:8.1f} "
                   f"{p.peak_sig:6.1f}  {p.nuclide if p.ided else ''}")  # fmt: skip
    if problems:
        out += ["", "PROBLEMS"] + [f"- {p}" for p in problems]
    return "\n".join(out) + "\n"

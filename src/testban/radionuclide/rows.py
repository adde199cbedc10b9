"""An analysed sample as GARDS rows.

:func:`result_rows` turns a :class:`~testban.radionuclide.analysis.SampleResult` into the
rows of ``gards_peaks``, ``gards_nucl_ided``, ``gards_nucl_lines_ided`` and
``gards_sample_cat`` (the store's and ``testban spectrum``'s output); the report an analyst
reads is written from these rows alone (:func:`testban.bulletin.rrr.format_rrr`), so a
stored sample and a fresh analysis print the same report.
"""

from __future__ import annotations

import math

from testban.radionuclide.analysis import SampleResult
from testban.radionuclide.library import load_library
from testban.records.css30 import Record
from testban.records.gards import GardsNuclIded, GardsNuclLinesIded, GardsPeaks, GardsSampleCat

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

"""Regional P/S discriminant on real records: the DPRK tests against regional earthquakes.

    .venv/bin/python bench/ps_discriminant.py

1. Explosions: the six DPRK tests of `dprk_regional/` (and the 2017 collapse, apart), at
   every station within 20° (all nine are, 3.3-11.3°): log10 Pn/Lg and Pg/Lg in four
   bands from the vertical (displacement differentiated to velocity), the catalogue
   origin (folder name) and the SAC event/station coordinates.
2. Earthquakes at the same stations: (a) catalogue earthquakes (`catalogs/usgs_
   significant_1965_2016/`, and `idc_ueb_2010140/` origins) within 20° of a station
   during a record of `dprk_regional/` or `continuous/`; (b) uncatalogued regional
   events in the `dprk_regional/` records: a 1-4 Hz STA/LTA trigger followed 20-170 s
   later by a second one at the same station (P then S), away from the tests, with the
   distance from the S-P delay (Lg − Pn, or Lg − Pg inside the crossover); their type is
   unknown (presumed earthquakes).
3. ROC area (bootstrap interval) and the error rate at the operating point, with the
   distance correction fitted on the earthquakes when there are enough of them.
4. Instrument check: the 2017 test at MDJ from raw counts (`continuous/mdj_2017/`)
   against the response-removed record: ratios in a band must not depend on the unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from obspy import UTCDateTime, read
from scipy import signal

from testban.detect.stalta import recursive_sta_lta
from testban.detect.trigger import trigger_onoff
from testban.features.regional_ratio import (
    HIGH_BAND,
    MAX_DISTANCE_KM,
    PN_MIN_KM,
    PN_VELOCITY,
    PROVISIONAL_THRESHOLD,
    PSRatio,
    apply_distance_correction,
    bootstrap_auc,
    fit_distance_correction,
    operating_point,
    ps_discriminant,
    regional_ratios,
)
from testban.traveltime import distance_azimuth

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
REGIONAL = SHARED / "dprk_regional"
USGS = SHARED / "catalogs" / "usgs_significant_1965_2016" / "significant_earthquakes_1965_2016.csv"
IDC = SHARED / "idc_ueb_2010140" / "origin.csv"
COLLAPSE = "20170903033831000"
KM_PER_DEG = 111.195
PAIRS = (("Pn", "Lg"), ("Pg", "Lg"))
# continuous records: (path, station lat, lon) from their metadata / IMS tables
CONTINUOUS = {
    "mdj_2017/IC.MDJ.2017.246.mseed": (44.6176, 129.5934),
    "uln_20150718/IU_ULN_2015-07-18T02.mseed": (47.8651, 107.0532),
    "cop_20090219/COP.BHZ.DK.2009.050": (55.6853, 12.4325),
}
MLR = (45.4919, 25.9450, 1274313600.0, 1274325380.0)  # MLR lat, lon, first/last sample


def _records(folder: Path):
    """One 20 Hz vertical per station (location 00 or blank): (sta, trace, dist_km)."""
    out = {}
    for f in sorted(folder.glob("*.sac")):
        tr = read(str(f))[0]
        if tr.stats.sampling_rate != 20.0 or tr.stats.location not in ("00", ""):
            continue
        s = tr.stats.sac
        d, _, _ = distance_azimuth(s.evla, s.evlo, s.stla, s.stlo)
        out.setdefault(tr.stats.station, (tr, float(d) * KM_PER_DEG))
    return [(sta, tr, km) for sta, (tr, km) in sorted(out.items())]


def _velocity(tr) -> np.ndarray:
    return np.gradient(tr.data.astype(np.float64), tr.stats.delta)


def explosions() -> dict[str, list[PSRatio]]:
    out = {}
    for k, folder in enumerate(sorted(p for p in REGIONAL.iterdir() if p.is_dir())):
        t0 = UTCDateTime.strptime(folder.name[:14], "%Y%m%d%H%M%S")
        rows: list[PSRatio] = []
        for sta, tr, km in _records(folder):
            if km > MAX_DISTANCE_KM:
                continue
            try:
                rows += regional_ratios(
                    _velocity(tr),
                    20.0,
                    t0 - tr.stats.starttime,
                    km,
                    sta=sta,
                    orid=k,
                    pairs=PAIRS,
                )
            except ValueError as exc:
                print(f"  {folder.name} {sta}: {exc}")
        out[folder.name] = rows
    return out


def _catalogue_spans():
    """(label, t0, t1, station lat, lon) of every record span."""
    spans = []
    for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
        for sta, tr, _ in _records(folder):
            s = tr.stats.sac
            spans.append(
                (
                    f"{folder.name[:8]} {sta}",
                    tr.stats.starttime.timestamp,
                    tr.stats.endtime.timestamp,
                    s.stla,
                    s.stlo,
                )
            )
    for rel, (lat, lon) in CONTINUOUS.items():
        tr = read(str(SHARED / "continuous" / rel), headonly=True)[0]
        spans.append(
            (rel.split("/")[0], tr.stats.starttime.timestamp, tr.stats.endtime.timestamp, lat, lon)
        )
    spans.append(("mlr_20100520", MLR[2], MLR[3], MLR[0], MLR[1]))
    return spans


def catalogue_earthquakes() -> list[tuple[str, str, float]]:
    """Catalogue earthquakes within 20° of a station while it records (label, time, km)."""
    events = []
    with USGS.open() as f:
        for r in csv.DictReader(f):
            if r["Type"] != "Earthquake":
                continue
            try:
                t = dt.datetime.strptime(f"{r['Date']} {r['Time']}", "%m/%d/%Y %H:%M:%S")
            except ValueError:
                continue
            ts = t.replace(tzinfo=dt.UTC).timestamp()
            events.append((ts, float(r["Latitude"]), float(r["Longitude"])))
    if IDC.exists():
        with IDC.open() as f:
            for r in csv.DictReader(f):
                events.append((float(r["time"]), float(r["lat"]), float(r["lon"])))
    ev = np.array(events)
    found = []
    for label, a, b, lat, lon in _catalogue_spans():
        m = (ev[:, 0] > a - 600) & (ev[:, 0] < b)
        for ts, la, lo in ev[m]:
            d, _, _ = distance_azimuth(la, lo, lat, lon)
            if float(d) * KM_PER_DEG <= MAX_DISTANCE_KM:
                found.append((label, str(UTCDateTime(ts))[:19], float(d) * KM_PER_DEG))
    return found


def uncatalogued_events() -> list[PSRatio]:
    """P-then-S trigger pairs at one station in the DPRK records (see module docstring)."""
    sos = signal.butter(4, [1.0, 4.0], btype="bandpass", fs=20.0, output="sos")
    tests = [
        UTCDateTime.strptime(p.name[:14], "%Y%m%d%H%M%S").timestamp
        for p in REGIONAL.iterdir()
        if p.is_dir()
    ]
    rows: list[PSRatio] = []
    seen: set[tuple[str, int]] = set()
    orid = 1000
    for folder in sorted(p for p in REGIONAL.iterdir() if p.is_dir()):
        for sta, tr, _ in _records(folder):
            v = _velocity(tr)
            r = recursive_sta_lta(signal.sosfiltfilt(sos, v), 20, 600)  # 1 s / 30 s
            on = trigger_onoff(r, 6.0, 2.0, 10, 100)[:, 0] / 20.0  # SNR ≈ 2.4, 5 s dead time
            t_abs = tr.stats.starttime.timestamp + on
            for i, tp in enumerate(on):
                if any(-100 < t_abs[i] - t < 1300 for t in tests):  # the tests and their coda
                    continue
                later = on[(on > tp + 20) & (on < tp + 170)]
                if later.size == 0:
                    continue
                sp = float(later[0] - tp)
                km = sp / (1 / 3.5 - 1 / PN_VELOCITY)
                vp = PN_VELOCITY
                if km < PN_MIN_KM:
                    km, vp = sp / (1 / 3.5 - 1 / 6.2), 6.2
                key = (sta, int(t_abs[i] // 60))
                if key in seen or km > MAX_DISTANCE_KM:
                    continue
                seen.add(key)
                origin = tp - km / vp
                try:
                    rr = regional_ratios(v, 20.0, origin, km, sta=sta, orid=orid, pairs=PAIRS)
                except ValueError as exc:
                    print(f"  candidate {sta} {UTCDateTime(t_abs[i])}: {exc}")
                    continue
                print(
                    f"  candidate {sta} P {str(UTCDateTime(t_abs[i]))[:19]} S-P {sp:.0f} s "
                    f"→ {km:.0f} km (orid {orid})"
                )
                rows += rr
                orid += 1
    return rows


def _fmt(r: PSRatio | None) -> str:
    if r is None:
        return "–"
    sign = {"value": "", "lower": "≥", "upper": "≤", "none": ""}[r.kind]
    return "n/a" if r.kind == "none" else f"{sign}{r.log_ratio:+.2f}"


def _get(rows, sta, band, pair):
    for r in rows:
        if r.sta == sta and r.band == band and (r.phase_p, r.phase_s) == pair:
            return r
    return None


def main() -> int:
    if not REGIONAL.is_dir():
        print(f"skip: {REGIONAL} not found")
        return 0
    warnings.filterwarnings("ignore", message="Sample spacing")
    c0 = time.process_time()
    print(f"{time.strftime('%Y-%m-%d')}: regional P/S on {REGIONAL}")
    expl = explosions()
    low = (1.0, 2.0)
    print("\nlog10 P/S per test and station (velocity; ≥ lower bound: S under the noise)")
    print("test | sta | Δ km | Pn/Lg 1-2 Hz | Pn/Lg 6-8 Hz | Pg/Lg 1-2 Hz | Pg/Lg 6-8 Hz")
    for name, rows in expl.items():
        for sta in sorted({r.sta for r in rows}):
            cells = [_fmt(_get(rows, sta, b, p)) for p in PAIRS for b in (low, HIGH_BAND)]
            km = next(r.dist_km for r in rows if r.sta == sta)
            print(f"{name[:12]} | {sta} | {km:.0f} | " + " | ".join(cells))

    cat = catalogue_earthquakes()
    print(f"\ncatalogue earthquakes within 20° of a recording station: {len(cat)}")
    for c in cat:
        print("  ", c)
    print("uncatalogued P-then-S events in the DPRK records:")
    quakes = uncatalogued_events()
    nq = len({r.orid for r in quakes})
    print(f"  {nq} event(s), {len({(r.orid, r.sta) for r in quakes})} station record(s)")

    for pair in PAIRS:
        corr = fit_distance_correction(quakes, HIGH_BAND, pair)
        note = (
            f"slope {corr.slope:+.2f} ± {corr.slope_sigma:.2f}"
            if corr.fitted
            else f"not fitted ({corr.reason})"
        )
        q_rows = apply_distance_correction(quakes, [corr])
        q_res = [
            ps_discriminant([r for r in q_rows if r.orid == o], pair=pair)
            for o in sorted({r.orid for r in q_rows})
        ]  # ROC and threshold on values only, never on bounds
        q_vals = [q.value for q in q_res if math.isfinite(q.value) and not q.bound]
        try:
            th, sd = operating_point(q_vals)
            th_note = f"earthquake mean + 2σ = {th:+.2f} (σ {sd:.2f}, {len(q_vals)} events)"
        except ValueError:
            th, th_note = (
                PROVISIONAL_THRESHOLD,
                (
                    f"provisional {PROVISIONAL_THRESHOLD:+.1f} ({len(q_vals)} earthquake value(s): "
                    "no population to set it)"
                ),
            )
        print(
            f"\n{pair[0]}/{pair[1]} {HIGH_BAND[0]:g}-{HIGH_BAND[1]:g} Hz: distance "
            f"correction {note}; threshold {th_note}"
        )
        e_vals = []
        for name, rows in expl.items():
            res = ps_discriminant(apply_distance_correction(rows, [corr]), th, pair=pair)
            tag = "collapse" if name == COLLAPSE else "test"
            if tag == "test" and math.isfinite(res.value) and not res.bound:
                e_vals.append(res.value)
            print(f"  {name[:12]} ({tag}): {res.evidence}; screened out: {res.screened_out}")
        for o in sorted({r.orid for r in q_rows}):
            res = ps_discriminant([r for r in q_rows if r.orid == o], th, pair=pair)
            print(f"  uncatalogued event {o}: {res.evidence}")
        auc, lo, hi = bootstrap_auc(e_vals, q_vals)
        miss = sum(v <= th for v in e_vals)
        fa = sum(v > th for v in q_vals)
        print(
            f"  ROC area {auc:.2f} (bootstrap 95 % {lo:.2f}-{hi:.2f}); at the operating "
            f"point: {miss}/{len(e_vals)} tests earthquake-like, {fa}/{len(q_vals)} "
            "earthquakes explosion-like"
        )
        if len(q_vals) < 5:
            print(
                f"  ({len(q_vals)} earthquake value(s): this ROC area measures nothing; "
                "a bootstrap cannot show the uncertainty of so few)"
            )

    mdj = SHARED / "continuous" / "mdj_2017" / "IC.MDJ.2017.246.mseed"
    if mdj.exists():
        tr = read(str(mdj))[0]
        t0 = UTCDateTime("2017-09-03T03:30:01")
        km = next(r.dist_km for r in expl["20170903033001000"] if r.sta == "MDJ")
        raw = regional_ratios(
            tr.data.astype(float),
            tr.stats.sampling_rate,
            t0 - tr.stats.starttime,
            km,
            sta="MDJ",
            pairs=PAIRS,
        )
        print(
            "\ninstrument check, DPRK6 at MDJ, raw counts (continuous/) vs displacement→velocity:"
        )
        for p in PAIRS:
            for b in ((1.0, 2.0), (2.0, 4.0), (4.0, 6.0), HIGH_BAND):
                a, c = _get(raw, "MDJ", b, p), _get(expl["20170903033001000"], "MDJ", b, p)
                print(f"  {p[0]}/{p[1]} {b[0]:g}-{b[1]:g} Hz: {_fmt(a)} vs {_fmt(c)}")
    print(f"\n{time.process_time() - c0:.1f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

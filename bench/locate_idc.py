"""Locator benchmark: relocate the IDC bulletin, simulate coverage, and measure speed.

Run: ``.venv/bin/python bench/locate_idc.py`` (prints BENCHMARKS-ready markdown).

* IDC bulletin ``idc_ueb_2010140``: every origin relocated from its own defining assoc
  rows (time/azimuth/slowness as flagged; depth fixed where the analyst fixed it) with
  the IMS CSS3.0 stations at the bulletin date, compared with the LocSAT solution.
* Coverage on simulated events: 90 % ellipses with K = ∞ (LocSAT/IDC) and K = 8.
* Speed on simulated 20-station events, against the baseline of issue 4: TauP tables +
  ``scipy.optimize.least_squares`` from a global grid, no model error, no corrections
  (implemented here, :func:`baseline_locate`; it is a peer, not product code).
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from obspy import UTCDateTime
from scipy import optimize, stats

from testban.io.css30 import read_table
from testban.locate import LocatorConfig, Observations, locate, locate_bulletin
from testban.locate.ellipticity import correction as ellipticity_correction
from testban.locate.model_errors import BONDAR_RANGE_KM, model_error_covariance
from testban.locate.phases import canonical_phase, phase_tables
from testban.network import read_network
from testban.traveltime import (
    KM_PER_DEG,
    destination,
    distance_azimuth,
    geocentric_latitude,
    travel_times,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("TESTBAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
IDC = DATA / "idc_ueb_2010140"
STATIONS = DATA / "stations" / "ims_css30" / "ueb_test"
CHI2_2_90 = stats.chi2.ppf(0.9, 2)


# ------------------------------------------------------------------------ the baseline


@dataclass
class BaselineResult:
    """Epicentre (geographic), depth, origin time and the 2x2 epicentral covariance (km²)."""

    lat: float
    lon: float
    depth: float
    time: float
    cov: np.ndarray
    smajax: float
    sminax: float


def baseline_locate(obs: Observations, depth: float | None = None) -> BaselineResult:
    """The issue's plain baseline: TauP tables, global grid, scipy least squares.

    Residuals are divided by the measurement errors only (no model error, no elevation or
    other corrections); the 90 % ellipse is the classic a posteriori one (F statistic with
    N − M degrees of freedom, a priori when N = M).
    """
    tt = travel_times("iasp91")
    phases = [canonical_phase(str(p)) or "" for p in obs.phase]
    known = np.array([p in tt.phases for p in phases])
    use_t, use_a = obs.timedef & known, obs.azdef & np.isfinite(obs.azimuth)
    use_s = obs.slodef & known & np.isfinite(obs.slow)
    sig_t = np.where(obs.deltim > 0, obs.deltim, 1.0)
    sig_a = np.where(obs.delaz > 0, obs.delaz, 5.0)
    sig_s = np.where(obs.delslo > 0, obs.delslo, 1.0)
    groups = {p: np.flatnonzero(np.array(phases) == p) for p in set(phases) if p in tt.phases}
    t_ref = float(obs.time[use_t].min())

    def predict(lat: float, lon: float, h: float) -> tuple[np.ndarray, ...]:
        d, _esaz, seaz = distance_azimuth(lat, lon, obs.lat, obs.lon)
        t = np.full(len(obs), np.nan)
        p = np.full(len(obs), np.nan)
        for ph, idx in groups.items():
            pr = tt.predict(ph, d[idx], np.full(idx.size, h))
            t[idx], p[idx] = pr.time, pr.slowness
        return t, p, seaz

    def res(x: np.ndarray) -> np.ndarray:
        h = depth if depth is not None else x[3]
        t, p, seaz = predict(x[0], x[1], h)
        rt = np.nan_to_num((obs.time - t_ref - x[2] - t) / sig_t, nan=100.0)[use_t]
        ra = (((obs.azimuth - seaz + 180) % 360 - 180) / sig_a)[use_a]
        rs = np.nan_to_num((obs.slow - p) / sig_s, nan=100.0)[use_s]
        return np.concatenate([rt, ra, rs])

    # global grid, 5° apart, origin time eliminated as the mean time residual
    n = int(4 * math.pi / math.radians(5.0) ** 2)
    k = np.arange(n) + 0.5
    glat = np.degrees(np.arcsin(1 - 2 * k / n))
    glon = (np.degrees(np.pi * (1 + 5**0.5) * k) + 180) % 360 - 180
    h0 = depth if depth is not None else 0.0
    d, _esaz, seaz = distance_azimuth(glat[:, None], glon[:, None], obs.lat, obs.lon)
    t = np.full(d.shape, np.nan)
    for ph, idx in groups.items():
        t[:, idx] = tt.predict(ph, d[:, idx], np.full(d[:, idx].shape, h0)).time
    r = (obs.time - t_ref - t)[:, use_t]
    t0 = np.mean(r, axis=1)
    mis = np.sum(((r - t0[:, None]) / sig_t[use_t]) ** 2, axis=1)
    mis += np.sum((((obs.azimuth - seaz + 180) % 360 - 180) / sig_a)[:, use_a] ** 2, axis=1)
    mis = np.where(np.isfinite(mis), mis, np.inf)
    k = int(np.argmin(mis))
    x0 = np.array([glat[k], glon[k], t0[k], h0]) if np.isfinite(mis[k]) else None
    if x0 is None:
        x0 = np.array([obs.lat[0], obs.lon[0], -60.0, h0])
    if depth is not None:
        x0 = x0[:3]
    sol = optimize.least_squares(res, x0, method="lm" if res(x0).size >= x0.size else "trf")
    x = sol.x
    jac = sol.jac.copy()
    # columns in km: d/dlat → per km north, d/dlon → per km east
    jac[:, 0] /= KM_PER_DEG
    jac[:, 1] /= KM_PER_DEG * max(math.cos(math.radians(x[0])), 1e-3)
    nd, m = jac.shape
    cov = np.linalg.pinv(jac.T @ jac)
    s2 = float(np.sum(sol.fun**2)) / (nd - m) if nd > m else 1.0
    q = 2 * stats.f.ppf(0.9, 2, nd - m) if nd > m else CHI2_2_90
    c2 = np.array([[cov[1, 1], cov[0, 1]], [cov[0, 1], cov[0, 0]]]) * s2  # (east, north)
    w = np.linalg.eigvalsh(c2)
    return BaselineResult(
        float(x[0]), float(x[1]), float(depth if depth is not None else x[3]),
        float(x[2] + t_ref), c2, math.sqrt(max(w[1], 0) * q), math.sqrt(max(w[0], 0) * q),
    )  # fmt: skip


# ------------------------------------------------------------------------ helpers


def offset_km(lat: float, lon: float, lat_ref: float, lon_ref: float) -> tuple[float, float, float]:
    """Distance (km) and east/north offsets (km) of the reference from a solution."""
    d, az, _ = distance_azimuth(lat, lon, lat_ref, lon_ref, geocentric=False)
    km = float(d) * KM_PER_DEG
    return km, km * math.sin(math.radians(float(az))), km * math.cos(math.radians(float(az)))


def inside(cov2: np.ndarray, dx: float, dy: float, q: float = CHI2_2_90) -> bool:
    """Is the offset (dx east, dy north) inside the ellipse of covariance ``cov2``?"""
    v = np.array([dx, dy])
    return bool(v @ np.linalg.pinv(cov2) @ v <= q)


def network_at(t: float):
    """The IMS stations with the epochs valid at ``t``."""
    net, _ = read_network(STATIONS, at=UTCDateTime(t))
    return net


# ------------------------------------------------------------------------ IDC bulletin


def idc(config: LocatorConfig | None = None, with_baseline: bool = True) -> dict:
    """Relocate every IDC origin; return per-origin rows and summary figures."""
    arrivals = read_table(IDC / "arrival.csv")
    assocs = read_table(IDC / "assoc.csv")
    origins = read_table(IDC / "origin.csv")
    theirs = {e.orid: e for e in read_table(IDC / "origerr.csv")}
    net = network_at(min(a.time for a in arrivals))
    cpu = time.process_time()
    res = locate_bulletin(arrivals, assocs, net, origins, config=config)
    cpu = time.process_time() - cpu
    ref = {o.orid: o for o in origins}
    rows = []
    by_arid = {a.arid: a for a in arrivals}
    base_cpu = 0.0
    for o in res.origins:
        r, loc = ref[o.orid], res.locations[o.orid]
        km, dx, dy = offset_km(o.lat, o.lon, r.lat, r.lon)
        te = theirs.get(o.orid)
        ratio = (
            loc.origerr.smajax * loc.origerr.sminax / (te.smajax * te.sminax)
            if te is not None and te.smajax > 0 and te.sminax > 0
            else math.nan
        )
        row = dict(
            orid=o.orid, ndef=r.ndef, km=km, dt=o.time - r.time, ratio=ratio,
            cover=inside(loc.covariance[:2, :2], dx, dy),
        )  # fmt: skip
        if with_baseline:
            obs, _ = Observations.from_records(
                by_arid, [s for s in assocs if s.orid == o.orid], net
            )
            depth = r.depth if r.dtype in ("g", "r") else None
            t = time.process_time()
            try:
                b = baseline_locate(obs, depth=depth)
                bkm, bdx, bdy = offset_km(b.lat, b.lon, r.lat, r.lon)
                row.update(b_km=bkm, b_dt=b.time - r.time, b_cover=inside(b.cov, bdx, bdy))
            except (ValueError, np.linalg.LinAlgError):
                row.update(b_km=math.nan, b_dt=math.nan, b_cover=False)
            base_cpu += time.process_time() - t
        rows.append(row)
    return dict(rows=rows, cpu=cpu, base_cpu=base_cpu, problems=res.problems, n=len(origins))


def prediction_check(config: LocatorConfig) -> dict[str, list[float]]:
    """Our time residual minus the IDC's (``assoc.timeres``) at LocSAT's own hypocentre, per
    phase (teleseismic, or "(reg)" within 20°), for the origins with ndef ≥ 6."""
    arrivals = read_table(IDC / "arrival.csv")
    assocs = read_table(IDC / "assoc.csv")
    by_arid = {a.arid: a for a in arrivals}
    net = network_at(min(a.time for a in arrivals))
    cfg = replace(config, max_iter=0, outlier_sigma=0.0)
    out: dict[str, list[float]] = {}
    for o in read_table(IDC / "origin.csv"):
        if o.ndef < 6:
            continue
        rows = [s for s in assocs if s.orid == o.orid and s.timedef == "d"]
        obs, _ = Observations.from_records(by_arid, rows, net)
        loc = locate(obs, start=o, depth=o.depth, config=cfg)
        theirs = {s.arid: s.timeres for s in rows}
        for a in loc.assocs:
            if a.timeres > -999 and theirs[a.arid] > -999:
                key = a.phase + ("" if a.delta > 20 or a.phase.startswith("PK") else " (reg)")
                out.setdefault(key, []).append(a.timeres - theirs[a.arid])
    return out


def print_prediction_check() -> None:
    print("\nOur time residual minus the IDC's at LocSAT's own hypocentre (s; + = we predict")
    print("earlier), origins with ndef ≥ 6:\n")
    print("| phase | n | without ellipticity: median (range) | with: median (range) |")
    print("|---|---|---|---|")
    a = prediction_check(LocatorConfig(ellipticity_correction=False))
    b = prediction_check(LocatorConfig())
    for k in sorted(a):
        x, y = np.array(a[k]), np.array(b[k])
        print(
            f"| {k} | {x.size} | {np.median(x):+.2f} ({x.min():+.2f} … {x.max():+.2f}) "
            f"| {np.median(y):+.2f} ({y.min():+.2f} … {y.max():+.2f}) |"
        )


def summarise(rows: list[dict], prefix: str = "") -> dict:
    """Median distance/time (ndef ≥ 6 and all), coverage and area ratios."""
    km = np.array([r[prefix + "km"] for r in rows])
    dt = np.abs([r[prefix + "dt"] for r in rows])
    nd = np.array([r["ndef"] for r in rows])
    cov = np.array([r[prefix + "cover"] for r in rows])
    out = dict(
        km6=float(np.nanmedian(km[nd >= 6])), dt6=float(np.nanmedian(dt[nd >= 6])),
        km=float(np.nanmedian(km)), dt=float(np.nanmedian(dt)), cover=float(cov.mean()),
        n6=int((nd >= 6).sum()), n=len(rows),
    )  # fmt: skip
    if not prefix:
        ratio = np.array([r["ratio"] for r in rows])
        ok = np.isfinite(ratio)
        out.update(
            ratio_med=float(np.median(ratio[ok])),
            ratio_in=float(np.mean((ratio[ok] >= 0.5) & (ratio[ok] <= 2.0))),
            n_ratio=int(ok.sum()),
        )
    return out


# ------------------------------------------------------------------------ simulation


def simulated_event(
    rng: np.random.Generator, n_sta: int = 20, noise: bool = True, range_km: float = 0.0
):
    """A random shallow event at 20 random stations 2–95° away (P/Pn) on the elliptical
    Earth (1-D times + ellipticity correction), times with noise drawn from the a priori
    errors: pick 0.2 s plus the model error of the phase, correlated between stations
    closer than ``range_km`` (Bondár & McLaughlin 2009; 0: independent)."""
    pt = phase_tables("iasp91")
    cfg = LocatorConfig()
    lat, lon = float(rng.uniform(-60, 60)), float(rng.uniform(-180, 180))
    depth = float(rng.uniform(0, 100))
    d = rng.uniform(2, 95, n_sta)
    az = rng.uniform(0, 360, n_sta)
    slat, slon = destination(lat, lon, d, az)
    dd, esaz, seaz = distance_azimuth(lat, lon, slat, slon)
    ph = np.where(dd < 15, "Pn", "P").astype(object)
    t, p, *_ = pt.predict(ph, dd, np.full(n_sta, depth))
    t = t + ellipticity_correction(ph, dd, depth, float(geocentric_latitude(lat)), esaz)
    ok = np.isfinite(t)
    me = cfg.model_errors
    sm = np.array([me.time_error(str(a), float(b)) for a, b in zip(ph, dd, strict=True)])
    cov = model_error_covariance(ph, geocentric_latitude(slat), slon, sm, range_km)
    cov += np.eye(n_sta) * 0.2**2
    tobs = 1.0e9 + t + (rng.multivariate_normal(np.zeros(n_sta), cov) if noise else 0.0)
    obs = Observations.from_arrays(
        ph[ok], ph[ok], tobs[ok], slat[ok], slon[ok], deltim=0.2, azimuth=seaz[ok],
        delaz=3.0, slow=p[ok], delslo=1.0, azdef=False, slodef=False,
    )  # fmt: skip
    return obs, (lat, lon, depth, 1.0e9)


def coverage(n: int = 1000, k_dof: float = math.inf, seed: int = 7, range_km: float = 0.0) -> float:
    """Fraction of simulated events whose true epicentre is inside the 90 % ellipse (data
    and locator with the same error correlation ``range_km``)."""
    rng = np.random.default_rng(seed)
    cfg = LocatorConfig(k_dof=k_dof, outlier_sigma=0.0, correlation_range_km=range_km)
    hits = 0
    for _ in range(n):
        obs, (lat, lon, depth, t0) = simulated_event(rng, range_km=range_km)
        loc = locate(obs, start=(lat + 0.3, lon - 0.3, 10.0, t0 + 2), depth=depth, config=cfg)
        _km, dx, dy = offset_km(loc.origin.lat, loc.origin.lon, lat, lon)
        q = (
            loc.origerr.smajax
            / math.sqrt(max(np.linalg.eigvalsh(loc.covariance[:2, :2])[1], 1e-12))
        ) ** 2
        hits += inside(loc.covariance[:2, :2], dx, dy, q)
    return hits / n


def speed(n_start: int = 2000, n_grid: int = 200, n_base: int = 30) -> dict:
    """Locations per CPU second: ours from a nearby start, ours from scratch, baseline."""
    rng = np.random.default_rng(3)
    events = [simulated_event(rng) for _ in range(max(n_start, n_grid, n_base))]
    locate(events[0][0])  # compile / load outside the timing
    t = time.process_time()
    for obs, (lat, lon, depth, t0) in events[:n_start]:
        locate(obs, start=(lat + 0.2, lon + 0.2, depth + 10, t0 + 1.5))
    start_rate = n_start / (time.process_time() - t)
    t = time.process_time()
    for obs, _truth in events[:n_grid]:
        locate(obs)
    grid_rate = n_grid / (time.process_time() - t)
    t = time.process_time()
    for obs, _truth in events[:n_base]:
        baseline_locate(obs)
    base_rate = n_base / (time.process_time() - t)
    return dict(start=start_rate, grid=grid_rate, base=base_rate)


def main() -> int:
    if not IDC.exists():
        print(f"IDC data not found at {IDC}", file=sys.stderr)
        return 1
    res = idc()
    s, b = summarise(res["rows"]), summarise(res["rows"], "b_")
    res8 = idc(LocatorConfig(k_dof=8.0), with_baseline=False)
    s8 = summarise(res8["rows"])
    res_ne = idc(LocatorConfig(ellipticity_correction=False), with_baseline=False)
    s_ne = summarise(res_ne["rows"])
    res_c = idc(LocatorConfig(correlation_range_km=BONDAR_RANGE_KM), with_baseline=False)
    s_c = summarise(res_c["rows"])
    print("### Locator: IDC bulletin relocated (issue 4)\n")
    print("`.venv/bin/python bench/locate_idc.py` — `idc_ueb_2010140`, every origin relocated")
    print("from its own defining assoc rows (depth fixed where `dtype` is g/r), IMS stations")
    print("at the bulletin date; compared with the IDC's LocSAT origins and origerr.\n")
    print(
        "| locator | origins | median km (ndef ≥ 6, n) | median abs Δt s (ndef ≥ 6) "
        "| median km (all) | analyst epicentre in our 90 % ellipse "
        "| area ratio median (share in 0.5–2) | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = (
        ("testban (K=∞)", s, res), ("testban (K=8)", s8, res8),
        ("testban (K=∞), no ellipticity correction", s_ne, res_ne),
        (f"testban (K=∞), correlated errors ({BONDAR_RANGE_KM:.0f} km)", s_c, res_c),
    )  # fmt: skip
    for name, x, r in rows:
        print(
            f"| {name} | {x['n']} | {x['km6']:.1f} ({x['n6']}) | {x['dt6']:.2f} | {x['km']:.1f} "
            f"| {x['cover']:.0%} | {x['ratio_med']:.2f} ({x['ratio_in']:.0%} of {x['n_ratio']}) "
            f"| {r['cpu']:.2f} |"
        )
    print(f"| baseline | {b['n']} | {b['km6']:.1f} ({b['n6']}) | {b['dt6']:.2f} | {b['km']:.1f} "
          f"| {b['cover']:.0%} | – | {res['base_cpu']:.2f} |")  # fmt: skip
    if res["problems"]:
        print(f"\nproblems reported: {len(res['problems'])}")
        for p in res["problems"][:10]:
            print(f"- {p}")
    print(
        "\n| orid | ndef | km | Δt s | covered | area ratio | baseline km "
        "| km without ellipticity |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r, r0 in zip(res["rows"], res_ne["rows"], strict=True):
        print(f"| {r['orid']} | {r['ndef']} | {r['km']:.1f} | {r['dt']:.2f} | {r['cover']} "
              f"| {r['ratio']:.2f} | {r.get('b_km', math.nan):.1f} | {r0['km']:.1f} |")  # fmt: skip
    print_prediction_check()

    c_inf, c_8 = coverage(k_dof=math.inf), coverage(k_dof=8.0)
    c_corr = coverage(range_km=BONDAR_RANGE_KM)
    print("\n### Locator: 90 % ellipse coverage on 1000 simulated 20-station events\n")
    print("Elliptical Earth (ellipticity-corrected times), Gaussian pick + model errors.\n")
    print("| ellipse | coverage of the true epicentre |")
    print("|---|---|")
    print(f"| K = ∞ (χ², a priori errors; LocSAT/IDC) | {c_inf:.1%} |")
    print(f"| K = 8 (Jordan–Sverdrup, Bratt & Bache 1988) | {c_8:.1%} |")
    print(
        f"| K = ∞, model errors correlated within {BONDAR_RANGE_KM:.0f} km "
        f"(data and locator) | {c_corr:.1%} |"
    )

    sp = speed()
    print("\n### Locator: speed (simulated 20-station events, CPU s)\n")
    print("| locator | locations per CPU second | ratio to baseline |")
    print("|---|---|---|")
    print(f"| testban from a nearby start | {sp['start']:.0f} | {sp['start'] / sp['base']:.0f} |")
    print(f"| testban from scratch (grid) | {sp['grid']:.0f} | {sp['grid'] / sp['base']:.0f} |")
    print(f"| baseline (TauP tables + least_squares from a grid) | {sp['base']:.1f} | 1 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

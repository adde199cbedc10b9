"""Locate one event: damped least squares (Geiger/Levenberg–Marquardt) on time, azimuth
and slowness, with a priori model errors and a LocSAT-style confidence ellipse.

Method (Geiger 1910; Bratt & Bache 1988, BSSA 78, 780–798, the basis of the IDC's
LocSAT): minimise Σ (residual/σ)² over (lat, lon, depth, origin time), σ² = measurement
error² + model error² (:mod:`testban.locate.model_errors`), by Levenberg–Marquardt steps
from a start found by a global grid search with the origin time eliminated analytically
(or given by the caller, e.g. the associator's hypothesis). Depth is fixed by the caller
(``dtype`` "g"), or free only where the data resolve it (:mod:`testban.locate.depth`:
depth phases, ``dtype`` "d"; a local station, S − P pairs or a small depth interval,
``dtype`` "f"); otherwise — or when a free depth does not converge — it is fixed at the
surface as the IDC and ISC do (``dtype`` "r"). Gross outliers (> ``outlier_sigma`` a
priori standard errors) are set non-defining one at a time.

Predicted times carry the station elevation and the ellipticity correction
(:mod:`testban.locate.ellipticity`, computed from the model's own rays and density; with
it our teleseismic P predictions match the IDC's to ±0.08 s). Optionally the model errors
of the same phase at nearby stations are correlated (Bondár & McLaughlin 2009; off by
default, see :mod:`testban.locate.model_errors`): the time rows are then whitened by the
inverse Cholesky factor of their correlation matrix, computed at the start and once more
at convergence, so the ellipse and the weights account for clustered stations.

Uncertainty: the covariance (JᵀJ)⁻¹ of the normalised problem, scaled as in Jordan &
Sverdrup (1981, BSSA 71, 1105–1130): σ̂² = (K s² + Σr²)/(K + N − M). The IDC runs
LocSAT with K → ∞ ("we recommend num_dof = 99999 for most IMS applications", LocSAT
``ellips.c``), i.e. the a priori *coverage* ellipse with χ² quantiles; that is our default
(``k_dof = inf``), justified by its calibrated coverage on simulated events and on the IDC
bulletin (see ``bench/locate_idc.py``). A finite ``k_dof`` (Bratt & Bache: 8) gives F
quantiles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from testban.io.problems import ReadProblem
from testban.locate import kernels
from testban.locate.depth import DepthResolution, DepthRule, depth_resolution, vp_ratio
from testban.locate.ellipticity import EllipticityTable, ellipticity_table, zero_table
from testban.locate.model_errors import CORRELATION_RANGE_KM, ModelErrors
from testban.locate.observations import Observations, Stations
from testban.locate.phases import DEPTH_PHASES, PhaseTables, phase_tables
from testban.records.css30 import Arrival, Assoc, Origerr, Origin, jdate
from testban.traveltime import destination, distance_azimuth, geocentric_latitude
from testban.traveltime.geometry import WGS84_F

ALGORITHM = "testban"


class LocateError(ValueError):
    """An event that cannot be located (too few or unusable observations); says why."""


@dataclass(frozen=True)
class LocatorConfig:
    """Locator settings; the defaults are physical and the same for every data set."""

    #: Travel-time model name (iasp91 or ak135): iasp91 is the IDC's (LocSAT) model.
    model: str = "iasp91"
    #: A priori model errors per phase and distance (s, °, s/°; table in
    #: :mod:`testban.locate.model_errors`): the IDC's uncalibrated model errors.
    model_errors: ModelErrors = field(default_factory=ModelErrors)
    #: Time error used when an arrival has none (``deltim`` null or 0, s): a typical
    #: automatic pick at 1–2 Hz is good to about one period.
    default_deltim: float = 1.0
    #: Azimuth error used when an arrival has none (°): a typical array f-k azimuth.
    default_delaz: float = 5.0
    #: Slowness error used when an arrival has none (s/°): a typical array f-k slowness.
    default_delslo: float = 1.0
    #: Confidence level of the error ellipse and depth/time intervals (dimensionless): 90 %,
    #: as the IDC's bulletins report.
    conf: float = 0.9
    #: Jordan–Sverdrup K (a priori degrees of freedom, count); inf = LocSAT/IDC coverage
    #: ellipse (errors known a priori).
    k_dof: float = math.inf
    #: A priori variance factor of the Jordan–Sverdrup estimate (dimensionless): 1 when
    #: the a priori errors are right.
    prior_sigma: float = 1.0
    #: Most Gauss–Newton iterations (count): a located event converges in ~5–10; 60 stops a
    #: run-away solution without cutting a slow one.
    max_iter: int = 60
    #: Largest epicentre step per iteration (km): about 20°, so that a start on the wrong
    #: side of a network cannot jump past the minimum.
    max_step_km: float = 2000.0
    #: Shallowest free depth (km): the surface.
    depth_min: float = 0.0
    #: Deepest free depth (km): the deepest earthquakes (~700 km).
    depth_max: float = 700.0
    #: Depth taken when a free depth is unresolved (the IDC's default: the surface).
    fallback_depth: float = 0.0
    #: Depth-resolution rule (:mod:`testban.locate.depth`; ISC iLoc values, Bondár &
    #: Storchak 2011): a free depth is kept only when resolved, else fixed at
    #: ``fallback_depth``. Defining depth-phase (pP) times needed (count): one can be
    #: misidentified, three agreeing ones hardly.
    min_depth_phases: int = 3
    #: Distance (°) within which a station with a defining time is local: 0.2° ≈ 22 km,
    #: one or two crustal focal depths, where the direct time depends on depth.
    max_local_deg: float = 0.2
    #: Local stations that resolve depth (count).
    min_local_stations: int = 1
    #: Distance (°) within which stations with defining P and S times form S − P pairs.
    max_sp_deg: float = 2.0
    #: S − P pairs that resolve depth (count).
    min_sp_pairs: int = 3
    #: A free depth whose 90 % half-interval is at most this (km, at the surface; scaled
    #: by vp(h)/vp(0) at depth h) is resolved by itself: half a continental crust
    #: (~35–40 km), i.e. upper crust, lower crust or deeper.
    max_sdepth: float = 20.0
    #: Spacing of the coarse global grid of starting points (°): 5° is within the
    #: basin of attraction of the least-squares minimum for teleseismic networks.
    grid_spacing: float = 5.0
    #: Starting points tried from that grid (count): two guards against a local minimum
    #: at twice the cost.
    n_starts: int = 2
    #: Residuals beyond this many standard deviations (dimensionless; 0 disables) are made
    #: non-defining: 4 σ is improbable (< 1e-4) for Gaussian errors.
    outlier_sigma: float = 4.0
    #: Most defining data dropped as outliers (dimensionless fraction): beyond a fifth, the
    #: event is more likely wrong than its data.
    max_outlier_fraction: float = 0.2
    #: Whether station elevations correct the times (a flag): up to ~0.5 s at high stations.
    elevation_correction: bool = True
    #: Ellipticity corrections (Dziewonski & Gilbert 1976; computed from the model's own
    #: rays and density, :mod:`testban.locate.ellipticity`), as LocSAT and the IDC apply.
    ellipticity_correction: bool = True
    #: Range (km) of the spherical variogram that correlates the model errors of the same
    #: phase at nearby stations (Bondár & McLaughlin 2009, BSSA 99, 172–193; 0: independent
    #: errors). See :mod:`testban.locate.model_errors` for the value.
    correlation_range_km: float = CORRELATION_RANGE_KM
    #: Name written to ``assoc.vmodel`` (a name; default: the model name).
    vmodel: str = ""
    #: Travel-time station corrections, ``(sta, phase, dt s, standard error s)`` rows
    #: (``testban calibrate``; :func:`testban.calibrate.time_terms` makes them): ``dt`` is
    #: added to the predictions, its error to the time error. Empty: none.
    time_corrections: tuple[tuple[str, str, float, float], ...] = ()

    @property
    def depth_rule(self) -> DepthRule:
        """The thresholds of the depth-resolution rule as one record."""
        return DepthRule(
            min_depth_phases=self.min_depth_phases, max_local_deg=self.max_local_deg,
            min_local_stations=self.min_local_stations, max_sp_deg=self.max_sp_deg,
            min_sp_pairs=self.min_sp_pairs, max_sdepth=self.max_sdepth,
        )  # fmt: skip


@dataclass(frozen=True)
class Location:
    """A located event as CSS3.0 rows plus the network figures a bulletin reports."""

    origin: Origin
    origerr: Origerr
    assocs: list[Assoc]
    gap: float  # primary azimuthal gap (°) of the stations with defining data
    mdist: float  # distance (°) to the nearest station with defining data
    Mdist: float  # distance (°) to the farthest one
    covariance: np.ndarray  # 4x4 in (x east km, y north km, z down km, t s)
    misfit: float  # Σ (residual/σ)² of the defining data
    ndata: int  # defining time + azimuth + slowness data used
    converged: bool
    iterations: int
    depth_fixed: bool
    dropped: tuple[int, ...] = ()  # arids set non-defining as outliers
    problems: tuple[ReadProblem, ...] = ()
    #: Why the depth is what it is: "depth phases", "local station", "S-P pairs",
    #: "uncertainty" (kept free), "free" (caller asked), "caller" (fixed by the caller),
    #: "unresolved", "too few data" or "not converged" (fixed at the fallback depth).
    depth_basis: str = ""
    #: The depth-resolution counts of the free solution (None when depth was never free).
    resolution: DepthResolution | None = None


# ------------------------------------------------------------------------ helpers


@lru_cache(maxsize=8)
def _quantiles(conf: float, k_dof: float, nu: int) -> tuple[float, float]:
    """Scale factors of 1-D and 2-D confidence regions: sqrt(χ²) or sqrt(d·F)."""
    from scipy import stats

    if math.isinf(k_dof):
        return math.sqrt(stats.chi2.ppf(conf, 1)), math.sqrt(stats.chi2.ppf(conf, 2))
    nu = max(nu, 1)
    return math.sqrt(stats.f.ppf(conf, 1, nu)), math.sqrt(2 * stats.f.ppf(conf, 2, nu))


@lru_cache(maxsize=4)
def _fibonacci_grid(spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Near-uniform global nodes (geocentric lat, lon in °) about ``spacing`` ° apart."""
    n = max(int(4 * math.pi / math.radians(spacing) ** 2), 20)
    k = np.arange(n) + 0.5
    lat = np.degrees(np.arcsin(1 - 2 * k / n))
    lon = (np.degrees(np.pi * (1 + 5**0.5) * k) + 180.0) % 360.0 - 180.0
    return lat, lon


@lru_cache(maxsize=4)
def _local_offsets(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distances and azimuths of a (2n+1)² unit square grid around a point."""
    u = np.arange(-n, n + 1, dtype=float)
    dx, dy = np.meshgrid(u, u)
    return np.hypot(dx, dy).ravel(), np.degrees(np.arctan2(dx, dy)).ravel()


_ME_CACHE: dict[tuple[int, tuple[str, ...]], tuple[ModelErrors, np.ndarray]] = {}


def _me_table(cfg: ModelErrors, names: tuple[str, ...]) -> np.ndarray:
    """The packed model-error table of ``cfg`` (kept per object: configs are immutable)."""
    key = (id(cfg), names)
    hit = _ME_CACHE.get(key)
    if hit is None or hit[0] is not cfg:
        if len(_ME_CACHE) > 64:
            _ME_CACHE.clear()
        hit = _ME_CACHE[key] = (cfg, cfg.table(names))
    return hit[1]


@lru_cache(maxsize=8)
def _ellipticity(model: str, on: bool) -> EllipticityTable:
    return ellipticity_table(model) if on else zero_table(model)


def _geographic(lat_c: float) -> float:
    """Geographic latitude (°) of a geocentric latitude (°)."""
    return math.degrees(math.atan(math.tan(math.radians(lat_c)) / (1.0 - WGS84_F) ** 2))


def _gap(esaz: np.ndarray) -> float:
    """Largest azimuthal gap (°) between source-to-station azimuths."""
    if esaz.size == 0:
        return 360.0
    a = np.sort(np.unique(np.round(esaz % 360.0, 6)))
    return float(np.max(np.diff(np.append(a, a[0] + 360.0))))


@dataclass
class _Problem:
    """The arrays of one location problem, as the kernels take them."""

    obs: Observations
    codes: np.ndarray
    use_t: np.ndarray
    use_a: np.ndarray
    use_s: np.ndarray
    t_ref: float
    sig_t: np.ndarray  # measurement part only
    sig_a: np.ndarray
    sig_s: np.ndarray
    rlat: np.ndarray
    rlon: np.ndarray
    elev: np.ndarray

    def args(self) -> tuple:
        return (
            self.rlat, self.rlon, self.elev, self.codes, self.use_t, self.use_a, self.use_s,
            self.obs.time - self.t_ref, self.sig_t, np.nan_to_num(self.obs.azimuth),
            self.sig_a, np.nan_to_num(self.obs.slow), self.sig_s,
        )  # fmt: skip

    @property
    def ndata(self) -> int:
        return int(self.use_t.sum() + self.use_a.sum() + self.use_s.sum())


def _problem(obs: Observations, pt: PhaseTables, cfg: LocatorConfig) -> tuple[_Problem, list[str]]:
    notes: list[str] = []
    codes = pt.codes_of(obs.phase)
    unknown = (codes < 0) & (obs.timedef | obs.slodef)
    for i in np.flatnonzero(unknown):
        notes.append(f"phase {obs.phase[i]!r} at {obs.sta[i]} cannot be predicted: not defining")
    use_t = obs.timedef & (codes >= 0) & np.isfinite(obs.time)
    use_a = obs.azdef & np.isfinite(obs.azimuth)
    use_s = obs.slodef & (codes >= 0) & np.isfinite(obs.slow) & (obs.slow >= 0)
    me = cfg.model_errors
    sig_t = np.where(obs.deltim > 0, obs.deltim, cfg.default_deltim)
    delaz = np.where(obs.delaz > 0, obs.delaz, cfg.default_delaz)
    delslo = np.where(obs.delslo > 0, obs.delslo, cfg.default_delslo)
    t = obs.time[use_t]
    t_ref = float(math.floor(t.min())) if t.size else 0.0
    elev = obs.elev if cfg.elevation_correction else np.zeros(len(obs))
    return (
        _Problem(
            obs=obs,
            codes=codes,
            use_t=use_t,
            use_a=use_a,
            use_s=use_s,
            t_ref=t_ref,
            sig_t=sig_t,
            sig_a=np.sqrt(delaz**2 + me.azimuth**2),
            sig_s=np.sqrt(delslo**2 + me.slowness**2),
            rlat=np.radians(geocentric_latitude(obs.lat)),
            rlon=np.radians(obs.lon),
            elev=np.nan_to_num(elev),
        ),
        notes,
    )


#: Distances (°) of extra grid nodes around the first stations and along measured
#: back azimuths: sparse regional events (one array: azimuth + Pg/Lg) lie between the
#: coarse global nodes.
RING_DISTANCES = np.array([0.2, 0.5, 1.0, 2.0, 3.5, 6.0, 10.0])
RAY_DISTANCES = np.geomspace(0.1, 170.0, 48)
RING_AZIMUTHS = np.arange(0.0, 360.0, 30.0)


def _station_nodes(p: _Problem, n_stations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on rings around the earliest stations and along their measured azimuths."""
    used = p.use_t | p.use_a | p.use_s
    order = np.argsort(np.where(p.use_t, p.obs.time, np.inf))
    seen: dict[str, None] = {}
    for i in order:
        if used[i]:
            seen.setdefault(str(p.obs.sta[i]), None)
        if len(seen) >= n_stations:
            break
    lats, lons, dists, azs = [], [], [], []
    for sta in seen:
        i = int(np.flatnonzero(p.obs.sta == sta)[0])
        d, a = np.meshgrid(RING_DISTANCES, RING_AZIMUTHS)
        lats.append(np.full(d.size, p.obs.lat[i]))
        lons.append(np.full(d.size, p.obs.lon[i]))
        dists.append(d.ravel())
        azs.append(a.ravel())
    for i in np.flatnonzero(p.use_a)[:n_stations]:
        lats.append(np.full(RAY_DISTANCES.size, p.obs.lat[i]))
        lons.append(np.full(RAY_DISTANCES.size, p.obs.lon[i]))
        dists.append(RAY_DISTANCES)
        azs.append(np.full(RAY_DISTANCES.size, p.obs.azimuth[i]))
    if not lats:
        return np.empty(0), np.empty(0)
    la, lo = destination(
        np.concatenate(lats), np.concatenate(lons), np.concatenate(dists), np.concatenate(azs)
    )
    return np.asarray(geocentric_latitude(la)), np.asarray(lo)


#: Distance step (°) of the per-depth tables the grid search interpolates.
GRID_TABLE_STEP = 0.1


@lru_cache(maxsize=64)
def _depth_tables(model: str, depth: float) -> tuple[np.ndarray, np.ndarray]:
    pt = phase_tables(model)
    return kernels.depth_tables(depth, GRID_TABLE_STEP, len(pt.names), pt.kernel_args())


def _grid_start(
    p: _Problem, model: str, me: np.ndarray, depths: Sequence[float], cfg: LocatorConfig
) -> list[np.ndarray]:
    """Up to ``n_starts`` starting hypocentres from a global then two local grids."""
    args = p.args()
    step = GRID_TABLE_STEP

    def grid(lat: np.ndarray, lon: np.ndarray, h: float) -> tuple[np.ndarray, np.ndarray]:
        tt, pp = _depth_tables(model, round(float(h), 1))
        return kernels.grid_misfit(lat, lon, tt, pp, step, args, me)

    glat, glon = _fibonacci_grid(cfg.grid_spacing)
    slat, slon = _station_nodes(p)
    glat, glon = np.concatenate([glat, slat]), np.concatenate([glon, slon])
    mis, t0 = grid(glat, glon, float(depths[0]))
    order = np.argsort(mis)
    picks: list[int] = []
    for k in order[:200]:
        if all(
            distance_azimuth(glat[k], glon[k], glat[j], glon[j], geocentric=False)[0]
            > 3 * cfg.grid_spacing
            for j in picks
        ):
            picks.append(int(k))
        if len(picks) >= cfg.n_starts:
            break
    starts = []
    for k in picks:
        lat, lon, depth = glat[k], glon[k], float(depths[0])
        best_t = t0[k]
        for step, levels in ((cfg.grid_spacing / 5.0, depths), (cfg.grid_spacing / 25.0, None)):
            dist, az = _local_offsets(5)
            llat, llon = destination(lat, lon, dist * step, az)
            best = (np.inf, lat, lon, depth, best_t)
            for h in levels if levels is not None else (depth,):
                m, tt = grid(llat, llon, float(h))
                i = int(np.argmin(m))
                if m[i] < best[0]:
                    best = (m[i], float(llat[i]), float(llon[i]), float(h), tt[i])
            _, lat, lon, depth, best_t = best
        starts.append(np.array([lat, lon, depth, best_t]))
    return starts


# ------------------------------------------------------------------------ the locator


def locate(
    observations: Observations | tuple[Iterable[Arrival], Iterable[Assoc]],
    stations: Stations | None = None,
    *,
    start: Origin | Sequence[float] | None = None,
    depth: float | str | None = None,
    config: LocatorConfig | None = None,
    orid: int = -1,
    evid: int = -1,
    auth: str = ALGORITHM,
) -> Location:
    """Locate one event from its observations.

    ``observations``: :class:`Observations`, or ``(arrivals, assocs)`` CSS3.0 rows with
    ``stations`` (a Network or ``{sta: (lat, lon, elev_km)}``); unknown stations are
    dropped and reported in ``Location.problems``. ``start``: a nearby hypothesis
    (an Origin, or ``(lat, lon, depth_km, epoch_time)``) instead of the grid search.
    ``depth``: None (free where resolved, see :mod:`testban.locate.depth`, else fixed at
    ``fallback_depth``), "free" (free whenever it converges, no resolution rule),
    "surface" (0 km) or a fixed depth in km; ``Location.depth_basis`` says why. Raises
    :class:`LocateError` when the defining data cannot determine a location.
    """
    cfg = config or LocatorConfig()
    problems: list[ReadProblem] = []
    if not isinstance(observations, Observations):
        if stations is None:
            raise ValueError("stations are needed to locate from arrival/assoc rows")
        arrivals, assocs = observations
        observations, got = Observations.from_records(arrivals, list(assocs), stations)
        problems.extend(got)
    if cfg.time_corrections:
        observations = observations.with_time_corrections(cfg.time_corrections, cfg.default_deltim)
    pt = phase_tables(cfg.model)
    tab = pt.kernel_args()
    me = _me_table(cfg.model_errors, pt.names)
    ell = _ellipticity(cfg.model, cfg.ellipticity_correction).kernel_args()
    p, notes = _problem(observations, pt, cfg)
    where = f"orid {orid}" if orid != -1 else ""
    problems.extend(ReadProblem("", n, where, severity="warning") for n in notes)

    fixed_depth: float | None = None
    if depth is not None and depth != "free":
        fixed_depth = 0.0 if depth == "surface" else float(depth)
    user_fixed = fixed_depth is not None
    basis = "caller" if user_fixed else ("free" if depth == "free" else "")
    nt, nd = int(p.use_t.sum()), p.ndata
    if nt == 0:
        raise LocateError(f"{where or 'event'}: no defining arrival time, origin time undetermined")
    if nd < 3:
        raise LocateError(
            f"{where or 'event'}: {nd} defining observation(s) (time, azimuth, slowness); "
            "at least 3 are needed for an epicentre and origin time"
        )
    if fixed_depth is None and nd < 4:
        fixed_depth = cfg.fallback_depth  # too few data for a free depth
        basis = "too few data"

    args = p.args()
    lo, hi = cfg.depth_min, cfg.depth_max
    if start is not None:
        s = (start.lat, start.lon, start.depth, start.time) if isinstance(start, Origin) else start
        h0 = fixed_depth if fixed_depth is not None else min(max(float(s[2]), lo), hi)
        starts = [
            np.array([float(geocentric_latitude(s[0])), float(s[1]), h0, float(s[3]) - p.t_ref])
        ]
    else:
        depths = (fixed_depth,) if fixed_depth is not None else (0.0, 100.0, 300.0, 600.0)
        starts = _grid_start(p, cfg.model, me, depths, cfg)

    def run(x0: np.ndarray, fix: bool) -> tuple:
        return kernels.solve(
            x0, fix, lo, hi, cfg.max_iter, cfg.max_step_km, args, tab, me, ell,
            cfg.correlation_range_km,
        )  # fmt: skip

    best = None
    for x0 in starts:
        if fixed_depth is not None:
            x0 = x0.copy()
            x0[2] = fixed_depth
            sol = run(x0, True)
        else:
            sol = run(x0, True)  # epicentre first at the start depth, then depth free
            sol = run(sol[0], False)
        if best is None or sol[1] < best[1]:
            best = sol
    assert best is not None
    fix = fixed_depth is not None
    resolution: DepthResolution | None = None

    def judge(sol: tuple) -> tuple[str, DepthResolution | None]:
        """Why a free solution may keep its depth ("" if not): convergence, then the rule."""
        if not sol[4]:
            return "not converged", None
        cov, rank = kernels.covariance(sol[6], False)
        res = _resolution(p, pt, cfg, sol, cov if rank == 4 else None, nd)
        if depth == "free":
            return "free", res
        return res.basis or "unresolved", res

    def fix_at_fallback(sol: tuple) -> tuple:
        x0 = sol[0].copy()
        x0[2] = cfg.fallback_depth
        return run(x0, True)

    if not fix:
        basis, resolution = judge(best)
        if basis in ("not converged", "unresolved"):
            best, fix, fixed_depth = fix_at_fallback(best), True, cfg.fallback_depth

    # Outliers: set the worst datum non-defining while it exceeds outlier_sigma.
    dropped: list[int] = []
    if cfg.outlier_sigma > 0:
        nparam = 3 if fix else 4
        max_drop = int(cfg.max_outlier_fraction * nd)
        nobs = len(p.obs)
        r_ind, j_ind = np.zeros(3 * nobs), np.zeros((3 * nobs, 4))
        while len(dropped) < max_drop and p.ndata - 1 > nparam:
            # judged on each datum's own normalised residual (not the whitened mixture)
            kernels.residuals(best[0], fix, args, tab, me, ell, np.zeros((0, 0)), r_ind, j_ind,
                              False)  # fmt: skip
            r = np.abs(r_ind)
            k = int(np.argmax(r))
            if r[k] <= cfg.outlier_sigma:
                break
            i, kind = divmod(k, 3)
            if kind == 0:
                p.use_t = p.use_t.copy()
                p.use_t[i] = False
                if p.use_t.sum() == 0:
                    break
            elif kind == 1:
                p.use_a = p.use_a.copy()
                p.use_a[i] = False
            else:
                p.use_s = p.use_s.copy()
                p.use_s[i] = False
            dropped.append(int(p.obs.arid[i]))
            args = p.args()
            best = run(best[0], fix)
        if dropped and not fix:  # the dropped data may have been what resolved the depth
            basis, resolution = judge(best)
            if basis in ("not converged", "unresolved"):
                best, fix = fix_at_fallback(best), True
    return _result(
        p, pt, cfg, best, fix, user_fixed, dropped, problems, orid, evid, auth, ell,
        basis, resolution,
    )  # fmt: skip


def _resolution(
    p: _Problem, pt: PhaseTables, cfg: LocatorConfig, sol: tuple, cov: np.ndarray | None, nd: int
) -> DepthResolution:
    """The depth-resolution rule applied to the defining data of a free solution.

    ``cov`` is None when JᵀJ is rank-deficient: then depth is undetermined (a depth column
    that is zero or proportional to the time column, e.g. Pn alone), its interval infinite,
    not the small number a pseudo-inverse gives.
    """
    x = sol[0]
    lat = _geographic(float(x[0]))
    delta, _, _ = distance_azimuth(lat, float(x[1]), p.obs.lat, p.obs.lon)
    names = np.array([pt.names[c] if c >= 0 else "" for c in p.codes], dtype=object)
    k = cfg.k_dof
    s2 = (
        cfg.prior_sigma**2
        if math.isinf(k)
        else (k * cfg.prior_sigma**2 + sol[1]) / max(k + nd - 4, 1e-3)
    )
    q1 = _quantiles(cfg.conf, k, int(k + nd - 4) if not math.isinf(k) else 0)[0]
    var = float(cov[2, 2]) * s2 if cov is not None else math.inf
    sdepth = math.sqrt(var) * q1 if var > 0 else math.inf
    ratio = vp_ratio(cfg.model, float(x[2]))
    return depth_resolution(
        p.obs.sta, names, np.atleast_1d(delta), p.use_t, sdepth, cfg.depth_rule, ratio
    )


def _result(
    p: _Problem,
    pt: PhaseTables,
    cfg: LocatorConfig,
    sol: tuple,
    fix: bool,
    user_fixed: bool,
    dropped: list[int],
    problems: list[ReadProblem],
    orid: int,
    evid: int,
    auth: str,
    ell: tuple,
    basis: str = "",
    resolution: DepthResolution | None = None,
) -> Location:
    """CSS3.0 rows, ellipse and network figures of a converged solution."""
    x, mis, _nbad, niter, converged, _r, jac, _wt = sol
    obs = p.obs
    nd = p.ndata
    m = 3 if fix else 4
    cov, _rank = kernels.covariance(jac, fix)
    k = cfg.k_dof
    if math.isinf(k):
        s2 = cfg.prior_sigma**2
    else:
        s2 = (k * cfg.prior_sigma**2 + mis) / max(k + nd - m, 1e-3)
    cov = cov * s2
    q1, q2 = _quantiles(cfg.conf, k, int(k + nd - m) if not math.isinf(k) else 0)
    sxx, syy, sxy = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    w, v = np.linalg.eigh(np.array([[sxx, sxy], [sxy, syy]]))
    smajax = math.sqrt(max(w[1], 0.0)) * q2
    sminax = math.sqrt(max(w[0], 0.0)) * q2
    strike = math.degrees(math.atan2(v[0, 1], v[1, 1])) % 180.0
    sdobs = math.sqrt(mis / (nd - m)) if nd > m else -1.0
    lat = _geographic(float(x[0]))
    t0 = float(x[3]) + p.t_ref
    depth = float(x[2])

    # Residuals of every associated arrival (defining or not) at the solution.
    delta, esaz, seaz = distance_azimuth(lat, x[1], obs.lat, obs.lon)
    hh = np.full(len(obs), depth)
    tt, slow, _g, _pd, _ph = kernels.predict_many(p.codes, delta, hh, *pt.kernel_args())
    tel = np.zeros(len(obs))
    if cfg.elevation_correction:
        v_s = pt.vsurf[np.maximum(p.codes, 0)]
        pk = slow / kernels.KM_PER_DEG
        with np.errstate(invalid="ignore", divide="ignore"):
            tel = np.where(v_s > 0, p.elev * np.sqrt(np.clip(1 / v_s**2 - pk**2, 0, None)), 0.0)
    ellc = kernels.ellipticity_many(
        p.codes, delta, hh, math.radians(float(x[0])), np.radians(esaz), ell
    )
    timeres = obs.time - t0 - tt - tel - ellc
    azres = (obs.azimuth - seaz + 180.0) % 360.0 - 180.0
    slores = obs.slow - slow
    me = _me_table(cfg.model_errors, pt.names)
    sig_model = kernels.model_errors_many(me, p.codes, delta)
    wgt = 1.0 / np.sqrt(p.sig_t**2 + sig_model**2)
    vmodel = cfg.vmodel or cfg.model
    assocs = []
    for i in range(len(obs)):
        assocs.append(
            Assoc(
                arid=int(obs.arid[i]),
                orid=orid,
                sta=str(obs.sta[i]),
                phase=str(obs.phase[i]),
                delta=float(delta[i]),
                seaz=float(seaz[i]),
                esaz=float(esaz[i]),
                timeres=float(timeres[i]) if np.isfinite(timeres[i]) else -999.0,
                timedef="d" if p.use_t[i] else "n",
                azres=float(azres[i]) if np.isfinite(azres[i]) else -999.0,
                azdef="d" if p.use_a[i] else "n",
                slores=float(slores[i]) if np.isfinite(slores[i]) else -999.0,
                slodef="d" if p.use_s[i] else "n",
                wgt=float(wgt[i]) if p.use_t[i] else -1.0,
                vmodel=vmodel,
            )
        )
    defining = p.use_t | p.use_a | p.use_s
    depth_codes = [pt.codes[n] for n in DEPTH_PHASES]
    ndp = int(np.sum(p.use_t & np.isin(p.codes, depth_codes)))
    # CSS3.0: g restrained by the geophysicist (the caller), r by the location program,
    # d from depth phases, f free.
    by_phases = basis == "depth phases" or (basis == "free" and ndp > 0)
    dtype = ("g" if user_fixed else "r") if fix else ("d" if by_phases else "f")
    origin = Origin(
        lat=lat,
        lon=float(x[1]),
        depth=depth,
        time=t0,
        orid=orid,
        evid=evid,
        jdate=jdate(t0),
        nass=len(obs),
        ndef=int(p.use_t.sum()),
        ndp=ndp,
        dtype=dtype,
        algorithm=ALGORITHM,
        auth=auth,
    )
    na = -1.0
    c = [[float(v) for v in row] for row in cov]
    origerr = Origerr(
        orid=orid,
        sxx=c[0][0],
        syy=c[1][1],
        szz=na if fix else c[2][2],
        stt=c[3][3],
        sxy=c[0][1],
        sxz=na if fix else c[0][2],
        syz=na if fix else c[1][2],
        stx=c[3][0],
        sty=c[3][1],
        stz=na if fix else c[3][2],
        sdobs=sdobs,
        smajax=smajax,
        sminax=sminax,
        strike=strike,
        sdepth=na if fix else math.sqrt(max(cov[2, 2], 0.0)) * q1,
        stime=math.sqrt(max(cov[3, 3], 0.0)) * q1,
        conf=cfg.conf,
    )
    d_def = delta[defining]
    return Location(
        origin=origin,
        origerr=origerr,
        assocs=assocs,
        gap=_gap(esaz[defining]),
        mdist=float(d_def.min()) if d_def.size else -1.0,
        Mdist=float(d_def.max()) if d_def.size else -1.0,
        covariance=cov,
        misfit=float(mis),
        ndata=nd,
        converged=bool(converged),
        iterations=int(niter),
        depth_fixed=fix,
        dropped=tuple(dropped),
        problems=tuple(problems),
        depth_basis=basis,
        resolution=resolution,
    )

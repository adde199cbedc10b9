"""Bayesian infrasonic source location (BISL) on a grid, alone or joint with seismic times.

Method (Modrak, Arrowsmith & Anderson 2010, GJI 181, 399–405; Blom, Marcillo &
Arrowsmith 2015, GJI 203, 1682–1693): the posterior of epicentre x and origin time t0
given array detections i (arrival time tᵢ, back azimuth βᵢ) is

    p(x, t0 | d) ∝ Πᵢ p(βᵢ | x) · p(tᵢ | x, t0),

with a flat prior on x and t0. The azimuth term is Gaussian in the wrapped residual
βᵢ − β(x), σ² = ``delaz``² + σ_dev² (winds deflect a ray by a few degrees: σ_dev = 3°).
The time term comes from the celerity prior: the celerity c = rᵢ/(tᵢ − t0) is drawn
from a mixture of the three ducts (tropospheric ~0.30–0.34, stratospheric ~0.28–0.31,
thermospheric ~0.22–0.27 km/s; each range is ±2σ of its Gaussian), so
p(tᵢ | x, t0) = p_c(rᵢ/τ) · rᵢ/τ² with τ = tᵢ − t0, the pick error widening each
component by c·σ_t/τ. The posterior is evaluated on an azimuthal-equidistant grid
(vectorised over nodes, detections and a per-node grid of origin times over which t0 is
integrated out), refined twice around its mass. Credibility regions are the highest-
posterior-density regions holding 90 % and 95 % of the mass; their outlines are returned
as polygons (lat, lon), their areas in km².

Joint seismo-acoustic location (:func:`locate_joint`) multiplies in the seismic travel-
time likelihood (first P or S of iasp91, σ² = ``deltim``² + the IDC model error). Its
t0 is sharp, so t0 is integrated analytically (Gaussian) and the acoustic terms are
taken at the seismic t0 of each node (Laplace's approximation).

Yield-scaled pressure (:func:`lanl_pressure`): the LANL wind-corrected relation
P_wca = 5.95·10⁴ (R/√W)^−1.41 Pa with R in km and W in kt (the same number as R in m and
W in kg) and P_wca = P·10^(−k·v_d), k = 0.018 s/m, v_d the stratospheric wind (m/s)
toward the receiver (Whitaker, Sandoval & Mutschlecner 2003, Proc. 25th Seismic
Research Review, LA-UR-03-6029; Mutschlecner & Whitaker 2005, JGR 110, D01108).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp
from scipy.stats import chi2

from testban.locate.model_errors import ModelErrors
from testban.network import Network
from testban.records.css30 import Arrival, Assoc, Origerr, Origin, jdate
from testban.records.earth import KM_PER_DEG
from testban.traveltime import P_TYPES, S_TYPES, destination, distance_azimuth, travel_times

__all__ = [
    "CELERITY_PRIOR",
    "AcousticObs",
    "BislConfig",
    "BislResult",
    "CelerityComponent",
    "SeismicObs",
    "acoustic_observations",
    "celerity_density",
    "lanl_pressure",
    "lanl_yield",
    "locate_bisl",
    "locate_joint",
]

ALGORITHM = "testban:bisl"


@dataclass(frozen=True)
class CelerityComponent:
    """One duct of the celerity prior: name, weight, mean and σ (km/s)."""

    name: str
    weight: float
    mean: float
    sigma: float


#: Celerity prior (km/s): the ranges of DESIGN.md as mean ± 2σ. Weights: stratospheric
#: returns are the most often observed at regional and global range, thermospheric ones
#: next (upwind and in the shadow zone), tropospheric ones least (near and downwind).
CELERITY_PRIOR: tuple[CelerityComponent, ...] = (
    CelerityComponent("tropo", 0.2, 0.32, 0.010),
    CelerityComponent("strat", 0.5, 0.295, 0.0075),
    CelerityComponent("thermo", 0.3, 0.245, 0.0125),
)


@dataclass(frozen=True)
class BislConfig:
    """BISL settings; physical values, the same for every data set."""

    #: Celerity prior (km/s), a mixture of the ducts.
    celerity: tuple[CelerityComponent, ...] = CELERITY_PRIOR
    #: Back-azimuth deviation by winds (°, one σ): "a few degrees" (DESIGN.md).
    azimuth_sigma: float = 3.0
    #: Back-azimuth measurement error when ``delaz`` is null (°): an array f-k azimuth.
    default_delaz: float = 2.0
    #: Arrival-time error when ``deltim`` is null (s): an F-detector window is ~10–30 s;
    #: the peak of F is within a few seconds of the onset.
    default_deltim: float = 5.0
    #: Largest source–array range considered (km): beyond ~5000 km few explosions are seen.
    max_range_km: float = 5000.0
    #: Grid nodes per side (count) of each grid; the posterior is refined ``n_refine``
    #: times around its 99.9 % region.
    n_grid: int = 121
    n_refine: int = 2
    #: Origin times per node over which t0 is integrated (count).
    n_time: int = 96
    #: Credibility levels of the contours (fractions).
    levels: tuple[float, ...] = (0.9, 0.95)
    #: Travel-time model of the seismic phases of a joint location.
    model: str = "iasp91"


@dataclass(frozen=True)
class AcousticObs:
    """Array detections of one event as columns."""

    sta: np.ndarray
    arid: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    time: np.ndarray  # epoch s
    baz: np.ndarray  # °, NaN when unmeasured
    delaz: np.ndarray  # ° (0: use the default)
    deltim: np.ndarray  # s (0: use the default)
    phase: np.ndarray  # "I", "H" or "T"

    def __len__(self) -> int:
        return int(self.time.size)


@dataclass(frozen=True)
class SeismicObs:
    """Seismic times of one event for a joint location (phase names of the IDC)."""

    sta: np.ndarray
    arid: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    time: np.ndarray
    deltim: np.ndarray
    phase: np.ndarray

    def __len__(self) -> int:
        return int(self.time.size)


Stations = Network | Mapping[str, tuple[float, float, float | None]]


def _coords(stations: Stations, sta: str) -> tuple[float, float] | None:
    if sta not in stations:
        return None
    if isinstance(stations, Network):
        lat, lon, _ = stations.coordinates(sta)
    else:
        lat, lon = stations[sta][0], stations[sta][1]
    return float(lat), float(lon)


def acoustic_observations(arrivals: Iterable[Arrival], stations: Stations) -> AcousticObs:
    """Columns of acoustic arrivals whose station position is known (others dropped)."""
    rows = [(a, c) for a in arrivals if (c := _coords(stations, a.sta)) is not None]

    def arr(values: list, dtype: type = float) -> np.ndarray:
        return np.asarray(values, dtype=dtype)

    return AcousticObs(
        sta=arr([a.sta for a, _ in rows], object),
        arid=arr([a.arid for a, _ in rows], int),
        lat=arr([c[0] for _, c in rows]),
        lon=arr([c[1] for _, c in rows]),
        time=arr([a.time for a, _ in rows]),
        baz=arr([a.azimuth if a.azimuth >= 0 else np.nan for a, _ in rows]),
        delaz=arr([max(a.delaz, 0.0) for a, _ in rows]),
        deltim=arr([max(a.deltim, 0.0) for a, _ in rows]),
        phase=arr([a.iphase if a.iphase in ("I", "H", "T") else "I" for a, _ in rows], object),
    )


def seismic_observations(
    arrivals: Iterable[Arrival], stations: Stations, phases: Mapping[int, str] | None = None
) -> SeismicObs:
    """Columns of seismic arrivals (phase from ``phases[arid]``, else ``iphase``)."""
    rows = [(a, c) for a in arrivals if (c := _coords(stations, a.sta)) is not None]
    ph = phases or {}
    return SeismicObs(
        sta=np.asarray([a.sta for a, _ in rows], object),
        arid=np.asarray([a.arid for a, _ in rows], int),
        lat=np.asarray([c[0] for _, c in rows], float),
        lon=np.asarray([c[1] for _, c in rows], float),
        time=np.asarray([a.time for a, _ in rows], float),
        deltim=np.asarray([max(a.deltim, 0.0) for a, _ in rows], float),
        phase=np.asarray([ph.get(a.arid, a.iphase) for a, _ in rows], object),
    )


# ----------------------------------------------------------------------------- likelihood


def celerity_density(c: np.ndarray, prior: Sequence[CelerityComponent] = CELERITY_PRIOR,
                     extra_sigma: np.ndarray | float = 0.0) -> np.ndarray:  # fmt: skip
    """log p(c) of the mixture (km/s in), each σ widened by ``extra_sigma`` in quadrature."""
    terms = []
    for k in prior:
        s2 = k.sigma**2 + np.asarray(extra_sigma) ** 2
        terms.append(
            math.log(k.weight) - 0.5 * (c - k.mean) ** 2 / s2 - 0.5 * np.log(2 * np.pi * s2)
        )
    return logsumexp(np.stack(terms), axis=0)


def _support(prior: Sequence[CelerityComponent]) -> tuple[float, float]:
    lo = min(k.mean - 4 * k.sigma for k in prior)
    hi = max(k.mean + 4 * k.sigma for k in prior)
    return max(lo, 0.05), hi


def _geometry(lat: np.ndarray, lon: np.ndarray, obs: AcousticObs | SeismicObs):
    """Distance (km, °) and back azimuth (station → node) of every node and station."""
    d, _, baz = distance_azimuth(lat[:, None], lon[:, None], obs.lat[None], obs.lon[None],
                                 geocentric=False)  # fmt: skip
    return d * KM_PER_DEG, d, baz


def _acoustic_az(baz: np.ndarray, obs: AcousticObs, cfg: BislConfig) -> np.ndarray:
    """Σ over detections of log p(β | node), shape (nodes,)."""
    ok = np.isfinite(obs.baz)
    if not ok.any():
        return np.zeros(baz.shape[0])
    sig = np.hypot(np.where(obs.delaz > 0, obs.delaz, cfg.default_delaz), cfg.azimuth_sigma)
    r = (obs.baz[None] - baz + 540.0) % 360.0 - 180.0
    ll = -0.5 * (r / sig) ** 2 - np.log(sig * math.sqrt(2 * math.pi))
    return np.where(ok[None], ll, 0.0).sum(axis=1)


def _time_ll(r_km: np.ndarray, tau: np.ndarray, obs: AcousticObs, cfg: BislConfig) -> np.ndarray:
    """log p(tᵢ | node, t0) of each detection; ``tau`` = tᵢ − t0 (s), broadcasting."""
    sig_t = np.where(obs.deltim > 0, obs.deltim, cfg.default_deltim)
    tpos = np.maximum(tau, 1e-3)
    c = r_km / tpos
    hydro = np.asarray(obs.phase == "H") | np.asarray(obs.phase == "T")
    ll = celerity_density(c, cfg.celerity, c * sig_t / tpos)
    if hydro.any():
        # H/T phases travel in the SOFAR channel at 1.46–1.50 km/s (Munk 1974 minimum of
        # sound speed): one Gaussian 1.48 ± 0.01 km/s.
        s2 = 0.01**2 + (c * sig_t / tpos) ** 2
        hl = -0.5 * (c - 1.48) ** 2 / s2 - 0.5 * np.log(2 * np.pi * s2)
        ll = np.where(hydro, hl, ll)
    ll = ll + np.log(np.maximum(r_km, 1e-3) / tpos**2)
    return np.where(tau > 0, ll, -1e6)


def _acoustic_time_marginal(r_km: np.ndarray, obs: AcousticObs, cfg: BislConfig):
    """log ∫ Πᵢ p(tᵢ | node, t0) dt0 per node, with E[t0] and Var[t0] per node."""
    c_lo, c_hi = _support(cfg.celerity)
    hydro = (obs.phase == "H") | (obs.phase == "T")
    lo_c = np.where(hydro, 1.44, c_lo)
    hi_c = np.where(hydro, 1.52, c_hi)
    sig_t = np.where(obs.deltim > 0, obs.deltim, cfg.default_deltim)
    a = obs.time[None] - r_km / lo_c - 3 * sig_t  # earliest t0 each detection allows
    b = obs.time[None] - r_km / hi_c + 3 * sig_t  # latest
    lo, hi = a.max(axis=1), b.min(axis=1)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    hi = np.minimum(hi, obs.time.min() - 1e-3)
    lo = np.minimum(lo, hi - 1.0)
    u = np.linspace(0.0, 1.0, cfg.n_time)
    t0 = lo[:, None] + (hi - lo)[:, None] * u[None]  # (N, M)
    tau = obs.time[None, None, :] - t0[:, :, None]  # (N, M, D)
    ll = _time_ll(r_km[:, None, :], tau, obs, cfg).sum(axis=2)  # (N, M)
    dt = (hi - lo) / (cfg.n_time - 1)
    m = ll.max(axis=1, keepdims=True)
    w = np.exp(ll - m)
    w[:, [0, -1]] *= 0.5
    z = w.sum(axis=1)
    logz = np.log(np.maximum(z * dt, 1e-300)) + m[:, 0]
    mean = (w * t0).sum(axis=1) / z
    var = (w * (t0 - mean[:, None]) ** 2).sum(axis=1) / z
    return logz, mean, var


def _seismic_terms(lat, lon, sobs: SeismicObs, cfg: BislConfig):
    """Seismic log-likelihood marginalised over t0 (Gaussian), t0 mean and variance."""
    _, deg, _ = _geometry(lat, lon, sobs)
    tt = travel_times(cfg.model)
    me = ModelErrors()
    pred = np.full(deg.shape, np.nan)
    sig = np.zeros(deg.shape)
    for j, ph in enumerate(sobs.phase):
        fam = S_TYPES if (ph in S_TYPES or str(ph).startswith("S") or ph == "Lg") else P_TYPES
        if ph in fam:
            p = tt.predict(ph, deg[:, j], 0.0).time
            if np.all(np.isnan(p)):
                p = tt.first_arrival(deg[:, j], 0.0, fam)[0].time
        else:
            p = tt.first_arrival(deg[:, j], 0.0, fam)[0].time
        pred[:, j] = p
        name = ph if ph in me.time else fam[0]
        sig[:, j] = np.hypot(me.time_error(name, deg[:, j]), sobs.deltim[j] if sobs.deltim[j] > 0
                             else 1.0)  # fmt: skip
    w = np.where(np.isfinite(pred), 1.0 / sig**2, 0.0)
    res = np.where(np.isfinite(pred), sobs.time[None] - pred, 0.0)
    sw = np.maximum(w.sum(axis=1), 1e-12)
    t0 = (w * res).sum(axis=1) / sw
    chi = (w * (res - t0[:, None]) ** 2).sum(axis=1)
    norm = (np.where(w > 0, -0.5 * np.log(2 * np.pi / np.maximum(w, 1e-300)), 0.0)).sum(axis=1)
    missing = (~np.isfinite(pred)).sum(axis=1) * 50.0  # a phase that cannot exist there
    ll = -0.5 * chi + norm + 0.5 * np.log(2 * np.pi / sw) - missing
    return ll, t0, 1.0 / sw


# ----------------------------------------------------------------------------- grid


@dataclass
class BislResult:
    """A located posterior: MAP and mean, origin time, credibility regions."""

    lat: float  # MAP epicentre (°)
    lon: float
    time: float  # origin time at the MAP node (epoch s)
    lat_mean: float
    lon_mean: float
    time_mean: float
    time_sigma: float  # s
    cov_km: np.ndarray  # 2×2 east/north covariance (km²) about the mean
    centre: tuple[float, float]  # grid centre (lat, lon)
    x: np.ndarray  # grid east (km) of the final grid
    y: np.ndarray  # grid north (km)
    prob: np.ndarray  # probability per cell, shape (len(y), len(x)), sums to 1
    thresholds: dict[float, float] = field(default_factory=dict)
    polygons: dict[float, list[np.ndarray]] = field(default_factory=dict)  # (n, 2) lat, lon
    area_km2: dict[float, float] = field(default_factory=dict)
    n_acoustic: int = 0
    n_seismic: int = 0

    def _xy(self, lat: float, lon: float) -> tuple[float, float]:
        d, az, _ = distance_azimuth(self.centre[0], self.centre[1], lat, lon, geocentric=False)
        r = float(d) * KM_PER_DEG
        return r * math.sin(math.radians(float(az))), r * math.cos(math.radians(float(az)))

    def density_at(self, lat: float, lon: float) -> float:
        """Posterior probability per cell at a point (bilinear); 0 outside the grid."""
        x, y = self._xy(lat, lon)
        if not (self.x[0] <= x <= self.x[-1] and self.y[0] <= y <= self.y[-1]):
            return 0.0
        i = min(int(np.searchsorted(self.x, x)) - 1, self.x.size - 2)
        j = min(int(np.searchsorted(self.y, y)) - 1, self.y.size - 2)
        i, j = max(i, 0), max(j, 0)
        fx = (x - self.x[i]) / (self.x[i + 1] - self.x[i])
        fy = (y - self.y[j]) / (self.y[j + 1] - self.y[j])
        p = self.prob
        return float((1 - fx) * (1 - fy) * p[j, i] + fx * (1 - fy) * p[j, i + 1]
                     + (1 - fx) * fy * p[j + 1, i] + fx * fy * p[j + 1, i + 1])  # fmt: skip

    def contains(self, lat: float, lon: float, level: float = 0.9) -> bool:
        """Whether a point lies inside the ``level`` credibility region."""
        return self.density_at(lat, lon) >= self.thresholds[level]

    def ellipse(self, conf: float = 0.9) -> tuple[float, float, float]:
        """Semi-axes (km) and strike (° from north) of the Gaussian ``conf`` ellipse."""
        vals, vecs = np.linalg.eigh(self.cov_km)
        k = math.sqrt(chi2.ppf(conf, 2))
        major = vecs[:, 1]
        strike = math.degrees(math.atan2(major[0], major[1])) % 180.0
        return k * math.sqrt(max(vals[1], 0.0)), k * math.sqrt(max(vals[0], 0.0)), strike


def _nodes(centre: tuple[float, float], x: np.ndarray, y: np.ndarray):
    xx, yy = np.meshgrid(x, y)
    r = np.hypot(xx, yy).ravel() / KM_PER_DEG
    az = np.degrees(np.arctan2(xx, yy)).ravel()
    lat, lon = destination(centre[0], centre[1], r, az)
    return np.asarray(lat, float), np.asarray(lon, float)


def _crossings(obs: AcousticObs, max_km: float) -> np.ndarray:
    """(lat, lon) where pairs of back-azimuth great circles from different arrays cross
    ahead of both arrays within ``max_km``."""

    def unit(lat, lon):
        la, lo = np.radians(lat), np.radians(lon)
        return np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    out = []
    ok = np.flatnonzero(np.isfinite(obs.baz))
    for a in range(ok.size):
        for b in range(a + 1, ok.size):
            i, j = ok[a], ok[b]
            if obs.sta[i] == obs.sta[j]:
                continue
            pts = []
            for k in (i, j):
                p2 = destination(obs.lat[k], obs.lon[k], 10.0, obs.baz[k])
                pts.append(np.cross(unit(obs.lat[k], obs.lon[k]), unit(*p2)))
            v = np.cross(pts[0], pts[1])
            n = np.linalg.norm(v)
            if n < 1e-9:
                continue
            for s in (1.0, -1.0):
                q = s * v / n
                qlat, qlon = math.degrees(math.asin(q[2])), math.degrees(math.atan2(q[1], q[0]))
                d, az, _ = distance_azimuth(obs.lat[[i, j]], obs.lon[[i, j]], qlat, qlon,
                                            geocentric=False)  # fmt: skip
                dev = (az - obs.baz[[i, j]] + 540.0) % 360.0 - 180.0
                if np.all(np.abs(dev) < 90) and np.all(d * KM_PER_DEG < max_km):
                    out.append((qlat, qlon))
    return np.asarray(out, float).reshape(-1, 2)


def _start(obs: AcousticObs, sobs: SeismicObs | None, cfg: BislConfig,
           centre: tuple[float, float] | None) -> tuple[tuple[float, float], float]:  # fmt: skip
    """Centre and half-width (km) of the first grid."""
    lat = np.concatenate([obs.lat, sobs.lat if sobs is not None else []])
    lon = np.concatenate([obs.lon, sobs.lon if sobs is not None else []])
    if centre is None:
        cr = _crossings(obs, cfg.max_range_km)
        if cr.size:
            v = np.array([np.cos(np.radians(cr[:, 0])) * np.cos(np.radians(cr[:, 1])),
                          np.cos(np.radians(cr[:, 0])) * np.sin(np.radians(cr[:, 1])),
                          np.sin(np.radians(cr[:, 0]))]).sum(axis=1)  # fmt: skip
            centre = (math.degrees(math.atan2(v[2], math.hypot(v[0], v[1]))),
                      math.degrees(math.atan2(v[1], v[0])))  # fmt: skip
        else:  # one array or parallel beams: 300 km down each beam
            ok = np.isfinite(obs.baz)
            la, lo = destination(obs.lat[ok], obs.lon[ok], 300.0 / KM_PER_DEG, obs.baz[ok])
            centre = (float(np.mean(la)), float(np.mean(lo))) if ok.any() else (
                float(np.mean(lat)), float(np.mean(lon)))  # fmt: skip
    d, _, _ = distance_azimuth(centre[0], centre[1], lat, lon, geocentric=False)
    half = float(np.clip(1.3 * np.max(d) * KM_PER_DEG, 200.0, cfg.max_range_km))
    return centre, half


def _posterior(centre, x, y, obs, sobs, cfg):
    lat, lon = _nodes(centre, x, y)
    logp = np.zeros(lat.size)
    t_mean = np.zeros(lat.size)
    t_var = np.zeros(lat.size)
    chunk = max(1, 200_000 // max(len(obs) * cfg.n_time, 1))
    for s in range(0, lat.size, chunk):
        sl = slice(s, s + chunk)
        if len(obs):
            r_km, _, baz = _geometry(lat[sl], lon[sl], obs)
            logp[sl] += _acoustic_az(baz, obs, cfg)
        if sobs is not None and len(sobs):
            ll, t0, var = _seismic_terms(lat[sl], lon[sl], sobs, cfg)
            logp[sl] += ll
            t_mean[sl], t_var[sl] = t0, var
            if len(obs):
                tau = obs.time[None] - t0[:, None]
                logp[sl] += _time_ll(r_km, tau, obs, cfg).sum(axis=1)
        elif len(obs):
            logz, t0, var = _acoustic_time_marginal(r_km, obs, cfg)
            logp[sl] += logz
            t_mean[sl], t_var[sl] = t0, var
    logp = logp.reshape(y.size, x.size)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return p, t_mean.reshape(p.shape), t_var.reshape(p.shape)


def _hpd(p: np.ndarray, level: float) -> float:
    """Density threshold of the highest-posterior-density region holding ``level``."""
    q = np.sort(p.ravel())[::-1]
    c = np.cumsum(q)
    k = int(np.searchsorted(c, level))
    return float(q[min(k, q.size - 1)])


def _contours(res: BislResult, level: float) -> list[np.ndarray]:
    import contourpy

    gen = contourpy.contour_generator(res.x, res.y, res.prob, line_type="Separate")
    out = []
    for line in gen.lines(res.thresholds[level]):
        line = np.asarray(line)
        xs, ys = line[:, 0], line[:, 1]
        la, lo = destination(res.centre[0], res.centre[1], np.hypot(xs, ys) / KM_PER_DEG,
                             np.degrees(np.arctan2(xs, ys)))  # fmt: skip
        out.append(np.column_stack([la, lo]))
    return out


def _run(obs: AcousticObs, sobs: SeismicObs | None, cfg: BislConfig,
         centre: tuple[float, float] | None) -> BislResult:  # fmt: skip
    if len(obs) == 0 and (sobs is None or len(sobs) == 0):
        raise ValueError("no observations with known station positions")
    ctr, half = _start(obs, sobs, cfg, centre)
    x = y = np.linspace(-half, half, cfg.n_grid)
    p, tm, tv = _posterior(ctr, x, y, obs, sobs, cfg)
    for _ in range(cfg.n_refine):
        keep = p >= _hpd(p, 0.999)
        jj, ii = np.nonzero(keep)
        dx, dy = x[1] - x[0], y[1] - y[0]
        x0, x1 = x[ii.min()] - 2 * dx, x[ii.max()] + 2 * dx
        y0, y1 = y[jj.min()] - 2 * dy, y[jj.max()] + 2 * dy
        # recentre on the box so that the projection stays near-conformal
        cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        la, lo = destination(ctr[0], ctr[1], math.hypot(cx, cy) / KM_PER_DEG,
                             math.degrees(math.atan2(cx, cy)))  # fmt: skip
        ctr = (float(la), float(lo))
        h = 0.5 * max(x1 - x0, y1 - y0, 2.0)
        x = y = np.linspace(-h, h, cfg.n_grid)
        p, tm, tv = _posterior(ctr, x, y, obs, sobs, cfg)
    xx, yy = np.meshgrid(x, y)
    mx, my = float((p * xx).sum()), float((p * yy).sum())
    cov = np.array([[(p * (xx - mx) ** 2).sum(), (p * (xx - mx) * (yy - my)).sum()],
                    [(p * (xx - mx) * (yy - my)).sum(), (p * (yy - my) ** 2).sum()]])  # fmt: skip
    j, i = np.unravel_index(int(np.argmax(p)), p.shape)
    lat_n, lon_n = _nodes(ctr, x[[i]], y[[j]])
    la_m, lo_m = destination(ctr[0], ctr[1], math.hypot(mx, my) / KM_PER_DEG,
                             math.degrees(math.atan2(mx, my)))  # fmt: skip
    t_mean = float((p * tm).sum())
    t_var = float((p * (tv + (tm - t_mean) ** 2)).sum())
    res = BislResult(
        lat=float(lat_n[0]), lon=float(lon_n[0]), time=float(tm[j, i]),
        lat_mean=float(la_m), lon_mean=float(lo_m), time_mean=t_mean,
        time_sigma=math.sqrt(max(t_var, 0.0)), cov_km=cov, centre=ctr, x=x, y=y, prob=p,
        n_acoustic=len(obs), n_seismic=len(sobs) if sobs is not None else 0,
    )  # fmt: skip
    cell = (x[1] - x[0]) * (y[1] - y[0])
    for lev in cfg.levels:
        res.thresholds[lev] = _hpd(p, lev)
        res.area_km2[lev] = float((p >= res.thresholds[lev]).sum() * cell)
        res.polygons[lev] = _contours(res, lev)
    return res


def locate_bisl(obs: AcousticObs, config: BislConfig | None = None, *,
                centre: tuple[float, float] | None = None) -> BislResult:  # fmt: skip
    """BISL posterior of array detections (``centre``: a first guess, else beam crossings)."""
    return _run(obs, None, config or BislConfig(), centre)


def locate_joint(obs: AcousticObs, sobs: SeismicObs, config: BislConfig | None = None, *,
                 centre: tuple[float, float] | None = None) -> BislResult:  # fmt: skip
    """Joint posterior of seismic times and acoustic azimuths/celerities (surface source)."""
    if centre is None and len(obs) < 2 and len(sobs):
        centre = (float(np.mean(sobs.lat)), float(np.mean(sobs.lon)))
    return _run(obs, sobs, config or BislConfig(), centre)


# ----------------------------------------------------------------------------- records


def duct_of(
    celerity: float, prior: Sequence[CelerityComponent] = CELERITY_PRIOR
) -> CelerityComponent:
    """The duct whose component is most probable at an observed celerity (km/s)."""
    best = max(prior, key=lambda k: math.log(k.weight) - 0.5 * ((celerity - k.mean) / k.sigma) ** 2
               - math.log(k.sigma))  # fmt: skip
    return best


def bisl_records(
    res: BislResult, obs: AcousticObs, orid: int, *, sobs: SeismicObs | None = None,
    seismic_assocs: Mapping[int, Assoc] | None = None, auth: str = "testban",
    algorithm: str = ALGORITHM,
) -> tuple[Origin, list[Assoc], Origerr]:  # fmt: skip
    """CSS3.0 origin, assoc (phase I/H/T with ``vmodel`` the duct) and origerr rows.

    ``timeres`` of an acoustic phase is against the celerity of its most probable duct
    (``vmodel`` ``bisl-strat`` etc.); acoustic times are non-defining in a least-squares
    sense (``timedef`` "n"), azimuths defining. Seismic assocs given in
    ``seismic_assocs`` (by arid) are copied with the new orid and residuals.
    """
    t0 = res.time
    assocs = []
    if len(obs):
        d, esaz, seaz = distance_azimuth(res.lat, res.lon, obs.lat, obs.lon, geocentric=False)
        for k in range(len(obs)):
            r = float(d[k]) * KM_PER_DEG
            tau = float(obs.time[k] - t0)
            if obs.phase[k] in ("H", "T"):
                c_pred, model = 1.48, "sofar"
            else:
                duct = duct_of(r / tau if tau > 0 else 0.3)
                c_pred, model = duct.mean, f"bisl-{duct.name}"
            tres = tau - r / c_pred
            azres = -999.0
            if np.isfinite(obs.baz[k]):
                azres = round(float((obs.baz[k] - seaz[k] + 540.0) % 360.0 - 180.0), 1)
            assocs.append(Assoc(
                arid=int(obs.arid[k]), orid=orid, sta=str(obs.sta[k]), phase=str(obs.phase[k]),
                belief=1.0, delta=round(float(d[k]), 3), seaz=round(float(seaz[k]), 2),
                esaz=round(float(esaz[k]), 2),
                timeres=round(tres, 3) if abs(tres) < 9999 else -999.0, timedef="n",
                azres=azres, azdef="d" if azres > -999 else "n", slodef="n", vmodel=model,
            ))  # fmt: skip
    if sobs is not None and len(sobs):
        tt = travel_times("iasp91")
        d, esaz, seaz = distance_azimuth(res.lat, res.lon, sobs.lat, sobs.lon)
        for k in range(len(sobs)):
            base = (seismic_assocs or {}).get(int(sobs.arid[k]))
            ph = str(sobs.phase[k])
            fam = S_TYPES if ph in S_TYPES else P_TYPES
            pred, names = tt.first_arrival(np.array([d[k]]), 0.0, fam)
            if ph in fam and np.isfinite(tt.time(ph, d[k], 0.0)):
                tp = float(tt.time(ph, d[k], 0.0))
            else:
                tp, ph = float(pred.time[0]), str(names[0]) or ph
            row = Assoc(arid=int(sobs.arid[k]), orid=orid, sta=str(sobs.sta[k]), phase=ph,
                        belief=1.0, timedef="d", azdef="n", slodef="n",
                        vmodel="iasp91")  # fmt: skip
            if base is not None:
                row = dataclasses.replace(base, orid=orid, phase=ph)
            row.delta = round(float(d[k]), 3)
            row.seaz, row.esaz = round(float(seaz[k]), 2), round(float(esaz[k]), 2)
            row.timeres = round(float(sobs.time[k] - t0 - tp), 3)
            assocs.append(row)
    smaj, smin, strike = res.ellipse(0.9)
    n_def = sum(1 for a in assocs if "d" in (a.timedef, a.azdef))
    origin = Origin(
        lat=round(res.lat, 5), lon=round(res.lon, 5), depth=0.0, time=round(t0, 5), orid=orid,
        evid=orid, jdate=jdate(t0), nass=len(assocs), ndef=n_def, ndp=0, dtype="g",
        algorithm=algorithm, auth=auth,
    )  # fmt: skip
    err = Origerr(
        orid=orid, sxx=round(float(res.cov_km[0, 0]), 4), syy=round(float(res.cov_km[1, 1]), 4),
        sxy=round(float(res.cov_km[0, 1]), 4), stt=round(res.time_sigma**2, 4),
        smajax=round(smaj, 4), sminax=round(smin, 4), strike=round(strike, 2),
        sdepth=-1.0, stime=round(1.645 * res.time_sigma, 2), conf=0.9,
    )  # fmt: skip
    return origin, assocs, err


# ----------------------------------------------------------------------------- yield


def lanl_pressure(range_km: np.ndarray | float, yield_kt: np.ndarray | float,
                  wind_ms: np.ndarray | float = 0.0) -> np.ndarray:  # fmt: skip
    """Zero-to-peak pressure (Pa) expected at ``range_km`` from ``yield_kt`` (LANL relation).

    P_wca = 5.95e4 (R/√W)^−1.41 with R in km, W in kt; the observed P = P_wca·10^(k·v_d),
    k = 0.018 s/m, v_d the stratospheric wind toward the receiver (m/s); see the module
    docstring for the references.
    """
    sr = np.asarray(range_km, float) / np.sqrt(np.asarray(yield_kt, float))
    return 5.95e4 * sr**-1.41 * 10.0 ** (0.018 * np.asarray(wind_ms, float))


def lanl_yield(pressure_pa: np.ndarray | float, range_km: np.ndarray | float,
               wind_ms: np.ndarray | float = 0.0) -> np.ndarray:  # fmt: skip
    """Yield (kt) that :func:`lanl_pressure` maps to ``pressure_pa`` at ``range_km``."""
    pwca = np.asarray(pressure_pa, float) * 10.0 ** (-0.018 * np.asarray(wind_ms, float))
    sr = (pwca / 5.95e4) ** (-1.0 / 1.41)
    return (np.asarray(range_km, float) / sr) ** 2

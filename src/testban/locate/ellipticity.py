"""Ellipticity corrections to 1-D travel times, computed from the model itself.

The Earth is not a sphere: its surfaces of equal density (and velocity) are close to
ellipsoids of flattening ε(r), 1/298.257 at the surface (WGS84) and less inside. A 1-D
model (iasp91, ak135) describes the *spherically averaged* Earth; predictions between
geocentric coordinates need a correction of up to ±1 s for teleseismic P and ±2 s for
PKP (Dziewonski & Gilbert 1976, GJRAS 44, 7–17; Kennett & Gudmundsson 1996, GJI 127,
40–48; LocSAT and the IDC apply one).

Method (first-order perturbation, Fermat's principle). The ellipsoidal Earth is the image
of the spherical model under the radial map r = r₀ (1 − ⅔ ε(r₀) P₂(cos θ)) with the
colatitude θ and longitude unchanged, so geocentric distances and azimuths are those of
the spherical problem, and the mapped spherical ray is a stationary path of the
ellipsoidal Earth. To first order the travel-time change is therefore the change of the
time along that ray when every path element is stretched by the map:
δt = Σ_segments t_seg · δL/L (discontinuities move with the map, so reflections and
transmissions are included). With the addition theorem
P₂(cos θ) = P₂(cos θ₀) P₂(cos Δ') + ¾ sin 2θ₀ sin 2Δ' cos ζ + ¾ sin² θ₀ sin² Δ' cos 2ζ
(source geocentric colatitude θ₀, source-to-station azimuth ζ, Δ' the angle along the
ray) the correction separates as in Kennett & Gudmundsson (1996):

    δt = f₀ τ₀(Δ, h) + f₁ τ₁(Δ, h) + f₂ τ₂(Δ, h),
    f₀ = ¼ (1 + 3 cos 2θ₀),  f₁ = (√3/2) sin 2θ₀ cos ζ,  f₂ = (√3/2) sin² θ₀ cos 2ζ,

where τ_m is the stretched-time integral along the TauP ray with P₂(cos θ) replaced by
g₀ = P₂(cos Δ'), g₁ = (√3/2) sin 2Δ', g₂ = (√3/2) sin² Δ'. A source at depth h below
the ellipsoid maps to a spherical depth h + ⅔ f₀ [a ε(a) − (a − h) ε(a − h)], adding
dT/dh times that shift to τ₀. Surface phases with a group velocity (Lg, Rg, LR, T, I)
travel along the surface: τ_m = T · (−⅔ ε(a)) · mean(g_m) over the path.

ε(r): Clairaut's equation in Radau's form, r dη/dr = 6 − 6 (ρ/ρ̄)(η + 1) − η(η − 1),
η = d ln ε / d ln r, η(0) = 0 (Jeffreys 1976, *The Earth*, §4; ρ̄ the mean density inside
r), with the density of the model's own TauP layers; the profile is scaled to the WGS84
surface flattening (the figure the geocentric latitudes refer to; the hydrostatic value
from the model is 1/299.6).

Verification (``tests/locate/test_locate.py``): P from a source at 134 km depth, 23° N,
to 64° at azimuth 15° in ak135: −0.45 s (Russell, Rudge, Irving & Cottaar 2022, GJI 231,
1095–1106, EllipticiPy README example), PcP/PKiKP there −0.48/−0.75 s; ε at the
core–mantle boundary ≈ 1/393 (hydrostatic, Jeffreys 1976; Mathews et al. 1991 JGR 96,
8219, give 2.55e-3).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from testban.traveltime.geometry import WGS84_F
from testban.traveltime.tables import TAUP_PHASES, part_path
from testban.traveltime.tables import cache_dir as _tt_cache_dir

#: Bump when the grid or the method changes: old caches are ignored.
ELLIPTICITY_VERSION = 1

#: Distance nodes (°): 1° to 30° (regional phases, upper-mantle triplications), 2° beyond,
#: where the coefficients vary smoothly (a few hundredths of a second per node).
DISTANCES = np.concatenate([np.arange(0.0, 30.0, 1.0), np.arange(30.0, 180.1, 2.0)])
#: Source depths (km); corrections vary slowly with depth (≤ 0.1 s per 100 km).
DEPTHS = np.array([0.0, 20.0, 40.0, 70.0, 120.0, 200.0, 300.0, 450.0, 600.0, 700.0])

SQRT3_2 = math.sqrt(3.0) / 2.0


# ------------------------------------------------------------------------ ε(r)


@dataclass(frozen=True)
class EllipticityProfile:
    """Flattening ε(r) of the surfaces of equal density of a model (radius in km)."""

    radius: np.ndarray  # km, increasing, 0 … a
    epsilon: np.ndarray
    hydrostatic_surface: float  # ε(a) that Clairaut's theory gives for the model's density

    def __call__(self, r: np.ndarray | float) -> np.ndarray:
        return np.interp(r, self.radius, self.epsilon)


#: Earth's rotation rate (rad/s) and GM (m³/s²), WGS84 (NIMA TR8350.2, 2000).
OMEGA = 7.292115e-5
GM = 3.986004418e14


def _density(model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Layer tops/bottoms (depth km) and densities (g/cm³) of the TauP model."""
    from obspy.taup import TauPyModel

    v = TauPyModel(model).model.s_mod.v_mod.layers
    return (
        np.asarray(v["top_depth"], float), np.asarray(v["bot_depth"], float),
        np.asarray(v["top_density"], float), np.asarray(v["bot_density"], float),
    )  # fmt: skip


@lru_cache(maxsize=4)
def clairaut_profile(model: str = "iasp91", step_km: float = 1.0) -> EllipticityProfile:
    """ε(r) from Clairaut–Radau with the density of ``model``, scaled to WGS84 at the top."""
    top, bot, rho_top, rho_bot = _density(model)
    a = float(bot.max())
    n = int(round(a / step_km))
    r = np.linspace(0.0, a, n + 1)
    mid_depth = a - 0.5 * (r[1:] + r[:-1])
    # density at cell midpoints: linear in depth inside each layer
    k = np.clip(np.searchsorted(bot, mid_depth, side="left"), 0, top.size - 1)
    thick = np.where(bot[k] > top[k], bot[k] - top[k], 1.0)
    w = np.clip((mid_depth - top[k]) / thick, 0.0, 1.0)
    rho = rho_top[k] + w * (rho_bot[k] - rho_top[k])
    mass = np.concatenate([[0.0], np.cumsum(rho * (r[1:] ** 3 - r[:-1] ** 3))])  # ∝ 4π/3
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rho = np.where(r > 0, mass / np.maximum(r, 1e-12) ** 3, rho[0])
    ratio_cell = rho / (0.5 * (mean_rho[1:] + mean_rho[:-1]))

    def rhs(rr: float, eta: float, q: float) -> float:
        return (6.0 - 6.0 * q * (eta + 1.0) - eta * (eta - 1.0)) / rr

    eta = np.zeros(n + 1)
    for i in range(1, n + 1):  # midpoint (RK2) steps; η = 0 at the centre
        r0, h = r[i - 1], r[i] - r[i - 1]
        q = ratio_cell[i - 1]
        if r0 == 0.0:
            eta[i] = 0.0
            continue
        k1 = rhs(r0, eta[i - 1], q)
        k2 = rhs(r0 + 0.5 * h, eta[i - 1] + 0.5 * h * k1, q)
        eta[i] = eta[i - 1] + h * k2
    # ln ε(r) = ln ε(a) − ∫_r^a η/r' dr'
    integrand = np.where(r > 0, eta / np.maximum(r, 1e-12), 0.0)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (integrand[1:] + integrand[:-1]) * np.diff(r))])
    log_shape = cum - cum[-1]
    m = OMEGA**2 * (a * 1e3) ** 3 / GM
    hydro = 2.5 * m / (eta[-1] + 2.0)
    return EllipticityProfile(r, WGS84_F * np.exp(log_shape), float(hydro))


# ------------------------------------------------------------------------ coefficients


def _g(dist: np.ndarray) -> np.ndarray:
    """g₀, g₁, g₂ of the angle ``dist`` (rad) along the ray; shape (3, n)."""
    c, s = np.cos(dist), np.sin(dist)
    return np.stack([1.5 * c * c - 0.5, SQRT3_2 * 2.0 * s * c, SQRT3_2 * s * s])


def path_coefficients(
    dist: np.ndarray, depth: np.ndarray, time: np.ndarray, profile: EllipticityProfile
) -> np.ndarray:
    """τ₀, τ₁, τ₂ (s) of one ray path (TauP: distance in rad, depth in km, time in s)."""
    a = float(profile.radius[-1])
    r0 = a - np.asarray(depth, float)
    x = np.stack([r0 * np.cos(dist), r0 * np.sin(dist)])  # (2, n) in the ray plane
    e = -(2.0 / 3.0) * profile(r0) * r0  # radial displacement per unit of g_m
    unit = np.stack([np.cos(dist), np.sin(dist)])
    seg = np.diff(x, axis=1)
    length2 = np.sum(seg * seg, axis=0)
    ok = length2 > 1e-12
    dt = np.diff(time)
    out = np.zeros(3)
    g = _g(np.asarray(dist, float))
    for m in range(3):
        disp = unit * (e * g[m])
        dl = np.sum(seg * np.diff(disp, axis=1), axis=0)  # L δL
        out[m] = float(np.sum(np.where(ok, dt * dl / np.where(ok, length2, 1.0), 0.0)))
    return out


def surface_coefficients(delta_deg: np.ndarray, seconds: np.ndarray, eps_a: float) -> np.ndarray:
    """τ_m (shape (3, n)) of a path along the surface taking ``seconds`` over ``delta_deg``."""
    d = np.radians(np.asarray(delta_deg, float))
    safe = np.where(d > 1e-9, d, 1.0)
    mean0 = np.where(d > 1e-9, 0.25 + 3.0 * np.sin(2 * d) / (8.0 * safe), 1.0)
    mean1 = np.where(d > 1e-9, SQRT3_2 * (1.0 - np.cos(2 * d)) / (2.0 * safe), 0.0)
    mean2 = np.where(d > 1e-9, SQRT3_2 * (0.5 - np.sin(2 * d) / (4.0 * safe)), 0.0)
    return -(2.0 / 3.0) * eps_a * np.asarray(seconds, float) * np.stack([mean0, mean1, mean2])


@dataclass(frozen=True)
class EllipticityTable:
    """τ_m on (distance, depth) nodes for every phase of a :class:`PhaseTables`."""

    model: str
    names: tuple[str, ...]
    distances: np.ndarray  # (nd,) °
    depths: np.ndarray  # (nh,) km
    coef: np.ndarray  # (nphase, 3, nd, nh) s

    def kernel_args(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.distances, self.depths, self.coef


def _fill(a: np.ndarray) -> np.ndarray:
    """Fill NaN nodes of a (nd, nh) array from the nearest valid distance, then depth."""
    out = a.copy()
    idx = np.arange(out.shape[0])
    for j in range(out.shape[1]):
        ok = np.isfinite(out[:, j])
        if ok.any() and not ok.all():
            near = idx[ok][np.abs(idx[:, None] - idx[ok][None, :]).argmin(axis=1)]
            out[:, j] = out[near, j]
    cols = np.flatnonzero(np.isfinite(out).all(axis=0))
    if cols.size == 0:
        return np.zeros_like(out)
    for j in range(out.shape[1]):
        if not np.isfinite(out[:, j]).all():
            out[:, j] = out[:, cols[np.abs(cols - j).argmin()]]
    return out


def build_table(model: str = "iasp91") -> EllipticityTable:
    """Compute the coefficients of every locator phase of ``model`` (≈ 20 s, once)."""
    from obspy.taup import TauPyModel

    from testban.locate.phases import phase_tables
    from testban.traveltime import CONSTANT_SPEED, KM_PER_DEG

    pt = phase_tables(model)
    prof = clairaut_profile(model)
    a = float(prof.radius[-1])
    eps_a = float(prof(a))
    taup = TauPyModel(model)
    body = [n for n in pt.names if n in TAUP_PHASES]
    wanted = sorted({p for n in body for p in TAUP_PHASES[n]})
    nd, nh = DISTANCES.size, DEPTHS.size
    coef = np.full((len(pt.names), 3, nd, nh), np.nan)
    for j, h in enumerate(DEPTHS):
        shift = (2.0 / 3.0) * (a * eps_a - (a - h) * float(prof(a - h)))
        for i, d in enumerate(DISTANCES):
            arrivals = taup.get_ray_paths(float(h), max(float(d), 1e-3), phase_list=wanted)
            for name in body:
                c = pt.codes[name]
                first = [x for x in arrivals if x.name in TAUP_PHASES[name]]
                if not first:
                    continue
                arr = min(first, key=lambda x: x.time)
                path = arr.path
                tau = path_coefficients(path["dist"], path["depth"], path["time"], prof)
                if h > 0:
                    _t, _p, dtdh, *_ = pt.predict([name], [float(d)], [float(h)])
                    if np.isfinite(dtdh[0]):
                        tau[0] += float(dtdh[0]) * shift
                coef[c, :, i, j] = tau
    for name in pt.names:
        c = pt.codes[name]
        if name in CONSTANT_SPEED:
            seconds = DISTANCES * KM_PER_DEG / CONSTANT_SPEED[name].speed
            sc = surface_coefficients(DISTANCES, seconds, eps_a)
            coef[c] = np.repeat(sc[:, :, None], nh, axis=2)
            continue
        for m in range(3):
            coef[c, m] = _fill(coef[c, m])
    coef = np.nan_to_num(coef)
    return EllipticityTable(model, pt.names, DISTANCES.copy(), DEPTHS.copy(), coef)


# ------------------------------------------------------------------------ cache


def cache_path(model: str) -> Path:
    """``<testban cache>/locate/ellipticity-<model>-v<version>.npz``."""
    return _tt_cache_dir().parent / "locate" / f"ellipticity-{model}-v{ELLIPTICITY_VERSION}.npz"


def packaged_path(model: str) -> Path:
    """The table shipped inside the package (iasp91), built by :func:`build_table`."""
    return Path(__file__).with_name("data") / f"ellipticity-{model}-v{ELLIPTICITY_VERSION}.npz"


@lru_cache(maxsize=4)
def ellipticity_table(model: str = "iasp91") -> EllipticityTable:
    """The coefficients of ``model``: shipped, else from the disk cache, else built now
    (about half a minute) and cached."""
    from testban.locate.phases import phase_tables

    names = phase_tables(model).names
    path = cache_path(model)
    for candidate in (packaged_path(model), path):
        try:
            with np.load(candidate, allow_pickle=False) as z:
                if int(z["version"]) == ELLIPTICITY_VERSION and tuple(z["names"]) == names:
                    return EllipticityTable(
                        model, names, z["distances"].astype(float), z["depths"].astype(float),
                        np.ascontiguousarray(z["coef"].astype(float)),
                    )  # fmt: skip
        except (OSError, KeyError, ValueError):
            continue
    table = build_table(model)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = part_path(path)
        np.savez_compressed(
            tmp, version=np.array(ELLIPTICITY_VERSION), names=np.array(table.names),
            distances=table.distances, depths=table.depths, coef=table.coef,
        )  # fmt: skip
        os.replace(tmp, path)
    except OSError:
        pass  # read-only cache: use the table without saving it
    return table


def zero_table(model: str = "iasp91") -> EllipticityTable:
    """A table of zeros (corrections switched off)."""
    from testban.locate.phases import phase_tables

    names = phase_tables(model).names
    return EllipticityTable(
        model, names, DISTANCES.copy(), DEPTHS.copy(),
        np.zeros((len(names), 3, DISTANCES.size, DEPTHS.size)),
    )  # fmt: skip


def source_factors(colat_rad: np.ndarray, azimuth_rad: np.ndarray) -> np.ndarray:
    """f₀, f₁, f₂ of source geocentric colatitude θ₀ and source-to-station azimuth ζ."""
    th, z = np.asarray(colat_rad, float), np.asarray(azimuth_rad, float)
    return np.stack(
        [
            0.25 * (1.0 + 3.0 * np.cos(2 * th)),
            SQRT3_2 * np.sin(2 * th) * np.cos(z),
            SQRT3_2 * np.sin(th) ** 2 * np.cos(2 * z),
        ]
    )


def correction(
    phases: np.ndarray | list[str],
    delta: np.ndarray | float,
    depth: np.ndarray | float,
    source_lat_geocentric: float,
    azimuth: np.ndarray | float,
    model: str = "iasp91",
) -> np.ndarray:
    """δt (s) to add to the 1-D predictions of IDC/IASPEI ``phases`` at distances ``delta``
    (°, geocentric), source depth(s) ``depth`` (km), source geocentric latitude (°) and
    source-to-station azimuths (°); 0 for phases the tables do not know. Same interpolation
    as the locator's kernels."""
    from testban.locate.kernels import ellipticity_many
    from testban.locate.phases import phase_tables

    ph, d, h, az = np.broadcast_arrays(np.asarray(phases, dtype=object), delta, depth, azimuth)
    codes = phase_tables(model).codes_of(ph.ravel())
    out = ellipticity_many(
        codes, np.array(d, float).ravel(), np.array(h, float).ravel(),
        math.radians(float(source_lat_geocentric)), np.radians(np.array(az, float).ravel()),
        ellipticity_table(model).kernel_args(),
    )  # fmt: skip
    return out.reshape(d.shape)

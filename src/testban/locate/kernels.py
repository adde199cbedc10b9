"""Compiled inner loops of the locator: predictions, residuals, Jacobian, LM steps, grids.

Everything that runs per observation and per iteration lives here, compiled with Numba,
so a location costs tens of microseconds instead of the milliseconds that NumPy call
overhead would add per iteration. The interpolation repeats that of
:mod:`testban.traveltime.service` (cubic Hermite in distance with the exact slowness as
slope, then in depth with dT/dh as slope), extended with the slowness derivatives
dp/dΔ and dp/dh that slowness observations need.

Conventions: source and station latitudes are geocentric (radians) on a sphere of radius
:data:`EARTH_RADIUS_KM`; x is east, y north, z down (km); azimuths in degrees. The
parameter vector is (lat, lon, depth, origin time); steps are taken in (x, y, z, t).
Residual rows come in triples per observation (time, azimuth, slowness), divided by
their standard error; unused rows are zero.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from testban.records.earth import EARTH_RADIUS_KM, KM_PER_DEG

SQRT3_2 = math.sqrt(3.0) / 2.0
#: Squared normalised misfit charged in the iterations for a datum whose phase does not
#: exist at the trial point (a 100σ residual: steps never trade data for nothing).
PENALTY = 1.0e4
#: Grid searches score a datum by ROBUST·log(1 + e²/ROBUST), e = residual/σ: about e² for
#: small residuals, slowly growing for gross ones, so one wrong phase cannot rule out a
#: node while nearer nodes still score better; a datum whose phase does not exist at a
#: node scores as a 20σ residual.
ROBUST = 9.0
MISSING = ROBUST * math.log1p(400.0 / ROBUST)

# ------------------------------------------------------------------------ predictions


@njit(cache=True, inline="always")
def _herm(s, h, y0, y1, d0, d1):
    """Cubic Hermite value, slope and curvature on a cell of width ``h`` at fraction ``s``."""
    s2 = s * s
    s3 = s2 * s
    y = (2 * s3 - 3 * s2 + 1) * y0 + (s3 - 2 * s2 + s) * h * d0 + (3 * s2 - 2 * s3) * y1
    y += (s3 - s2) * h * d1
    dy = (6 * s2 - 6 * s) * (y0 - y1) / h + (3 * s2 - 4 * s + 1) * d0 + (3 * s2 - 2 * s) * d1
    d2 = ((12 * s - 6) * (y0 - y1) / h + (6 * s - 4) * d0 + (6 * s - 2) * d1) / h
    return y, dy, d2


@njit(cache=True)
def _branch(k, d, h, tab):
    """Time, slowness, dT/dh, dp/dΔ, dp/dh of table branch ``k``; time NaN if none."""
    xs, zs, tt, ss = tab[0], tab[1], tab[2], tab[3]
    gbel, gab, dmin, dmax = tab[4], tab[5], tab[6], tab[7]
    nan = np.nan
    if h < 0.0 and h > -10.0:
        h = 0.0
    nx, nz = xs.size, zs.size
    if d < 0.0 or d > xs[nx - 1] or h < 0.0 or h > zs[nz - 1]:
        return nan, nan, nan, nan, nan
    i = min(max(np.searchsorted(xs, d, side="right") - 1, 0), nx - 2)
    j = min(max(np.searchsorted(zs, h, side="right") - 1, 0), nz - 2)
    ok_a = math.isfinite(dmin[k, j])
    ok_b = math.isfinite(dmin[k, j + 1])
    if not (ok_a or ok_b):
        return nan, nan, nan, nan, nan
    dx = xs[i + 1] - xs[i]
    dz = zs[j + 1] - zs[j]
    sx = (d - xs[i]) / dx
    sz = (h - zs[j]) / dz
    ya, pa, qa = _herm(sx, dx, tt[k, i, j], tt[k, i + 1, j], ss[k, i, j], ss[k, i + 1, j])
    ga0, ga1 = gbel[k, i, j], gbel[k, i + 1, j]
    ga, gxa = ga0 + sx * (ga1 - ga0), (ga1 - ga0) / dx
    j1 = j + 1
    yb, pb, qb = _herm(sx, dx, tt[k, i, j1], tt[k, i + 1, j1], ss[k, i, j1], ss[k, i + 1, j1])
    gb0, gb1 = gab[k, i, j + 1], gab[k, i + 1, j + 1]
    gb, gxb = gb0 + sx * (gb1 - gb0), (gb1 - gb0) / dx
    if ok_a and not ok_b:
        t, p, g, pd, ph, w = ya + ga * (h - zs[j]), pa, ga, qa, gxa, 0.0
    elif ok_b and not ok_a:
        t, p, g, pd, ph, w = yb + gb * (h - zs[j + 1]), pb, gb, qb, gxb, 1.0
    else:
        t, g, _ = _herm(sz, dz, ya, yb, ga, gb)
        s2 = sz * sz
        s3 = s2 * sz
        h00, h10, h01, h11 = 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + sz, 3 * s2 - 2 * s3, s3 - s2
        p = h00 * pa + h10 * dz * gxa + h01 * pb + h11 * dz * gxb
        pd = h00 * qa + h01 * qb
        ph = ((6 * s2 - 6 * sz) * (pa - pb) / dz + (3 * s2 - 4 * sz + 1) * gxa
              + (3 * s2 - 2 * sz) * gxb)  # fmt: skip
        w = sz
    ea, eb = dmin[k, j], dmin[k, j + 1]
    lo = (ea if ok_a else eb) * (1 - w) + (eb if ok_b else ea) * w
    ea, eb = dmax[k, j], dmax[k, j + 1]
    hi = (ea if ok_a else eb) * (1 - w) + (eb if ok_b else ea) * w
    if d < lo - 1e-6 or d > hi + 1e-6 or not math.isfinite(t) or not math.isfinite(p):
        return nan, nan, nan, nan, nan
    return t, p, g, pd, ph


@njit(cache=True)
def _phase(c, d, h, tab):
    """The earliest branch of phase code ``c`` (or its constant speed) at (Δ, h)."""
    nan = np.nan
    if c < 0:
        return nan, nan, nan, nan, nan
    speed, maxd, maxh = tab[12][c], tab[13][c], tab[14][c]
    if speed > 0.0:
        if d < 0.0 or d > maxd or h > maxh or h < -10.0:
            return nan, nan, nan, nan, nan
        p = KM_PER_DEG / speed
        return d * p, p, 0.0, 0.0, 0.0
    rlo, rhi, start, branch = tab[8], tab[9], tab[10], tab[11]
    bt, bp, bg, bd, bh = nan, nan, nan, nan, nan
    for m in range(start[c], start[c + 1]):
        k = branch[m]
        if d < rlo[k] or d > rhi[k]:
            continue
        t, p, g, pd, ph = _branch(k, d, h, tab)
        if math.isfinite(t) and not (t >= bt):
            bt, bp, bg, bd, bh = t, p, g, pd, ph
    return bt, bp, bg, bd, bh


@njit(cache=True)
def predict_many(codes, delta, depth, *tab):
    """Vectorised :func:`_phase` over arrays of phase codes, distances and depths."""
    n = codes.size
    out = np.full((5, n), np.nan)
    for i in range(n):
        r = _phase(codes[i], delta[i], depth[i], tab)
        for q in range(5):
            out[q, i] = r[q]
    return out[0], out[1], out[2], out[3], out[4]


@njit(cache=True, inline="always")
def _geometry(slat, slon, rlat, rlon):
    """Distance (°), source→station azimuth (rad), station→source azimuth (°), sin Δ."""
    s1, c1 = math.sin(slat), math.cos(slat)
    s2, c2 = math.sin(rlat), math.cos(rlat)
    dl = rlon - slon
    cdl, sdl = math.cos(dl), math.sin(dl)
    x = c1 * s2 - s1 * c2 * cdl
    y = c2 * sdl
    z = s1 * s2 + c1 * c2 * cdl
    hyp = math.hypot(x, y)
    delta = math.atan2(hyp, z)
    esaz = math.atan2(y, x)
    seaz = math.degrees(math.atan2(-c1 * sdl, c2 * s1 - s2 * c1 * cdl)) % 360.0
    return math.degrees(delta), esaz, seaz, math.sin(delta)


@njit(cache=True)
def _model_error(me, c, delta):
    """σ_model (s) of phase ``c`` at ``delta`` from the 0.5°-step table ``me``."""
    x = delta / 0.5
    i = min(max(int(x), 0), me.shape[1] - 2)
    f = min(max(x - i, 0.0), 1.0)
    return me[c, i] * (1 - f) + me[c, i + 1] * f


@njit(cache=True)
def _ellip(ell, c, delta, h, colat, esaz):
    """Ellipticity correction (s) of phase ``c`` and its derivatives by Δ (°), h, θ₀ (rad).

    ``ell`` = (distance nodes °, depth nodes km, coefficients [phase, m, Δ, h]) of
    :mod:`testban.locate.ellipticity`; bilinear in (Δ, h), clamped at the grid ends.
    """
    xs, zs, cf = ell[0], ell[1], ell[2]
    nx, nz = xs.size, zs.size
    d = min(max(delta, xs[0]), xs[nx - 1])
    z = min(max(h, zs[0]), zs[nz - 1])
    i = min(max(np.searchsorted(xs, d, side="right") - 1, 0), nx - 2)
    j = min(max(np.searchsorted(zs, z, side="right") - 1, 0), nz - 2)
    dx, dz = xs[i + 1] - xs[i], zs[j + 1] - zs[j]
    u, v = (d - xs[i]) / dx, (z - zs[j]) / dz
    st, ct = math.sin(colat), math.cos(colat)
    c2z, s2t = math.cos(2.0 * esaz), 2.0 * st * ct
    f0 = 0.25 * (1.0 + 3.0 * (ct * ct - st * st))
    f1 = SQRT3_2 * s2t * math.cos(esaz)
    f2 = SQRT3_2 * st * st * c2z
    g0 = -1.5 * s2t
    g1 = SQRT3_2 * 2.0 * (ct * ct - st * st) * math.cos(esaz)
    g2 = SQRT3_2 * s2t * c2z
    val, dd, dh, dth = 0.0, 0.0, 0.0, 0.0
    for m in range(3):
        a00, a10 = cf[c, m, i, j], cf[c, m, i + 1, j]
        a01, a11 = cf[c, m, i, j + 1], cf[c, m, i + 1, j + 1]
        t = (a00 * (1 - u) + a10 * u) * (1 - v) + (a01 * (1 - u) + a11 * u) * v
        td = ((a10 - a00) * (1 - v) + (a11 - a01) * v) / dx
        th = ((a01 - a00) * (1 - u) + (a11 - a10) * u) / dz
        f = f0 if m == 0 else (f1 if m == 1 else f2)
        g = g0 if m == 0 else (g1 if m == 1 else g2)
        val += f * t
        dd += f * td
        dh += f * th
        dth += g * t
    return val, dd, dh, dth


@njit(cache=True)
def ellipticity_many(codes, delta, depth, slat, esaz, ell):
    """Ellipticity corrections (s) per datum: geocentric source latitude ``slat`` (rad),
    source-to-station azimuths ``esaz`` (rad); 0 where the phase code is unknown."""
    out = np.zeros(codes.size)
    for i in range(codes.size):
        if codes[i] >= 0 and math.isfinite(delta[i]):
            out[i] = _ellip(ell, codes[i], delta[i], depth[i], 0.5 * math.pi - slat, esaz[i])[0]
    return out


@njit(cache=True)
def _sph_corr(dist_km, range_km):
    """Spherical variogram model as a correlation: 1 − 1.5 q + 0.5 q³ (q = d/range < 1)."""
    if dist_km >= range_km:
        return 0.0
    q = dist_km / range_km
    return 1.0 - 1.5 * q + 0.5 * q * q * q


@njit(cache=True)
def whitening(x, obs, me, range_km):
    """L⁻¹ of the correlation matrix of the normalised time residuals at hypocentre ``x``.

    Model errors of the same phase at stations closer than ``range_km`` are correlated
    (spherical variogram of the chord between the stations; Bondár & McLaughlin 2009);
    measurement errors are not. Returns an (n, n) lower-triangular matrix acting on the
    time rows, or a (0, 0) array when no pair is correlated (nothing to whiten).
    """
    rlat, rlon, code, use_t, sig_t = obs[0], obs[1], obs[3], obs[4], obs[8]
    n = code.size
    empty = np.zeros((0, 0))
    if range_km <= 0.0:
        return empty
    idx = np.flatnonzero(use_t)
    nt = idx.size
    if nt < 2:
        return empty
    slat, slon = math.radians(x[0]), math.radians(x[1])
    sm = np.zeros(nt)
    st = np.zeros(nt)
    for a in range(nt):
        i = idx[a]
        delta, _e, _s, _sd = _geometry(slat, slon, rlat[i], rlon[i])
        sm[a] = _model_error(me, code[i], delta)
        st[a] = math.sqrt(sig_t[i] * sig_t[i] + sm[a] * sm[a])
    k = np.eye(nt)
    any_pair = False
    for a in range(nt):
        i = idx[a]
        for b in range(a + 1, nt):
            j = idx[b]
            if code[i] != code[j]:
                continue
            # chord between the stations (km): the variogram is defined in 3-D
            cc = math.cos(rlat[i]) * math.cos(rlat[j])
            cosd = math.sin(rlat[i]) * math.sin(rlat[j]) + cc * math.cos(rlon[i] - rlon[j])
            chord = EARTH_RADIUS_KM * math.sqrt(max(2.0 - 2.0 * cosd, 0.0))
            rho = _sph_corr(chord, range_km)
            if rho > 0.0:
                k[a, b] = k[b, a] = rho * sm[a] * sm[b] / (st[a] * st[b])
                any_pair = True
    if not any_pair:
        return empty
    low = np.linalg.cholesky(k)
    inv = np.zeros((nt, nt))
    for col in range(nt):  # forward substitution: L⁻¹ column by column
        inv[col, col] = 1.0 / low[col, col]
        for row in range(col + 1, nt):
            acc = 0.0
            for m in range(col, row):
                acc += low[row, m] * inv[m, col]
            inv[row, col] = -acc / low[row, row]
    w = np.zeros((n, n))
    for i in range(n):
        w[i, i] = 1.0
    for a in range(nt):
        for b in range(a + 1):
            w[idx[a], idx[b]] = inv[a, b]
    return w


# ------------------------------------------------------------------------ residuals


@njit(cache=True)
def residuals(x, fix_depth, obs, tab, me, ell, wt, r, jac, want_jac):
    """Fill normalised residuals ``r`` (3 per datum) and Jacobian ``jac``; return misfit.

    ``obs`` = (rlat, rlon, elev, code, use_t, use_a, use_s, tobs, sig_t, azobs, sig_a,
    sloobs, sig_s). Predicted times include the ellipticity correction of ``ell`` (its
    derivatives by distance, depth and source colatitude enter the Jacobian; the small
    one by azimuth, ~1e-4 s/km, does not). ``wt`` (from :func:`whitening`, or (0, 0) for
    independent errors) whitens the time rows. Returns (Σ r², number of data whose phase
    does not exist there).
    """
    rlat, rlon, elev, code = obs[0], obs[1], obs[2], obs[3]
    use_t, use_a, use_s = obs[4], obs[5], obs[6]
    tobs, sig_t, azobs, sig_a, sloobs, sig_s = obs[7], obs[8], obs[9], obs[10], obs[11], obs[12]
    vsurf = tab[15]
    slat, slon, z, t0 = math.radians(x[0]), math.radians(x[1]), x[2], x[3]
    colat = 0.5 * math.pi - slat
    pen = 0.0
    nbad = 0
    for i in range(code.size):
        b = 3 * i
        for q in range(3):
            r[b + q] = 0.0
            if want_jac:
                for m in range(4):
                    jac[b + q, m] = 0.0
        if not (use_t[i] or use_a[i] or use_s[i]):
            continue
        delta, esaz, seaz, sind = _geometry(slat, slon, rlat[i], rlon[i])
        se, ce = math.sin(esaz), math.cos(esaz)
        c = code[i]
        if use_t[i] or use_s[i]:
            t, p, g, pd, ph = _phase(c, delta, z, tab)
            if not math.isfinite(t):
                nbad += int(use_t[i]) + int(use_s[i])
                pen += PENALTY * (int(use_t[i]) + int(use_s[i]))
            else:
                if use_t[i]:
                    tel = 0.0
                    v = vsurf[c]
                    if v > 0.0 and elev[i] != 0.0:
                        pk = p / KM_PER_DEG
                        tel = elev[i] * math.sqrt(max(1.0 / (v * v) - pk * pk, 0.0))
                    el, el_d, el_h, el_th = _ellip(ell, c, delta, z, colat, esaz)
                    sm = _model_error(me, c, delta)
                    sig = math.sqrt(sig_t[i] * sig_t[i] + sm * sm)
                    r[b] = (tobs[i] - t0 - t - tel - el) / sig
                    if want_jac:
                        pe = p + el_d
                        jac[b, 0] = -pe * se / KM_PER_DEG / sig
                        jac[b, 1] = (-pe * ce / KM_PER_DEG - el_th / EARTH_RADIUS_KM) / sig
                        jac[b, 2] = 0.0 if fix_depth else (g + el_h) / sig
                        jac[b, 3] = 1.0 / sig
                if use_s[i]:
                    sig = sig_s[i]
                    r[b + 2] = (sloobs[i] - p) / sig
                    if want_jac:
                        jac[b + 2, 0] = -pd * se / KM_PER_DEG / sig
                        jac[b + 2, 1] = -pd * ce / KM_PER_DEG / sig
                        jac[b + 2, 2] = 0.0 if fix_depth else ph / sig
        if use_a[i]:
            sig = sig_a[i]
            res = (azobs[i] - seaz + 180.0) % 360.0 - 180.0
            r[b + 1] = res / sig
            if want_jac:
                rs = EARTH_RADIUS_KM * max(sind, 1e-6)
                jac[b + 1, 0] = -math.degrees(ce / rs) / sig
                jac[b + 1, 1] = math.degrees(se / rs) / sig
    if wt.shape[0] == code.size:
        _whiten_rows(wt, use_t, r, jac, want_jac)
    mis = pen
    for k in range(r.size):
        mis += r[k] * r[k]
    return mis, nbad


@njit(cache=True)
def _whiten_rows(wt, use_t, r, jac, want_jac):
    """Replace the time rows (3i) of ``r`` and ``jac`` by ``wt`` times them."""
    n = use_t.size
    rt = np.zeros(n)
    jt = np.zeros((n, 4))
    for i in range(n):
        if not use_t[i]:
            continue
        acc = 0.0
        a0, a1, a2, a3 = 0.0, 0.0, 0.0, 0.0
        for k in range(i + 1):
            w = wt[i, k]
            if w != 0.0:
                acc += w * r[3 * k]
                if want_jac:
                    a0 += w * jac[3 * k, 0]
                    a1 += w * jac[3 * k, 1]
                    a2 += w * jac[3 * k, 2]
                    a3 += w * jac[3 * k, 3]
        rt[i] = acc
        jt[i, 0], jt[i, 1], jt[i, 2], jt[i, 3] = a0, a1, a2, a3
    for i in range(n):
        if use_t[i]:
            r[3 * i] = rt[i]
            if want_jac:
                for m in range(4):
                    jac[3 * i, m] = jt[i, m]


@njit(cache=True)
def _move(x, dx, dy, dz, dt, zmin, zmax):
    """Hypocentre ``x`` moved by (dx east, dy north, dz down) km and dt s."""
    lat, lon = math.radians(x[0]), math.radians(x[1])
    dist = math.hypot(dx, dy) / EARTH_RADIUS_KM
    out = x.copy()
    if dist > 0.0:
        az = math.atan2(dx, dy)
        sl, cl, sd, cd = math.sin(lat), math.cos(lat), math.sin(dist), math.cos(dist)
        lat2 = math.asin(min(max(sl * cd + cl * sd * math.cos(az), -1.0), 1.0))
        lon2 = lon + math.atan2(math.sin(az) * sd * cl, cd - sl * math.sin(lat2))
        out[0] = math.degrees(lat2)
        out[1] = (math.degrees(lon2) + 180.0) % 360.0 - 180.0
    out[2] = min(max(x[2] + dz, zmin), zmax)
    out[3] = x[3] + dt
    return out


@njit(cache=True)
def _pinv_solve(a, b, rcond):
    """Solve the symmetric system ``a x = b`` by eigen-decomposition, dropping tiny modes."""
    w, v = np.linalg.eigh(a)
    top = max(w.max(), 1e-300)
    x = np.zeros(b.size)
    for k in range(w.size):
        if w[k] > rcond * top:
            x += v[:, k] * (v[:, k] @ b) / w[k]
    return x


@njit(cache=True)
def covariance(jac, fix_depth):
    """(JᵀJ)⁻¹ in (x, y, z, t) units km and s; the depth row/column is zero when fixed."""
    n = jac.T @ jac
    if fix_depth:
        n[2, :] = 0.0
        n[:, 2] = 0.0
    w, v = np.linalg.eigh(n)
    top = max(w.max(), 1e-300)
    cov = np.zeros((4, 4))
    rank = 0
    for k in range(4):
        if w[k] > 1e-12 * top:
            cov += np.outer(v[:, k], v[:, k]) / w[k]
            rank += 1
    return cov, rank


@njit(cache=True)
def solve(x0, fix_depth, zmin, zmax, max_iter, max_step_km, obs, tab, me, ell, range_km):
    """Levenberg–Marquardt (Geiger) iterations from ``x0``.

    With correlated model errors (``range_km`` > 0) the whitening is computed at the
    start and once more at the first convergence (model errors depend on distance), then
    the iterations go on. Returns (x, misfit, nbad, iterations, converged, r, jac, wt).
    """
    nres = 3 * obs[3].size
    r = np.zeros(nres)
    jac = np.zeros((nres, 4))
    rt = np.zeros(nres)
    jt = np.zeros((nres, 4))
    x = x0.copy()
    if fix_depth:
        x[2] = x0[2]
    wt = whitening(x, obs, me, range_km)
    refreshed = wt.shape[0] == 0
    mis, nbad = residuals(x, fix_depth, obs, tab, me, ell, wt, r, jac, True)
    lam = 1e-3
    converged = False
    it = 0
    while it < max_iter:
        it += 1
        n = jac.T @ jac
        g = jac.T @ r
        if fix_depth:
            n[2, :] = 0.0
            n[:, 2] = 0.0
            g[2] = 0.0
        dg = np.sqrt(np.diag(n))
        for m in range(4):
            if dg[m] <= 0.0:
                dg[m] = 1.0
        ns = n / np.outer(dg, dg)
        for m in range(4):
            ns[m, m] += lam
        step = _pinv_solve(ns, g / dg, 1e-12) / dg
        hs = math.hypot(step[0], step[1])
        if hs > max_step_km:
            step *= max_step_km / hs
        xt = _move(x, step[0], step[1], 0.0 if fix_depth else step[2], step[3], zmin, zmax)
        mt, bt = residuals(xt, fix_depth, obs, tab, me, ell, wt, rt, jt, True)
        done = False
        if mt <= mis:
            small = math.hypot(step[0], step[1]) < 1e-3 and abs(step[2]) < 1e-3
            small = small and abs(step[3]) < 1e-4
            gain = mis - mt
            x, mis, nbad = xt, mt, bt
            r, rt = rt, r
            jac, jt = jt, jac
            lam = max(lam * 0.2, 1e-9)
            done = small or gain <= 1e-10 * (1.0 + mis)
        else:
            lam *= 10.0
            done = lam > 1e8  # no downhill step left: a minimum of the misfit
        if done:
            if refreshed:
                converged = True
                break
            wt = whitening(x, obs, me, range_km)
            refreshed = True
            mis, nbad = residuals(x, fix_depth, obs, tab, me, ell, wt, r, jac, True)
            lam = 1e-3
    return x, mis, nbad, it, converged, r, jac, wt


# ------------------------------------------------------------------------ grid search


@njit(cache=True)
def depth_tables(depth, step, nphase, tab):
    """Time and slowness of every phase code at one depth on a ``step`` ° distance grid."""
    n = int(round(180.0 / step)) + 1
    tt = np.full((nphase, n), np.nan)
    pp = np.full((nphase, n), np.nan)
    for c in range(nphase):
        for k in range(n):
            t, p, g, pd, ph = _phase(c, k * step, depth, tab)
            tt[c, k] = t
            pp[c, k] = p
    return tt, pp


@njit(cache=True, inline="always")
def _lookup(tt, pp, step, c, d):
    """Linear interpolation of a :func:`depth_tables` row (NaN where the phase is absent)."""
    x = d / step
    k = min(max(int(x), 0), tt.shape[1] - 2)
    f = x - k
    t = tt[c, k] * (1 - f) + tt[c, k + 1] * f
    p = pp[c, k] * (1 - f) + pp[c, k + 1] * f
    return t, p


@njit(cache=True)
def grid_misfit(lats, lons, tt, pp, step, obs, me):
    """Robust misfit and best origin time at each trial epicentre (one source depth).

    Travel times come from :func:`depth_tables` of that depth. The origin time is
    eliminated analytically (weighted mean of the time residuals); data are scored
    robustly (see :data:`ROBUST`).
    """
    rlat, rlon, code, use_t, use_a, use_s = obs[0], obs[1], obs[3], obs[4], obs[5], obs[6]
    tobs, sig_t, azobs, sig_a, sloobs, sig_s = obs[7], obs[8], obs[9], obs[10], obs[11], obs[12]
    nn, no = lats.size, code.size
    mis = np.empty(nn)
    t0s = np.empty(nn)
    res = np.empty(no)
    wts = np.empty(no)
    for k in range(nn):
        slat, slon = math.radians(lats[k]), math.radians(lons[k])
        m = 0.0
        sw = 0.0
        swr = 0.0
        for i in range(no):
            wts[i] = 0.0
            if not (use_t[i] or use_a[i] or use_s[i]):
                continue
            delta, esaz, seaz, sind = _geometry(slat, slon, rlat[i], rlon[i])
            c = code[i]
            if use_t[i] or use_s[i]:
                t, p = _lookup(tt, pp, step, c, delta)
                if not math.isfinite(t):
                    m += MISSING * (int(use_t[i]) + int(use_s[i]))
                else:
                    if use_t[i]:
                        sm = _model_error(me, c, delta)
                        w = 1.0 / (sig_t[i] * sig_t[i] + sm * sm)
                        res[i] = tobs[i] - t
                        wts[i] = w
                        sw += w
                        swr += w * res[i]
                    if use_s[i]:
                        e = (sloobs[i] - p) / sig_s[i]
                        m += ROBUST * math.log1p(e * e / ROBUST)
            if use_a[i]:
                e = ((azobs[i] - seaz + 180.0) % 360.0 - 180.0) / sig_a[i]
                m += ROBUST * math.log1p(e * e / ROBUST)
        t0 = swr / sw if sw > 0 else 0.0
        for i in range(no):
            if wts[i] > 0.0:
                e = res[i] - t0
                m += ROBUST * math.log1p(wts[i] * e * e / ROBUST)
        mis[k] = m
        t0s[k] = t0
    return mis, t0s


@njit(cache=True)
def model_errors_many(me, codes, delta):
    """σ_model (s) per datum; NaN where the phase code is unknown."""
    out = np.full(codes.size, np.nan)
    for i in range(codes.size):
        if codes[i] >= 0:
            out[i] = _model_error(me, codes[i], delta[i])
    return out

"""Regional P/S ratios on synthetic records: explosion-like vs earthquake-like, bounds,
distance correction, the discriminant at its threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from testban.features.regional_ratio import (
    HIGH_BAND,
    MAX_DISTANCE_KM,
    PROVISIONAL_THRESHOLD,
    PSRatio,
    apply_distance_correction,
    band_rms,
    bootstrap_auc,
    cross_validate_distance,
    fit_distance_correction,
    operating_point,
    phase_windows,
    ps_discriminant,
    regional_ratios,
    roc_auc,
)

FS = 20.0
DIST = 500.0  # km
PRE = 120.0  # s of record before the origin


def _record(p_amp: float, s_amp: float, *, seed: int, noise: float = 1.0) -> np.ndarray:
    """White noise plus band-limited (0.5-9 Hz) bursts in the Pn and Lg windows."""
    rng = np.random.default_rng(seed)
    n = int((PRE + DIST / 3.0 + 60.0) * FS)
    x = noise * rng.normal(size=n)
    sos = signal.butter(4, [0.5, 9.0], btype="bandpass", fs=FS, output="sos")
    win = phase_windows(DIST)
    for phase, amp in (("Pn", p_amp), ("Lg", s_amp)):
        t0, t1 = win[phase]
        i0, i1 = int((PRE + t0) * FS), int((PRE + t1) * FS)
        burst = signal.sosfilt(sos, rng.normal(size=i1 - i0)) * signal.windows.tukey(i1 - i0, 0.2)
        x[i0:i1] += amp * burst / burst.std()
    return x


def _pick(ratios, band=HIGH_BAND, pair=("Pn", "Lg")) -> PSRatio:
    (r,) = [x for x in ratios if x.band == band and (x.phase_p, x.phase_s) == pair]
    return r


def test_windows_follow_group_velocities():
    w = phase_windows(DIST)
    assert w["noise"][1] < w["Pn"][0] < w["Pg"][0] < w["Sn"][0] < w["Lg"][0] < w["Lg"][1]
    assert w["Lg"] == pytest.approx((DIST / 3.6, DIST / 3.0))
    assert "Pn" not in phase_windows(100.0)  # Pg first inside ~190 km: no Pn window
    with pytest.raises(ValueError, match="not regional"):
        phase_windows(MAX_DISTANCE_KM + 1.0)


def test_band_rms_separates_bands():
    t = np.arange(int(60 * FS)) / FS
    x = np.sin(2 * np.pi * 7.0 * t)
    rms = band_rms(x, FS, np.array([[10.0, 50.0]]), ((1.0, 2.0), (6.0, 8.0)))
    assert rms[1, 0] == pytest.approx(1 / math.sqrt(2), rel=0.05)
    assert rms[0, 0] < 0.01 * rms[1, 0]


def test_explosion_like_above_earthquake_like():
    expl = regional_ratios(_record(40.0, 8.0, seed=1), FS, PRE, DIST, sta="X", orid=1)
    quake = regional_ratios(_record(8.0, 40.0, seed=2), FS, PRE, DIST, sta="X", orid=2)
    e, q = _pick(expl), _pick(quake)
    assert e.kind == q.kind == "value"
    assert e.log_ratio > 0.3 and q.log_ratio < -0.3  # true ratios ±0.7
    assert e.sigma < 0.1 and q.sigma < 0.1
    for band in ((1.0, 2.0), (2.0, 4.0), (4.0, 6.0)):
        assert _pick(expl, band).log_ratio > _pick(quake, band).log_ratio
    th = PROVISIONAL_THRESHOLD
    assert ps_discriminant(expl, th).outcome == "explosion-like"
    res = ps_discriminant(quake, th, station_sigma=0.1)
    assert res.outcome == "earthquake-like" and res.screened_out
    assert "Pn/Lg" in res.evidence and "X" in res.evidence


def test_noise_only_s_window_is_a_lower_bound():
    rr = regional_ratios(_record(40.0, 0.0, seed=3), FS, PRE, DIST, sta="X", orid=1)
    r = _pick(rr)
    assert r.kind == "lower" and r.snr_s < 2.0 and r.log_ratio > 0.5
    res = ps_discriminant(rr, 10.0)  # even far below a threshold: a bound is never screened out
    assert res.bound == "lower" and not res.screened_out and res.outcome == "not assessed"
    above = ps_discriminant(rr, 0.0)
    assert above.bound == "lower" and above.outcome == "explosion-like"
    none = _pick(regional_ratios(_record(0.0, 0.0, seed=4), FS, PRE, DIST, sta="X"))
    assert none.kind == "none" and math.isnan(none.log_ratio)
    assert ps_discriminant([none]).outcome == "not assessed"


def test_noise_window_outside_data_is_an_error():
    x = _record(10.0, 10.0, seed=5)
    with pytest.raises(ValueError, match="noise"):
        regional_ratios(x[int((PRE + 30) * FS) :], FS, -30.0, DIST, sta="X")


def _population(slope: float, n_events: int, seed: int = 0) -> list[PSRatio]:
    rng = np.random.default_rng(seed)
    out = []
    for ev in range(n_events):
        for sta, term in (("A", -0.4), ("B", -0.2)):
            d = float(rng.uniform(200, 1800))
            y = term + slope * math.log10(d / 1000.0) + rng.normal(0, 0.05)
            out.append(PSRatio(ev, sta, HIGH_BAND, "Pn", "Lg", d, y, 0.05, 10, 10, "value"))
    return out


def test_distance_correction_recovered_and_monotone():
    pop = _population(-0.6, 12)
    corr = fit_distance_correction(pop)
    assert corr.fitted and abs(corr.slope + 0.6) < 3 * corr.slope_sigma + 0.05
    d = np.linspace(100, 2000, 50)
    assert np.all(np.diff(corr.correction(d)) < 0)  # negative slope: correction falls with Δ
    fixed = apply_distance_correction(pop, [corr])
    resid = [r.corrected - (-0.4 if r.sta == "A" else -0.2) for r in fixed]
    raw = [r.log_ratio - (-0.4 if r.sta == "A" else -0.2) for r in pop]
    assert np.std(resid) < 0.5 * np.std(raw)  # the trend is gone
    held = cross_validate_distance(pop)
    assert len(held) == 12 and all(math.isfinite(v) for v in held.values())
    few = fit_distance_correction(pop[:6])
    assert not few.fitted and few.slope == 0.0 and "earthquakes" in few.reason


def test_discriminant_at_the_threshold():
    def one(v, sta="A"):
        return PSRatio(1, sta, HIGH_BAND, "Pn", "Lg", 500.0, v, 0.0, 10, 10, "value")

    assert ps_discriminant([one(0.01)], 0.0).outcome == "explosion-like"
    assert ps_discriminant([one(-0.01)], 0.0).outcome == "earthquake-like"
    # screened out only beyond the one-sided 97.5 % margin
    near = ps_discriminant([one(-0.3)], 0.0, station_sigma=0.25)
    far = ps_discriminant([one(-0.6)], 0.0, station_sigma=0.25)
    assert not near.screened_out and far.screened_out
    two = ps_discriminant([one(-0.6, "A"), one(-0.2, "B")], 0.0, station_sigma=0.25)
    assert two.value == pytest.approx(-0.4) and two.uncertainty == pytest.approx(0.25 / 2**0.5)
    assert ps_discriminant([one(0.5)], 0.0, min_stations=2).outcome == "not assessed"
    beyond = PSRatio(1, "F", HIGH_BAND, "Pn", "Lg", MAX_DISTANCE_KM + 10, 1.0, 0, 10, 10, "value")
    assert ps_discriminant([beyond]).outcome == "not assessed"


def test_roc_and_operating_point():
    assert roc_auc([1, 2, 3], [-1, 0]) == 1.0
    assert roc_auc([0, 0], [0, 0]) == 0.5
    auc, lo, hi = bootstrap_auc([0.5, 0.8, 0.1], [-0.5, 0.2, -0.3, -0.1], n=500)
    assert lo <= auc <= hi and 0.0 <= lo and hi <= 1.0
    th, sd = operating_point([-0.5, -0.3, -0.1])
    assert sd == pytest.approx(0.2) and th == pytest.approx(-0.3 + 0.4)
    with pytest.raises(ValueError):
        operating_point([0.1])

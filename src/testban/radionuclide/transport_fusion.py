"""Fusion with transport: could the samples come from a release at the event's place and
time? And, with the xenon ratio clock, one verdict for the event.

**Transport** (:func:`assess_transport`). A release of ``q`` Bq in cell ``j`` predicts
``M[:, j]·q`` at the samples. Measurement and model errors are log-normal with
σ = ln(5)/2 (a factor 5 at 2σ, the ETEX FA5 band also used by
:mod:`testban.radionuclide.psr`): a detection ``c`` contributes
log N(ln c; ln(M q), σ), a non-detection the probability of staying below its MDC,
log Φ((ln MDC − ln(M q))/σ). For each cell the release is fitted (profile likelihood over
a log grid of ``q``) and the event's cells — the cells whose box meets the 90 % ellipse
(or holds the epicentre), with a release interval overlapping the event's release window
— are compared with the best release anywhere:

    Δ = 2 (ln L_best − ln L_event)

*consistent* when Δ ≤ χ²₃(0.95) = 7.81 (a release elsewhere does not explain the samples
significantly better; three degrees of freedom for place and time), *inconsistent*
otherwise, and inconsistent outright when some detecting sample has zero sensitivity to
every event cell (its air never passed over the event in the window). The posterior
share of the event's cells (uniform prior over cells, log-uniform over ``q``) is
reported as evidence. *Not assessable*: no SRS for the samples, no detection among them,
or SRS fields that do not cover the event's place or release window.

The release window is [origin, origin + ``window_s``] (default one day: prompt venting
or seepage) unless the ratio clock allows release delays, whose union is then used —
delayed venting (the 2013 DPRK xenon) is judged at the delays the isotopes allow.

**Combined verdict** (:func:`assess_event`): inconsistent if either the clock or the
transport is; consistent if one is consistent and the other consistent or not
assessable (said so); otherwise not assessable (or "mixed" from the clock), always with
the reasons of both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from testban.io.srs import SourceReceptor
from testban.radionuclide.fusion import Event, FusionVerdict, assess
from testban.radionuclide.psr import FACTOR, Measurements
from testban.radionuclide.xenon import XenonSample
from testban.radionuclide.xenon_clock import DAY
from testban.radionuclide.xenon_published import PublishedXenon

#: Log-normal σ of measurement and model errors (factor 5 at 2σ).
SIGMA_LN = math.log(FACTOR) / 2.0
#: χ²₃ at 95 %: largest Δ = 2(ln L_best − ln L_event) still judged consistent.
DELTA_MAX = 7.815
#: Default release window after the origin (s): prompt venting or seepage.
WINDOW_S = DAY
#: Points of the log grid of release magnitudes.
N_Q = 161
#: 90 % ellipse points used to find the event's cells.
N_ELLIPSE = 72


@dataclass(frozen=True)
class EventLocation:
    """A located event: origin (epoch s), epicentre (°) and its 90 % error ellipse
    (semi-axes in km, strike of the major axis in ° from north; NaN: a point)."""

    time: float
    lat: float
    lon: float
    smajax_km: float = math.nan
    sminax_km: float = math.nan
    strike_deg: float = 0.0

    def event(self) -> Event:
        return Event(self.time, self.lat, self.lon)


@dataclass(frozen=True)
class TransportVerdict:
    """The transport judgement and its evidence."""

    verdict: str
    reason: str
    n_samples: int = 0
    n_detections: int = 0
    n_event_cells: int = 0
    delta: float = math.nan  # 2 (ln L_best − ln L_event)
    posterior_event: float = math.nan  # posterior share of the event's cells
    prior_event: float = math.nan  # their share of all cells
    release_bq: float = math.nan  # best release in the event's cells
    best_cell: int = -1  # best cell overall
    best_event_cell: int = -1
    best_where: str = ""


@dataclass(frozen=True)
class EventVerdict:
    """The event against its samples: one verdict from the clock and the transport."""

    verdict: str
    reason: str
    clock: FusionVerdict
    transport: TransportVerdict
    windows: tuple[tuple[float, float], ...] = field(default_factory=tuple)


def _ellipse_points(ev: EventLocation) -> tuple[np.ndarray, np.ndarray]:
    """Epicentre and points on the 90 % ellipse (lat, lon)."""
    if not (math.isfinite(ev.smajax_km) and ev.smajax_km > 0):
        return np.array([ev.lat]), np.array([ev.lon])
    b = ev.sminax_km if math.isfinite(ev.sminax_km) and ev.sminax_km > 0 else ev.smajax_km
    th = np.linspace(0.0, 2 * math.pi, N_ELLIPSE, endpoint=False)
    # points on ellipse and half-size ellipse (to catch cells inside a large ellipse)
    a_km = np.concatenate([[0.0], ev.smajax_km * np.cos(th), 0.5 * ev.smajax_km * np.cos(th)])
    b_km = np.concatenate([[0.0], b * np.sin(th), 0.5 * b * np.sin(th)])
    s = math.radians(ev.strike_deg)
    north = a_km * math.cos(s) - b_km * math.sin(s)
    east = a_km * math.sin(s) + b_km * math.cos(s)
    lat = ev.lat + north / 111.195
    lon = ev.lon + east / (111.195 * max(math.cos(math.radians(ev.lat)), 1e-6))
    return lat, lon


def event_cells(
    sr: SourceReceptor, ev: EventLocation, windows: Sequence[tuple[float, float]]
) -> tuple[np.ndarray, str]:
    """Mask of the event's cells (place × release windows, epoch s) and, when empty,
    why (outside the grid, or outside the release times)."""
    c = sr.cells
    if not c.has_grid:
        return np.zeros(len(c), bool), "the SRS cells have no positions"
    plat, plon = _ellipse_points(ev)
    dx = c.dx if math.isfinite(c.dx) else 0.0
    dy = c.dy if math.isfinite(c.dy) else 0.0
    dlon = (plon[None, :] - c.lon[:, None] + 180.0) % 360.0 - 180.0
    inside = (np.abs(plat[None, :] - c.lat[:, None]) <= dy / 2 + 1e-9) & (
        np.abs(dlon) <= dx / 2 + 1e-9
    )
    place = inside.any(axis=1)
    if not place.any():
        return place, (f"the event's ellipse lies outside the SRS grid "
                       f"({np.nanmin(c.lat):.1f}–{np.nanmax(c.lat):.1f}°N, "
                       f"{np.nanmin(c.lon):.1f}–{np.nanmax(c.lon):.1f}°E)")  # fmt: skip
    when = np.zeros(len(c), bool)
    for a, b in windows:
        when |= (c.time_start < b) & (c.time_end > a)
    mask = place & when
    if not mask.any():
        t0, t1 = np.nanmin(c.time_start), np.nanmax(c.time_end)
        win = "; ".join(f"{_iso(a)}–{_iso(b)}" for a, b in windows)
        return mask, (f"the release window {win} is outside the SRS release times "
                      f"{_iso(t0)}–{_iso(t1)}")  # fmt: skip
    return mask, ""


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M") if math.isfinite(t) else "?"


def _log_ndtr(z: np.ndarray) -> np.ndarray:
    from scipy.special import log_ndtr

    return np.asarray(log_ndtr(z))


def release_loglik(
    matrix: np.ndarray, meas: Measurements, sigma_ln: float = SIGMA_LN, n_q: int = N_Q
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: profile log-likelihood (release fitted), the fitted release, and the
    log marginal likelihood (log-uniform prior over the grid of ``q``)."""
    m = np.asarray(matrix, float)
    det = np.asarray(meas.detected, bool) & np.isfinite(meas.conc) & (np.asarray(meas.conc) > 0)
    mdc = np.asarray(meas.mdc, float)
    nd = ~np.asarray(meas.detected, bool) & np.isfinite(mdc) & (mdc > 0)
    c = np.asarray(meas.conc, float)
    pos = m[det] > 0
    with np.errstate(divide="ignore"):
        q_implied = c[det][:, None] / np.where(pos, m[det], np.nan)
    lq = np.log(q_implied[np.isfinite(q_implied)])
    if lq.size == 0:
        n_cells = m.shape[1]
        return np.full(n_cells, -np.inf), np.full(n_cells, np.nan), np.full(n_cells, -np.inf)
    grid = np.linspace(lq.min() - 2.0, lq.max() + 2.0, n_q)  # ln q
    ln_c = np.log(c[det])
    ln_mdc = np.log(mdc[nd])
    n_cells = m.shape[1]
    prof = np.empty(n_cells)
    qhat = np.empty(n_cells)
    marg = np.empty(n_cells)
    step = 1000  # cells per chunk: samples × step × N_Q floats
    for a in range(0, n_cells, step):
        md = m[det, a : a + step]
        mn = m[nd, a : a + step]
        with np.errstate(divide="ignore"):
            lmd = np.log(md)[:, :, None] + grid[None, None, :]  # ln prediction (nd, k, Q)
            lmn = np.log(mn)[:, :, None] + grid[None, None, :]
        z = (ln_c[:, None, None] - lmd) / sigma_ln
        ll = np.where(np.isfinite(lmd), -0.5 * z * z, -np.inf).sum(axis=0)
        if nd.any():
            zn = (ln_mdc[:, None, None] - lmn) / sigma_ln
            ll = ll + _log_ndtr(zn).sum(axis=0)
        best = ll.argmax(axis=1)
        prof[a : a + step] = ll[np.arange(ll.shape[0]), best]
        qhat[a : a + step] = np.exp(grid[best])
        top = prof[a : a + step]
        safe = np.where(np.isfinite(top), top, 0.0)[:, None]
        with np.errstate(divide="ignore"):
            marg[a : a + step] = safe[:, 0] + np.log(np.mean(np.exp(ll - safe), axis=1))
    return prof, qhat, marg


def _cell_text(sr: SourceReceptor, j: int) -> str:
    c = sr.cells
    where = f"{c.lat[j]:.2f}°N {c.lon[j]:.2f}°E, " if math.isfinite(c.lat[j]) else ""
    return f"{where}{_iso(c.time_start[j])}"


def assess_transport(
    ev: EventLocation,
    sr: SourceReceptor | None,
    meas: Measurements | None,
    windows: Sequence[tuple[float, float]] | None = None,
    sigma_ln: float = SIGMA_LN,
) -> TransportVerdict:
    """The transport verdict (module docstring); ``windows`` are release intervals
    (epoch s), default [origin, origin + :data:`WINDOW_S`]."""
    if sr is None or meas is None or sr.n_samples == 0:
        return TransportVerdict("not assessable", "no SRS fields for the samples")
    wins = list(windows) if windows else [(ev.time, ev.time + WINDOW_S)]
    n_det = int(np.sum(np.asarray(meas.detected, bool)))
    if n_det == 0:
        return TransportVerdict("not assessable", f"no detection among the {sr.n_samples} "
                                "samples with SRS: transport cannot place a source",
                                sr.n_samples)  # fmt: skip
    mask, why = event_cells(sr, ev, wins)
    if not mask.any():
        return TransportVerdict("not assessable", why, sr.n_samples, n_det)
    det = np.asarray(meas.detected, bool)
    reach = sr.matrix[det][:, mask] > 0
    blind = ~reach.any(axis=1)
    if blind.any():
        names = [r.sample_id for r, d in zip(sr.receptors, det, strict=True) if d]
        who = ", ".join(n for n, b in zip(names, blind, strict=True) if b)
        return TransportVerdict(
            "inconsistent",
            f"the sensitivities of detecting sample(s) {who} never reach the event's "
            f"{int(mask.sum())} cells in the release window: air from there did not pass",
            sr.n_samples, n_det, int(mask.sum()),
        )  # fmt: skip
    prof, qhat, marg = release_loglik(sr.matrix, meas, sigma_ln)
    best = int(np.argmax(prof))
    ev_idx = np.flatnonzero(mask)
    best_ev = int(ev_idx[np.argmax(prof[ev_idx])])
    delta = 2.0 * (prof[best] - prof[best_ev])
    finite = np.isfinite(marg)
    top = np.max(marg[finite])
    w = np.where(finite, np.exp(marg - top), 0.0)
    post = float(w[mask].sum() / w.sum())
    prior = float(mask.mean())
    common = dict(n_samples=sr.n_samples, n_detections=n_det, n_event_cells=int(mask.sum()),
                  delta=float(delta), posterior_event=post, prior_event=prior,
                  release_bq=float(qhat[best_ev]), best_cell=best, best_event_cell=best_ev,
                  best_where=_cell_text(sr, best))  # fmt: skip
    evidence = (f"best release at the event {qhat[best_ev]:.3g} Bq ({_cell_text(sr, best_ev)}); "
                f"posterior share of the event's {int(mask.sum())} cells {post:.2g} "
                f"(prior {prior:.2g})")  # fmt: skip
    if not math.isfinite(delta) or delta > DELTA_MAX:
        return TransportVerdict(
            "inconsistent",
            f"a release elsewhere explains the {n_det} detection(s) better: best at "
            f"{_cell_text(sr, best)}, Δ = {delta:.1f} > {DELTA_MAX:.2f}; {evidence}",
            **common,  # type: ignore[arg-type]
        )
    return TransportVerdict(
        "consistent",
        f"a release at the event's place in the window explains the {n_det} detection(s) "
        f"and {sr.n_samples - n_det} non-detection(s) as well as the best release anywhere "
        f"(Δ = {delta:.1f} ≤ {DELTA_MAX:.2f}); {evidence}",
        **common,  # type: ignore[arg-type]
    )


def clock_windows(ev: EventLocation, clock: FusionVerdict) -> list[tuple[float, float]]:
    """Release windows (epoch s) from the clock's allowed delays, merged over samples."""
    ok = [s for s in clock.samples if s.verdict == "consistent"]
    spans = sorted((ev.time + a * DAY, ev.time + b * DAY) for s in ok for a, b in s.delays)
    out: list[tuple[float, float]] = []
    for a, b in spans:
        b = max(b, a + 3 * 3600.0)  # a single allowed delay still spans a release interval
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def combine(clock: FusionVerdict, transport: TransportVerdict) -> tuple[str, str]:
    """One verdict from the clock's and the transport's (module docstring)."""
    cv, tv = clock.verdict, transport.verdict
    both = f"clock: {cv} ({clock.reason}); transport: {tv} ({transport.reason})"
    if "inconsistent" in (cv, tv):
        which = " and ".join(n for n, v in (("the ratio clock", cv), ("transport", tv))
                             if v == "inconsistent")  # fmt: skip
        return "inconsistent", f"{which} rule(s) it out — {both}"
    if cv == "consistent" and tv == "consistent":
        return "consistent", f"in time (ratio clock) and in place (transport) — {both}"
    if cv == "consistent" and tv == "not assessable":
        return "consistent", f"in time through the ratio clock; transport not assessable — {both}"
    if tv == "consistent" and cv in ("not assessable", "mixed"):
        return "consistent", f"in place and time through transport; clock {cv} — {both}"
    if cv == "mixed":
        return "mixed", both
    return "not assessable", both


def assess_event(
    ev: EventLocation,
    samples: Sequence[XenonSample],
    sr: SourceReceptor | None = None,
    meas: Measurements | None = None,
    nsigma: float = 2.0,
) -> EventVerdict:
    """The event against its xenon ``samples`` (ratio clock, :mod:`fusion`) and, where
    given, the SRS rows ``sr`` with their measurements ``meas`` (transport)."""
    clock = assess(ev.event(), samples, nsigma)
    windows = clock_windows(ev, clock) if clock.verdict == "consistent" else []
    transport = assess_transport(ev, sr, meas, windows or None)
    verdict, reason = combine(clock, transport)
    return EventVerdict(verdict, reason, clock, transport,
                        tuple(windows or [(ev.time, ev.time + WINDOW_S)]))  # fmt: skip


def published_clock_verdict(ev: EventLocation, pub: PublishedXenon) -> FusionVerdict:
    """The clock verdict from a *published* time since fission (``age_min_days`` /
    ``age_max_days`` of :mod:`xenon_published`) where the sample's concentrations are not
    carried: the origin must lie that long before the collection (± half the collection
    window)."""
    age = (pub.time_mid - ev.time) / DAY
    half = 0.5 * (pub.time_stop - pub.time_start) / DAY
    lo, hi = pub.age_min_days, pub.age_max_days
    said = " and ".join(
        s for s in (f"more than {lo:g} d" if math.isfinite(lo) else "",
                    f"less than {hi:g} d" if math.isfinite(hi) else "") if s
    )  # fmt: skip
    where = f"{pub.label} [{pub.reference}]"
    if pub.time_stop <= ev.time:
        return FusionVerdict("inconsistent", f"{where}: collected before the origin time")
    if not said:
        return FusionVerdict("not assessable", f"{where}: no time since fission published")
    text = (f"{where}: published fission {said} before the detection; this origin is "
            f"{age:.1f} ± {half:.1f} d before the collection midpoint")  # fmt: skip
    if (math.isfinite(lo) and age + half < lo) or (math.isfinite(hi) and age - half > hi):
        return FusionVerdict("inconsistent", text)
    return FusionVerdict("consistent", text)

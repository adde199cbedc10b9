"""Source-term inversion on the Fukushima Xe-133 problem (issue 16).

Data: ../shared/data/radionuclide/fukushima_xe133 (FLEXPART/GFS matrix 858 × 972,
measurements, Stohl et al. 2012 a priori). Units: the matrix is Bq/m³ per Bq released in
a 3-h interval (columns time-major: 3·interval + layer, layers 0–50, 50–300, 300–1000 m),
the a priori GBq/s (mean rate per interval), the measurements Bq/m³. First interval
2011-03-10 00:00 UTC. Reference: Stohl et al. (2012) 15.3 EBq (about 12–18 EBq), major
releases 12–15 March 2011.

Run: PYTHONPATH=src TESTBAN_SHARED_DATA=../shared/data python bench/source_term_fukushima.py
"""

from __future__ import annotations

import calendar
import os
import sys
import time
from pathlib import Path

import numpy as np

from testban.radionuclide import inversion as inv

DATA = (
    Path(os.environ.get("TESTBAN_SHARED_DATA", "../shared/data")) / "radionuclide/fukushima_xe133"
)
T0 = calendar.timegm((2011, 3, 10, 0, 0, 0))
DT = 10800.0
#: 12 March 00:00 – 16 March 00:00 UTC, the window of the major releases.
MAJOR = (calendar.timegm((2011, 3, 12, 0, 0, 0)), calendar.timegm((2011, 3, 16, 0, 0, 0)))


def describe(st: inv.SourceTerm, cells: inv.ReleaseCells) -> str:
    in_major = (cells.start >= MAJOR[0]) & (cells.start < MAJOR[1])
    before_quake = cells.end <= calendar.timegm((2011, 3, 11, 3, 0, 0))
    per_t = st.release.reshape(-1, 3).sum(axis=1)
    top = np.argsort(per_t)[::-1][:3]
    tops = ", ".join(time.strftime("%d %b %H:%M", time.gmtime(T0 + DT * k)) for k in sorted(top))
    return (
        f"total {st.total / 1e18:.1f} EBq (90 % {st.total_lo / 1e18:.1f}–"
        f"{st.total_hi / 1e18:.1f}); 12–15 Mar share {st.release[in_major].sum() / st.total:.0%};"
        f" before 11 Mar 03:00 {st.release[before_quake].sum() / 1e18:.2f} EBq;"
        f" largest 3-h intervals {tops}; log-corr {st.log_corr:.3f}"
    )


def main() -> int:
    if not DATA.exists():
        print(f"skip: {DATA} absent")
        return 0
    m = inv.read_matrix(DATA / "matrixGFSXe.mat")
    meas = inv.read_measurements(DATA / "measXe.mat")
    xa = inv.read_prior(DATA / "aPrioriSource.mat", unit="gbq_s", interval_s=DT)
    cells = inv.regular_cells(m.shape[1], T0, DT, (0, 50, 300, 1000))
    print(f"a priori total {xa.sum() / 1e18:.2f} EBq; prior fit log-corr "
          f"{inv.log_correlation(meas.concentration, np.clip(m, 0, None) @ xa):.3f}")  # fmt: skip
    results = {}
    for name, fn in [
        ("tikhonov (Stohl prior)", lambda: inv.invert_tikhonov(m, meas, xa)),
        ("sparse L1, no prior", lambda: inv.invert_sparse(m, meas, cells, penalty="l1")),
        ("smooth, no prior", lambda: inv.invert_sparse(m, meas, cells, penalty="smooth")),
        ("bayes, no prior", lambda: inv.invert_bayes(m, meas, cells, n_steps=3000)),
    ]:
        t = time.process_time()
        st = fn()
        results[name] = st
        print(f"{name:24s} {describe(st, cells)}  [{time.process_time() - t:.0f} s CPU]")
        for n in st.notes[2:]:
            print(f"    {n}")
    # Leave a fifth out (5 folds of the informative samples, fixed seed).
    rows = np.flatnonzero(inv.informative_rows(m))
    folds = np.array_split(np.random.default_rng(16).permutation(rows), 5)
    for name, fn in [
        ("tikhonov", lambda mm, ms: inv.invert_tikhonov(mm, ms, xa)),
        ("sparse L1", lambda mm, ms: inv.invert_sparse(mm, ms, cells, penalty="l1")),
    ]:
        tots, corrs = [], []
        for f in folds:
            keep = np.setdiff1d(np.arange(m.shape[0]), f)
            st = fn(m[keep], meas.subset(keep))
            tots.append(st.total / 1e18)
            pred = np.clip(m[f], 0, None) @ st.release
            corrs.append(inv.log_correlation(meas.concentration[f], pred))
        print(f"5-fold {name:10s} totals {np.round(tots, 1)} EBq: spread (max−min) "
              f"{max(tots) - min(tots):.1f}, sd {np.std(tots):.1f}; held-out log-corr "
              f"{np.mean(corrs):.3f}")  # fmt: skip
    # Coverage of the point-source posterior on synthetic releases through the matrix.
    rng = np.random.default_rng(2026)
    s3 = np.clip(m, 0, None)[rows].reshape(len(rows), -1, 3).transpose(0, 2, 1)
    n_draw, hit_q, hit_t, hit_h, widths = 60, 0, 0, 0, []
    t = time.process_time()
    for _ in range(n_draw):
        h = int(rng.integers(3))
        t0 = rng.uniform(8, 200)
        dur = float(np.exp(rng.uniform(np.log(0.5), np.log(8))))
        q = 10 ** rng.uniform(14, 18)
        k = np.arange(s3.shape[2])
        w = np.clip(np.minimum(k + 1, t0 + dur) - np.maximum(k, t0), 0, None) / dur
        c = s3[:, h, :] @ w * q + inv.BACKGROUND_BQ_M3
        sig = rng.uniform(0.3, 1.5)
        c = c * np.exp(sig * rng.standard_normal(len(c)))
        y = np.where(c > inv.DEFAULT_MDC_BQ_M3, c, 0.0)
        post = inv.point_source_posterior(
            s3, inv.Measurements.from_values(y), n_steps=2000, seed=int(rng.integers(1 << 30))
        )
        hit_q += post.q_lo <= q <= post.q_hi
        st0 = post.samples[:, 1]
        lo_t, hi_t = np.quantile(st0, [0.05, 0.95])
        hit_t += lo_t <= t0 <= hi_t
        hit_h += int(np.argmax(post.place_prob) == h)
        widths.append(np.log10(post.q_hi / post.q_lo))
    print(f"synthetic point releases ({n_draw}, 3 layers × 324 intervals): 90 % interval "
          f"covers Q in {hit_q}/{n_draw} = {hit_q / n_draw:.0%}, start time in {hit_t}/{n_draw}"
          f" = {hit_t / n_draw:.0%}; layer mode right in {hit_h}/{n_draw}; median Q "
          f"interval {np.median(widths):.2f} decades")  # fmt: skip
    print(f"  [{time.process_time() - t:.0f} s CPU]")
    return 0


if __name__ == "__main__":
    sys.exit(main())

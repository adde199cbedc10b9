"""IDC categorisation of a particulate sample (levels 1–5).

Levels (Miley & Arthur; IDC practice as summarised in DESIGN.md):

1. natural background only;
2. anthropogenic nuclides, all within the station's normal range;
3. an anomalous anthropogenic nuclide that is not on the CTBT list of relevant
   fission/activation products (e.g. a calibration or medical source);
4. one anomalous CTBT-relevant fission or activation product;
5. several anomalous CTBT-relevant nuclides, at least one a fission product.

Normal range per station and nuclide: from the station's earlier detections
(concentrations), anomalous above mean + 3σ of that history. Fewer than ``MIN_HISTORY``
earlier detections is no history: any anthropogenic nuclide is then anomalous, which is
also the rule for a station without history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from testban.radionuclide.library import Nuclide, load_library

#: Earlier detections needed before a normal range is trusted (mean and σ from ≥ 3 values).
MIN_HISTORY = 3
#: A concentration above mean + N_SIGMA·σ of the history is anomalous.
N_SIGMA = 3.0


@dataclass(frozen=True)
class Categorisation:
    """Level (1–5), the anomalous nuclides behind it and one reason line per nuclide."""

    level: int
    anomalous: tuple[str, ...]
    reasons: tuple[str, ...]


def normal_threshold(history: Sequence[float | None]) -> float | None:
    """mean + 3σ of the earlier concentrations, or None with fewer than MIN_HISTORY."""
    vals = [float(x) for x in history if x is not None]
    h = np.array([x for x in vals if np.isfinite(x)], dtype=float)
    if h.size < MIN_HISTORY:
        return None
    return float(h.mean() + N_SIGMA * h.std(ddof=1))


def is_anomalous(value: float | None, history: Sequence[float] | None) -> bool:
    """True when ``value`` is above the history's normal range, or there is no usable
    history. ``value`` None (detected without a concentration, e.g. no efficiency or air
    volume) is compared with nothing: anomalous unless the history says the nuclide is
    routinely seen there (≥ MIN_HISTORY earlier detections)."""
    thr = normal_threshold(history or [])
    if thr is None:
        return True
    if value is None:
        return False
    return value > thr


def categorise(
    detected: Mapping[str, float | None],
    history: Mapping[str, Sequence[float]] | None = None,
    *,
    library: dict[str, Nuclide] | None = None,
) -> Categorisation:
    """Level of a sample from ``detected`` {nuclide: concentration (or None)} and the
    station ``history`` {nuclide: earlier concentrations}."""
    lib = library or load_library()
    hist = history or {}
    anomalous_rel: list[str] = []
    anomalous_other: list[str] = []
    normal: list[str] = []
    reasons: list[str] = []
    for name, value in sorted(detected.items()):
        nuc = lib.get(name)
        cls = nuc.cls if nuc else "anthropogenic"
        if cls == "natural":
            continue
        thr = normal_threshold(hist.get(name, []))
        if is_anomalous(value, hist.get(name)):
            (anomalous_rel if cls in ("fission", "activation") else anomalous_other).append(name)
            why = "no history" if thr is None else f"above normal range {thr:.3g}"
            reasons.append(f"{name} ({cls}) anomalous: {why}")
        else:
            normal.append(name)
            reasons.append(f"{name} ({cls}) within the station's normal range")
    if anomalous_rel:
        fission = any(lib[n].cls == "fission" for n in anomalous_rel if n in lib)
        level = 5 if len(anomalous_rel) >= 2 and fission else 4
    elif anomalous_other:
        level = 3
    elif normal:
        level = 2
    else:
        level = 1
    return Categorisation(level, tuple(anomalous_rel + anomalous_other), tuple(reasons))

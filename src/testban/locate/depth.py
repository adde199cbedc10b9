"""When is a free depth resolved? The rule that keeps it free or fixes it at the surface.

A network of stations all several focal depths away cannot tell depth from origin time:
both delay every first arrival by nearly the same amount, so a free depth follows the
model error, not the source (the DPRK tests came out 30–190 km deep and 4–6 s late from
regional Pn/Pg/Lg alone). The IDC therefore fixes depth at the surface unless the data
resolve it, and the ISC's locator (Bondár & Storchak 2011, GJI 186, 1220–1244; iLoc) free
depth only with "depth resolution". We keep a free depth when any of these holds:

* **depth phases** — at least ``min_depth_phases`` defining depth-phase times (pP; the
  pP − P delay grows ~ 2 h cos i / v with depth, independent of origin time). CSS3.0
  ``dtype`` "d";
* **a local station** — a defining arrival time within ``max_local_deg`` of the epicentre
  (0.2° ≈ 22 km, the ISC's value: within one or two crustal focal depths, where the
  take-off is steep and the direct travel time changes with depth at first order). A
  distance of "k × the depth" is not used: with a spurious deep solution it would call
  far stations local (the very failure it must catch). ``dtype`` "f";
* **S − P pairs** — at least ``min_sp_pairs`` stations within ``max_sp_deg`` with a
  defining P-type and S-type time (the ISC's 3 pairs within 2°: S − P fixes each
  distance, so the absolute times constrain depth). ``dtype`` "f";
* **a small depth uncertainty** — the 90 % depth half-interval is at most ``max_sdepth``
  at the surface. 20 km is about half a continental crust (~35–40 km): an interval that
  narrow places the source in the upper or the lower crust or below, which is a resolved
  depth; anything wider is compatible with both a surface explosion and a mid-crustal
  earthquake. Depth is resolved through travel time, so the bound is one of vertical P
  time (20 km at the model's surface P speed, 5.8 km/s in iasp91: ~3.4 s) and scales with
  the P speed at the solution's depth, vp(h)/vp(0): ~28 km at 170 km. ``dtype`` "f".

Otherwise the depth is fixed at the surface, "restrained by location program" (CSS3.0
``dtype`` "r"; "g" is kept for a depth fixed by the analyst/caller). The IMS1.0 origin
line prints "f" in its fixed-depth column for both and "d" for depth-phase depths.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from testban.locate.phases import DEPTH_PHASES

#: Table phases that are P at the station (first arrivals of a S − P pair).
P_TYPE = ("P", "Pn", "Pg")
#: Table phases that are S at the station (second arrivals of a S − P pair).
S_TYPE = ("S", "Sn", "Lg")


@dataclass(frozen=True)
class DepthRule:
    """Thresholds of the depth-resolution rule (see the module docstring for each)."""

    #: Defining depth-phase times needed (count): the ISC's 3; one can be misidentified.
    min_depth_phases: int = 3
    #: Distance (°) within which a defining station is local: 0.2° ≈ 22 km (ISC).
    max_local_deg: float = 0.2
    #: Local stations needed (count): one, as the ISC.
    min_local_stations: int = 1
    #: Distance (°) within which S − P pairs count: 2° (ISC).
    max_sp_deg: float = 2.0
    #: S − P pairs needed (count): 3 (ISC).
    min_sp_pairs: int = 3
    #: Largest 90 % depth half-interval (km) that counts as resolved at the surface
    #: (half a crust), scaled by vp(h)/vp(0) at depth h.
    max_sdepth: float = 20.0


@dataclass(frozen=True)
class DepthResolution:
    """What resolves a free depth: the counts, and ``basis`` ("" when nothing does)."""

    ndp: int  # defining depth-phase times
    nlocal: int  # stations with a defining time within max_local_deg
    nsp: int  # stations within max_sp_deg with defining P- and S-type times
    sdepth: float  # 90 % depth half-interval (km; inf when undetermined)
    basis: str  # "depth phases", "local station", "S-P pairs", "uncertainty" or ""

    @property
    def resolved(self) -> bool:
        return bool(self.basis)

    @property
    def dtype(self) -> str:
        """CSS3.0 ``origin.dtype`` of a depth kept free on this basis ("r" if not kept)."""
        return "d" if self.basis == "depth phases" else "f" if self.basis else "r"


def depth_resolution(
    sta: np.ndarray,
    phase: np.ndarray,
    delta: np.ndarray,
    timedef: np.ndarray,
    sdepth: float,
    rule: DepthRule,
    vp_ratio: float = 1.0,
) -> DepthResolution:
    """Decide whether a free depth is resolved, from the defining data at the solution.

    ``sta``, ``phase`` (table phase names), ``delta`` (°) and ``timedef`` (bool) are per
    observation; ``sdepth`` is the 90 % depth half-interval of the free solution (km) and
    ``vp_ratio`` the P speed at its depth over that at the surface (:func:`vp_ratio`).
    """
    sta, phase = np.asarray(sta).astype(str), np.asarray(phase).astype(str)
    delta, timedef = np.asarray(delta, float), np.asarray(timedef, bool)
    ndp = int(np.sum(timedef & np.isin(phase, DEPTH_PHASES)))
    near = timedef & (delta <= rule.max_local_deg)
    nlocal = len(set(sta[near]))
    regional = timedef & (delta <= rule.max_sp_deg)
    with_p = set(sta[regional & np.isin(phase, P_TYPE)])
    with_s = set(sta[regional & np.isin(phase, S_TYPE)])
    nsp = len(with_p & with_s)
    if ndp >= rule.min_depth_phases:
        basis = "depth phases"
    elif nlocal >= rule.min_local_stations:
        basis = "local station"
    elif nsp >= rule.min_sp_pairs:
        basis = "S-P pairs"
    elif np.isfinite(sdepth) and 0.0 <= sdepth <= rule.max_sdepth * vp_ratio:
        basis = "uncertainty"
    else:
        basis = ""
    return DepthResolution(ndp, nlocal, nsp, float(sdepth), basis)


@lru_cache(maxsize=4)
def _vp_profile(model: str) -> tuple[np.ndarray, np.ndarray]:
    """Depths (km) and P speeds (km/s) of ``model``'s layers, top and bottom of each."""
    from obspy.taup import TauPyModel

    v = TauPyModel(model).model.s_mod.v_mod.layers
    depth = np.column_stack([v["top_depth"], v["bot_depth"]]).ravel().astype(float)
    vp = np.column_stack([v["top_p_velocity"], v["bot_p_velocity"]]).ravel().astype(float)
    return depth, vp


def vp_ratio(model: str, depth: float) -> float:
    """P speed at ``depth`` (km) over that at the surface in ``model`` (≥ 1 in the mantle).

    At a discontinuity the speed just above it is taken (the smaller bound).
    """
    d, vp = _vp_profile(model)
    k = int(np.searchsorted(d, max(depth, 0.0), side="left"))
    k = min(max(k, 0), d.size - 1)
    if k > 0 and d[k] > depth:  # inside a layer: interpolate between its top and bottom
        t, b = k - 1, k
        w = (depth - d[t]) / (d[b] - d[t]) if d[b] > d[t] else 0.0
        v = vp[t] + w * (vp[b] - vp[t])
    else:
        v = vp[k]
    return float(v / vp[0])

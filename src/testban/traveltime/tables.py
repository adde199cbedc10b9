"""Build, store and load distance × depth travel-time tables from ObsPy's TauP.

A table holds, per phase and grid node, the first-arriving time (s), its slowness
dT/dΔ (s/°, TauP's exact ray parameter) and dT/dh (s/km) computed from the ray
parameter and the velocity at the source (the gradient of the travel time with respect to
source depth is minus the vertical slowness of the ray leaving the source). dT/dh is kept
on both sides of each node because it jumps across velocity discontinuities (the grid puts
nodes on the Conrad and the Moho, at 20 and 35 km in iasp91 and ak135).

Building runs TauP once per depth (``TauPTime``, as ``TauPyModel.get_travel_times`` does)
and reads each phase's exact ray samples (ray parameter, distance, time); the grid values
are cubic Hermite interpolants between samples, so a model builds in seconds instead of
the minutes that one ray-shooting ``get_travel_times`` call per node would take.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Bump when the grid, the phase set or the file layout changes: old caches are ignored.
TABLE_VERSION = 2

#: Distance nodes (°): 0.05° to 2° (near-source curvature of shallow sources), 0.2° to 30°
#: where regional phases live and the 410/660 km triplications bend the first-arrival curve
#: fastest, 1° beyond, where T(Δ) is smooth and cubic Hermite interpolation with exact
#: slopes stays below 0.01 s.
DISTANCES = np.round(
    np.concatenate(
        [np.arange(0.0, 2.0, 0.05), np.arange(2.0, 30.0, 0.2), np.arange(30.0, 180.5, 1.0)]
    ),
    6,
)

#: Depth nodes (km): dense in the crust and just below the Moho, where branches appear and
#: vanish quickly with source depth (Pg/Pn/Sn, p, the depth phases of shallow events), then
#: every 25–50 km to 700 km (deepest earthquakes, Tonga), with extra nodes just below the
#: 410 and 660 where branch ends move fastest with depth. Each velocity jump of the model
#: (Conrad, Moho, 410, 660) gets two nodes, at its depth and DISCONTINUITY_GAP below: TauP
#: puts a source lying on a jump above it, so no cell mixes the two sides.
DEPTHS = np.array(
    [
        0.0,
        5,
        10,
        15,
        20,
        27.5,
        35,
        40,
        45,
        50,
        60,
        70,
        85,
        100,
        125,
        150,
        175,
        200,
        250,
        300,
        350,
        410,
        413,
        420,
        440,
        470,
        500,
        535,
        570,
        600,
        630,
        660,
        663,
        670,
        700,
    ]
)
DISCONTINUITY_GAP = 0.001

#: Table phases and the TauP phases whose earliest arrival defines them. "P" and "S"
#: include the up-going "p"/"s" that arrive first from deep sources at short range;
#: "PKP" is the first core phase (PKIKP = PKPdf, or PKPab/bc where earlier). The depth
#: phases pP and sP (up-going P or S reflected as P at the free surface above the source)
#: are what resolves the depth of teleseismic events; pwP (reflected at the sea surface)
#: is not in TauP's water-free iasp91/ak135 and is :func:`pwp_delay` after pP.
TAUP_PHASES: dict[str, tuple[str, ...]] = {
    "P": ("p", "P"),
    "S": ("s", "S"),
    "Pn": ("Pn",),
    "Pg": ("Pg",),
    "Sn": ("Sn",),
    "pP": ("pP",),
    "PKP": ("PKIKP", "PKP"),
    "sP": ("sP",),
}

MODELS = ("iasp91", "ak135")


@dataclass(frozen=True)
class Tables:
    """Gridded travel times of one model, one row per travel-time branch.

    Arrays are shaped ``[branch, distance, depth]``; ``branch_phase[b]`` names the table
    phase (``P``, ``PKP`` …) branch ``b`` belongs to. A phase's time is the earliest of its
    branches, taken at query time: each branch is smooth, so interpolating branches
    separately keeps crossovers (triplications, p/P, PKPdf/PKPbc) sharp even though they
    move with source depth.
    """

    model: str
    phases: tuple[str, ...]
    branch_phase: tuple[str, ...]
    branch_name: tuple[str, ...]  # TauP phase and ray-parameter interval, e.g. "P#3"
    distances: np.ndarray  # (nd,) degrees
    depths: np.ndarray  # (nh,) km
    time: np.ndarray  # s; NaN beyond a cell past the ranges of this and adjacent depths
    slowness: np.ndarray  # s/°
    dtdh_above: np.ndarray  # s/km, velocity just above the node (cell above it)
    dtdh_below: np.ndarray  # s/km, velocity just below the node (cell below it)
    dmin: np.ndarray  # (nb, nh) first distance of the branch, NaN if none from that depth
    dmax: np.ndarray  # (nb, nh) last distance of the branch

    def branches(self, phase: str) -> np.ndarray:
        """Indices of the branches of ``phase``."""
        return np.flatnonzero(np.asarray(self.branch_phase) == phase)


def _critical_slowness(vmod, radius: float, wave: str) -> np.ndarray:
    """Ray parameters (s/°) of rays grazing each velocity jump of ``wave`` (``p``/``s``).

    Rays turning in one smooth layer form one smooth branch; a jump starts a new branch
    (a triplication or a reflected, retrograde branch), whatever the source depth.
    """
    out = []
    for z in vmod.get_discontinuity_depths()[1:-1]:
        va = float(np.ravel(vmod.evaluate_above(z, wave))[0])
        vb = float(np.ravel(vmod.evaluate_below(z, wave))[0])
        if abs(va - vb) > 1e-6:
            out += [(radius - z) / v * np.pi / 180.0 for v in (va, vb) if v > 0]
    return np.unique(out)


def _first_on_grid(
    x: np.ndarray, dist: np.ndarray, time: np.ndarray, slow: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Earliest time and its slowness at distances ``x`` from exact TauP ray samples.

    Between consecutive samples (Δ_i, T_i, p_i) of a branch T(Δ) is a cubic Hermite
    with the exact end slopes p = dT/dΔ (4th-order accurate, exact for head waves); where
    branches overlap (triplications, p and P) the earliest candidate wins.
    """
    d0, d1, t0, t1, p0, p1 = dist[:-1], dist[1:], time[:-1], time[1:], slow[:-1], slow[1:]
    keep = d0 != d1
    d0, d1, t0, t1, p0, p1 = (a[keep] for a in (d0, d1, t0, t1, p0, p1))
    lo, hi = np.minimum(d0, d1), np.maximum(d0, d1)
    inside = (x[:, None] >= lo - 1e-9) & (x[:, None] <= hi + 1e-9)
    h = d1 - d0
    s = np.clip((x[:, None] - d0) / h, 0.0, 1.0)
    s2, s3 = s * s, s * s * s
    t = (
        (2 * s3 - 3 * s2 + 1) * t0
        + (s3 - 2 * s2 + s) * h * p0
        + (-2 * s3 + 3 * s2) * t1
        + (s3 - s2) * h * p1
    )
    dt = (
        (6 * s2 - 6 * s) * t0 / h
        + (3 * s2 - 4 * s + 1) * p0
        + (-6 * s2 + 6 * s) * t1 / h
        + (3 * s2 - 2 * s) * p1
    )
    if not t.shape[1]:
        return np.full(x.size, np.nan), np.full(x.size, np.nan)
    t = np.where(inside, t, np.inf)
    best = np.argmin(t, axis=1)
    rows = np.arange(x.size)
    tb = t[rows, best]
    ok = np.isfinite(tb)
    return np.where(ok, tb, np.nan), np.where(ok, dt[rows, best], np.nan)


def _depth_nodes(vmod) -> np.ndarray:
    """:data:`DEPTHS` plus a node on each velocity jump and one just below it."""
    jumps = [
        z
        for z in vmod.get_discontinuity_depths()[1:-1]
        if z < DEPTHS[-1]
        and abs(np.ravel(vmod.evaluate_above(z, "p"))[0] - np.ravel(vmod.evaluate_below(z, "p"))[0])
        > 1e-6
    ]
    return np.unique(np.concatenate([DEPTHS, jumps, np.add(jumps, DISCONTINUITY_GAP)]))


def build_tables(model: str = "iasp91") -> Tables:
    """Compute the tables for ``model`` from TauP's exact ray samples (a few seconds)."""
    from obspy.taup import TauPyModel
    from obspy.taup.taup_time import TauPTime

    taup = TauPyModel(model)
    vmod = taup.model.s_mod.v_mod
    radius = float(taup.model.radius_of_planet)
    owner = {tp: name for name, group in TAUP_PHASES.items() for tp in group}
    crit = {w: _critical_slowness(vmod, radius, w) for w in ("p", "s")}
    deg = np.pi / 180.0
    samples: dict[str, dict[int, tuple]] = {}  # branch -> depth index -> ray samples
    depths = _depth_nodes(vmod)

    for ih, h in enumerate(depths):
        tt = TauPTime(taup.model, sorted(owner), float(h), 0.0)
        tt.depth_correct(float(h))
        tt.recalc_phases()
        above = vmod.evaluate_above if h > 0 else vmod.evaluate_below
        for phase in tt.phases:
            if phase.max_distance < max(phase.min_distance, 0) or len(phase.dist) < 2:
                continue  # the phase does not exist from this depth
            wave = "p" if phase.name[0] in "Pp" else "s"
            speeds = [float(np.ravel(f(h, wave))[0]) for f in (above, vmod.evaluate_below)]
            eta = [(radius - h) / v for v in speeds]
            dist, time, slow = np.degrees(phase.dist), phase.time, phase.ray_param * deg
            # Up-going p/s never turn: one smooth branch. Others split at critical slownesses.
            upgoing = phase.name[0].islower() and len(phase.name) == 1
            mid = 0.5 * (slow[:-1] + slow[1:])
            # The turning leg sets the critical slownesses: P for sP (S only up to the
            # surface), the source wave for the others.
            turn = "p" if phase.name == "sP" else wave
            part = np.zeros(mid.size, int) if upgoing else np.searchsorted(crit[turn], mid)
            for b in np.unique(part):
                pairs = np.flatnonzero(part == b)
                sel = np.union1d(pairs, pairs + 1)
                if np.any(np.diff(dist[sel])):
                    leaves = 1.0 if phase.name[0].isupper() else -1.0  # +1: leaves downwards
                    branch = samples.setdefault(f"{owner[phase.name]}:{phase.name}#{b}", {})
                    branch[ih] = (dist[sel], time[sel], slow[sel], leaves, eta, radius - h)

    names = sorted(samples, key=lambda n: (list(TAUP_PHASES).index(n.split(":")[0]), n))
    nb, nd, nh = len(names), DISTANCES.size, depths.size
    time, slow, up, down = (np.full((nb, nd, nh), np.nan) for _ in range(4))
    dmin, dmax = np.full((nb, nh), np.nan), np.full((nb, nh), np.nan)
    for k, name in enumerate(names):
        for ih, (dist, *_rest) in samples[name].items():
            dmin[k, ih], dmax[k, ih] = dist.min(), dist.max()
        for ih, (dist, tm, sl, sign, eta, r) in samples[name].items():
            # Values are needed wherever a neighbouring depth's range reaches, plus a cell.
            near = slice(max(ih - 1, 0), ih + 2)
            lo, hi = np.nanmin(dmin[k, near]) - 1.0, np.nanmax(dmax[k, near]) + 1.0
            t, p = _first_on_grid(DISTANCES, dist, tm, sl)
            i0, i1 = np.argmin(dist), np.argmax(dist)
            left, right = DISTANCES < dist[i0], DISTANCES > dist[i1]
            t[left] = tm[i0] + sl[i0] * (DISTANCES[left] - dist[i0])
            t[right] = tm[i1] + sl[i1] * (DISTANCES[right] - dist[i1])
            p[left], p[right] = sl[i0], sl[i1]
            keep = (DISTANCES >= lo) & (DISTANCES <= hi) & np.isfinite(t)
            time[k, keep, ih], slow[k, keep, ih] = t[keep], p[keep]
            # dT/dh = -sign · sqrt((r/v)^2 - p^2) / r, sign +1 for a ray leaving downwards.
            p_rad = p[keep] / deg
            for arr, e in ((up, eta[0]), (down, eta[1])):
                arr[k, keep, ih] = -sign * np.sqrt(np.clip(e**2 - p_rad**2, 0, None)) / r
    return Tables(
        model,
        tuple(TAUP_PHASES),
        tuple(n.split(":")[0] for n in names),
        tuple(n.split(":")[1] for n in names),
        DISTANCES.copy(),
        depths,
        time,
        slow,
        up,
        down,
        dmin,
        dmax,
    )


# ------------------------------------------------------------------------------ storage


def cache_dir() -> Path:
    """``$TESTBAN_CACHE/traveltime`` or ``~/.cache/testban/traveltime``."""
    root = os.environ.get("TESTBAN_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "testban"
    return base / "traveltime"


def file_name(model: str) -> str:
    """File name of a model's tables in the current layout version."""
    return f"{model}-v{TABLE_VERSION}.npz"


def shipped_path(model: str) -> Path:
    """Where the package ships a prebuilt table (present for iasp91)."""
    return Path(__file__).with_name("data") / file_name(model)


def part_path(path: Path) -> Path:
    """A temporary name next to ``path``, private to this process and thread: workers
    that build the same cache at once each write their own file, and the last complete
    one is renamed over ``path`` (never a file two writers interleaved)."""
    return path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.part.npz")


def save_tables(t: Tables, path: Path) -> Path:
    """Write ``t`` as compressed float32 ``.npz`` (≈ 1e-4 s resolution on 1200 s)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = part_path(path)
    f32 = np.float32
    np.savez_compressed(
        tmp,
        model=np.array(t.model),
        version=np.array(TABLE_VERSION),
        phases=np.array(t.phases),
        branch_phase=np.array(t.branch_phase),
        branch_name=np.array(t.branch_name),
        distances=t.distances,
        depths=t.depths,
        time=t.time.astype(f32),
        slowness=t.slowness.astype(f32),
        dtdh_above=t.dtdh_above.astype(f32),
        dtdh_below=t.dtdh_below.astype(f32),
        dmin=t.dmin,
        dmax=t.dmax,
    )
    os.replace(tmp, path)
    return path


def load_tables(path: Path) -> Tables | None:
    """Read tables written by :func:`save_tables`; None if missing or of another version."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != TABLE_VERSION:
                return None
            f64 = np.float64
            return Tables(
                str(z["model"]),
                tuple(str(p) for p in z["phases"]),
                tuple(str(p) for p in z["branch_phase"]),
                tuple(str(p) for p in z["branch_name"]),
                z["distances"].astype(f64),
                z["depths"].astype(f64),
                z["time"].astype(f64),
                z["slowness"].astype(f64),
                z["dtdh_above"].astype(f64),
                z["dtdh_below"].astype(f64),
                z["dmin"].astype(f64),
                z["dmax"].astype(f64),
            )
    except (OSError, KeyError, ValueError):
        return None


def get_tables(model: str = "iasp91", *, rebuild: bool = False) -> Tables:
    """The model's tables: shipped copy, else the disk cache, else built now and cached."""
    model = model.lower()
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; use one of {MODELS}")
    if not rebuild:
        for path in (shipped_path(model), cache_dir() / file_name(model)):
            t = load_tables(path)
            if t is not None and t.model == model:
                return t
    t = build_tables(model)
    try:
        save_tables(t, cache_dir() / file_name(model))
    except OSError:
        pass  # read-only home: use the tables without caching
    return t

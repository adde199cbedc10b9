"""The associator: detections → located events, streaming over overlapping time windows.

Per window of origin times:

1. **Stack** (back-projection): every unused detection votes, at every grid node, for the
   origin times its onset allows as the node's first P (and first S where phase labels are
   reliable), if its azimuth and slowness agree with the node; votes count distinct
   station-phases (:func:`testban.associate.kernels.stack`).
2. **Candidates**: local maxima of the stack over neighbouring nodes and nearby times.
3. **Evaluate** each candidate: gather the best-fitting detection per station, locate with
   :func:`testban.locate.locate` (global) or a grid refinement in the layered model
   (local), re-gather every phase (first P, S, Sn, Lg — re-identifying the detection's
   initial phase) at the refined hypocentre, relocate, and score by the log-likelihood
   ratio of "these are the event's phases" against "they are false detections at each
   station's false-detection rate", plus the log-probability of the stations that
   should have detected the event and did not (detection probability from the event's mb
   and the station's noise level, both from amplitudes when present).
4. **Greedy** best-first: the best-scoring event that meets the event definition criteria
   takes its detections; candidates that shared them are re-evaluated without them.
   Passes repeat on the detections left, to find events masked by bigger ones.
5. **One event per source**: an event about to form whose detections fit the phases of an
   event already formed (or the reverse: later phases misread as first arrivals build a
   second hypocentre seconds after the first) is weighed against it: the two-event
   hypothesis scores the sum of both likelihood ratios less one event's threshold
   (``min_score``, the evidence any event must bring), the one-event hypothesis the best
   relocation of the union of their detections (their phase labels then free). The more
   likely wins; a merged event keeps the union of consistent phases.

Events belong to the window that contains their origin time; detections used by earlier
windows are carried over, and so are their events (:class:`PriorEvent`, rivals of the
one-event rule that are never changed). The best hypothesis of a neighbouring window holds
its detections for the rest of a pass (a rival too), so that a source near a boundary is
formed once, by the window that holds its origin time.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from testban.associate import kernels
from testban.associate.config import AssociatorConfig
from testban.associate.geometry import GlobalGeometry, LocalGeometry
from testban.io.problems import ReadProblem
from testban.locate import LocateError, LocatorConfig, Observations, locate
from testban.magnitude import mb_station, q_vc
from testban.network import Network
from testban.records.css30 import Arrival, Assoc, Origerr, Origin, jdate
from testban.records.earth import KM_PER_DEG

#: Initial phases that are P-type / S-type at the station; other named phases (LR, T, H,
#: I, Rg) are not associated with seismic body-wave events; anything else ("N", "-", "tx")
#: is an unidentified detection that may be any phase.
P_NAMES = frozenset({"P", "Pn", "Pg", "Pb", "P*", "PKP", "PKPdf", "PKPbc", "PKPab", "PKiKP",
                     "PKIKP", "Px", "p", "pP", "Pdiff", "PcP"})  # fmt: skip
S_NAMES = frozenset({"S", "Sn", "Lg", "Sg", "Sb", "S*", "Sx", "s", "ScS"})
OTHER_NAMES = frozenset({"LR", "T", "H", "I", "Rg", "LQ", "O"})
DEPTH_PHASES = frozenset({"pP", "sP", "pwP"})

UNIT_SLOW_RANGE = {"global": 25.0, "local": 0.5}  # span of measured slowness (s/°, s/km)


@dataclass
class _Arrivals:
    """Detections as columns, sorted by time."""

    rec: list[Arrival]
    sta: np.ndarray
    time: np.ndarray
    cls: np.ndarray  # 0 P-type, 1 S-type, 2 unknown, 3 other
    tsig: np.ndarray  # pick σ (s)
    az: np.ndarray  # NaN where not used
    azsig: np.ndarray
    slow: np.ndarray
    slowsig: np.ndarray  # measurement ⊕ model error of a P slowness
    delslo: np.ndarray  # measurement error alone
    amp: np.ndarray
    per: np.ndarray
    snr: np.ndarray
    arid: np.ndarray


@dataclass
class Event:
    """One evaluated hypothesis: location, associated detections and their phases."""

    lat: float
    lon: float
    depth: float
    time: float
    idx: np.ndarray  # indices into the arrival columns
    phases: list[str]
    score: float
    ok: bool
    location: object = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PriorEvent:
    """An event formed outside this call (an earlier window's, already stored): its
    hypocentre and the ids of its detections. A new event whose detections fit its phases
    is weighed against it, as against the events of the call (one event per source across
    window boundaries); it is never changed."""

    lat: float
    lon: float
    depth: float
    time: float
    arids: tuple[int, ...]


@dataclass
class Result:
    """What :func:`associate` returns (also unpacks as a 4-tuple)."""

    origins: list[Origin]
    assocs: list[Assoc]
    origerrs: list[Origerr]
    problems: list[ReadProblem]
    scores: dict[int, float] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.origins, self.assocs, self.origerrs, self.problems))


def _classify(iphase: str) -> int:
    p = iphase.strip()
    if p in P_NAMES:
        return 0
    if p in S_NAMES:
        return 1
    if p in OTHER_NAMES:
        return 3
    return 2


def _station_stats(a: _Arrivals, nsta: int) -> tuple[np.ndarray, np.ndarray]:
    """False-detection rate (per s) and log10 noise amplitude per station, from history."""
    span = max(float(a.time[-1] - a.time[0]) if a.time.size else 0.0, 3600.0)
    counts = np.bincount(a.sta, minlength=nsta).astype(float)
    # Most detections are false (IDC: > 60 %), so the detection rate bounds the false
    # rate; one detection per hour is the floor for a station with no history.
    false_rate = np.maximum(counts, 1.0) / span
    noise = np.full(nsta, np.nan)
    ok = (a.amp > 0) & (a.snr > 0) & (a.per > 0)
    if ok.any():
        ratio = np.log10(a.amp[ok] / a.snr[ok] / a.per[ok])
        for s in np.unique(a.sta[ok]):
            noise[s] = float(np.median(ratio[a.sta[ok] == s]))
    return false_rate, noise


class Associator:
    """Associates detections of one network; :meth:`run` streams over windows.

    The instance holds only set-up that no call changes (network, grid, travel-time
    tables, configuration); each call's detections and bookkeeping live in its own
    :class:`_Search`, so one instance may serve concurrent calls from several threads.
    """

    def __init__(self, network: Network, config: AssociatorConfig | None = None):
        self.cfg = cfg = config or AssociatorConfig()
        self.network = network
        self.codes = tuple(network.codes)
        self.index = {c: i for i, c in enumerate(self.codes)}
        lat, lon = network.lat(), network.lon()
        geo_cls = LocalGeometry if cfg.mode == "local" else GlobalGeometry
        self.geo = geo_cls(lat, lon, cfg)
        elev = network.elev()
        self.elev = np.where(np.isfinite(elev), elev, 0.0)
        prim = set()
        if cfg.station_set == "primary":
            try:
                prim = set(network.stations("primary"))
            except ValueError:
                prim = set()
        arrays = network.arrays()
        for a in list(prim):
            prim.update(arrays.get(a, []))
        self.primary = np.array([(c in prim) if prim else True for c in self.codes])
        self.locator_cfg = cfg.locator or LocatorConfig(
            default_deltim=cfg.default_deltim, outlier_sigma=0.0, n_starts=1
        )
        for arr in (self.elev, self.primary):
            arr.flags.writeable = False  # shared by concurrent calls: read only

    # ----------------------------------------------------------------- inputs

    def _columns(self, arrivals: Sequence[Arrival], problems: list[ReadProblem]) -> _Arrivals:
        cfg = self.cfg
        keep, unknown = [], set()
        for a in arrivals:
            if a.sta in self.index:
                keep.append(a)
            else:
                unknown.add(a.sta)
        for s in sorted(unknown):
            problems.append(
                ReadProblem(
                    "",
                    f"station {s!r} not in the network; its detections are ignored",
                    seed_id=s,
                    severity="warning",
                )
            )
        keep.sort(key=lambda a: a.time)
        n = len(keep)

        def arr(name: str) -> np.ndarray:
            return np.array([getattr(a, name) for a in keep], float) if n else np.zeros(0)

        deltim, az, delaz = arr("deltim"), arr("azimuth"), arr("delaz")
        slow, delslo = arr("slow"), arr("delslo")
        tsig = np.where(deltim > 0, deltim, cfg.default_deltim)
        delaz = np.where(delaz > 0, delaz, cfg.default_delaz)
        az_ok = (az >= 0) & (az <= 360) & (delaz <= cfg.max_delaz) & (cfg.mode == "global")
        delslo = np.where(delslo > 0, delslo, cfg.default_delslo)
        sl_ok = (slow >= 0) & (cfg.mode == "global")
        return _Arrivals(
            rec=keep,
            sta=np.array([self.index[a.sta] for a in keep], np.int64),
            time=arr("time"),
            cls=np.array([_classify(a.iphase) for a in keep], np.int64),
            tsig=tsig,
            az=np.where(az_ok, az, np.nan),
            azsig=np.hypot(delaz, cfg.model_az_error),
            slow=np.where(sl_ok, slow, np.nan),
            slowsig=np.hypot(delslo, cfg.model_slow_error),
            delslo=delslo,
            amp=arr("amp"),
            per=arr("per"),
            snr=arr("snr"),
            arid=np.array([a.arid for a in keep], np.int64),
        )

    # -------------------------------------------------------------- streaming

    def run(
        self,
        arrivals: Sequence[Arrival],
        progress: Callable[[float], None] | None = None,
    ) -> Result:
        cfg = self.cfg
        problems: list[ReadProblem] = []
        a = self._columns(arrivals, problems)
        search = _Search(self, a, np.zeros(a.time.size, bool))
        events: list[Event] = []
        if a.time.size == 0:
            return search.records(events, problems)
        t_first, t_last = float(a.time[0]), float(a.time[-1])
        start = t_first - cfg.max_travel_time
        n_win = max(int(math.ceil((t_last - start) / cfg.window)), 1)
        for w in range(n_win):
            ta = start + w * cfg.window
            tb = ta + cfg.window
            for _ in range(cfg.passes):
                got = search.window(ta, tb)
                events.extend(got)
                if not got:
                    break
            if progress is not None:
                progress((w + 1) / n_win)
        events.sort(key=lambda e: e.time)
        return search.records(events, problems)

    def run_window(
        self,
        arrivals: Sequence[Arrival],
        ta: float,
        tb: float,
        used_arids: Iterable[int] = (),
        prior: Sequence[PriorEvent] = (),
    ) -> Result:
        """Events whose origin time lies in ``[ta, tb)``, from ``arrivals`` less those in
        ``used_arids`` (taken by the events of earlier windows); ``prior``: those events
        (the ones within a travel time of ``ta``), which a new event is weighed against.

        The unit of work of a windowed pipeline: give it the detections from about one
        window before ``ta`` (station history) to ``tb`` + the longest travel time. The
        answer depends only on its arguments, so windows may run on any worker, and
        concurrently through one shared instance."""
        problems: list[ReadProblem] = []
        a = self._columns(arrivals, problems)
        taken = np.fromiter(used_arids, np.int64)
        used = np.isin(a.arid, taken) if taken.size else np.zeros(a.time.size, bool)
        search = _Search(self, a, used, prior)
        events: list[Event] = []
        if a.time.size:
            for _ in range(self.cfg.passes):
                got = search.window(ta, tb)
                events.extend(got)
                if not got:
                    break
        events.sort(key=lambda e: e.time)
        return search.records(events, problems)

    def conflicts(
        self,
        arrivals: Sequence[Arrival],
        events: Sequence[PriorEvent],
        prior: Sequence[PriorEvent],
    ) -> bool:
        """Whether one of ``events`` (a window associated without the earlier windows'
        events) would have been weighed against one of ``prior`` (those events): the
        rivalry test of the one-event rule. If none would, associating the window again
        with ``prior`` gives the same events, so a pipeline need not."""
        a = self._columns(arrivals, [])
        search = _Search(self, a, np.zeros(a.time.size, bool), prior)
        return any(search._rivals(search._prior_event(e)) for e in events)


class _Search:
    """The association of one call (:meth:`Associator.run` or :meth:`~Associator.run_window`).

    Holds everything that changes while windows are searched — the detections, which of
    them events have taken, the station statistics — so that the :class:`Associator`
    keeps only its immutable set-up and one instance may serve concurrent calls (threads
    of a Dask worker). The set-up is referenced, never written."""

    def __init__(
        self, owner: Associator, a: _Arrivals, used: np.ndarray, prior: Sequence[PriorEvent] = ()
    ):
        self.cfg = owner.cfg
        self.network = owner.network
        self.codes = owner.codes
        self.geo = owner.geo
        self.elev = owner.elev
        self.primary = owner.primary
        self.locator_cfg = owner.locator_cfg
        self.a = a
        self.used = used  # detections taken by events (of earlier windows or this call)
        self.false_rate, self.noise = _station_stats(a, len(self.codes))
        self.formed: list[Event] = []  # events of this call, for :meth:`_resolve`
        # Events formed before this call (earlier windows'): rivals, never changed.
        self.prior = [self._prior_event(p) for p in prior]
        self.held: list[Event] = []  # a pass's best events of neighbouring windows

    def _prior_event(self, p: PriorEvent) -> Event:
        """An :class:`Event` of ``p`` (its detections among this call's; score unknown)."""
        idx = np.flatnonzero(np.isin(self.a.arid, np.asarray(p.arids, np.int64)))
        return Event(p.lat, p.lon, p.depth, p.time, idx, [], math.nan, True, None, {"prior": True})

    def window(self, ta: float, tb: float) -> list[Event]:
        """One pass over origin times ``[ta, tb)``: the events found take their detections."""
        cfg = self.cfg
        a = self.a
        pad = 2.0 * cfg.bin_width + 30.0 * (cfg.mode == "global")
        t0 = ta - pad
        nb = int(math.ceil((tb - ta + 2 * pad) / cfg.bin_width))
        lo = np.searchsorted(a.time, t0)
        hi = np.searchsorted(a.time, tb + pad + cfg.max_travel_time)
        sel = np.arange(lo, hi)
        sel = sel[~self.used[sel] & (a.cls[sel] != 3)]
        if sel.size < cfg.min_votes:
            return []
        vote = np.where(a.cls[sel] == 0, 1, 0)
        vote = np.where(a.cls[sel] == 2, 1 | (2 if cfg.vote_s else 0), vote)
        if cfg.vote_s:
            vote = np.where(a.cls[sel] == 1, 2, vote)
        sel, vote = sel[vote > 0], vote[vote > 0]
        order = np.argsort(a.sta[sel], kind="stable")
        sel, vote = sel[order], vote[order]
        tab = self.geo.tables()
        grid = self.geo.grid
        stackv = np.zeros((len(grid), nb), np.float32)
        tsig = np.hypot(a.tsig[sel], cfg.model_time_error)
        kernels.stack(
            a.sta[sel], a.time[sel] - t0, vote.astype(np.int64), tsig, a.az[sel], a.azsig[sel],
            a.slow[sel], a.slowsig[sel], tab.tp, tab.pp, tab.ts, tab.ps, tab.baz, tab.gaz,
            float(grid.cell), float(self.geo.slow_grid), cfg.n_sigma, cfg.bin_width, stackv,
        )  # fmt: skip
        half = max(int(round(2.0 * cfg.model_time_error / cfg.bin_width)), 1)
        js, bs, vs = kernels.peaks(stackv, grid.nbr_ptr, grid.nbr, half, cfg.min_votes)
        del stackv
        # Hash and rank only the peaks with the most votes (a compute budget, 10× the
        # candidates evaluated).
        order = np.argsort(-vs, kind="stable")[: 10 * cfg.max_candidates]
        js, bs = js[order], bs[order]
        sig, qual = kernels.signatures(
            js, bs, a.sta[sel], a.time[sel] - t0, vote.astype(np.int64), tsig, a.az[sel],
            a.azsig[sel], a.slow[sel], a.slowsig[sel], tab.tp, tab.pp, tab.ts, tab.ps, tab.baz,
            tab.gaz, float(grid.cell), float(self.geo.slow_grid), cfg.n_sigma, cfg.bin_width,
        )  # fmt: skip
        _u, first = np.unique(sig, return_index=True)
        first = first[np.argsort(-qual[first], kind="stable")][: cfg.max_candidates]
        heap: list[tuple[float, int, Event]] = []
        seen: set[tuple[int, ...]] = set()
        k = 0
        for j, b in zip(js[first], bs[first], strict=True):
            tc = t0 + (b + 0.5) * cfg.bin_width
            ev = self._evaluate(grid.lat[j], grid.lon[j], grid.depth[j], tc, first=True)
            if ev is None or not ev.ok:
                continue
            key = tuple(sorted(ev.idx.tolist()))
            if key in seen:
                continue
            seen.add(key)
            heapq.heappush(heap, (-ev.score, k, ev))
            k += 1
        out: list[Event] = []
        self.held = []
        while heap:
            _s, _k, ev = heapq.heappop(heap)
            if self.used[ev.idx].any():
                ev2 = self._evaluate(ev.lat, ev.lon, ev.depth, ev.time, first=False)
                if ev2 is not None and ev2.ok:
                    heapq.heappush(heap, (-ev2.score, k, ev2))
                    k += 1
                continue
            if cfg.mode == "global" and ev.extra.get("nsta", 99) <= 4 and not ev.extra.get("gs"):
                ev = self._global_search(ev)
            if not (ta <= ev.time < tb):
                # The best hypothesis left belongs to a neighbouring window, which forms
                # it: its detections are held for the rest of this pass, so that weaker
                # hypotheses built from some of them (later phases read as first
                # arrivals, an origin time pulled inside the window) do not form here.
                self.used[ev.idx] = True
                ev.extra["prior"] = True  # a rival here, formed (and changed) there only
                self.held.append(ev)
                continue
            if cfg.one_event_per_source and not self._resolve(ev, ta, tb):
                continue
            self.used[ev.idx] = True
            out.append(ev)
            self.formed.append(ev)
        for e in self.held:
            self.used[e.idx] = False
        self.held = []
        return out

    # ------------------------------------------------------- one event per source

    def _fits(self, ev: Event, idx: np.ndarray) -> int:
        """How many detections ``idx`` fit some phase of ``ev`` in time (any family)."""
        if idx.size == 0:
            return 0
        a = self.a
        sta = a.sta[idx]
        pred = self.geo.predict(ev.lat, ev.lon, ev.depth, sta)
        cols = np.arange(idx.size)
        r = a.time[idx][None, :] - ev.time - pred.time[:, cols]
        sig = np.hypot(a.tsig[idx][None, :], pred.sigma[:, cols])
        with np.errstate(invalid="ignore"):
            ok = np.abs(r) <= self.cfg.n_sigma * sig
        return int(ok.any(axis=0).sum())

    def _rivals(self, ev: Event) -> list[Event]:
        """Formed, prior and held events (those of neighbouring windows) close enough in
        time to ``ev`` that one's detections fit the other's phases, the best fitting
        first."""
        rivals = []
        for e in self.formed + self.prior + self.held:
            if abs(e.time - ev.time) > self.cfg.max_travel_time:
                continue
            n = self._fits(e, ev.idx) + self._fits(ev, e.idx)
            if n:
                rivals.append((-n, abs(e.time - ev.time), id(e), e))
        return [r[-1] for r in sorted(rivals)]

    def _prior_score(self, e: Event) -> float:
        """The likelihood score of a prior event at its hypocentre (its detections
        re-gathered there, in this call's station statistics); ``min_score`` when it no
        longer forms (it passed the criteria when it was formed)."""
        if math.isnan(e.score):
            saved = self.used[e.idx].copy()
            self.used[e.idx] = False
            try:
                got = self._evaluate(e.lat, e.lon, e.depth, e.time, first=False)
            finally:
                self.used[e.idx] = saved
            e.score = got.score if got is not None else self.cfg.min_score
        return e.score

    def _resolve(self, ev: Event, ta: float = -math.inf, tb: float = math.inf) -> bool:
        """Whether ``ev`` forms as an event of its own rather than joining one formed.

        For each formed (or prior) event close enough in time that one's detections fit
        the other's phases, the one-event hypothesis (the union of both events' detections
        relocated from either hypocentre, ``ev``'s phase labels free) is compared with the
        two-event one (the sum of both scores less ``min_score``, the evidence a second
        event must add). When one event is the more likely, the formed event becomes the
        merged one in place (its detections change; ``ev``'s others stay free) and ``ev``
        is dropped. A prior event (an earlier window's) or a held one (a neighbouring
        window's, to be formed there) is never changed, nor is a formed one moved out of
        this window's origin times ``[ta, tb)``: then ``ev`` is dropped and the event
        stays as it was.
        """
        cost = max(self.cfg.min_score, 0.0)
        for e in self._rivals(ev)[:3]:
            prior = bool(e.extra.get("prior"))
            if prior:
                self._prior_score(e)
            one = self._merge(e, ev)
            if one is None or max(one.score, e.score) <= e.score + ev.score - cost:
                continue
            if one.score < e.score or prior or not (ta <= one.time < tb):
                # ev's detections are false, or belong to e, which stays as it was
                return False
            self.used[e.idx] = False
            for f in dataclasses.fields(Event):
                setattr(e, f.name, getattr(one, f.name))
            self.used[e.idx] = True
            return False
        return True

    def _starts(self, h: Event, idx: np.ndarray) -> list[tuple[float, float, float, float]]:
        """``h``'s hypocentre and its epicentre at each node depth of the grid, the origin
        time shifted by the median change of first-P time at the stations of ``idx``: a
        hypothesis built from misread phases often sits at the wrong depth and time."""
        out = [(h.lat, h.lon, h.depth, h.time)]
        sta = np.unique(self.a.sta[idx])
        here = self.geo.predict(h.lat, h.lon, h.depth, sta).time[0]
        depths = self.cfg.grid_depths if self.cfg.mode == "global" else self.cfg.local_depths
        for z in depths:
            if abs(z - h.depth) < 1.0:
                continue
            dt = here - self.geo.predict(h.lat, h.lon, z, sta).time[0]
            if np.isfinite(dt).any():
                out.append((h.lat, h.lon, z, h.time + float(np.nanmedian(dt))))
        return out

    def _merge(self, e: Event, ev: Event) -> Event | None:
        """The best single event from the detections of ``e`` and ``ev`` (relocated from
        each one's hypocentre and epicentre at the grid's depths, the phase labels of both
        free: a label overruled pays the odds of an unidentified detection); None if none
        is valid."""
        saved = self.used[e.idx].copy()
        self.used[e.idx] = False
        cls = self.a.cls.copy()
        union = np.union1d(e.idx, ev.idx)
        cls[union] = np.where(cls[union] == 3, 3, 2)
        best = None
        try:
            starts = self._starts(e, union) + self._starts(ev, union)
            for lat, lon, z, t in starts:
                got = self._evaluate(lat, lon, z, t, first=False, cls=cls)
                if got is not None and got.ok and (best is None or got.score > best.score):
                    best = got
        finally:
            self.used[e.idx] = saved
        return best

    def _global_search(self, ev: Event) -> Event:
        """A small event located from a nearby start may sit in a local minimum (3–4
        stations, azimuths weighing as much as times): locate its detections again from
        the locator's global grid search and keep the solution with the higher score."""
        pred = self.geo.predict(ev.lat, ev.lon, ev.depth, np.arange(len(self.codes)))
        loc = self._locate(ev.idx, ev.extra["rows"], pred, None)
        ev.extra["gs"] = True
        if loc is None:
            return ev
        lat, lon, depth, t0 = loc[:4]
        alt = self._evaluate(lat, lon, depth, t0, first=False)
        if alt is None or not alt.ok or alt.score <= ev.score or self.used[alt.idx].any():
            return ev
        alt.extra["gs"] = True
        return alt

    # ------------------------------------------------------------- evaluation

    def _slow_sigma(self, cand: np.ndarray, fam: int) -> np.ndarray:
        """Slowness σ of detections ``cand`` as a phase of family ``fam``: measurement ⊕
        model error, the model error doubled for S-type phases (as for times)."""
        return np.hypot(self.a.delslo[cand], self.cfg.model_slow_error * (1.0 + fam))

    def _gather(
        self,
        pred,
        t0: float,
        extra_tol: np.ndarray | float,
        first_only: bool,
        cls_all: np.ndarray | None = None,
    ):
        """Best detection per station and predicted phase (row) near the predictions.

        A detection may be any phase of its initial phase's family (P-type or S-type;
        unidentified ones any phase), or of the other family when its measured slowness
        contradicts every phase of its own family and fits this one (automatic initial
        phases are often wrong at regional distances; the slowness is the evidence).
        ``cls_all`` replaces the detections' phase classes (see :meth:`_merge`)."""
        cfg = self.cfg
        a = self.a
        cls_all = a.cls if cls_all is None else cls_all
        nph = pred.time.shape[0] if not first_only else (2 if cfg.vote_s else 1)
        if cfg.mode == "local":
            # No azimuths, slownesses or depth phases: one compiled pass (same choice).
            return kernels.local_gather(
                a.time, a.sta, cls_all, a.tsig, self.used, float(t0), pred.time, pred.slow,
                pred.sigma, pred.family, nph, float(extra_tol), cfg.n_sigma,
            )  # fmt: skip
        tmax = np.nanmax(pred.time) if np.isfinite(pred.time).any() else 0.0
        lo = np.searchsorted(a.time, t0 - 30.0)
        hi = np.searchsorted(a.time, t0 + tmax + 60.0)
        cand = np.arange(lo, hi)
        cand = cand[~self.used[cand] & (cls_all[cand] != 3)]
        if cand.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        s = a.sta[cand]
        cls = cls_all[cand]
        sl = a.slow[cand]
        has_sl = np.isfinite(sl)
        slow_pad = self.geo.slow_grid * bool(np.any(extra_tol)) + 0.5
        slow_ok = np.ones((nph, cand.size), bool)
        for ph in range(nph):
            fam = pred.family[ph]
            width = cfg.n_sigma * self._slow_sigma(cand, fam) + slow_pad
            slow_ok[ph] = ~has_sl | (np.abs(sl - pred.slow[ph][s]) <= width)
        fits = [np.zeros(cand.size, bool), np.zeros(cand.size, bool)]
        if not first_only:
            for ph in range(nph):
                fits[pred.family[ph]] |= has_sl & slow_ok[ph] & np.isfinite(pred.time[ph][s])
        azv = a.az[cand]
        az_ok = np.isfinite(azv)
        azr = np.abs((azv - pred.baz[s] + 540.0) % 360.0 - 180.0)
        grid_az = (
            np.degrees(
                np.arcsin(np.clip(np.divide(extra_tol, np.maximum(pred.dist[s], 1e-6)), 0, 1))
            )
            if np.any(extra_tol)
            else 0.0
        )
        az_gate = ~az_ok | (azr <= cfg.n_sigma * a.azsig[cand] + grid_az)
        best_r = np.full(cand.size, np.inf)
        best_ph = np.full(cand.size, -1)
        for ph in range(nph):
            fam = pred.family[ph]
            other = 1 - fam
            allowed = (cls == 2) | (cls == fam)
            if not first_only:
                allowed |= (cls == other) & has_sl & ~fits[other] & fits[fam]
            tt = pred.time[ph][s]
            sig = np.hypot(a.tsig[cand], pred.sigma[ph][s])
            r = (a.time[cand] - t0 - tt) / sig
            tol = cfg.n_sigma + extra_tol * np.abs(pred.slow[ph][s]) / sig
            gate = allowed & np.isfinite(r) & (np.abs(r) <= tol) & slow_ok[ph] & az_gate
            q = np.abs(r) / np.maximum(tol, 1e-9)
            better = gate & (q < best_r)
            best_r = np.where(better, q, best_r)
            best_ph = np.where(better, ph, best_ph)
        keep = best_ph >= 0
        cand, best_r, best_ph = cand[keep], best_r[keep], best_ph[keep]
        # One detection per station and phase: the best fitting.
        key = a.sta[cand] * nph + best_ph
        order = np.lexsort((best_r, key))
        first = np.ones(order.size, bool)
        first[1:] = key[order][1:] != key[order][:-1]
        pick = order[first]
        cand, best_ph, best_r = cand[pick], best_ph[pick], best_r[pick]
        # A depth phase is taken only with the station's first P: alone, it is more
        # likely a false detection (pP is rarely seen where P is not).
        depth_rows = [k for k, n in enumerate(pred.names) if n in DEPTH_PHASES]
        if depth_rows and not first_only:
            with_p = np.isin(a.sta[cand], a.sta[cand[best_ph == 0]])
            keep = ~np.isin(best_ph, depth_rows) | with_p
            cand, best_ph, best_r = cand[keep], best_ph[keep], best_r[keep]
        return cand, best_ph, best_r

    def _evaluate(
        self,
        lat: float,
        lon: float,
        depth: float,
        t0: float,
        first: bool,
        cls: np.ndarray | None = None,
    ):
        idx = np.arange(len(self.codes))
        geo = self.geo
        if first:
            pred = geo.predict(lat, lon, depth, idx)
            cells = self.geo.grid.cell
            got, ph, _ = self._gather(pred, t0, cells, first_only=True)
            if np.unique(self.a.sta[got]).size < 3:
                return None
            loc = self._locate(got, ph, pred, (lat, lon, depth, t0))
            if loc is None:
                return None
            lat, lon, depth, t0 = loc[:4]
        # Gather every phase at the hypocentre and relocate, until the detections gathered
        # stop changing: a first location from first P alone may be a cell off and miss the
        # regional S phases that pin it down.
        prev = None
        loc = None
        for _ in range(max(self.cfg.relocations, 1)):
            pred = geo.predict(lat, lon, depth, idx)
            got, ph, _ = self._gather(pred, t0, 0.0, first_only=False, cls_all=cls)
            if np.unique(self.a.sta[got]).size < 3:
                return None
            key = (got.tobytes(), ph.tobytes())
            if key == prev:
                break
            prev = key
            loc = self._locate(got, ph, pred, (lat, lon, depth, t0))
            if loc is None:
                return None
            lat, lon, depth, t0 = loc[:4]
        else:
            pred = geo.predict(lat, lon, depth, idx)
        assert loc is not None
        names = [self._phase_name(pred, p, s) for p, s in zip(ph, self.a.sta[got], strict=True)]
        return self._score(lat, lon, depth, t0, got, ph, names, pred, loc[4], cls)

    def _phase_name(self, pred, ph: int, s: int) -> str:
        if self.cfg.mode == "local" or ph > 0:
            return pred.names[ph]
        return (str(pred.first[s]) if pred.first is not None else "") or "P"

    def _locate(self, got, ph, pred, start):
        a = self.a
        names = [self._phase_name(pred, p, s) for p, s in zip(ph, a.sta[got], strict=True)]
        if self.cfg.mode == "local":
            return self._locate_local(got, ph, start)
        sta = a.sta[got]
        obs = Observations.from_arrays(
            [self.codes[s] for s in sta], names, a.time[got],
            self.network.lat()[sta], self.network.lon()[sta], elev=self.elev[sta],
            deltim=a.tsig[got], azimuth=a.az[got], delaz=a.azsig[got],
            slow=np.where(pred.family[ph] == 0, a.slow[got], np.nan), delslo=a.slowsig[got],
            arid=a.arid[got],
        )  # fmt: skip
        try:
            loc = locate(obs, start=start, depth=None, config=self.locator_cfg)
        except (LocateError, ValueError, FloatingPointError):
            return None
        o = loc.origin
        if not (np.isfinite(o.lat) and np.isfinite(o.time)):
            return None
        return o.lat, o.lon, o.depth, o.time, loc

    def _locate_local(self, got, ph, start):
        """Two-stage grid refinement in the layered model (robust L2 misfit)."""
        a, geo = self.a, self.geo
        if not isinstance(geo, LocalGeometry):  # only mode "local" builds a LocalGeometry
            raise TypeError("local location needs the local geometry (mode='local')")
        x0, y0 = geo.xy(np.array(start[0]), np.array(start[1]))
        sta = a.sta[got]
        t = a.time[got]
        tref = float(t.min())
        sig = np.hypot(a.tsig[got], np.where(ph == 0, 1.0, 2.0) * self.cfg.model_time_error)
        w = 1.0 / sig**2
        x, y, z, ot, mis = kernels.local_locate(
            float(x0), float(y0), float(start[2]), geo.sx[sta], geo.sy[sta],
            ph.astype(np.int64), t - tref, w, geo.tab["P"][0], geo.tab["S"][0], 0.25,
            self.cfg.n_sigma**2,
        )  # fmt: skip
        lat, lon = geo.latlon(x, y)
        return float(lat), float(lon), z, ot + tref, {"misfit": mis, "x": x, "y": y}

    def _score(self, lat, lon, depth, t0, got, ph, names, pred, loc, cls=None) -> Event:
        cfg, a = self.cfg, self.a
        cls = a.cls if cls is None else cls
        sta = a.sta[got]
        sig = np.hypot(a.tsig[got], pred.sigma[ph, sta])
        r = a.time[got] - t0 - pred.time[ph, sta]
        ok = np.isfinite(r) & (np.abs(r) <= cfg.n_sigma * sig)
        got, ph, sta, sig, r = got[ok], ph[ok], sta[ok], sig[ok], r[ok]
        names = [n for n, k in zip(names, ok, strict=True) if k]
        llr = (
            -0.5 * (r / sig) ** 2
            - np.log(sig * math.sqrt(2 * math.pi))
            - np.log(self.false_rate[sta])
        )
        azv = a.az[got]
        m = np.isfinite(azv)
        if m.any():
            azr = (azv[m] - pred.baz[sta[m]] + 540.0) % 360.0 - 180.0
            s2 = a.azsig[got][m]
            llr[m] += -0.5 * (azr / s2) ** 2 - np.log(s2 * math.sqrt(2 * math.pi) / 360.0)
        sl = a.slow[got]
        m = np.isfinite(sl)
        if m.any():
            sr = sl[m] - pred.slow[ph[m], sta[m]]
            s2 = self._slow_sigma(got[m], pred.family[ph[m]])
            rng = UNIT_SLOW_RANGE[cfg.mode]
            llr[m] += -0.5 * (sr / s2) ** 2 - np.log(s2 * math.sqrt(2 * math.pi) / rng)
        # An unidentified detection was given the phase it fits best among those the
        # station can record: its phase is a choice among them, at prior odds 1 : n.
        # A detection whose label was set free (:meth:`_merge`) pays the same odds when
        # given a phase of the other family than its label's.
        unknown = (cls[got] == 2) & ((a.cls[got] == 2) | (pred.family[ph] != a.cls[got]))
        if unknown.any():
            n_rows = np.isfinite(pred.time[:, sta[unknown]]).sum(axis=0)
            llr[unknown] -= np.log(np.maximum(n_rows, 1))
        score = float(llr.sum()) + self._missed(depth, got, ph, sta, pred)
        defining_sta = np.unique(sta)
        n_set = int(self.primary[defining_sta].sum())
        if self.cfg.mode == "local":
            n_both = np.intersect1d(sta[ph == 0], sta[ph == 1]).size
            enough = n_both >= cfg.min_stations
        else:
            enough = defining_sta.size >= cfg.min_stations and (
                cfg.station_set == "all" or n_set >= cfg.min_primary
            )
        is_ok = bool(enough and got.size >= cfg.min_phases and score >= cfg.min_score)
        return Event(
            lat,
            lon,
            depth,
            t0,
            got,
            names,
            score,
            is_ok,
            loc,
            {"nsta": defining_sta.size, "nset": n_set, "rows": ph},
        )

    def _missed(self, depth, got, ph, sta, pred) -> float:
        """log P(detections | event) of the P-detecting and non-detecting stations.

        Needs the event's mb (from the P amplitudes) and each station's noise level; 0 when
        either is unknown. Only the teleseismic P range of the mb formula (20–100°) is used.
        """
        if self.cfg.mode != "global":
            return 0.0
        a = self.a
        p_det = got[ph == 0]
        d_all = pred.dist
        ok = (a.amp[p_det] > 0) & (a.per[p_det] > 0)
        d_det = d_all[a.sta[p_det]]
        ok &= (d_det >= 20) & (d_det <= 100)
        if not ok.any():
            return 0.0
        mb = mb_station(a.amp[p_det][ok], a.per[p_det][ok], d_det[ok], depth, delta_range=None)
        mb = mb[np.isfinite(mb)]
        if mb.size == 0:
            return 0.0
        mbe = float(np.median(mb))
        alive = np.isfinite(self.noise) & (d_all >= 20) & (d_all <= 100)
        if not alive.any():
            return 0.0
        from scipy.special import ndtr

        thr = self.noise + math.log10(self.cfg.snr_threshold) + q_vc(d_all, depth)
        pd = np.clip(ndtr((mbe - thr) / self.cfg.magnitude_sigma), 1e-3, 1 - 1e-3)
        detected = np.zeros(len(self.codes), bool)
        detected[a.sta[p_det]] = True
        term = np.where(detected, np.log(pd), np.log1p(-pd))
        return float(term[alive & np.isfinite(term)].sum())

    # ------------------------------------------------------------------ output

    def records(self, events: list[Event], problems: list[ReadProblem]) -> Result:
        """CSS3.0 rows of ``events`` (origins numbered from ``first_orid`` in order)."""
        cfg, a = self.cfg, self.a
        origins, assocs, origerrs = [], [], []
        scores = {}
        for k, ev in enumerate(events):
            orid = cfg.first_orid + k
            loc = ev.location
            sta = a.sta[ev.idx]
            pred = self.geo.predict(ev.lat, ev.lon, ev.depth, sta)
            ph = ev.extra["rows"]
            rows = []
            for i, (ai, name) in enumerate(zip(ev.idx, ev.phases, strict=True)):
                tt = pred.time[ph[i], i]
                res = float(a.time[ai] - ev.time - tt)
                azres = -999.0
                if np.isfinite(a.az[ai]):
                    azres = float((a.az[ai] - pred.baz[i] + 540.0) % 360.0 - 180.0)
                delta = (
                    float(pred.dist[i])
                    if cfg.mode == "global"
                    else float(pred.dist[i] / KM_PER_DEG)
                )
                rows.append(Assoc(
                    arid=int(a.arid[ai]), orid=orid, sta=self.codes[sta[i]], phase=name,
                    belief=1.0, delta=round(delta, 3), seaz=round(float(pred.baz[i]), 2),
                    esaz=round(float(pred.esaz[i]), 2),
                    timeres=round(res, 3) if np.isfinite(res) else -999.0, timedef="d",
                    azres=round(azres, 1), azdef="d" if azres > -999 else "n",
                    slodef="n", wgt=-1.0,
                    vmodel=cfg.model if cfg.mode == "global" else cfg.layers.name,
                ))  # fmt: skip
            assocs.extend(rows)
            ndef = len(rows)
            lo = getattr(loc, "origin", None)  # the locator's depth decision (issue 11)
            origins.append(Origin(
                lat=round(ev.lat, 5), lon=round(ev.lon, 5), depth=round(ev.depth, 3),
                time=round(ev.time, 5), orid=orid, evid=orid, jdate=jdate(ev.time),
                nass=ndef, ndef=ndef, ndp=lo.ndp if lo else 0, dtype=lo.dtype if lo else "f",
                algorithm="testban:assoc",
                auth=cfg.auth,
            ))  # fmt: skip
            if cfg.mode == "global" and loc is not None and hasattr(loc, "origerr"):
                origerrs.append(dataclasses.replace(loc.origerr, orid=orid))
            else:
                rms = float(np.sqrt(np.mean([r.timeres**2 for r in rows])))
                origerrs.append(Origerr(orid=orid, sdobs=round(rms, 4), conf=0.9))
            scores[orid] = ev.score
        return Result(origins, assocs, origerrs, problems, scores)


def associate_window(
    arrivals: Iterable[Arrival],
    network: Network,
    start: float,
    end: float,
    config: AssociatorConfig | None = None,
    *,
    used_arids: Iterable[int] = (),
) -> Result:
    """The events with origin times in ``[start, end)`` (see :meth:`Associator.run_window`)."""
    return Associator(network, config).run_window(list(arrivals), start, end, used_arids)


def associate(
    arrivals: Iterable[Arrival],
    network: Network,
    config: AssociatorConfig | None = None,
    *,
    progress: Callable[[float], None] | None = None,
) -> Result:
    """Associate detections into located events.

    Returns ``(origins, assocs, origerrs, problems)`` (a :class:`Result`, which also holds
    each origin's likelihood score). ``config`` defaults to the global IMS preset;
    :meth:`AssociatorConfig.local` is the preset for a dense local network.
    """
    return Associator(network, config).run(list(arrivals), progress=progress)

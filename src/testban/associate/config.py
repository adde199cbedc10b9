"""Associator settings: one dataclass, two presets (global IMS, dense local network).

Every default is a physical or operational quantity with its reason next to it; the same
values are used for every data set of a kind (global or local), never tuned per bulletin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from testban.associate.layered import HADLEY_KANAMORI, LayeredModel
from testban.locate import LocatorConfig


@dataclass(frozen=True)
class AssociatorConfig:
    """How detections are grouped into events; see :func:`testban.associate.associate`."""

    #: "global" (TauP tables, IMS, degrees) or "local" (flat layers, km): a preset name.
    mode: str = "global"
    #: Global travel-time model name: iasp91, the IDC's.
    model: str = "iasp91"
    #: Local travel-time model (flat layers, km and km/s): Hadley–Kanamori southern
    #: California, the usual model of the local test networks.
    layers: LayeredModel = HADLEY_KANAMORI

    # ---------------------------------------------------------------- the grid
    #: Global node spacing (°): 2° keeps the time error of a node (≤ ~1.4° from any
    #: epicentre) within the stacking tolerance while a day stays ~10 CPU-s.
    grid_spacing: float = 2.0
    #: Node depths (km): shallow and intermediate-deep; a deep event is within ~250 km of a
    #: node, a common-mode time shift of ≤ ~30 s that the origin time absorbs (differential
    #: dT/dh across distances ≤ ~0.05 s/km); the locator frees depth afterwards.
    grid_depths: tuple[float, ...] = (0.0, 250.0)
    #: Local grid box (°: lat_min, lat_max, lon_min, lon_max); None = the stations' box
    #: plus the margin below, which covers every event the network can locate.
    region: tuple[float, float, float, float] | None = None
    #: Margin around the stations' box (km): events just outside a network are still
    #: located by it to within a few station spacings.
    region_margin_km: float = 20.0
    #: Local node spacing (km): 3 km at P ≈ 6 km/s is 0.5 s, the local bin width.
    local_spacing_km: float = 3.0
    #: Local node depths (km): upper, middle and lower crust, where local events occur.
    local_depths: tuple[float, ...] = (4.0, 10.0, 16.0)

    # --------------------------------------------------------------- stacking
    #: Width of an origin-time bin (s); votes spread over the node's time uncertainty.
    bin_width: float = 4.0
    #: Origin-time window per step (s): an hour, the run's window.
    window: float = 3600.0
    #: Longest travel time considered (s): PKP at 180° (~1210 s) plus margin.
    max_travel_time: float = 1250.0
    #: Largest distance (°) at which a first P is associated (PKP included).
    max_distance: float = 180.0
    #: Minimum stacked stations for a candidate (count; the criteria need 3).
    min_votes: float = 3.0
    #: Whether S-type arrivals vote with the first S (reliable phase labels, local picks).
    vote_s: bool = False
    #: Compute budget (count): at most this many distinct candidates (most votes first)
    #: are evaluated per window and pass.
    max_candidates: int = 200
    #: Gather-and-locate rounds per candidate (count), repeated while the detections
    #: gathered at the new hypocentre change (a first location from first P alone may be
    #: a cell off and miss the regional S phases that pin it down).
    relocations: int = 3
    #: Passes of stack → candidates → greedy (count); later passes find events masked by
    #: bigger ones.
    passes: int = 1

    # ------------------------------------------------------ measurement errors
    #: Time error (s) of an arrival without ``deltim``: an automatic IDC pick.
    default_deltim: float = 1.0
    #: Azimuth error (°) of an arrival without one: a poor 3-C or small-array estimate.
    default_delaz: float = 20.0
    #: Slowness error (s/°) of an arrival without one: the same, in slowness.
    default_delslo: float = 3.0
    #: Model errors added in quadrature: IDC uncalibrated P ~1–2 s, azimuth 5°, 1.5 s/°
    #: (see testban.locate.model_errors); S-type phases are twice as uncertain.
    model_time_error: float = 1.5
    #: Azimuth model error (°): lateral refraction and station bias at IMS arrays.
    model_az_error: float = 5.0
    #: Slowness model error (s/°): the same, in slowness.
    model_slow_error: float = 1.5
    #: Azimuths with delaz above this (°) are not used (noise-dominated 3-C estimates).
    max_delaz: float = 45.0
    #: Association gate (dimensionless: standard deviations of the time, azimuth or
    #: slowness residual): 3 σ keeps 99.7 % of the true associations.
    n_sigma: float = 3.0

    # ------------------------------------------------------------- likelihood
    #: Detection SNR threshold of station processing (dimensionless amplitude ratio; IDC
    #: STA/LTA ~3–4): a missed detection's amplitude is below it.
    snr_threshold: float = 3.0
    #: Spread of station magnitudes about the network mean (magnitude units; IDC mb ~0.35).
    magnitude_sigma: float = 0.35
    #: Events need this log-likelihood ratio over "all its detections are false": the log
    #: of the number of node × origin-time hypotheses tested per window (~2·10⁷ ≈ e^16.7)
    #: plus log 20, so that chance coincidences of false detections pass in fewer than
    #: one window in 20 (P(LLR ≥ s) ≤ e^−s under the null).
    min_score: float = 20.0

    # ------------------------------------------------------- event definition
    #: At least this many stations (count) with a defining phase (the REB's 3) ...
    min_stations: int = 3
    #: ... of which this many (count) of ``station_set``. The REB asks 3 primary stations; IDC
    #: analysts also define events with auxiliary stations (LEB), whose detections are
    #: less reliable (mostly single 3-C sites, data on request), so two primary stations
    #: must carry the event and the third may be auxiliary. 3 = REB criteria.
    min_primary: int = 2
    #: Which stations count as primary (a name): "primary" (IMS affiliations when
    #: present, else every station) or "all" (no primary stations required).
    station_set: str = "primary"
    #: Events also need this many defining phases in all (local: P + S picks).
    min_phases: int = 3

    #: Whether an event about to form is weighed against the events already formed whose
    #: phases its detections fit (one event per source: later phases do not build a
    #: second event); see :meth:`testban.associate.core._Search._resolve`.
    one_event_per_source: bool = True

    # ----------------------------------------------------------------- output
    #: First provisional orid of a call (an id; the store renumbers).
    first_orid: int = 1
    #: Author written on the origins (a name; a run writes its own).
    auth: str = "testban:assoc"
    #: Locator settings of the events' final location (the ``[locate]`` table); None: the
    #: defaults with this configuration's pick error, no outlier rejection and one start
    #: (association has already chosen the defining data and the starting point).
    locator: LocatorConfig | None = None

    def with_(self, **changes: Any) -> AssociatorConfig:
        """A copy with some settings changed."""
        return replace(self, **changes)

    @classmethod
    def local(cls, **changes: Any) -> AssociatorConfig:
        """Preset for a dense local network (tens of km, P and S picks, 1-D layers).

        Bins of 0.5 s and 3σ gates of ~1 s match pick errors (~0.1–0.3 s) plus 1-D model
        errors (~0.5 s P, ~1 s S) at local distances; an event is kept with 3 stations and
        10 phases (PyOcto's defaults for dense networks: 10 picks, 3 stations with both).
        """
        base: dict[str, Any] = dict(
            mode="local",
            bin_width=0.5,
            window=900.0,
            max_travel_time=40.0,
            vote_s=True,
            default_deltim=0.2,
            model_time_error=0.4,
            min_votes=6.0,
            max_candidates=100,
            min_score=0.0,
            min_stations=3,
            min_phases=8,
            station_set="all",
            passes=2,
            # P and S are gathered from the first step (both vote), so one relocation
            # finds what a second would.
            relocations=1,
        )
        base.update(changes)
        return cls(**base)

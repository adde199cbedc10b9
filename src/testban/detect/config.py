"""Detector configuration: dataclass defaults, read from and written to TOML.

One :class:`DetectConfig` holds every parameter of station processing. Defaults live in
the dataclasses (and, identically, in the shipped ``default.toml``); a TOML file need only
name what it changes. Per-station overrides go in ``[stations.<CODE>]`` tables with the
same keys as the top level (e.g. other bands for a noisy station).

>>> cfg = DetectConfig()
>>> cfg.sta, cfg.lta
(1.0, 30.0)
>>> from_toml(to_toml(cfg)) == cfg
True
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Band",
    "BeamRing",
    "DetectConfig",
    "InfraBand",
    "InfrasoundConfig",
    "PRESSURE_CHANNELS",
    "default_path",
    "from_mapping",
    "from_toml",
    "read_config",
    "to_toml",
    "write_config",
]


@dataclass(frozen=True, slots=True)
class Band:
    """A pass band of the filter bank: corners ``low``/``high`` (Hz), STA/LTA ``threshold``.

    The threshold is an amplitude SNR: the square root of the STA/LTA ratio of mean
    squared amplitude (the ratio of RMS amplitudes) that declares a detection.
    """

    low: float
    high: float
    threshold: float


@dataclass(frozen=True, slots=True)
class BeamRing:
    """Beams of one horizontal slowness ``slow`` (s/°) at ``naz`` evenly spaced azimuths.

    ``slow=0`` gives the single vertical-incidence beam whatever ``naz`` is.
    """

    slow: float
    naz: int


def _default_bands() -> tuple[Band, ...]:
    return (
        Band(0.5, 2.0, 3.0),
        Band(1.0, 3.0, 3.0),
        Band(2.0, 4.0, 3.0),
        Band(3.0, 6.0, 3.2),
        Band(4.0, 8.0, 3.5),
    )


def _default_rings() -> tuple[BeamRing, ...]:
    return (BeamRing(0.0, 1), BeamRing(5.5, 6), BeamRing(9.0, 8), BeamRing(13.5, 10))


@dataclass(frozen=True)
class DetectConfig:
    """All station-processing parameters (times in s, frequencies in Hz, slowness s/°).

    Each field says its unit and why it has its value; the same values serve every data
    set (IMS arrays, 3-C stations, regional networks), never tuned to one recording.
    """

    # ------------------------------------------------------------------ detector
    #: The filter bank (Hz, amplitude-SNR thresholds): overlapping octave-wide bands over
    #: 0.5–8 Hz, where teleseismic P (≈1–2 Hz) and regional P/S (2–8 Hz) stand above the
    #: microseism; thresholds ≈ 3 (STA/LTA of power ≈ 9), as in the IDC's DFX beams, a
    #: little higher in the noisier high bands to keep the false-alarm rate flat.
    bands: tuple[Band, ...] = field(default_factory=_default_bands)
    #: Butterworth order per band (causal, poles): 3 keeps onsets sharp (little ringing
    #: ahead of the arrival) while falling 18 dB/octave outside the band.
    filter_order: int = 3
    #: Short-term average length (s): about one period of the longest-period band's
    #: centre (1 Hz), so one cycle of a P onset fills it.
    sta: float = 1.0
    #: Long-term average length (s): ≥ 30 × STA, long enough to measure the noise level
    #: across microseism beats yet short enough to follow its diurnal change.
    lta: float = 30.0
    #: Trigger-off level as a fraction of a band's threshold (dimensionless): a detection
    #: ends when the ratio falls to half its on-level (hysteresis against chatter).
    off_ratio: float = 0.5
    #: Shortest trigger kept (s): half a period at 1 Hz; spikes and glitches are shorter.
    min_duration: float = 0.5
    #: Shortest time between two detections at one station (s): a P coda re-triggers
    #: within a few seconds; 4 s still separates Pn from Pg beyond ~30 km.
    min_separation: float = 4.0

    # -------------------------------------------------------------------- arrays
    #: Beam slowness grid (s/°, azimuths per ring): vertical incidence, teleseismic P
    #: (≈ 5.5 s/°), Pn (≈ 9–13.5 s/°); ring spacing keeps the beam loss at 1–2 Hz under
    #: ~3 dB for arrays of ≤ 20 km aperture.
    beam_rings: tuple[BeamRing, ...] = field(default_factory=_default_rings)
    #: Fewest live elements to beam (count): three elements are the fewest that resolve a
    #: plane wave's two slowness components with one redundant sensor.
    min_elements: int = 3

    # ----------------------------------------------------------- quality control
    #: A sample standing out of its neighbours by this many robust sigmas (MAD-based,
    #: dimensionless) is a spike: Gaussian noise exceeds 40 σ with probability ~0.
    spike_sigma: float = 40.0
    #: This many equal extreme samples in a row are clipping (count): a real signal
    #: repeats its extreme value at most twice at the sampling rates of the IMS.
    clip_run: int = 4
    #: Seconds masked after every bad stretch (s): the settling time of the 0.5 Hz band's
    #: 3rd-order filter (a few periods) so that its transient does not trigger.
    settle: float = 8.0
    #: Above this fraction of bad samples (dimensionless) a channel is not used in the
    #: window: its noise estimate would rest on less than half of the data.
    max_bad_fraction: float = 0.5

    # --------------------------------------------------------- onset and features
    #: Onset search before the trigger time (s): STA/LTA triggers up to ~one STA plus a
    #: few periods after an emergent onset.
    onset_before: float = 3.0
    #: Onset search after the trigger time (s): the trigger rarely precedes the onset by
    #: more than one period at 1 Hz.
    onset_after: float = 1.0
    #: S search window after P on 3-C stations (s; 0 disables it): S−P reaches ~60 s at
    #: ~5° (≈ 550 km), the range of regional S at the IMS's 3-C stations.
    s_max_delay: float = 60.0
    #: Seconds of data either side of an onset handed to the measurement functions (s):
    #: room for the A5/2 window (−0.5 … +5.5 s), f-k windows and noise before the onset.
    snippet: float = 40.0

    # ----------------------------------------------------------------- streaming
    #: Processing window (s): an hour keeps memory flat with the input's length; the
    #: overlap read before each window is derived (:attr:`overlap`).
    window: float = 3600.0

    # ------------------------------------------------------------------ channels
    #: Channel-code patterns of the detection channel (fnmatch; first matching wins):
    #: SEED band codes for broadband, short-period and unnamed verticals.
    vertical: tuple[str, ...] = ("?HZ", "?SZ", "?Z", "Z")
    #: Slower channels are skipped (Hz): below 5 Hz no band of the bank fits under the
    #: Nyquist frequency (long-period channels are for surface waves, not detection).
    min_sampling_rate: float = 5.0
    #: Unit name of samples that have neither a response nor a calibration: "" leaves
    #: their amplitudes in counts (no mb); "m", "um" or "nm" for records already converted
    #: to displacement (e.g. response-removed SAC files).
    assume_units: str = ""
    #: Per-station overrides (``[stations.<CODE>]`` tables with the keys above), e.g.
    #: other bands for a station with a noise peak.
    stations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def overlap(self) -> float:
        """Seconds read before each window: LTA warm-up plus the snippet lead (s)."""
        return 2.0 * self.lta + self.snippet + self.settle

    def for_station(self, sta: str) -> DetectConfig:
        """This configuration with the ``[stations.<sta>]`` overrides applied."""
        over = self.stations.get(sta)
        if not over:
            return self
        return dataclasses.replace(self, **_coerce(over), stations={})


def _coerce(raw: dict[str, Any]) -> dict[str, Any]:
    """TOML values to dataclass field types (bands, rings, tuples); unknown keys raise."""
    names = {f.name for f in dataclasses.fields(DetectConfig)}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in names:
            known = ", ".join(sorted(names))
            raise ValueError(f"unknown detector parameter {key!r}; known: {known}")
        if key == "bands":
            value = tuple(
                Band(float(b["low"]), float(b["high"]), float(b["threshold"])) for b in value
            )
        elif key == "beam_rings":
            value = tuple(BeamRing(float(r["slow"]), int(r["naz"])) for r in value)
        elif key == "vertical":
            value = tuple(str(v) for v in value)
        elif key == "stations":
            value = {str(k): dict(v) for k, v in value.items()}
        elif isinstance(value, int) and not isinstance(value, bool):
            default = next(f for f in dataclasses.fields(DetectConfig) if f.name == key).default
            value = float(value) if isinstance(default, float) else value
        out[key] = value
    return out


def from_mapping(raw: dict[str, Any]) -> DetectConfig:
    """A configuration from parsed TOML (keys not given keep their defaults)."""
    return DetectConfig(**_coerce(raw))


def from_toml(text: str) -> DetectConfig:
    """A configuration from TOML text (keys not given keep their defaults)."""
    return from_mapping(tomllib.loads(text))


def read_config(path: str | Path | None = None) -> DetectConfig:
    """Read a TOML configuration file; ``None`` gives the defaults."""
    if path is None:
        return DetectConfig()
    return from_toml(Path(path).read_text(encoding="utf-8"))


def default_path() -> Path:
    """The shipped ``default.toml`` (the defaults, commented)."""
    return Path(__file__).with_name("default.toml")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _table(values: dict[str, Any], prefix: str) -> list[str]:
    lines = []
    for key, v in values.items():
        if key in ("bands", "beam_rings"):
            for item in v:
                lines.append(f"\n[[{prefix}{key}]]")
                lines += [f"{k} = {_value(x)}" for k, x in dataclasses.asdict(item).items()]
        elif key != "stations":
            lines.append(f"{key} = {_value(v)}")
    return lines


def to_toml(config: DetectConfig) -> str:
    """TOML text of a configuration; :func:`from_toml` reads it back equal."""
    top = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    lines = ["# testban detector configuration (times s, frequencies Hz, slowness s/deg)"]
    scalars = {k: v for k, v in top.items() if k not in ("bands", "beam_rings", "stations")}
    lines += _table(scalars, "")
    lines += _table({"bands": top["bands"], "beam_rings": top["beam_rings"]}, "")
    for sta, over in config.stations.items():
        lines.append(f"\n[stations.{sta}]")
        plain = {k: v for k, v in over.items() if k not in ("bands", "beam_rings")}
        lines += [f"{k} = {_value(v)}" for k, v in plain.items()]
        for key in ("bands", "beam_rings"):
            for item in over.get(key, ()):
                row = dataclasses.asdict(item) if isinstance(item, Band | BeamRing) else item
                lines.append(f"\n[[stations.{sta}.{key}]]")
                lines += [f"{k} = {_value(x)}" for k, x in row.items()]
    return "\n".join(lines) + "\n"


def write_config(config: DetectConfig, path: str | Path) -> Path:
    """Write a configuration as TOML; returns the path."""
    path = Path(path)
    path.write_text(to_toml(config), encoding="utf-8")
    return path


# ----------------------------------------------------------------- infrasound

#: Channel patterns of pressure sensors (SEED instrument code ``D``: ``?DF`` infrasound,
#: ``?DH`` hydrophone): the seismic detector leaves them to their own detectors.
PRESSURE_CHANNELS: tuple[str, ...] = ("?DF", "?DH")


@dataclass(frozen=True, slots=True)
class InfraBand:
    """A band of the infrasound F-detector: corners ``low``/``high`` (Hz) and the analysis
    ``window`` (s) of its F scan."""

    low: float
    high: float
    window: float


def _default_infra_bands() -> tuple[InfraBand, ...]:
    return (InfraBand(0.5, 5.0, 20.0), InfraBand(0.1, 1.0, 60.0))


@dataclass(frozen=True)
class InfrasoundConfig:
    """Infrasound array processing (the ``[infrasound]`` table; times s, frequencies Hz,
    velocities km/s). Defaults hold for any array and data set."""

    #: Whether infrasound channels are processed at all (a flag).
    enabled: bool = True
    #: Channel-code patterns of the pressure channels processed (fnmatch): SEED ``BDF``,
    #: ``HDF``, ``EDF``, ``SDF`` … (instrument code D = pressure, orientation F = infrasound).
    channels: tuple[str, ...] = ("?DF",)
    #: F-detector bands (Hz) and windows (s): 0.5–5 Hz for regional explosions (their
    #: energy peaks near 1 Hz at 100–1000 km) in 20 s windows (≥ 10 periods of the low
    #: corner, ≥ 90 independent bins); 0.1–1 Hz for distant or large sources in 60 s
    #: windows (6 periods of the low corner). The microbarom peak (~0.2 Hz) lies in the
    #: low band, where the adaptive threshold and the persistence rule handle it.
    bands: tuple[InfraBand, ...] = field(default_factory=_default_infra_bands)
    #: Overlap of consecutive F windows (fraction): 0.75 gives a quarter-window step
    #: (5 s at 20 s), fine enough for onsets of a few seconds' uncertainty.
    overlap: float = 0.75
    #: Slowest trace velocity searched (km/s): sound in the coldest troposphere (~0.28).
    vmin: float = 0.28
    #: Fastest trace velocity searched (km/s): thermospheric returns arrive steeply with
    #: trace velocities up to ~0.45 km/s; faster ones are seismic (ground-coupled) waves.
    vmax: float = 0.45
    #: False-alarm probability per window and band for incoherent noise (union bound over
    #: the beams): 1e-4 at a 5 s step is ≤ 0.07 false detections per hour and band.
    p_value: float = 1e-4
    #: Fewest live elements (count): three resolve a plane wave's two slowness components.
    min_elements: int = 3
    #: Slower channels are skipped (Hz): the 0.5–5 Hz band needs more than 11 Hz.
    min_sampling_rate: float = 5.0
    #: Consecutive detecting windows whose back-azimuths differ by more than this (°)
    #: start a new detection (two arrivals overlapping in time from two directions).
    split_azimuth: float = 20.0
    #: Envelope level over the noise that bounds a detection's onset and end (ratio of
    #: the beam envelope to its median before the detection).
    envelope_ratio: float = 2.0
    # ---------------------------------------------------------------- PMCC families
    #: Run the PMCC-style family detector beside the F-detector (a flag).
    pmcc: bool = True
    #: PMCC sub-bands: this many log-spaced bands over the first F band (count).
    pmcc_bands: int = 6
    #: Largest mean closure residual of a pixel (periods of its sub-band's centre): a tenth
    #: of a period is the delay precision of correlations of a coherent signal; noise
    #: closes to within it only by chance.
    pmcc_consistency: float = 0.1
    #: Back-azimuth (°) and relative trace-velocity tolerance linking pixels of a family:
    #: a few times the pixel scatter of a coherent arrival at a ~1 km array.
    pmcc_azimuth: float = 10.0
    pmcc_velocity: float = 0.15
    #: Fewest pixels of a family (count): chance pixels of noise, with random directions,
    #: do not chain this many in time, frequency and direction.
    pmcc_min_pixels: int = 6
    # ------------------------------------------------------------ coherent noise
    #: A detection whose back-azimuth sector (± half of ``persist_sector`` °) holds
    #: detecting windows over at least ``persist_fraction`` of the processed span is
    #: persistent coherent noise (microbaroms, surf, industry), not an event; the rule
    #: applies to spans of at least ``persist_min_span`` s.
    persist_sector: float = 10.0
    persist_fraction: float = 0.5
    persist_min_span: float = 600.0
    # ---------------------------------------------------------------- amplitudes
    #: Unit name of samples that have neither a response nor a calibration: "" leaves
    #: amplitudes in counts; "Pa" for records already in pascal.
    assume_units: str = ""
    #: Seconds read before a processing window: the background of the adaptive threshold
    #: and the longest analysis window (s).
    lead: float = 300.0
    #: Seconds read after a window: a detection near its end is measured to its end (s).
    tail: float = 180.0

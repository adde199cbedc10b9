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
    "default_path",
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

    Detector
        ``bands`` the filter bank; ``filter_order`` Butterworth order per band (causal);
        ``sta``/``lta`` recursive STA/LTA lengths; ``off_ratio`` trigger-off level as a
        fraction of each band's threshold; ``min_duration`` shortest trigger kept;
        ``min_separation`` shortest time between two detections at one station.
    Arrays
        ``beam_rings`` the slowness grid; ``min_elements`` fewest live elements to beam.
    Quality control
        ``spike_sigma`` a sample standing out of its neighbours by this many robust
        sigmas is a spike; ``clip_run`` this many equal extreme samples in a row are
        clipped; ``settle`` seconds masked after every bad stretch (filter transients);
        ``max_bad_fraction`` above this a channel is not used in the window.
    Onset and features
        ``onset_before``/``onset_after`` onset search around the trigger; ``s_max_delay``
        S search window after P on 3-C stations (0 disables it); ``snippet`` seconds of
        data either side of an onset handed to the measurement functions.
    Streaming
        ``window`` processing window length; the overlap is derived (:attr:`overlap`).
    Channels
        ``vertical`` channel-code patterns of the detection channel (first matching wins);
        ``min_sampling_rate`` slower channels are skipped.
    """

    bands: tuple[Band, ...] = field(default_factory=_default_bands)
    filter_order: int = 3
    sta: float = 1.0
    lta: float = 30.0
    off_ratio: float = 0.5
    min_duration: float = 0.5
    min_separation: float = 4.0
    beam_rings: tuple[BeamRing, ...] = field(default_factory=_default_rings)
    min_elements: int = 3
    spike_sigma: float = 40.0
    clip_run: int = 4
    settle: float = 8.0
    max_bad_fraction: float = 0.5
    onset_before: float = 3.0
    onset_after: float = 1.0
    s_max_delay: float = 60.0
    snippet: float = 40.0
    window: float = 3600.0
    vertical: tuple[str, ...] = ("?HZ", "?SZ", "?Z", "Z")
    min_sampling_rate: float = 5.0
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


def from_toml(text: str) -> DetectConfig:
    """A configuration from TOML text (keys not given keep their defaults)."""
    return DetectConfig(**_coerce(tomllib.loads(text)))


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
                item = dataclasses.asdict(item) if dataclasses.is_dataclass(item) else item
                lines.append(f"\n[[stations.{sta}.{key}]]")
                lines += [f"{k} = {_value(x)}" for k, x in item.items()]
    return "\n".join(lines) + "\n"


def write_config(config: DetectConfig, path: str | Path) -> Path:
    """Write a configuration as TOML; returns the path."""
    path = Path(path)
    path.write_text(to_toml(config), encoding="utf-8")
    return path

"""One run configuration: every stage's settings in one TOML file (``testban run --config``).

The file has one table per stage; each names only what it changes, the rest keeps the
defaults (those of the dataclasses, the same for every data set)::

    [run]                       # windows, labels, author of every row written
    window = 3600.0
    auth = "ndc"

    [store]
    url = "testban.sqlite"      # or postgresql+psycopg://user@host/db

    [detect]                    # testban.detect.DetectConfig (also [[detect.bands]] …)
    sta = 1.0

    [associate]                 # testban.associate.AssociatorConfig
    preset = "global"           # or "local" (dense networks), then any field
    min_primary = 3

    [locate]                    # testban.locate.LocatorConfig of the events' final location
    max_sdepth = 20.0

    [screen]                    # testban.screening.ScreeningConfig (the IDC's lines)
    min_mb = 3.5

    [infrasound]                # testban.detect.InfrasoundConfig (also [[infrasound.bands]])
    p_value = 1e-4

``testban config`` writes the defaults with each field's unit and reason as comments
(:func:`run_config_toml`); :func:`read_run_config` reads a file back, naming the table and
key of any unknown or mistyped setting.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from testban.associate import AssociatorConfig
from testban.detect.config import DetectConfig, InfraBand, InfrasoundConfig, from_mapping
from testban.locate import LocatorConfig
from testban.pipeline.event_measure import SurfaceWaveConfig
from testban.screening import ScreeningConfig

__all__ = [
    "ASSOCIATION_PAD",
    "ConfigError",
    "RunConfig",
    "field_docs",
    "read_run_config",
    "run_config_from_mapping",
    "run_config_toml",
]

#: Seconds searched before a window's first origin time by the associator (its pad).
ASSOCIATION_PAD = 40.0


class ConfigError(ValueError):
    """A configuration file that cannot be used; says which table and key."""


@dataclass(frozen=True)
class RunConfig:
    """What a run does: windows, labels, the author of its rows, each stage's parameters."""

    #: Processing window (s): an hour, aligned on the hour, so that runs over different
    #: spans meet the same windows and a task's memory stays small; longer than the
    #: associator's reach past a window (~1250 s), so one window of look-ahead suffices.
    window: float = 3600.0
    #: Run label (the resume key in the store's ``run`` table): one label per reprocessing
    #: campaign, so that two campaigns over one span do not skip each other's windows.
    label: str = "testban"
    #: Author (CSS3.0 ``auth``) of every row the run writes: detections, amplitudes,
    #: origins, magnitudes, events; a data centre's own name tells its rows from others'.
    auth: str = "testban"
    #: Whether to re-process windows already done (a flag; their rows are replaced, ids
    #: kept where equal): after a change of settings or software, not to resume.
    redo: bool = False
    #: Detections before a window given to the associator (s): an hour of station
    #: history, the span over which a station's false-detection rate is estimated.
    history: float = 3600.0
    #: The store written when no ``--store`` is given (a file path or a database URL).
    store: str = "testban.sqlite"
    #: Station processing settings (the ``[detect]`` table): detector, arrays, quality
    #: control, onsets.
    detect: DetectConfig = field(default_factory=DetectConfig)
    #: Network processing settings (the ``[associate]`` table): association, event
    #: definition, the events' first location.
    associate: AssociatorConfig = field(default_factory=AssociatorConfig)
    #: Locator settings of the formed events (the ``[locate]`` table); None keeps the
    #: associator's own (derived from ``[associate]``).
    locate: LocatorConfig | None = None
    #: Surface-wave magnitude of the formed events (the ``[surface]`` table).
    surface: SurfaceWaveConfig = field(default_factory=SurfaceWaveConfig)
    #: Event screening of the formed events (the ``[screen]`` table): the lines and
    #: station scatters of the IDC's criteria.
    screen: ScreeningConfig = field(default_factory=ScreeningConfig)
    #: Infrasound array processing (the ``[infrasound]`` table): F-detector bands,
    #: thresholds, PMCC families, coherent-noise rejection.
    infrasound: InfrasoundConfig = field(default_factory=InfrasoundConfig)

    @property
    def lookahead(self) -> int:
        """Windows of detections after a window that its association needs."""
        reach = self.associate.max_travel_time + ASSOCIATION_PAD
        return max(1, math.ceil(reach / self.window))

    @property
    def associator(self) -> AssociatorConfig:
        """The associator's settings with this run's author and locator."""
        cfg = dataclasses.replace(self.associate, auth=self.auth)
        if self.locate is not None:
            cfg = dataclasses.replace(cfg, locator=self.locate)
        return cfg


# ----------------------------------------------------------------------- reading


_RUN_KEYS = ("window", "label", "auth", "redo", "history")
_SECTIONS = (
    "run", "store", "detect", "associate", "locate", "surface", "screen", "infrasound",
)  # fmt: skip


def read_run_config(path: str | Path | None = None) -> RunConfig:
    """Read a run configuration file (TOML); ``None`` gives the defaults.

    A file without any of the stage tables is read as a detector configuration (the
    format of ``testban detect --config``), so older detector files keep working.
    """
    if path is None:
        return RunConfig()
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    try:
        return run_config_from_mapping(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def run_config_from_mapping(raw: dict[str, Any]) -> RunConfig:
    """A :class:`RunConfig` from parsed TOML (see the module's description)."""
    bare = not any(k in _SECTIONS for k in raw) and all(
        not isinstance(v, dict) or k == "stations" for k, v in raw.items()
    )
    if raw and bare:
        raw = {"detect": raw}  # a bare detector configuration
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"unknown table(s) {unknown}; known: {list(_SECTIONS)}")
    values: dict[str, Any] = {}
    run = _table(raw, "run")
    for key, value in run.items():
        if key not in _RUN_KEYS:
            raise ConfigError(f"[run] unknown key {key!r}; known: {list(_RUN_KEYS)}")
        values[key] = _coerce(_hints(RunConfig)[key], value, f"[run] {key}")
    store = _table(raw, "store")
    for key, value in store.items():
        if key != "url":
            raise ConfigError(f"[store] unknown key {key!r}; known: ['url']")
        values["store"] = _coerce(str, value, "[store] url")
    if "detect" in raw:
        try:
            values["detect"] = from_mapping(_table(raw, "detect"))
        except (TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"[detect] {exc}") from exc
    if "associate" in raw:
        table = dict(_table(raw, "associate"))
        preset = table.pop("preset", "global")
        if preset not in ("global", "local"):
            raise ConfigError(f"[associate] preset must be 'global' or 'local', not {preset!r}")
        changes = _fields(AssociatorConfig, table, "associate")
        base = AssociatorConfig.local if preset == "local" else AssociatorConfig
        values["associate"] = base(**changes)
    if "locate" in raw:
        values["locate"] = LocatorConfig(**_fields(LocatorConfig, _table(raw, "locate"), "locate"))
    if "surface" in raw:
        table = _table(raw, "surface")
        values["surface"] = SurfaceWaveConfig(**_fields(SurfaceWaveConfig, table, "surface"))
    if "screen" in raw:
        values["screen"] = ScreeningConfig(
            **_fields(ScreeningConfig, _table(raw, "screen"), "screen")
        )
    if "infrasound" in raw:
        table = dict(_table(raw, "infrasound"))
        bands = table.pop("bands", None)
        changes = _fields(InfrasoundConfig, table, "infrasound")
        if bands is not None:
            try:
                changes["bands"] = tuple(
                    InfraBand(float(b["low"]), float(b["high"]), float(b["window"])) for b in bands
                )
            except (TypeError, KeyError, ValueError) as exc:
                raise ConfigError(
                    f"[[infrasound.bands]] need low, high, window (numbers): {exc}"
                ) from exc
        values["infrasound"] = InfrasoundConfig(**changes)
    return RunConfig(**values)


def _table(raw: dict[str, Any], name: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table, not {type(value).__name__}")
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _fields(cls: type, table: dict[str, Any], section: str) -> dict[str, Any]:
    """``table``'s keys as values of ``cls``'s fields (settable ones only)."""
    names = {f.name for f in dataclasses.fields(cls) if _settable(_hints(cls)[f.name])}
    out = {}
    for key, value in table.items():
        if key not in names:
            raise ConfigError(f"[{section}] unknown key {key!r}; known: {sorted(names)}")
        out[key] = _coerce(_hints(cls)[key], value, f"[{section}] {key}")
    return out


_SCALARS = (bool, int, float, str)


def _settable(tp: Any) -> bool:
    """Whether a field of type ``tp`` can be written in TOML (scalars, tuples of them)."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if tp in _SCALARS:
        return True
    origin = typing.get_origin(tp)
    if origin is tuple:
        return all(a in _SCALARS or a is Ellipsis for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return len(args) == 1 and _settable(args[0])
    return False


def _coerce(tp: Any, value: Any, where: str) -> Any:
    """``value`` from TOML as type ``tp``; a clear :class:`ConfigError` otherwise."""
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin is not None and origin is not tuple and len(args) == 1:  # X | None
        return _coerce(args[0], value, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        item_types = typing.get_args(tp)
        if len(item_types) == 2 and item_types[1] is Ellipsis:
            return tuple(_coerce(item_types[0], v, where) for v in value)
        if len(item_types) != len(value):
            raise ConfigError(f"{where}: expected {len(item_types)} values, got {len(value)}")
        return tuple(_coerce(t, v, where) for t, v in zip(item_types, value, strict=True))
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: cannot be set from a configuration file")


# ------------------------------------------------------------------- documentation


_FIELD = re.compile(r"^    (\w+)\s*:\s*[^=]+?(?:=.*?)?(?:#\s*(.*))?$")


def field_docs(cls: type) -> dict[str, str]:
    """Each dataclass field's documentation: the ``#:`` comment lines above it and any
    comment after it on its line (what the TOML writer shows, what the tests check)."""
    lines = inspect.getsource(cls).splitlines()
    names = {f.name for f in dataclasses.fields(cls)}
    docs: dict[str, str] = {}
    above: list[str] = []
    for line in lines[1:]:
        stripped = line.strip()
        if stripped.startswith("#:"):
            above.append(stripped[2:].strip())
            continue
        m = _FIELD.match(line)
        if m and m.group(1) in names and m.group(1) not in docs:
            text = " ".join(above + ([m.group(2).strip()] if m.group(2) else []))
            docs[m.group(1)] = text
        if not stripped.startswith("#"):
            above = []
    return docs


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) and math.isfinite(v) else repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(type(v).__name__)


def _comment(text: str, width: int = 92) -> list[str]:
    words, lines, cur = text.split(), [], "#"
    for w in words:
        if len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = "#"
        cur += " " + w
    if cur != "#":
        lines.append(cur)
    return lines


def _section(obj: Any, name: str, keys: list[str] | None = None) -> list[str]:
    cls: type = type(obj)
    docs = field_docs(cls)
    out = [f"\n[{name}]"]
    tables: list[str] = []
    for f in dataclasses.fields(obj):
        if keys is not None and f.name not in keys:
            continue
        v = getattr(obj, f.name)
        tp = _hints(cls)[f.name]
        if isinstance(v, tuple) and v and dataclasses.is_dataclass(v[0]):
            tables += _comment(docs.get(f.name, ""))
            for item in v:
                tables.append(f"[[{name}.{f.name}]]")
                tables += [f"{k} = {_toml_value(x)}" for k, x in dataclasses.asdict(item).items()]
            continue
        if isinstance(v, dict) and v and name == "detect" and f.name == "stations":
            for sta, over in v.items():
                tables.append(f"[{name}.stations.{sta}]")
                tables += [f"{k} = {_toml_value(x)}" for k, x in over.items()]
            continue
        if not _settable(tp) or v is None or (isinstance(v, float) and not math.isfinite(v)):
            continue
        out += _comment(docs.get(f.name, "")) + [f"{f.name} = {_toml_value(v)}"]
    return out + ([""] + tables if tables else [])


def run_config_toml(config: RunConfig | None = None) -> str:
    """The run configuration as TOML, every field with its unit and reason as a comment;
    :func:`read_run_config` reads it back equal (settable fields)."""
    cfg = config or RunConfig()
    lines = ["# testban run configuration: every stage's settings (see `testban run --help`)."]
    lines += _section(cfg, "run", list(_RUN_KEYS))
    lines += [
        "\n[store]",
        *_comment(field_docs(RunConfig)["store"]),
        f"url = {_toml_value(cfg.store)}",
    ]
    lines += _section(cfg.detect, "detect")
    lines += _section(cfg.associate, "associate")
    if cfg.locate is not None:
        lines += _section(cfg.locate, "locate")
    else:
        lines += ["\n# [locate]  (the associator's own locator settings unless given here)"]
    lines += _section(cfg.surface, "surface")
    lines += _section(cfg.screen, "screen")
    lines += _section(cfg.infrasound, "infrasound")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"

"""ANSI N42.42 XML spectra (portal monitors, hand-held and field detectors).

Both editions met in the field are read:

* N42.42-2006 (namespace ``…/ANSIN4242/2005/ANSIN4242``): ``Measurement`` /
  ``DetectorData`` (``StartTime``, ``SampleRealTime``, ``Occupied``) holding one
  ``Spectrum`` per detector (``RealTime``, ``LiveTime``, ``SourceType``, ``Calibration
  Type="Energy"|"FWHM"`` with ``Equation/Coefficients``, ``ChannelData``);
* N42.42-2011/2012 (namespace ``…/N42/2011/N42``): ``RadMeasurement``
  (``MeasurementClassCode`` Foreground/Background/…, ``StartDateTime``,
  ``RealTimeDuration``, ``OccupancyIndicator``) holding ``Spectrum`` elements
  (``LiveTimeDuration``, ``ChannelData``) that refer to document-level
  ``EnergyCalibration`` (``CoefficientValues``) and ``RadDetectorInformation`` by id.

``ChannelData`` may be compressed as ``CountedZeroes`` (a 0 is followed by the number of
zero channels it stands for). Durations are ISO 8601 (``PT0.250S``), times ISO 8601 (UTC
when no zone is given). Energy polynomials are taken as given, in the channel number
(channel ``i`` spans ``[i, i+1)``, as SpecUtils and becquerel use them).

SandiaSpecUtils' Python bindings read these files too and are used by the benchmark as a
comparator; they are not the reader because on damaged files they return fewer or altered
spectra without saying so. Here the file is cut into its measurements (``DetectorData`` or
``RadMeasurement``) by their tags and each is parsed on its own, so that a damaged one is
reported (file, line) and the others are read; a spectrum whose numbers are bad is
reported and dropped; fewer spectra read than ``<Spectrum>`` tags present is reported.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from testban.io.problems import ReadProblem
from testban.io.spectra.model import EnergyCalibration, Spectrum

__all__ = ["counted_zeroes", "is_n42", "iso_duration", "parse_n42", "read_n42"]

#: A spectrum of more channels than this is garbled (the largest MCAs have 64k).
MAX_CHANNELS = 1 << 20
#: Largest count a channel may hold (float64 integers are exact below 2**53).
MAX_COUNT = 2.0**53

_CONTAINER = re.compile(
    rb"<(?:[\w.-]+:)?(RadMeasurement|DetectorData|EnergyCalibration|RadDetectorInformation)[\s>/]"
)
_MEASUREMENT = re.compile(rb"<(?:[\w.-]+:)?Measurement[\s>]")
_END = re.compile(rb"</(?:[\w.-]+:)?(N42InstrumentData|RadInstrumentData)\s*>\s*$")
_SPECTRUM_TAG = re.compile(rb"<(?:[\w.-]+:)?Spectrum[\s>/]")
_XMLNS = re.compile(rb"""\sxmlns(?::[\w.-]+)?\s*=\s*(?:"[^"]*"|'[^']*')""")
_ROOT = re.compile(rb"<(?:[\w.-]+:)?(N42InstrumentData|RadInstrumentData)\b[^>]*>", re.S)
_DURATION = re.compile(
    r"^\s*P(?:(\d+(?:\.\d*)?)D)?(?:T(?:(\d+(?:\.\d*)?)H)?(?:(\d+(?:\.\d*)?)M)?(?:(\d+(?:\.\d*)?)S)?)?\s*$"
)
_SOURCE_CLASS = {"item": "Foreground", "background": "Background"}


class _Bad(ValueError):
    pass


def is_n42(head: bytes) -> bool:
    """Does ``head`` (the first bytes of a file) look like an N42.42 document?"""
    return bool(re.search(rb"<(?:[\w.-]+:)?(N42InstrumentData|RadInstrumentData)\b", head))


def iso_duration(text: str) -> float:
    """Seconds of an ISO 8601 duration such as ``PT0.250S`` or ``P1DT2H``."""
    m = _DURATION.match(text or "")
    if not m or not any(m.groups()):
        raise _Bad(f"bad ISO 8601 duration {text!r}")
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def _iso_time(text: str) -> float:
    try:
        t = datetime.fromisoformat((text or "").strip().replace("z", "Z"))
    except ValueError:
        raise _Bad(f"bad ISO 8601 time {text!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    if not 1940 <= t.year <= 2200:
        raise _Bad(f"year {t.year} implausible in {text!r}")
    return t.timestamp()


def counted_zeroes(values: np.ndarray) -> np.ndarray:
    """Expand N42 ``CountedZeroes`` data: each 0 is followed by how many zero channels."""
    v = np.asarray(values, dtype=float)
    zeros = np.flatnonzero(v == 0)
    if zeros.size == 0:
        return v
    if zeros[-1] == v.size - 1:
        raise _Bad("CountedZeroes: a 0 at the end without its count")
    runs = v[zeros + 1]
    if np.any(runs <= 0) or np.any(runs != np.round(runs)) or np.any(np.diff(zeros) < 2):
        raise _Bad("CountedZeroes: a zero count that is not a positive integer")
    if runs.sum() > MAX_CHANNELS:
        raise _Bad(f"CountedZeroes: {runs.sum():g} zero channels, above {MAX_CHANNELS}")
    keep = np.ones(v.size, dtype=bool)
    keep[zeros + 1] = False  # the counts themselves are not channels
    lengths = np.ones(v.size, dtype=np.int64)
    lengths[zeros] = runs.astype(np.int64)
    return np.repeat(v[keep], lengths[keep])


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for c in el:
        if _local(c.tag) == name:
            return c
    return None


def _text(el: ET.Element, name: str) -> str | None:
    c = _child(el, name)
    return None if c is None or c.text is None else c.text.strip()


def _floats(text: str | None, what: str) -> np.ndarray:
    try:
        v = np.array((text or "").split(), dtype=float)
    except ValueError:
        raise _Bad(f"{what}: not a number") from None
    if not np.all(np.isfinite(v)):
        raise _Bad(f"{what}: value not finite")
    return v


def _channel_data(el: ET.Element) -> np.ndarray:
    cd = _child(el, "ChannelData")
    if cd is None:
        raise _Bad("no ChannelData")
    v = _floats(cd.text, "ChannelData")
    comp = (cd.get("Compression") or cd.get("compressionCode") or "").lower()
    if comp == "countedzeroes":
        v = counted_zeroes(v)
    elif comp not in ("", "none"):
        raise _Bad(f"unknown ChannelData compression {comp!r}")
    if v.size == 0 or v.size > MAX_CHANNELS:
        raise _Bad(f"{v.size} channels")
    if np.any(v < 0) or np.any(v > MAX_COUNT):
        raise _Bad(f"counts outside 0-{MAX_COUNT:g}")
    return v.astype(np.int64) if np.all(v == np.round(v)) else v


def _resolution(
    fwhm_ch: np.ndarray, cal: EnergyCalibration, n: int
) -> tuple[tuple[float, float], ...]:
    """(keV, FWHM keV) points from a FWHM polynomial in channels."""
    if not cal.known or fwhm_ch.size == 0:
        return ()
    ch = np.linspace(0.05, 0.95, 8) * n
    de = (cal.energy(ch + 0.5) - cal.energy(ch - 0.5)).astype(float)
    w = np.polyval(fwhm_ch[::-1], ch) * de
    e = cal.energy(ch)
    return tuple((float(a), float(b)) for a, b in zip(e, w, strict=True) if b > 0)


def _calibrations_2006(sp: ET.Element) -> tuple[EnergyCalibration, np.ndarray, str]:
    energy, fwhm, units = EnergyCalibration(), np.zeros(0), ""
    for cal in sp:
        if _local(cal.tag) != "Calibration":
            continue
        eq = _child(cal, "Equation")
        coef = _floats(_text(eq, "Coefficients") if eq is not None else None, "Coefficients")
        kind = (cal.get("Type") or "").lower()
        if kind == "energy" and coef.size:
            energy = EnergyCalibration(coefficients=tuple(float(c) for c in coef))
        elif kind == "fwhm":
            fwhm, units = coef, (cal.get("FWHMUnits") or "").lower()
    return energy, fwhm, units


def _spectra_of(
    el: ET.Element, cals: dict[str, EnergyCalibration], dets: dict[str, str]
) -> list[tuple[ET.Element, dict[str, object]]]:
    """The ``Spectrum`` elements of a measurement with the measurement's own fields."""
    common: dict[str, object] = {}
    kind = _local(el.tag)
    start = _text(el, "StartDateTime" if kind == "RadMeasurement" else "StartTime")
    if start:
        common["acquisition_start"] = _iso_time(start)
    real = _text(el, "RealTimeDuration" if kind == "RadMeasurement" else "SampleRealTime")
    if real:
        common["real_time"] = iso_duration(real)
    occ = _text(el, "OccupancyIndicator" if kind == "RadMeasurement" else "Occupied")
    if occ is not None:
        common["occupied"] = occ.lower() in ("1", "true")
    mclass = _text(el, "MeasurementClassCode")
    if mclass:
        common["measurement_class"] = mclass
    speed = _text(el, "Speed")
    if speed:
        common["speed"] = speed
    found = []
    for sp in el.iter():
        if _local(sp.tag) == "Spectrum":
            found.append((sp, common))
    return found


def _one_spectrum(
    sp: ET.Element,
    common: dict[str, object],
    cals: dict[str, EnergyCalibration],
    dets: dict[str, str],
    source: str,
) -> Spectrum:
    extra: dict[str, object] = {
        k: v for k, v in common.items() if k not in ("acquisition_start", "real_time")
    }
    counts = _channel_data(sp)
    real = common.get("real_time")
    own_real = _text(sp, "RealTime")
    if own_real:
        real = iso_duration(own_real)
    live_text = _text(sp, "LiveTime") or _text(sp, "LiveTimeDuration")
    live = iso_duration(live_text) if live_text else None
    start = common.get("acquisition_start")
    own_start = _text(sp, "StartTime")
    if own_start:
        start = _iso_time(own_start)
    energy, fwhm, units = _calibrations_2006(sp)
    ref = sp.get("energyCalibrationReference")
    if ref and not energy.known:
        if ref not in cals:
            raise _Bad(f"energy calibration {ref!r} not found")
        energy = cals[ref]
    resolution: tuple[tuple[float, float], ...] = ()
    if fwhm.size:
        if units == "kev" and energy.known:
            ch = np.linspace(0.05, 0.95, 8) * counts.size
            resolution = tuple(
                (float(e), float(w))
                for e, w in zip(energy.energy(ch), np.polyval(fwhm[::-1], ch), strict=True)
            )
        else:
            resolution = _resolution(fwhm, energy, counts.size)
    source_type = _text(sp, "SourceType")
    if source_type and "measurement_class" not in extra:
        extra["measurement_class"] = _SOURCE_CLASS.get(source_type.lower(), source_type)
    detector = sp.get("Detector") or dets.get(sp.get("radDetectorInformationReference") or "", "")
    if not detector:
        detector = sp.get("radDetectorInformationReference") or ""
    return Spectrum(
        counts=counts,
        live_time=live,
        real_time=real if isinstance(real, float) else None,
        energy_cal=energy,
        resolution=resolution,
        acquisition_start=start if isinstance(start, float) else None,
        detector=detector,
        sample_id=sp.get("SampleNumber") or sp.get("id") or "",
        source=source,
        extra=extra,
    )


def _document_parts(raw: bytes) -> tuple[bytes, list[tuple[str, int, int]]]:
    """Namespace declarations of the root and the ``(name, start, end)`` of each container
    (``end`` is minus where it should have ended when its end tag is missing)."""
    root = _ROOT.search(raw)
    decls = b" ".join(m.group(0).strip() for m in _XMLNS.finditer(root.group(0))) if root else b""
    parts: list[tuple[str, int, int]] = []
    pos = 0
    names = [m.group(1).decode() for m in _CONTAINER.finditer(raw)]
    use_measurement = not any(n in ("RadMeasurement", "DetectorData") for n in names)
    pattern = _MEASUREMENT if use_measurement else _CONTAINER
    while True:
        m = pattern.search(raw, pos)
        if not m:
            break
        name = "Measurement" if use_measurement else m.group(1).decode()
        head_end = raw.find(b">", m.start())
        if head_end > 0 and raw[head_end - 1 : head_end] == b"/":  # empty element
            parts.append((name, m.start(), head_end + 1))
            pos = head_end + 1
            continue
        close = re.compile(rb"</(?:[\w.-]+:)?" + name.encode() + rb"\s*>")
        nxt = pattern.search(raw, m.end())  # a container ends before the next one begins
        limit = nxt.start() if nxt else len(raw)
        c = close.search(raw, m.end(), limit)
        parts.append((name, m.start(), c.end() if c else -limit))
        pos = c.end() if c else limit
    return decls, parts


def parse_n42(raw: bytes, source: str = "") -> tuple[list[Spectrum], list[ReadProblem]]:
    """The spectra of an N42.42 document (bytes), in document order, and the problems."""
    problems: list[ReadProblem] = []
    spectra: list[Spectrum] = []
    decls, parts = _document_parts(raw)
    if not is_n42(raw[:4096]):
        problems.append(
            ReadProblem(source, "not an N42.42 document (no N42InstrumentData/RadInstrumentData)")
        )
    cals: dict[str, EnergyCalibration] = {}
    dets: dict[str, str] = {}
    elements: list[tuple[ET.Element, int, int, int]] = []  # container, start, end, line
    newlines = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    for name, a, b in parts:
        line = int(np.searchsorted(newlines, a)) + 1
        if b < 0:  # not closed before the next container or the end of the file
            n = len(_SPECTRUM_TAG.findall(raw, a, -b))
            why = "file truncated" if -b == len(raw) else "its end tag is missing"
            problems.append(
                ReadProblem(
                    source, f"<{name}> not closed ({why}): {n} spectra lost", f"line {line}"
                )
            )
            continue
        try:
            el = ET.fromstring(b"<_n42 " + decls + b">" + raw[a:b] + b"</_n42>")[0]
        except ET.ParseError as exc:
            n = len(_SPECTRUM_TAG.findall(raw, a, b))
            problems.append(
                ReadProblem(
                    source, f"<{name}> unreadable XML ({exc}); {n} spectra skipped", f"line {line}"
                )
            )
            continue
        if name == "EnergyCalibration":
            try:
                coef = _floats(_text(el, "CoefficientValues"), "CoefficientValues")
                if coef.size:
                    cals[el.get("id", "")] = EnergyCalibration(
                        coefficients=tuple(float(c) for c in coef)
                    )
                else:
                    ch = _floats(_text(el, "ChannelValues"), "ChannelValues")
                    e = _floats(_text(el, "EnergyValues"), "EnergyValues")
                    if ch.size != e.size or ch.size < 2:
                        raise _Bad("no usable CoefficientValues or Channel/EnergyValues")
                    cals[el.get("id", "")] = EnergyCalibration(
                        points=tuple(zip(ch.tolist(), e.tolist(), strict=True))
                    )
            except _Bad as bad:
                problems.append(
                    ReadProblem(
                        source, f"EnergyCalibration {el.get('id', '')!r}: {bad}", f"line {line}"
                    )
                )
        elif name == "RadDetectorInformation":
            dets[el.get("id", "")] = _text(el, "RadDetectorName") or el.get("id") or ""
        else:
            elements.append((el, a, b, line))
    for el, a, b, line in elements:
        tags = [m.start() for m in _SPECTRUM_TAG.finditer(raw, a, b)]
        try:
            found = _spectra_of(el, cals, dets)
        except _Bad as bad:
            problems.append(ReadProblem(source, f"measurement skipped: {bad}", f"line {line}"))
            continue
        for k, (sp, common) in enumerate(found):
            sline = int(np.searchsorted(newlines, tags[k])) + 1 if k < len(tags) else line
            try:
                spectra.append(_one_spectrum(sp, common, cals, dets, f"{source}:line {sline}"))
            except _Bad as bad:
                problems.append(ReadProblem(source, f"spectrum skipped: {bad}", f"line {sline}"))
    if is_n42(raw[:4096]) and not _END.search(raw[-4096:]):
        problems.append(ReadProblem(source, "document not closed: truncated?", severity="warning"))
    n_tags = len(_SPECTRUM_TAG.findall(raw))
    if len(spectra) < n_tags and not any(p.severity == "error" for p in problems):
        problems.append(
            ReadProblem(source, f"{n_tags - len(spectra)} of {n_tags} <Spectrum> elements not read")
        )
    if not n_tags and not problems:
        problems.append(ReadProblem(source, "no spectrum in the document"))
    return spectra, problems


def read_n42(
    path: str | os.PathLike[str], problems: list[ReadProblem] | None = None
) -> list[Spectrum]:
    """Read the spectra of an N42.42 file; problems are appended to ``problems``."""
    out = problems if problems is not None else []
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        out.append(ReadProblem(os.fspath(path), f"cannot read: {exc}"))
        return []
    spectra, found = parse_n42(raw, os.fspath(path))
    out.extend(found)
    return spectra

"""CSS3.0 instrument response files (poles and zeros, frequency/amplitude/phase) as ObsPy.

The ``instrument`` table's ``dir/dfile`` name a response file. Two layouts are read:

* the short PAZ layout of the IMS array prototypes (``POLES n`` / n lines ``re im`` /
  ``ZEROS n`` / n lines / ``CONSTANT a0``), poles and zeros in rad/s;
* the CSS3.0 response layout: blocks headed ``theoretical|measured <stage> <author>
  paz|fap``; a ``paz`` block has the normalisation, then ``n`` poles and ``n`` zeros
  (``re im [re_err im_err]``); a ``fap`` block has ``n`` lines ``freq amp phase_deg
  [amp_err phase_err]``.

CSS3.0 responses are displacement responses, normalised to 1 at the calibration period
(``calib`` nm/count at ``calper`` s gives the absolute gain), so every stage here maps
``NM`` to ``COUNTS``; :func:`calibrated` applies ``ncalib``/``ncalper``.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
from obspy.core.inventory.response import (
    InstrumentSensitivity,
    PolesZerosResponseStage,
    Response,
    ResponseListElement,
    ResponseListResponseStage,
    ResponseStage,
)

PathLike = str | os.PathLike[str]

_LAPLACE_RAD = "LAPLACE (RADIANS/SECOND)"
_LAPLACE_HZ = "LAPLACE (HERTZ)"


class ResponseFileError(ValueError):
    """A response file that is neither a PAZ nor a FAP file in a known layout."""


def read_array_response(path: PathLike) -> Response:
    """Read a PAZ (``.paz``) or FAP (``.fap``) response file into an ObsPy ``Response``.

    The result maps nm of ground displacement to counts with the gain the file gives
    (1 at 1 Hz for the normalised IMS files); evaluate it with :func:`evaluate` or
    ObsPy's ``get_evalresp_response_for_frequencies``.
    """
    path = Path(path)
    tokens = [ln.split() for ln in path.read_text(encoding="ascii", errors="replace").splitlines()]
    lines = [t for t in tokens if t and not t[0].startswith("#")]
    if not lines:
        raise ResponseFileError(f"{path}: empty response file")
    try:
        if lines[0][0].upper() == "POLES":
            stages = [_short_paz(lines, 1)]
        else:
            stages = _css_blocks(lines)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, ResponseFileError):
            raise ResponseFileError(f"{path}: {exc}") from None
        raise ResponseFileError(f"{path}: malformed response file ({exc})") from None
    gain = float(abs(_evaluate_stages(stages, np.array([1.0]))[0]))
    sens = InstrumentSensitivity(gain, 1.0, "NM", "COUNTS")
    return Response(resource_id=str(path.name), instrument_sensitivity=sens, response_stages=stages)


def _complex_rows(rows: list[list[str]]) -> list[complex]:
    return [complex(float(r[0]), float(r[1])) for r in rows]


def _short_paz(lines: list[list[str]], seq: int) -> PolesZerosResponseStage:
    """The ``POLES n`` / ``ZEROS n`` / ``CONSTANT`` layout."""
    i, a0 = 0, 1.0
    poles: list[complex] = []
    zeros: list[complex] = []
    while i < len(lines):
        key = lines[i][0].upper()
        if key in ("POLES", "ZEROS"):
            n = int(lines[i][1])
            values = _complex_rows(lines[i + 1 : i + 1 + n])
            if len(values) != n:
                raise ResponseFileError(f"{key} {n} but only {len(values)} lines")
            (poles if key == "POLES" else zeros).extend(values)
            i += n + 1
        elif key == "CONSTANT":
            a0 = float(lines[i][1])
            i += 1
        else:
            raise ResponseFileError(f"unexpected line {' '.join(lines[i])!r}")
    return _paz_stage(seq, poles, zeros, a0, _LAPLACE_RAD)


def _paz_stage(
    seq: int, poles: list[complex], zeros: list[complex], a0: float, kind: str
) -> PolesZerosResponseStage:
    return PolesZerosResponseStage(
        seq,
        1.0,
        1.0,
        "NM",
        "COUNTS",
        pz_transfer_function_type=kind,
        normalization_frequency=1.0,
        zeros=zeros,
        poles=poles,
        normalization_factor=a0,
    )


def _css_blocks(lines: list[list[str]]) -> list[ResponseStage]:
    """Blocks of the CSS3.0 response layout (``theoretical 1 instrument paz`` …)."""
    stages: list[ResponseStage] = []
    i = 0
    while i < len(lines):
        head = lines[i]
        kind = head[-1].lower()
        if head[0].lower() not in ("theoretical", "measured") or kind not in ("paz", "fap"):
            raise ResponseFileError(f"unknown response block header {' '.join(head)!r}")
        seq = len(stages) + 1
        if kind == "fap":
            n = int(lines[i + 1][0])
            rows = np.array([[float(v) for v in r[:3]] for r in lines[i + 2 : i + 2 + n]])
            if rows.shape != (n, 3):
                raise ResponseFileError(f"fap block announces {n} lines, has {len(rows)}")
            stages.append(fap_stage(rows[:, 0], rows[:, 1], rows[:, 2], seq))
            i += n + 2
        else:
            a0 = float(lines[i + 1][0])
            npole = int(lines[i + 2][0])
            poles = _complex_rows(lines[i + 3 : i + 3 + npole])
            j = i + 3 + npole
            nzero = int(lines[j][0])
            zeros = _complex_rows(lines[j + 1 : j + 1 + nzero])
            stages.append(_paz_stage(seq, poles, zeros, a0, _LAPLACE_RAD))
            i = j + 1 + nzero
    if not stages:
        raise ResponseFileError("no response block")
    return stages


def fap_stage(
    freq: np.ndarray, amp: np.ndarray, phase_deg: np.ndarray, seq: int = 1
) -> ResponseListResponseStage:
    """A tabulated (frequency, amplitude, phase in degrees) stage.

    Phases beyond ±360° (StationXML's bounds) are folded back by whole turns;
    :func:`evaluate` unwraps them again before interpolating.
    """
    order = np.argsort(freq)
    freq, amp = np.asarray(freq)[order], np.asarray(amp)[order]
    phase = np.fmod(np.asarray(phase_deg, dtype=float)[order], 360.0)
    elements = [
        ResponseListElement(float(f), float(a), float(p))
        for f, a, p in zip(freq, amp, phase, strict=True)
    ]
    return ResponseListResponseStage(seq, 1.0, 1.0, "NM", "COUNTS", response_list_elements=elements)


def _stage_values(stage: ResponseStage, freqs: np.ndarray) -> np.ndarray:
    if isinstance(stage, PolesZerosResponseStage):
        if stage.pz_transfer_function_type == _LAPLACE_HZ:
            s = 1j * freqs
        elif stage.pz_transfer_function_type == _LAPLACE_RAD:
            s = 2j * np.pi * freqs
        else:
            raise ValueError(f"cannot evaluate a {stage.pz_transfer_function_type} stage")
        h = np.ones_like(s)
        for z in stage.zeros:
            h = h * (s - complex(z))
        for p in stage.poles:
            h = h / (s - complex(p))
        return stage.stage_gain * stage.normalization_factor * h
    if isinstance(stage, ResponseListResponseStage):
        tab = np.array(
            [(e.frequency, e.amplitude, e.phase) for e in stage.response_list_elements],
            dtype=float,
        )
        positive = tab[:, 1] > 0
        logamp = np.interp(np.log(freqs), np.log(tab[positive, 0]), np.log(tab[positive, 1]))
        unwrapped = np.degrees(np.unwrap(np.radians(tab[:, 2])))
        phase = np.interp(freqs, tab[:, 0], unwrapped)
        return stage.stage_gain * np.exp(logamp) * np.exp(1j * np.radians(phase))
    return np.full(freqs.shape, stage.stage_gain or 1.0, dtype=complex)


def _evaluate_stages(stages: list[ResponseStage], freqs: np.ndarray) -> np.ndarray:
    out = np.ones(freqs.shape, dtype=complex)
    for stage in stages:
        out = out * _stage_values(stage, freqs)
    return out


def evaluate(response: Response, freqs: np.ndarray) -> np.ndarray:
    """Complex response (counts per nm) at ``freqs`` Hz (> 0), computed with NumPy.

    Tabulated stages are interpolated linearly in log-amplitude/log-frequency and in
    phase, and held constant outside the table (no spline overshoot).
    """
    freqs = np.asarray(freqs, dtype=float)
    return _evaluate_stages(list(response.response_stages), freqs)


def calibrated(response: Response, ncalib: float, ncalper: float) -> Response:
    """A copy of ``response`` scaled to ``1/ncalib`` counts/nm at period ``ncalper`` s.

    This is how CSS3.0 combines the normalised response file with the ``instrument``
    table's nominal calibration. Non-positive calibration values leave it unchanged.
    """
    if not (ncalib > 0 and ncalper > 0) or not response.response_stages:
        return response
    out = copy.deepcopy(response)
    fcal = 1.0 / ncalper
    current = float(abs(_evaluate_stages(list(out.response_stages), np.array([fcal]))[0]))
    if current <= 0:
        return response
    first = out.response_stages[0]
    gain = 1.0 / ncalib
    if isinstance(first, PolesZerosResponseStage) and len(out.response_stages) == 1:
        first.normalization_factor = first.normalization_factor * first.stage_gain / current
        first.normalization_frequency = fcal
        first.stage_gain = gain
    else:
        first.stage_gain = first.stage_gain * gain / current
    first.stage_gain_frequency = fcal
    out.instrument_sensitivity = InstrumentSensitivity(gain, fcal, "NM", "COUNTS")
    return out

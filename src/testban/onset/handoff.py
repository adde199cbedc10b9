"""Detector → onset hand-off: which of a station's triggers is the first P of an event.

A detector fires on noise bursts as well as on arrivals, and its own SNR (the STA/LTA
ratio) saturates near ``LTA/STA`` for any clear arrival, so it cannot tell a noise blip
from the P that follows it. :func:`first_arrival` refines every trigger to an onset
(:func:`~testban.onset.refine_onset`) and compares the onsets' SNRs instead (RMS in the
pick band after the onset over the RMS before it: not saturated): the first trigger whose
onset SNR reaches ``fraction`` of the largest is taken as the first P. A weak noise blip
ahead of the event is skipped, and so is a trigger on noise whose onset window ends before
the P.

The onset search after each trigger covers the trigger's on-time or the detector's dead
time ``dead`` (its minimum separation between trigger starts), whichever is longer, at
least ``after`` and at most ``after_max`` s: while a trigger is on, and for the dead
time after it starts, a later arrival cannot raise a trigger of its own, so its onset
must be found from this one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from testban.onset.picker import Onset, refine_onset

__all__ = ["first_arrival"]


def first_arrival(
    data: np.ndarray,
    fs: float,
    triggers: Sequence[tuple[int, int]],
    *,
    before: float = 3.0,
    after: float = 1.0,
    after_max: float = 3.0,
    fraction: float = 0.5,
    dead: float = 0.0,
) -> tuple[int, Onset] | None:
    """The trigger that marks the first P among ``triggers`` and its refined onset.

    Parameters
    ----------
    data : the raw channel or beam the triggers were found on.
    fs : sampling rate (Hz).
    triggers : ``(on, off)`` sample indices, in time order.
    before : onset search before each trigger (s), as in :func:`refine_onset`.
    after, after_max : the onset search after a trigger spans its on-time or ``dead``,
        whichever is longer, clipped to ``[after, after_max]`` (s).
    fraction : the first trigger whose onset SNR is at least this fraction of the largest
        onset SNR among the triggers is the first P.
    dead : the detector's minimum separation between trigger starts (s); 0 if none.

    Returns
    -------
    ``(i, onset)``: index into ``triggers`` and its :class:`Onset`; ``None`` if no trigger.
    """
    if not triggers:
        return None
    onsets = []
    for on, off in triggers:
        span = max((off - on) / fs, dead)
        win = float(np.clip(span, after, max(after, after_max)))
        onsets.append(refine_onset(data, fs, int(on), before=before, after=win))
    snr = np.array([o.snr for o in onsets], dtype=np.float64)
    snr = np.where(np.isfinite(snr), snr, np.finfo(float).max)
    i = int(np.flatnonzero(snr >= fraction * snr.max())[0])
    return i, onsets[i]

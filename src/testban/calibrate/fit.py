"""One call from a reviewed bulletin to station corrections (what ``testban calibrate``
does with assoc rows), for a fit on one part of a data set and a score on another."""

from __future__ import annotations

from collections.abc import Iterable

from testban.calibrate.estimate import CalibrationConfig, StationCorrection, estimate
from testban.calibrate.residuals import pairs_from_assoc, residuals
from testban.network import Network
from testban.records import Arrival, Assoc, Origin


def fit_from_bulletin(
    arrivals: Iterable[Arrival],
    assocs: Iterable[Assoc],
    origins: Iterable[Origin],
    network: Network,
    *,
    span: tuple[float, float] | None = None,
    min_other: int = 2,
    config: CalibrationConfig | None = None,
    model: str = "iasp91",
) -> list[StationCorrection]:
    """SASC and travel-time corrections from the arrivals associated to ``origins``
    (only those whose origin time lies in ``span``, epoch s [start, end), when given);
    ``min_other`` as in :func:`~testban.calibrate.pairs_from_assoc` (``testban
    calibrate``'s default 2: an event located from the station itself is no reference)."""
    ref = [o for o in origins if span is None or span[0] <= o.time < span[1]]
    pairs = pairs_from_assoc(arrivals, assocs, ref, min_other)
    return estimate(residuals(pairs, network, model), config)

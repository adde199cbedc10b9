"""Event screening and characterisation: is an event natural beyond reasonable doubt?

The IDC's Standard Event Screening as criteria on located, sized events
(:mod:`~testban.screening.criteria`: depth, mb:Ms, regional P/S, offshore), a land/sea
mask (:mod:`~testban.screening.landsea`), and the bulletin-level pass that writes
``screen`` and ``evchar`` rows (:mod:`~testban.screening.screen`).
"""

from testban.screening.criteria import (
    NOT_ASSESSED,
    NOT_SCREENED_OUT,
    OUTCOMES,
    SCREENED_OUT,
    Criterion,
    ScreeningConfig,
)
from testban.screening.screen import CRITERIA, Measured, screen_bulletin, screen_event

__all__ = [
    "CRITERIA",
    "NOT_ASSESSED",
    "NOT_SCREENED_OUT",
    "OUTCOMES",
    "SCREENED_OUT",
    "Criterion",
    "Measured",
    "ScreeningConfig",
    "screen_bulletin",
    "screen_event",
]

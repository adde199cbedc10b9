"""Initial phase identification table."""

from __future__ import annotations

import math

import pytest

from testban.features import PHASES, initial_phase

NAN = math.nan


@pytest.mark.parametrize(
    ("slow", "period", "rect", "is_array", "expected"),
    [
        (2.0, 0.8, NAN, True, "PKP"),
        (4.0, 1.0, NAN, True, "PKP"),
        (5.6, 1.0, NAN, True, "P"),
        (7.21, 0.7, NAN, True, "P"),
        (9.5, 0.5, NAN, True, "P"),
        (13.7, 0.2, NAN, True, "Pn"),
        (18.0, 0.2, NAN, True, "Pg"),
        (24.0, 0.3, NAN, True, "Sn"),
        (31.8, 0.4, NAN, True, "Lg"),
        (37.0, 1.5, NAN, True, "Rg"),
        (36.0, 0.3, NAN, True, "Lg"),
        (42.0, 2.0, NAN, True, "Rg"),
        (60.0, 1.0, NAN, True, "N"),
        (NAN, 1.0, NAN, True, "N"),
        (-1.0, 1.0, NAN, True, "N"),
        (7.0, 1.0, 0.1, True, "S"),
        (7.0, 1.0, 0.9, False, "P"),
        (3.0, 1.0, 0.8, False, "PKP"),
        (13.7, 0.3, 0.8, False, "Pn"),
        (18.0, 0.3, 0.7, False, "Pg"),
        (10.0, 2.0, 0.3, False, "S"),
        (24.0, 0.5, 0.4, False, "Sn"),
        (32.0, 0.5, 0.3, False, "Lg"),
        (37.0, 1.5, 0.3, False, "Rg"),
        (7.0, 1.0, NAN, False, "N"),
        (30.0, 1.0, 0.9, False, "N"),
    ],
)
def test_initial_phase_table(slow, period, rect, is_array, expected):
    assert initial_phase(slow, period, rect, is_array=is_array) == expected
    assert expected in PHASES

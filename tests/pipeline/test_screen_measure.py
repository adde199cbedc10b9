"""The event-time screening measurements on synthetic regional and teleseismic records."""

from __future__ import annotations

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from testban.network import Network
from testban.network.model import Channel, Station
from testban.pipeline.screen_measure import screening_measurements
from testban.records.css30 import Origin
from testban.screening import NOT_SCREENED_OUT, SCREENED_OUT, screen_bulletin
from testban.traveltime import KM_PER_DEG, distance_azimuth

FS = 40.0
T0 = UTCDateTime("2020-01-01T00:00:00").timestamp


def _burst(t, t_on, dur, amp, rng):
    """Band-limited noise burst (1–10 Hz content) starting at ``t_on``, decaying."""
    env = np.where(t >= t_on, np.exp(-(t - t_on) / dur), 0.0)
    return amp * env * rng.standard_normal(t.size)


def _network(lons=(5.0, 8.0, 12.0)) -> Network:
    ch = (Channel("HHZ", sample_rate=FS),)
    return Network([Station(f"R{k}", 0.0, lo, channels=ch) for k, lo in enumerate(lons)])


def _reader(network: Network, p_amp: float, s_amp: float, noise: float = 1.0):
    def read(t0, t1, stations):
        st = Stream()
        for sta in stations:
            rng = np.random.default_rng(abs(hash((sta, round(t0)))) % 2**32)
            d = float(distance_azimuth(0.0, 0.0, network[sta].lat, network[sta].lon)[0])
            km = d * KM_PER_DEG
            t = np.arange(t0, t1, 1 / FS)
            y = noise * rng.standard_normal(t.size)
            y += _burst(t, T0 + km / 8.1, 4.0, p_amp, rng)  # Pn
            y += _burst(t, T0 + km / 3.5, 15.0, s_amp, rng)  # Lg
            tr = Trace(y, header={"station": sta, "channel": "HHZ", "sampling_rate": FS})
            tr.stats.starttime = UTCDateTime(t0)
            st += tr
        return st, []

    return read


def _screen(p_amp, s_amp):
    net = _network()
    origin = Origin(orid=3, evid=3, lat=0.0, lon=0.0, depth=0.0, time=T0, dtype="r",
                    mb=4.5, auth="t")  # fmt: skip
    measured, problems = screening_measurements([origin], _reader(net, p_amp, s_amp), net)
    from testban.records.css30 import Netmag

    tables = {"origin": [origin], "netmag": [Netmag(magid=1, orid=3, evid=3, magtype="mb_ave",
                                                    nsta=5, magnitude=4.5)]}  # fmt: skip
    rows = screen_bulletin(tables, measured)
    return measured[3], {r.criterion: r for r in rows["screen"]}


def test_explosion_like_records_are_not_screened_out_by_ps():
    m, crit = _screen(p_amp=40.0, s_amp=8.0)
    assert m.ps is not None and m.ps.nsta == 3 and m.ps.value > 0.3
    assert crit["ps"].outcome == NOT_SCREENED_OUT


def test_earthquake_like_records_are_screened_out_by_ps():
    m, crit = _screen(p_amp=8.0, s_amp=60.0)
    assert m.ps is not None and m.ps.value < -0.5
    assert crit["ps"].outcome == SCREENED_OUT


def test_no_regional_station_leaves_ps_not_assessed():
    net = _network(lons=(40.0,))  # 40°: no regional phases
    origin = Origin(orid=3, evid=3, lat=0.0, lon=0.0, depth=0.0, time=T0)
    measured, _ = screening_measurements([origin], _reader(net, 40.0, 8.0), net)
    assert measured[3].ps is None and "within 20°" in measured[3].ps_missing

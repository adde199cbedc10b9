"""The event-time Ms stage on synthetic records: rows, methods by distance, ms_mle bounds."""

from __future__ import annotations

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from testban.magnitude import ms_station, network_mle
from testban.network import Network
from testban.network.model import Channel, Station
from testban.pipeline.event_measure import (
    SurfaceWaveConfig,
    measure_surface_waves,
    surface_wave_rows,
)
from testban.records.css30 import Origin
from testban.traveltime import KM_PER_DEG, distance_azimuth

FS = 20.0
T_ORIGIN = UTCDateTime("2020-01-01T00:00:00").timestamp


def _wave(t: np.ndarray, delta: float, amp: float, period: float) -> np.ndarray:
    ta = T_ORIGIN + delta * KM_PER_DEG / 3.4
    return amp * np.exp(-0.5 * ((t - ta) / 85.0) ** 2) * np.cos(2 * np.pi * (t - ta) / period)


def _network() -> Network:
    ch = (Channel("BHZ", sample_rate=FS),)
    return Network(
        [
            Station("REG", 0.0, 8.0, channels=ch),  # 8°: VMAX
            Station("TEL", 0.0, 40.0, channels=ch),  # 40°: A20
            Station("QUIET", 0.0, 60.0, channels=ch),  # noise only
            Station("FAR", 0.0, 170.0, channels=ch),  # beyond 160°: not measured
        ]
    )


def _reader(amps: dict[str, tuple[float, float]], noise: float = 5.0):
    net = _network()
    rng = np.random.default_rng(7)

    def read(t0, t1, stations):
        st = Stream()
        for sta in stations:
            delta = float(distance_azimuth(0.0, 0.0, net[sta].lat, net[sta].lon)[0])
            t = np.arange(t0, t1, 1 / FS)
            amp, per = amps.get(sta, (0.0, 20.0))
            y = _wave(t, delta, amp, per) + noise * rng.standard_normal(t.size)
            tr = Trace(y, header={"station": sta, "channel": "BHZ", "sampling_rate": FS})
            tr.stats.starttime = UTCDateTime(t0)
            st += tr
        return st, []

    return read


def test_stage_writes_amplitude_stamag_and_netmag_rows():
    origin = Origin(orid=7, evid=7, lat=0.0, lon=0.0, depth=10.0, time=T_ORIGIN)
    read = _reader({"REG": (400.0, 14.0), "TEL": (600.0, 20.0)})
    cfg = SurfaceWaveConfig(assume_units="nm")
    rows = measure_surface_waves([origin], read, _network(), cfg, first_magid=5)
    types = {a.amptype for a in rows.amplitudes}
    assert types == {"A20", "VMAX"}
    by_sta = {s.sta: s for s in rows.stamags if s.magtype == "ms_mle"}
    assert set(by_sta) == {"REG", "TEL", "QUIET"}  # FAR is beyond 160°
    assert by_sta["REG"].mmodel == "russell06"
    assert by_sta["TEL"].mmodel == "rez_pearce"
    assert all(s.phase == "LR" and s.ampid > 0 for s in rows.stamags)
    nets = {n.magtype: n for n in rows.netmags}
    assert set(nets) == {"ms_ave", "ms_mle"}
    assert nets["ms_ave"].nsta == 2 and nets["ms_mle"].nsta == 3
    assert min(n.magid for n in rows.netmags) == 5
    # the 40° station measures the synthetic's amplitude: Ms within 0.05 of the truth
    tel = by_sta["TEL"].magnitude
    assert abs(tel - float(ms_station(600.0, 20.0, 40.0))) < 0.05
    # ms_ave is the mean of the two detections; the quiet station's bound lies below
    # them and pulls the maximum-likelihood value down
    quiet = by_sta["QUIET"].magnitude
    assert quiet < min(by_sta["REG"].magnitude, tel)
    assert nets["ms_mle"].magnitude < nets["ms_ave"].magnitude
    expect = network_mle([by_sta["REG"].magnitude, tel, quiet], [True, True, False], sigma=0.25)
    assert abs(nets["ms_mle"].magnitude - expect.magnitude) < 1e-6


def test_records_without_units_are_reported_not_measured():
    origin = Origin(orid=1, evid=1, lat=0.0, lon=0.0, depth=10.0, time=T_ORIGIN)
    rows = measure_surface_waves([origin], _reader({"TEL": (600.0, 20.0)}), _network())
    assert not rows.amplitudes and not rows.netmags
    assert any("no instrument response" in p.message for p in rows.problems)


def test_upper_bounds_only_give_no_network_ms():
    origin = Origin(orid=1, evid=1, lat=0.0, lon=0.0, depth=10.0, time=T_ORIGIN)
    cfg = SurfaceWaveConfig(assume_units="nm")
    rows = measure_surface_waves([origin], _reader({}), _network(), cfg)
    assert rows.stamags == [] or all(s.magtype != "ms_ave" for s in rows.stamags)
    assert rows.netmags == []
    amps, stas, detected = surface_wave_rows(origin, [m for _, m in rows.measurements])
    assert len(stas) == 3 and not detected

"""Detector tests on simulated waveforms (truth known) and on its kernels."""

from __future__ import annotations

import numpy as np
import pytest
from obspy import Stream

from testban.detect import (
    Band,
    DetectConfig,
    assess,
    default_path,
    detect_stream,
    from_toml,
    read_config,
    recursive_sta_lta,
    to_toml,
    trigger_onoff,
    write_config,
)
from tests.detect.helpers import T0, one_event, sim_network, sim_station, simulate


@pytest.fixture(scope="module")
def array_event():
    """ZAAR (simulated array), one mb 5.5 event at 45°, back azimuth 120°."""
    st = sim_station()
    origin, truth = one_event(st, 45.0, 120.0, 5.5, T0 + 600)
    waves = simulate(st, [origin], duration=1200.0)
    quiet = simulate(sim_station(noise_nm=1e-6), [origin], duration=1200.0)
    return st, waves, quiet, truth


def test_array_event_end_to_end(array_event):
    st, waves, quiet, (onset, slow, baz) = array_event
    arrivals, amplitudes, problems = detect_stream(waves, sim_network(st))
    assert not [p for p in problems if p.severity == "error"]
    assert len(arrivals) == 1, [(a.time - onset, a.snr) for a in arrivals]
    a = arrivals[0]
    assert a.sta == "ZAAR" and a.auth == "testban" and a.chan.startswith("b")
    assert abs(a.time - onset) < 0.15
    assert 0 < a.deltim < 0.5
    assert abs((a.azimuth - baz + 180) % 360 - 180) < 3.0
    assert abs(a.slow - slow) < 0.5
    assert a.iphase == "P"
    # amplitude: A5/2 (nm) against the peak of the noise-free reference element
    tr = quiet.select(station="ZA01")[0]
    i = int(round((onset - tr.stats.starttime.timestamp) * tr.stats.sampling_rate))
    seg = tr.data[i : i + int(5.5 * tr.stats.sampling_rate)] * tr.stats.calib
    true_amp = np.abs(seg - np.median(tr.data) * tr.stats.calib).max()
    assert len(amplitudes) == 1 and amplitudes[0].amptype == "A5/2"
    assert amplitudes[0].arid == a.arid and amplitudes[0].units == "nm"
    assert a.amp == pytest.approx(true_amp, rel=0.35)


def test_single_station_without_metadata(array_event):
    """Without a network the elements are single stations; each still detects the P."""
    _st, waves, _q, (onset, _s, _b) = array_event
    one = waves.select(station="ZA01", channel="BH?")
    arrivals, _amps, _p = detect_stream(one, None)
    assert len(arrivals) == 1 and abs(arrivals[0].time - onset) < 0.3
    assert arrivals[0].chan == "BHZ"  # ZA01 is 3-C: the BH vertical comes first


def test_no_storm_at_gap_spike_and_clipping(array_event):
    _st, waves, _q, (onset, _s, _b) = array_event
    tr = waves.select(station="ZA01", channel="SHZ")[0].copy()
    fs = tr.stats.sampling_rate
    data = tr.data.astype(np.int64)
    big = int(np.abs(data).max() * 50)
    data[int(200 * fs)] = big  # spike
    data[int(300 * fs) : int(300 * fs) + 12] = big  # clipped run
    tr.data = data.astype(np.int32)
    # a 60-s gap at 400 s: split the trace
    a = tr.slice(tr.stats.starttime, tr.stats.starttime + 400)
    b = tr.slice(tr.stats.starttime + 460, tr.stats.endtime)
    arrivals, _amps, problems = detect_stream(Stream([a, b]), None)
    times = [x.time - tr.stats.starttime.timestamp for x in arrivals]
    assert all(abs(t - (onset - tr.stats.starttime.timestamp)) < 1.0 for t in times), times
    assert any("spikes 1" in p.message for p in problems)
    assert any("clipped 12" in p.message for p in problems)


def test_dead_channel_reported(array_event):
    st, waves, _q, (onset, _s, _b) = array_event
    waves = waves.copy()
    dead = waves.select(station="ZA05")[0]
    dead.data[:] = 1234
    arrivals, _amps, problems = detect_stream(waves, sim_network(st))
    msgs = [p for p in problems if "dead channel" in p.message]
    assert msgs and "ZA05" in msgs[0].seed_id
    assert len(arrivals) == 1 and abs(arrivals[0].time - onset) < 0.15


def test_recursive_sta_lta_mask():
    x = np.random.default_rng(1).normal(size=4000)
    x[2000:2400] = 0.0
    x[2400] = 1e6  # a step back from a gap
    mask = np.zeros(x.size, bool)
    mask[2000:2420] = True
    r = recursive_sta_lta(x, 20, 400, mask)
    assert r[mask].max() == 0.0 and r.max() < 6.0


def test_trigger_onoff_dead_time():
    cf = np.zeros(100)
    cf[10:20] = 5
    cf[22:25] = 5
    assert trigger_onoff(cf, 4, 1, min_sep=20).tolist() == [[10, 20]]
    assert trigger_onoff(cf, 4, 1).tolist() == [[10, 20], [22, 25]]


def test_assess_gap_and_flat():
    x = np.random.default_rng(2).normal(size=2000)
    x[100:200] = np.nan
    x[500:600] = 3.0
    bad, q = assess(x, 20.0)
    assert q.gap == 100 and q.flat == 100 and not q.dead
    assert bad[100:200].all() and bad[500:600].all()


def test_config_toml_round_trip(tmp_path):
    cfg = DetectConfig(
        bands=(Band(1.0, 4.0, 3.5),),
        sta=0.5,
        stations={"MDJ": {"lta": 60.0, "bands": [{"low": 2.0, "high": 5.0, "threshold": 4.0}]}},
    )
    assert from_toml(to_toml(cfg)) == cfg
    path = write_config(cfg, tmp_path / "detect.toml")
    assert read_config(path) == cfg
    local = read_config(path).for_station("MDJ")
    assert local.lta == 60.0 and local.bands == (Band(2.0, 5.0, 4.0),)
    assert read_config(default_path()) == DetectConfig()
    with pytest.raises(ValueError, match="unknown detector parameter"):
        from_toml("stalta = 3\n")

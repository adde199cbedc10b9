"""Infrasound station processing: F-detector, PMCC families, channel selection, config."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from obspy import Stream, Trace, UTCDateTime
from scipy import signal, stats

from testban.detect import detect_stream
from testban.detect.config import InfraBand, InfrasoundConfig
from testban.detect.infrasound import detect_array, detect_infrasound
from testban.features.fk import fk_power
from testban.features.infrasound import families, pmcc_pixels, zero_phase_band
from testban.network import Network, Station
from testban.pipeline.config import ConfigError, run_config_from_mapping, run_config_toml
from testban.records.earth import KM_PER_DEG

FS = 20.0
T0 = 1704067200.0


def ims_like() -> tuple[np.ndarray, np.ndarray]:
    """A 7-element IMS-like infrasound array: centre, inner triplet (150 m), outer (800 m)."""
    a1, a2 = np.radians([0, 120, 240]), np.radians([60, 180, 300])
    east = np.r_[0.0, 0.15 * np.sin(a1), 0.8 * np.sin(a2)]
    north = np.r_[0.0, 0.15 * np.cos(a1), 0.8 * np.cos(a2)]
    return east, north


def plane_wave(
    east, north, baz: float, v: float, *, seconds=900.0, at=400.0, amp=2.0, seed=0
) -> np.ndarray:
    """Gaussian noise (unit variance) plus a band-limited (0.7–3 Hz) pulse of ~20 s
    crossing the array from back-azimuth ``baz`` at trace velocity ``v`` km/s."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    t = np.arange(n) / FS
    src = signal.filtfilt(*signal.butter(4, [0.7, 3.0], "bandpass", fs=FS), rng.normal(size=n))
    src *= np.exp(-0.5 * ((t - at) / 8.0) ** 2) / src.std()
    s = 1.0 / v
    sx, sy = -s * math.sin(math.radians(baz)), -s * math.cos(math.radians(baz))
    x = rng.normal(size=(len(east), n))
    for j in range(len(east)):
        x[j] += amp * np.interp(t - (sx * east[j] + sy * north[j]), t, src)
    return x


def _daz(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize("baz,v", [(123.0, 0.34), (37.0, 0.30), (250.0, 0.42)])
def test_plane_wave_detected_with_its_azimuth_and_velocity(baz, v):
    east, north = ims_like()
    x = plane_wave(east, north, baz, v, seed=int(baz))
    dets, rejected = detect_array(x, FS, east, north, T0, InfrasoundConfig())
    assert not rejected
    near = [d for d in dets if abs(d.peak_time - (T0 + 400.0)) < 30.0]
    assert len(near) == 1
    d = near[0]
    assert _daz(d.azimuth, baz) <= 2.0
    assert abs(d.velocity - v) / v <= 0.05
    assert d.fstat > d.threshold
    assert d.time < T0 + 400.0 < d.end  # the pulse lies within onset … end
    assert 0.7 <= d.freq <= 3.0  # its dominant frequency lies in the source's band
    assert d.coherence > 0.5
    assert d.method == "F+PMCC" and d.npix >= 6  # the family detector saw it too


def test_incoherent_noise_not_detected():
    """Incoherent Gaussian noise: no detection at the configured false-alarm rate.

    Bound: the threshold is exceeded by the best beam of a window with probability at
    most ``p_value`` = 1e-4 (union bound over the beams, see
    :mod:`testban.features.infrasound`); 3 seeds × 600 s give 3 × (117 + 37) = 462
    windows over the two bands, so any F detection at all has probability ≤ 0.05; PMCC
    families of noise need ≥ 6 chance pixels chained in time, frequency and direction.
    """
    east, north = ims_like()
    for seed in (1, 2, 3):
        x = np.random.default_rng(seed).normal(size=(len(east), int(600 * FS)))
        dets, rejected = detect_array(x, FS, east, north, T0, InfrasoundConfig())
        assert dets == [] and rejected == []


def test_fstat_of_noise_follows_the_f_distribution():
    """The F of a fixed beam over incoherent white noise is F(2K, 2K(N-1)) distributed
    (K in-band bins of a boxcar window): the basis of the threshold."""
    rng = np.random.default_rng(7)
    east, north = ims_like()
    n_sta, nwin, band = len(east), int(20 * FS), (0.5, 5.0)
    freqs = np.fft.rfftfreq(nwin, 1 / FS)
    keep = (freqs >= band[0]) & (freqs <= band[1])
    k = int(keep.sum())
    values = []
    for _ in range(400):
        x = zero_phase_band(rng.normal(size=(n_sta, 4 * nwin)), FS, band)[:, nwin : 2 * nwin]
        spec = np.fft.rfft(x, axis=-1)[:, keep]
        r = float(fk_power(spec, freqs[keep], east, north, np.array([0.1]), np.array([-2.9]))[0, 0])
        values.append((n_sta - 1) * r / (1 - r))
    assert stats.kstest(values, stats.f(2 * k, 2 * k * (n_sta - 1)).cdf).pvalue > 0.01


def test_pmcc_family_on_plane_wave_none_on_noise():
    east, north = ims_like()
    edges = np.geomspace(0.5, 5.0, 7)
    bands = list(zip(edges[:-1], edges[1:], strict=True))
    x = plane_wave(east, north, 200.0, 0.33, seed=11)
    pix = pmcc_pixels(x, FS, east, north, bands, vmin=0.28, vmax=0.45)
    labels = families(pix)
    assert labels.max() == 0  # one family
    fam = labels == 0
    assert np.all(np.abs((pix.azimuth[fam] - 200.0 + 180) % 360 - 180) <= 5.0)
    assert np.all(np.abs(pix.velocity[fam] - 0.33) <= 0.05 * 0.33)
    assert np.all((pix.start[fam] < 430.0) & (pix.end[fam] > 370.0))
    noise = np.random.default_rng(12).normal(size=(len(east), int(900 * FS)))
    assert (
        families(pmcc_pixels(noise, FS, east, north, bands, vmin=0.28, vmax=0.45)).max(initial=-1)
        == -1
    )


def test_persistent_direction_rejected_as_coherent_noise():
    """A source that never stops (microbarom-like, 0.2 Hz, continuous, one direction)
    is rejected by the detection-history rule; a pulse from elsewhere is kept."""
    east, north = ims_like()
    n = int(1800 * FS)
    t = np.arange(n) / FS
    rng = np.random.default_rng(5)
    x = plane_wave(east, north, 70.0, 0.35, seconds=1800.0, at=900.0, amp=2.0, seed=5)
    src = signal.filtfilt(*signal.butter(2, [0.15, 0.35], "bandpass", fs=FS), rng.normal(size=n))
    src *= 3.0 / src.std()
    s = 1.0 / 0.34
    sx, sy = -s * math.sin(math.radians(300.0)), -s * math.cos(math.radians(300.0))
    for j in range(len(east)):
        x[j] += np.interp(t - (sx * east[j] + sy * north[j]), t, src)
    dets, rejected = detect_array(x, FS, east, north, T0, InfrasoundConfig())
    assert any(_daz(d.azimuth, 70.0) <= 2.0 for d in dets)
    assert all(_daz(d.azimuth, 300.0) > 10.0 for d in dets)
    assert any(_daz(d.azimuth, 300.0) <= 10.0 for d, _why in rejected)


def _array_stream(x: np.ndarray, chan: str) -> tuple[Stream, Network]:
    east, north = ims_like()
    st = Stream()
    stations = [Station("IS99", 45.0, 10.0, statype="ar")]
    for j in range(x.shape[0]):
        code = f"IS99L{j + 1}"
        hdr = dict(network="IM", station=code, channel=chan, sampling_rate=FS,
                   starttime=UTCDateTime(T0))  # fmt: skip
        st.append(Trace(x[j].astype(np.float32), header=hdr))
        stations.append(Station(code, 45.0, 10.0, refsta="IS99", deast=east[j], dnorth=north[j]))
    return st, Network(stations)


def test_pressure_channels_go_to_the_infrasound_detector_only():
    east, north = ims_like()
    x = plane_wave(east, north, 123.0, 0.34, seed=3)
    st, net = _array_stream(x, "BDF")
    arrivals, _amps, problems = detect_stream(st, net)
    assert arrivals == []
    assert not [p for p in problems if "no vertical" in p.message]  # not even looked at
    arrivals, amps, _ = detect_infrasound(st, net, auth="tb")
    assert len(arrivals) == 1
    a = arrivals[0]
    assert a.iphase == "I" and a.sta == "IS99" and a.chan == "BDF" and a.auth == "tb"
    assert abs(a.slow - KM_PER_DEG / 0.34) <= 0.05 * KM_PER_DEG / 0.34
    assert _daz(a.azimuth, 123.0) <= 2.0 and a.delaz > 0 and a.delslo > 0
    assert a.snr > 1.0  # snr carries F
    assert len(amps) == 1 and amps[0].arid == a.arid and amps[0].amptype == "IPP"
    assert amps[0].units == "counts" and amps[0].duration > 0
    # a seismic vertical is not taken by the infrasound detector
    z, _ = _array_stream(x, "BHZ")
    assert detect_infrasound(z, net)[0] == []
    disabled = InfrasoundConfig(enabled=False)
    assert detect_infrasound(st, net, disabled)[0] == []


def test_infrasound_table_in_the_run_configuration():
    cfg = run_config_from_mapping(
        {"infrasound": {"p_value": 1e-3, "bands": [{"low": 0.4, "high": 4.0, "window": 30}]}}
    )
    assert cfg.infrasound.p_value == 1e-3
    assert cfg.infrasound.bands == (InfraBand(0.4, 4.0, 30.0),)
    assert "[infrasound]" in run_config_toml(cfg) and "[[infrasound.bands]]" in run_config_toml(cfg)
    import tomllib

    back = run_config_from_mapping(tomllib.loads(run_config_toml(cfg)))
    assert back.infrasound == cfg.infrasound
    with pytest.raises(ConfigError, match="infrasound"):
        run_config_from_mapping({"infrasound": {"nope": 1}})
    assert dataclasses.replace(InfrasoundConfig(), vmin=0.3).vmin == 0.3


# ------------------------------------------------------------------ real data (HRR-5)

HRR5_SOURCE = (33.5377, -106.333961)
NOT_MET = {
    "N300": "measured +3.6° from the great-circle back-azimuth (infrapy has no N300 "
    "detection); the sign fits a crosswind from the summer stratospheric easterlies "
    "(~20 m/s) on a northward path, not verified against a wind model",
    "N380": "no coherent arrival: best-beam F stays at the incoherent-noise level "
    "(max 2.46 against per-window thresholds ≥ 2.6) through the record; infrapy has no "
    "N380 detection either",
}


def _hrr5(folder):
    from obspy import read

    st = Stream()
    for f in sorted(folder.glob("*.sac")):
        st += read(str(f))
    arr = folder.name
    lat = float(np.mean([tr.stats.sac.stla for tr in st]))
    lon = float(np.mean([tr.stats.sac.stlo for tr in st]))
    stations = [Station(arr, lat, lon, statype="ar")]
    stations += [
        Station(tr.stats.station, float(tr.stats.sac.stla), float(tr.stats.sac.stlo), refsta=arr)
        for tr in st
    ]
    return st, Network(stations), lat, lon


@pytest.mark.shared
@pytest.mark.parametrize(
    "array",
    [
        pytest.param(a, marks=pytest.mark.xfail(strict=True, reason=NOT_MET[a]))
        if a in NOT_MET
        else a
        for a in ("N300", "N340", "N380", "W220", "W240", "W340", "W420", "W460")
    ],
)
def test_hrr5_explosion_back_azimuth_within_3_degrees(array):
    from testban.traveltime.geometry import distance_azimuth
    from tests.conftest import shared_path

    st, net, lat, lon = _hrr5(shared_path("infrasound", "hrr5_100hz", array))
    _d, _az, baz = distance_azimuth(*HRR5_SOURCE, lat, lon, geocentric=False)
    arrivals, amps, _ = detect_infrasound(st, net, InfrasoundConfig(assume_units="Pa"))
    assert arrivals, "no detection"
    best = max(arrivals, key=lambda a: a.snr)  # the shot dominates its record
    assert _daz(best.azimuth, float(baz)) <= 3.0
    assert 0.28 <= KM_PER_DEG / best.slow <= 0.45
    assert {m.units for m in amps} == {"Pa"}

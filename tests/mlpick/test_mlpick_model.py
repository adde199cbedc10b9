"""PickerXL in SeisBench's PhaseNet on synthetic records (skipped without the ``ml`` extra)."""

from __future__ import annotations

import numpy as np
import pytest
from obspy import Stream, Trace, UTCDateTime

pytest.importorskip("torch")
pytest.importorskip("seisbench")
pytest.importorskip("pickerxl")

from testban.mlpick import (  # noqa: E402
    WINDOW,
    load_model,
    pick,
    pick_window,
    probabilities,
    weights_path,
)
from tests.onset.synth import coloured_noise, wavelet  # noqa: E402

T0 = UTCDateTime(2020, 1, 1)


def record(
    *, fs: float = 100.0, duration: float = 60.0, tp: float = 20.0, ts: float = 27.0,
    station: str = "SYN", seed: int = 1,
) -> Stream:  # fmt: skip
    """Noise plus an impulsive P (strongest on Z) and a larger, slower S (on N, E)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration * fs)) / fs
    st = Stream()
    for comp in "ZNE":
        ap, as_ = (8.0, 4.0) if comp == "Z" else (3.0, 12.0)
        x = ap * wavelet(t, tp, 6.0, 0.8) + as_ * wavelet(t, ts, 3.0, 1.5)
        x += coloured_noise(rng, t.size, fs)
        st += Trace(
            x,
            {"network": "XX", "station": station, "channel": f"HH{comp}",
             "sampling_rate": fs, "starttime": T0},
        )  # fmt: skip
    return st


def test_weights_ship_in_the_wheel_and_load_strictly() -> None:
    assert weights_path().name == "large.ckpt"
    model = load_model()
    assert model is load_model()  # cached per process
    assert model.in_samples == WINDOW
    assert model.component_order == "ENZ"
    assert list(model.labels) == ["N", "P", "S"]


def test_network_matches_pickerxl_own() -> None:
    """The SeisBench-loaded network computes what PickerXL's own module computes."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("lightning")
    from pickerxl.pickerxl import PNet

    ref = PNet()
    ref.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True))
    ref.eval()
    x = torch.randn(2, 3, WINDOW, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        np.testing.assert_allclose(load_model()(x).numpy(), ref(x).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "kw",
    [{}, {"fs": 40.0}, {"fs": 200.0}, {"duration": 30.0, "tp": 8.0, "ts": 13.0}],
    ids=["100Hz", "40Hz", "200Hz", "short"],
)
def test_window_picks_p_and_s(kw: dict) -> None:
    st = record(**kw)
    w = pick_window(st)
    tp, ts = kw.get("tp", 20.0), kw.get("ts", 27.0)
    assert w.p is not None and w.s is not None
    assert w.p.station == "XX.SYN." and w.p.phase == "P" and w.s.phase == "S"
    assert abs((w.p.time - T0) - tp) <= 0.1
    assert abs((w.s.time - T0) - ts) <= 0.1
    assert w.p.probability >= 0.3 and w.s.probability >= 0.3


def test_probabilities_cover_the_input_span_at_model_rate() -> None:
    st = record(fs=40.0, duration=30.0, tp=8.0, ts=13.0)
    probs = probabilities(st)
    assert sorted(tr.stats.channel[-1] for tr in probs) == ["P", "S"]
    for tr in probs:
        assert tr.stats.sampling_rate == 100.0
        assert abs(tr.stats.starttime - T0) < 0.011
        assert tr.stats.endtime <= st[0].stats.endtime + 1e-6
        assert np.nanmax(tr.data) <= 1.0 and np.nanmin(tr.data) >= 0.0


def test_pick_lists_all_stations_sorted() -> None:
    st = record(station="AAA") + record(station="BBB", tp=15.0, ts=21.0, seed=2)
    picks = pick(st, p_threshold=0.3, s_threshold=0.3)
    assert [k.time for k in picks] == sorted(k.time for k in picks)
    for sta, tp, ts in (("XX.AAA.", 20.0, 27.0), ("XX.BBB.", 15.0, 21.0)):
        mine = [k for k in picks if k.station == sta]
        assert any(k.phase == "P" and abs((k.time - T0) - tp) <= 0.1 for k in mine)
        assert any(k.phase == "S" and abs((k.time - T0) - ts) <= 0.1 for k in mine)


def test_pick_window_wants_one_station() -> None:
    with pytest.raises(ValueError, match="one station"):
        pick_window(record(station="AAA") + record(station="BBB"))


def test_noise_only_gives_no_confident_pick() -> None:
    rng = np.random.default_rng(5)
    st = Stream(
        [Trace(coloured_noise(rng, 6000, 100.0), {"channel": f"HH{c}", "sampling_rate": 100.0})
         for c in "ZNE"]
    )  # fmt: skip
    w = pick_window(st, p_threshold=0.5, s_threshold=0.5)
    assert w.p is None and w.s is None
    assert pick_window(Stream()).p is None

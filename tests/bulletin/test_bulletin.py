"""Bulletins: IMS1.0 read back by ObsPy, real IMS1.0 samples, QuakeML, CSV and GeoJSON."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from obspy import UTCDateTime, read_events
from obspy.io.quakeml.core import _validate

from testban.bulletin import (
    IMS_MAGTYPES,
    BulletinError,
    format_ims10,
    guess_format,
    read_bulletin,
    to_catalog,
    write_bulletin,
)
from testban.records.css30 import Arrival, Assoc, Netmag, Origerr, Origin, Stamag
from tests.bulletin.synthetic import synthetic_bulletin
from tests.conftest import shared_path

SAMPLES = ("formats", "obspy", "iaspei_ims1.0")


def _by(rows, key):
    return {getattr(r, key): r for r in rows}


def _tail(rid) -> int:
    return int(str(rid).rsplit("/", 1)[-1])


def _close(a: float | None, b: float, decimals: int) -> bool:
    return a is not None and abs(a - b) <= 0.5 * 10.0**-decimals + 1e-9


def test_obspy_reads_our_ims10_with_the_same_origins_magnitudes_and_phases(tmp_path: Path):
    tables = synthetic_bulletin()
    path = write_bulletin(tables, tmp_path / "bulletin.txt", "ims1.0")
    catalog = read_events(str(path), format="IMS10BULLETIN")
    text = path.read_text().splitlines()
    assert len(catalog) == 3
    origins, errs = _by(tables["origin"], "orid"), _by(tables["origerr"], "orid")
    arrivals = _by(tables["arrival"], "arid")
    for ev in catalog:
        assert len(ev.origins) == 1
        qo = ev.preferred_origin()
        o: Origin = origins[_tail(qo.resource_id)]
        err: Origerr = errs[o.orid]
        assert abs(qo.time - UTCDateTime(o.time)) <= 0.005
        assert _close(qo.latitude, o.lat, 4) and _close(qo.longitude, o.lon, 4)
        assert _close(qo.depth / 1000.0, o.depth, 1)
        assert qo.creation_info.author == o.auth
        assert _close(qo.time_errors.uncertainty, err.stime, 2)
        assert _close(qo.quality.standard_error, err.sdobs, 2)
        assert qo.quality.used_phase_count == o.ndef
        ou = qo.origin_uncertainty
        assert _close(ou.max_horizontal_uncertainty / 1000.0, err.smajax, 1)
        assert _close(ou.min_horizontal_uncertainty / 1000.0, err.sminax, 1)
        assert ou.azimuth_max_horizontal_uncertainty == round(err.strike)
        if o.dtype == "g":
            assert qo.depth_type == "operator assigned" and qo.depth_errors.uncertainty is None
        else:
            assert _close(qo.depth_errors.uncertainty / 1000.0, err.sdepth, 1)
        assert ev.event_type == {"eq": "earthquake", "en": "nuclear explosion",
                                 "ex": "experimental explosion"}[o.etype]  # fmt: skip
        # Network magnitudes.
        netmags = [m for m in tables["netmag"] if m.orid == o.orid]
        got = {m.magnitude_type: m for m in ev.magnitudes}
        assert set(got) == {IMS_MAGTYPES[m.magtype] for m in netmags}
        for m in netmags:
            q = got[IMS_MAGTYPES[m.magtype]]
            assert _close(q.mag, m.magnitude, 1) and q.station_count == m.nsta
            # ObsPy 1.5 drops the magnitude error it parses (sets mag_errors to None); the
            # column is checked in the text instead.
            line = next(ln for ln in text if ln.startswith(IMS_MAGTYPES[m.magtype].ljust(5))
                        and ln[30:38].strip() == str(o.orid))  # fmt: skip
            assert _close(float(line[11:14]), m.uncertainty, 1)
            assert q.origin_id == qo.resource_id
        # Phases: every assoc row, with its arrival's measurements.
        assocs: list[Assoc] = [s for s in tables["assoc"] if s.orid == o.orid]
        picks = {_tail(p.resource_id): p for p in ev.picks}
        amps = {_tail(a.pick_id): a for a in ev.amplitudes}
        by_pick = {_tail(a.pick_id): a for a in qo.arrivals}
        stamags = {_tail(m.resource_id): m for m in ev.station_magnitudes}
        assert sorted(picks) == sorted(s.arid for s in assocs) == sorted(by_pick)
        for s in assocs:
            a: Arrival = arrivals[s.arid]
            p, qa, amp = picks[s.arid], by_pick[s.arid], amps[s.arid]
            assert p.waveform_id.station_code == s.sta and p.phase_hint == s.phase
            assert abs(p.time - UTCDateTime(a.time)) <= 0.0005
            assert _close(qa.distance, s.delta, 2) and _close(qa.azimuth, s.esaz, 1)
            assert _close(qa.time_residual, s.timeres, 1)
            assert _close(qa.backazimuth_residual, s.azres, 1)
            assert _close(qa.horizontal_slowness_residual, s.slores, 1)
            assert (qa.time_weight == 1) == (s.timedef == "d")
            assert (qa.backazimuth_weight == 1) == (s.azdef == "d")
            assert (qa.horizontal_slowness_weight == 1) == (s.slodef == "d")
            assert _close(p.backazimuth, a.azimuth, 1)
            assert _close(p.horizontal_slowness, a.slow, 1)
            assert _close(amp.generic_amplitude * 1e9, a.amp, 1)
            assert _close(amp.period, a.per, 2) and _close(amp.snr, a.snr, 1)
            assert p.onset == {"i": "impulsive", "e": "emergent"}[a.qual]
            sm: list[Stamag] = [
                m for m in tables["stamag"] if m.arid == s.arid and m.magtype == "mb_ave"
            ]
            if sm:
                assert _close(stamags[s.arid].mag, sm[0].magnitude, 1)
            else:
                assert s.arid not in stamags


def test_ims10_round_trip_through_our_reader(tmp_path: Path):
    tables = synthetic_bulletin()
    path = write_bulletin(tables, tmp_path / "b.ims", "ims1.0")
    assert guess_format(path) == "ims1.0"
    back = read_bulletin(path)
    assert sorted(o.orid for o in back["origin"]) == [1001, 1002, 1003]
    assert {e.evid: e.prefor for e in back["event"]} == {1001: 1001, 1002: 1002, 1003: 1003}
    for o, b in zip(tables["origin"], sorted(back["origin"], key=lambda r: r.orid), strict=True):
        assert (b.lat, b.lon, b.auth, b.etype if o.etype != "ex" else "ex") == (
            o.lat, o.lon, o.auth, o.etype,
        )  # fmt: skip
        assert b.mb == pytest.approx(o.mb, abs=0.05) and b.ms == pytest.approx(o.ms, abs=0.05)
    assert sorted(a.arid for a in back["arrival"]) == sorted(a.arid for a in tables["arrival"])
    assert len(back["assoc"]) == len(tables["assoc"])
    assert len(back["netmag"]) == len(tables["netmag"])
    assert {m.magtype for m in back["netmag"]} == {"mb", "Ms"}
    mb_stamags = [m for m in tables["stamag"] if m.magtype == "mb_ave"]
    assert len(back["stamag"]) == len(mb_stamags)
    magids = {(m.orid, m.magtype): m.magid for m in back["netmag"]}
    assert all(m.magid == magids[(m.orid, "mb")] for m in back["stamag"])
    # Written again, the text is the same.
    assert format_ims10(back) == format_ims10({**tables, "event": back["event"]}).replace(
        "ev1001", "ev1001"
    )  # names come back from the EVENT line


def test_ims10_refuses_what_does_not_fit():
    tables = synthetic_bulletin(1)
    o = tables["origin"][0]
    tables["origin"] = [type(o)(**{**{f: getattr(o, f) for f in o.__slots__}, "orid": 10**9})]
    with pytest.raises(BulletinError, match="orid"):
        format_ims10({"origin": tables["origin"]})


@pytest.mark.shared
@pytest.mark.parametrize("name", ["19670130012028.isf", "ipe202409sel_ims.txt"])
def test_we_read_the_real_ims10_samples(name: str, tmp_path: Path):
    path = shared_path(*SAMPLES, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        catalog = read_events(str(path), format="IMS10BULLETIN")
    tables = read_bulletin(path)
    assert len(tables["event"]) == len(catalog)
    assert len(tables["origin"]) == sum(len(e.origins) for e in catalog)
    assert len(tables["arrival"]) == sum(len(e.picks) for e in catalog)
    assert len(tables["assoc"]) == sum(len(o.arrivals) for e in catalog for o in e.origins)
    assert len(tables["netmag"]) == sum(len(e.magnitudes) for e in catalog)
    assert len(tables["stamag"]) == sum(len(e.station_magnitudes) for e in catalog)
    origins = _by(tables["origin"], "orid")
    for e, ev in zip(catalog, tables["event"], strict=True):
        pref = e.preferred_origin()
        if pref is None:
            continue
        o = origins[ev.prefor]
        assert o.orid == _tail(pref.resource_id)
        assert o.time == pytest.approx(float(pref.time), abs=1e-6)
        if pref.latitude is not None:
            assert (o.lat, o.lon) == (pref.latitude, pref.longitude)
    # What we read, we write so that ObsPy reads the same preferred origins and phases.
    out = write_bulletin(tables, tmp_path / "again.txt", "ims1.0", analysis="m")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = read_events(str(out), format="IMS10BULLETIN")
    assert len(again) == len(catalog)
    for e, a in zip(catalog, again, strict=True):
        p, q = e.preferred_origin(), a.preferred_origin()
        assert (p is None) == (q is None)
        if p is None:
            continue
        assert _tail(p.resource_id) == _tail(q.resource_id)
        # IMS1.0 writes times to 0.01 s: rewriting moves a time by at most 0.005 s
        assert abs(p.time - q.time) < 0.006 and p.latitude == q.latitude
        assert len(q.arrivals) == len(p.arrivals)
        assert sorted(
            (x.phase or "", round(x.time_residual or 0, 1)) for x in p.arrivals
        ) == sorted((x.phase or "", round(x.time_residual or 0, 1)) for x in q.arrivals)
        assert sorted(m.mag for m in e.magnitudes) == sorted(m.mag for m in a.magnitudes)


@pytest.mark.shared
def test_isc_sample_details():
    tables = read_bulletin(shared_path(*SAMPLES, "19670130012028.isf"), "ims1.0")
    (ev,) = tables["event"]
    assert ev.evid == 840268 and ev.prefor == 1838613  # the #PRIME origin (ISC)
    isc = _by(tables["origin"], "orid")[1838613]
    assert (isc.lat, isc.lon, isc.depth, isc.dtype, isc.auth) == (41.09, 44.31, 11.0, "d", "ISC")
    assert isc.etype == "eq" and isc.mb == 5.0  # IASPEI's "ke" makes it an earthquake
    err = _by(tables["origerr"], "orid")[1838613]
    assert (err.smajax, err.sminax, err.strike, err.stime, err.sdobs) == (
        3.7, 2.51, 0.0, 0.2, 1.85,
    )  # fmt: skip
    ljupick = [a for a in tables["arrival"] if a.arid == 27631202]
    assert ljupick and ljupick[0].sta == "LJU" and ljupick[0].qual == "e"
    (sm,) = [m for m in tables["stamag"] if m.arid == 27631202]
    assert sm.magnitude == 5.4 and sm.orid == 1838613


def test_quakeml_is_valid_and_round_trips(tmp_path: Path):
    tables = synthetic_bulletin()
    path = write_bulletin(tables, tmp_path / "b.xml", "quakeml")
    assert _validate(str(path))
    assert guess_format(path) == "quakeml"
    cat = read_events(str(path))
    types = [e.event_type for e in cat]
    assert types == ["earthquake", "nuclear explosion", "explosion"]
    qo = cat[0].preferred_origin()
    assert qo.origin_uncertainty.max_horizontal_uncertainty == 12300.0
    assert qo.origin_uncertainty.confidence_level == 90.0
    assert qo.arrivals[0].time_residual is not None and len(cat[0].picks) == 4
    back = read_bulletin(path)
    for name in ("origin", "origerr", "assoc", "arrival", "netmag"):
        key = {"origin": "orid", "origerr": "orid", "netmag": "magid"}.get(name)
        if key:
            assert _by(back[name], key).keys() == _by(tables[name], key).keys(), name
    for o in back["origin"]:
        src = _by(tables["origin"], "orid")[o.orid]
        assert (o.lat, o.lon, o.depth, o.time, o.etype, o.mb, o.ms, o.dtype in "gf") == (
            src.lat, src.lon, src.depth, src.time, src.etype, src.mb, src.ms, True,
        )  # fmt: skip
    for e in back["origerr"]:
        src = _by(tables["origerr"], "orid")[e.orid]
        assert (e.smajax, e.sminax, e.strike, e.stime, e.sdobs, e.conf) == pytest.approx(
            (src.smajax, src.sminax, src.strike, src.stime, src.sdobs, src.conf)
        )
    src_arr = _by(tables["arrival"], "arid")
    for a in back["arrival"]:
        s = src_arr[a.arid]
        assert (a.sta, a.time, a.iphase, a.azimuth, a.slow, a.qual, a.chan) == (
            s.sta, s.time, s.iphase, s.azimuth, s.slow, s.qual, s.chan,
        )  # fmt: skip
        assert a.amp == pytest.approx(s.amp) and (a.per, a.snr) == (s.per, s.snr)
    src_assoc = {(s.orid, s.arid): s for s in tables["assoc"]}
    for s in back["assoc"]:
        t = src_assoc[(s.orid, s.arid)]
        assert (s.phase, s.delta, s.esaz, s.timeres, s.azres, s.slores) == (
            t.phase, t.delta, t.esaz, t.timeres, t.azres, t.slores,
        )  # fmt: skip
        assert (s.timedef, s.azdef, s.slodef) == (t.timedef, t.azdef, t.slodef)
    nm: dict[int, Netmag] = _by(tables["netmag"], "magid")
    for m in back["netmag"]:
        assert (m.magnitude, m.uncertainty, m.nsta, m.orid) == (
            nm[m.magid].magnitude, nm[m.magid].uncertainty, nm[m.magid].nsta, nm[m.magid].orid,
        )  # fmt: skip
    # Station magnitudes keep their network magnitude, residual and arrival.
    src_sm = {(m.magid, m.sta, m.arid): m for m in tables["stamag"]}
    assert {(m.magid, m.sta, m.arid) for m in back["stamag"]} == set(src_sm)
    for m in back["stamag"]:
        assert m.magnitude == src_sm[(m.magid, m.sta, m.arid)].magnitude


def test_catalog_preferred_magnitude_and_descriptions():
    cat = to_catalog(synthetic_bulletin(1))
    ev = cat[0]
    assert ev.preferred_magnitude().magnitude_type == "mb"
    assert ev.event_descriptions[0].text == "ev1001"


def test_csv_and_geojson(tmp_path: Path):
    tables = synthetic_bulletin()
    csv_path = write_bulletin(tables, tmp_path / "events.csv", "csv")
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("time,lat,lon,depth,mb,ms,ml,ndef,smajax,sminax,strike")
    assert len(lines) == 4 and lines[1].startswith("2024-03-01T00:02:03.450000Z,41.2946,129.0805")
    back = read_bulletin(csv_path)
    for o, b in zip(tables["origin"], back["origin"], strict=True):
        assert (b.orid, b.time, b.lat, b.lon, b.depth, b.mb, b.ms, b.ndef, b.auth) == (
            o.orid, o.time, o.lat, o.lon, o.depth, o.mb, o.ms, o.ndef, o.auth,
        )  # fmt: skip
    assert [e.smajax for e in back["origerr"]] == [e.smajax for e in tables["origerr"]]

    gj_path = write_bulletin(tables, tmp_path / "events.geojson", "geojson")
    doc = json.loads(gj_path.read_text())
    assert doc["type"] == "FeatureCollection"
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"]
    polys = [f for f in doc["features"] if f["geometry"]["type"] == "Polygon"]
    assert len(points) == len(polys) == 3
    assert points[0]["geometry"]["coordinates"] == [129.0805, 41.2946]
    assert points[0]["properties"]["mb"] == 4.1 and points[0]["properties"]["smajax90"] == 12.3
    ring = polys[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 73
    # The ring's farthest point lies smajax away along the strike.
    from obspy.geodetics import gps2dist_azimuth

    dists = [gps2dist_azimuth(41.2946, 129.0805, la, lo)[0] / 1000 for lo, la in ring]
    assert max(dists) == pytest.approx(12.3, rel=0.01)
    assert min(dists) == pytest.approx(7.6, rel=0.01)
    far = ring[dists.index(max(dists))]
    az = gps2dist_azimuth(41.2946, 129.0805, far[1], far[0])[1]
    assert min(abs(az - 43.0), abs(az - 223.0)) < 1.0
    back = read_bulletin(gj_path)
    assert [o.orid for o in back["origin"]] == [1001, 1002, 1003]
    assert back["origin"][1].lon == -145.9195


def test_unknown_format(tmp_path: Path):
    with pytest.raises(BulletinError, match="unknown bulletin format"):
        write_bulletin(synthetic_bulletin(1), tmp_path / "x", "sac")

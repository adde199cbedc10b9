"""Seismo-acoustic fusion: infrasound detections attached to a seismic event, joint
location better than seismic alone when the seismic geometry is poor, I phases in the
IMS1.0 bulletin."""

from __future__ import annotations

import numpy as np

from testban.associate.acoustic import associate_all, attach_acoustic, relocate_joint
from testban.associate.core import Result
from testban.bulletin.ims10 import format_ims10, read_ims10
from testban.locate import Observations, locate
from testban.locate.bisl import CELERITY_PRIOR
from testban.network import Network, Station
from testban.records.css30 import Arrival
from testban.records.earth import KM_PER_DEG
from testban.traveltime import destination, distance_azimuth, travel_times

SRC = (35.0, 60.0)
T0 = 1.5e9


def scenario(seed: int):
    """Five seismic stations 15–65° away within 90° of azimuth (poor geometry) and three
    infrasound arrays at 250–450 km around the source; plus one unrelated I detection."""
    rng = np.random.default_rng(seed)
    tt = travel_times("iasp91")
    stations, arrivals = [], []
    dist = np.array([15.0, 25.0, 35.0, 50.0, 65.0])
    az = np.linspace(0, 90, 5)
    lat, lon = destination(SRC[0], SRC[1], dist, az)
    arid = 1
    for i in range(5):
        code = f"S{i}"
        stations.append(Station(code, float(lat[i]), float(lon[i]), 0.0))
        d, _, _ = distance_azimuth(SRC[0], SRC[1], lat[i], lon[i])
        t = T0 + float(tt.first_arrival(np.array([float(d)]), 0.0)[0].time[0])
        arrivals.append(Arrival(sta=code, time=t + rng.normal(0, 1.0), arid=arid, iphase="P",
                                deltim=0.5))  # fmt: skip
        arid += 1
    w = np.array([k.weight for k in CELERITY_PRIOR])
    for j, (azi, rkm) in enumerate([(30, 250), (150, 350), (270, 450)]):
        la, lo = destination(SRC[0], SRC[1], rkm / KM_PER_DEG, azi)
        code = f"I{j}"
        stations.append(Station(code, float(la), float(lo), 0.0, statype="ar",
                                affiliations=("IMS_INF",)))  # fmt: skip
        d, _, baz = distance_azimuth(SRC[0], SRC[1], la, lo, geocentric=False)
        comp = CELERITY_PRIOR[rng.choice(3, p=w)]
        c = rng.normal(comp.mean, comp.sigma)
        arrivals.append(Arrival(
            sta=code, time=T0 + float(d) * KM_PER_DEG / c, arid=arid, iphase="I",
            azimuth=float((baz + rng.normal(0, 3.0)) % 360), delaz=1.0, slow=370.0, deltim=5.0,
        ))  # fmt: skip
        arid += 1
    # an unrelated detection at I0: pointing away from the source
    first_i = arrivals[5]
    arrivals.append(Arrival(sta="I0", time=first_i.time + 200.0, arid=arid, iphase="I",
                            azimuth=(first_i.azimuth + 120.0) % 360, delaz=1.0))  # fmt: skip
    return Network(stations), arrivals


def seismic_location(net: Network, arrivals: list[Arrival]):
    p = [a for a in arrivals if a.iphase == "P"]
    obs = Observations.from_arrays(
        [a.sta for a in p], [a.iphase for a in p], [a.time for a in p],
        net.lat([a.sta for a in p]), net.lon([a.sta for a in p]), deltim=0.5,
    )  # fmt: skip
    loc = locate(obs, depth="surface", orid=1, evid=1)
    arid_of = {a.sta: a.arid for a in p}
    for s in loc.assocs:
        s.arid = arid_of[s.sta]
        s.orid = 1
    return loc


def km(lat: float, lon: float) -> float:
    d, _, _ = distance_azimuth(SRC[0], SRC[1], lat, lon, geocentric=False)
    return float(d) * KM_PER_DEG


def test_attach_takes_the_fitting_infrasound_detections_only():
    net, arrivals = scenario(0)
    loc = seismic_location(net, arrivals)
    rows = attach_acoustic([loc.origin], arrivals, net, origerrs=[loc.origerr])
    assert sorted(r.arid for r in rows) == [6, 7, 8]  # not the unrelated arid 9
    assert all(r.phase == "I" and r.orid == 1 and r.azdef == "d" for r in rows)
    assert all(r.vmodel.startswith("bisl-") for r in rows)


def test_joint_location_beats_poor_seismic_geometry():
    seis, joint = [], []
    for seed in range(6):
        net, arrivals = scenario(seed)
        loc = seismic_location(net, arrivals)
        rows = attach_acoustic([loc.origin], arrivals, net, origerrs=[loc.origerr])
        o, assocs, err, post = relocate_joint(loc.origin, loc.assocs + rows, arrivals, net)
        seis.append(km(loc.origin.lat, loc.origin.lon))
        joint.append(km(o.lat, o.lon))
        assert {a.phase for a in assocs} >= {"I", "P"}
        assert post.contains(*SRC, 0.95) or joint[-1] < 10.0
    assert np.mean(joint) < 0.5 * np.mean(seis), (seis, joint)
    assert sum(j < s for j, s in zip(joint, seis, strict=True)) >= 5, (seis, joint)


def test_associate_all_forms_one_fused_event_in_the_bulletin():
    net, arrivals = scenario(1)
    loc = seismic_location(net, arrivals)
    seismic = Result([loc.origin], list(loc.assocs), [loc.origerr], [])
    out = associate_all(arrivals, net, seismic=seismic)
    assert len(out.origins) == 1
    phases = {a.phase for a in out.assocs if a.orid == 1}
    assert "I" in phases and any(p.startswith("P") for p in phases)
    assert out.origins[0].algorithm == "testban:joint"
    text = format_ims10({"origin": out.origins, "assoc": out.assocs, "arrival": arrivals,
                         "origerr": out.origerrs})  # fmt: skip
    back = read_ims10(text.splitlines())
    got = sorted({a.phase for a in back["assoc"]})
    assert "I" in got and any(p.startswith("P") for p in got)

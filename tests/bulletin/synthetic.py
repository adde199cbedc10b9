"""A small synthetic bulletin: a few events with origerr, assoc, arrivals and magnitudes."""

from __future__ import annotations

from obspy import UTCDateTime

from testban.records.css30 import (
    Amplitude,
    Arrival,
    Assoc,
    Event,
    Netmag,
    Origerr,
    Origin,
    Record,
    Stamag,
    jdate,
)

STATIONS = [  # sta, delta (deg), esaz, seaz, phase, travel time (s)
    ("ARCES", 31.53, 343.0, 150.2, "P", 377.2),
    ("FINES", 22.29, 191.6, 10.4, "P", 291.7),
    ("MKAR", 12.85, 107.0, 289.9, "Pn", 188.1),
    ("WRA", 82.10, 125.4, 320.7, "P", 741.6),
    ("ILAR", 66.91, 7.0, 201.3, "P", 652.3),
    ("USRK", 13.92, 268.0, 88.5, "Sn", 351.4),
]


def synthetic_bulletin(
    n: int = 3,
    *,
    t0: float = float(UTCDateTime("2024-03-01T00:00:00")),
    spacing: float = 3000.0,
    orid0: int = 1001,
    arid0: int = 50001,
    magid0: int = 9001,
    auth: str = "testban",
    etypes: tuple[str, ...] = ("eq", "en", "ex"),
) -> dict[str, list[Record]]:
    """``n`` events ``spacing`` s apart from ``t0``; ids start at the given values."""
    out: dict[str, list[Record]] = {
        t: []
        for t in ("origin", "origerr", "assoc", "arrival", "netmag", "stamag", "amplitude",
                  "event")
    }  # fmt: skip
    arid, magid, ampid = arid0, magid0, 70001 + (arid0 - 50001)
    for k in range(n):
        orid = evid = orid0 + k
        time = t0 + 123.45 + k * spacing
        lat, lon, depth = 41.2946 - 3.5 * k, 129.0805 + 170.0 * k / max(n - 1, 1), 0.5 + 10.0 * k
        if lon > 180.0:
            lon -= 360.0
        lat, lon = round(lat, 4), round(lon, 4)
        stas = STATIONS[: 4 + k % 3]
        origin = Origin(
            lat=lat, lon=lon, depth=depth, time=time, orid=orid, evid=evid, jdate=jdate(time),
            nass=len(stas), ndef=len(stas), etype=etypes[k % len(etypes)],
            dtype="g" if k == 0 else "f", mb=round(4.1 + 0.3 * k, 2), mbid=magid,
            ms=round(3.2 + 0.2 * k, 2), msid=magid + 1, algorithm="testban", auth=auth,
        )  # fmt: skip
        out["origin"].append(origin)
        out["origerr"].append(
            Origerr(
                orid=orid, sdobs=0.83, smajax=12.3 + k, sminax=7.6, strike=43.0 + 10 * k,
                sdepth=-1.0 if k == 0 else 5.4, stime=1.27, conf=0.9,
            )
        )  # fmt: skip
        out["event"].append(Event(evid=evid, evname=f"ev{evid}", prefor=orid, auth=auth))
        mb_rows, ms_rows = [], []
        for i, (sta, delta, esaz, seaz, phase, tt) in enumerate(stas):
            at = time + tt + 0.1 * i
            amp, per = 12.3 + 4.1 * i, 0.45 + 0.05 * i
            out["arrival"].append(
                Arrival(
                    sta=sta, time=round(at, 3), arid=arid, jdate=jdate(at), chan="BHZ",
                    iphase=phase, stype="t", deltim=0.2, azimuth=round(seaz + 1.5, 1),
                    delaz=8.0, slow=round(8.9 - 0.05 * delta, 1), delslo=1.2, amp=amp, per=per,
                    snr=round(6.5 + i, 1), qual="i" if i % 2 else "e", fm="c" if i == 0 else "-",
                    auth=auth,
                )
            )  # fmt: skip
            out["assoc"].append(
                Assoc(
                    arid=arid, orid=orid, sta=sta, phase=phase, belief=1.0, delta=delta,
                    seaz=seaz, esaz=esaz, timeres=round(0.3 * (i - 2), 1), timedef="d",
                    azres=1.5, azdef="d" if i < 3 else "n", slores=-0.4,
                    slodef="d" if i < 2 else "n", wgt=1.0, vmodel="iasp91",
                )
            )  # fmt: skip
            out["amplitude"].append(
                Amplitude(
                    ampid=ampid, arid=arid, chan="BHZ", amp=amp, per=per, snr=6.5 + i,
                    amptime=at + 1.0, time=at - 0.5, duration=6.0, amptype="A5/2",
                    units="nm", inarrival="y", auth=auth,
                )
            )  # fmt: skip
            if phase == "P":
                mb_rows.append(
                    Stamag(
                        magid=magid, ampid=ampid, sta=sta, arid=arid, orid=orid, evid=evid,
                        phase=phase, delta=delta, magtype="mb_ave",
                        magnitude=round(origin.mb + 0.1 * (i - 1), 1),
                        magres=round(0.1 * (i - 1), 1), magdef="d", mmodel="qfvc", auth=auth,
                    )
                )  # fmt: skip
            arid += 1
            ampid += 1
        ms_rows.append(
            Stamag(
                magid=magid + 1, ampid=-1, sta=stas[0][0], arid=-1, orid=orid, evid=evid,
                phase="LR", delta=stas[0][1], magtype="ms_ave", magnitude=origin.ms,
                magdef="d", mmodel="rez_pearce", auth=auth,
            )
        )  # fmt: skip
        out["stamag"].extend(mb_rows + ms_rows)
        out["netmag"].append(
            Netmag(
                magid=magid, net="IDC", orid=orid, evid=evid, magtype="mb_ave",
                nsta=len(mb_rows), magnitude=origin.mb, uncertainty=0.2, auth=auth,
            )
        )  # fmt: skip
        out["netmag"].append(
            Netmag(
                magid=magid + 1, net="IDC", orid=orid, evid=evid, magtype="ms_ave", nsta=1,
                magnitude=origin.ms, uncertainty=0.3, auth=auth,
            )
        )  # fmt: skip
        magid += 2
    return out

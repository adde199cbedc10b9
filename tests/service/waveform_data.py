"""Synthetic waveform files and their ``wfdisc`` rows for the service tests.

Event 1002 (arrivals at MKAR, FINES, ARCES, WRA, ILAR):

- MKAR: one MiniSEED file, BHZ at 20 Hz;
- FINES: BHZ at 40 Hz in two files that meet inside the window, and BHN in a third (the
  plot must show BHZ, as one unbroken trace);
- ARCES: an array; ``wfdisc`` names its elements ARA0 (at the reference point) and ARB1
  (1.2 km off), whose ``site`` rows have ``refsta`` ARCES: the plot must show ARA0;
- WRA: a ``wfdisc`` row whose file is missing; ILAR: no ``wfdisc`` row.

Every trace is noise (σ 2 counts) plus a 0.1 Hz swell of 400 counts (outside the plotted
band, so it must be filtered away) plus a 2 Hz wavelet of 60 counts starting at the
station's arrival. Event 1003 has one ``wfdisc`` row, for ARCES, pointing at a text file
that no reader recognises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from obspy import Stream, Trace, UTCDateTime

from testban.records.css30 import Arrival, Assoc, Record, Site, Wfdisc, jdate

#: Sampling rate (Hz) of each station's file(s).
RATES = {"MKAR": 20.0, "FINES": 40.0, "ARA0": 40.0, "ARB1": 40.0}
#: Seconds of data before and after the arrival in each file.
LEAD, TAIL = 200.0, 300.0
#: Amplitudes (counts): noise σ, 0.1 Hz swell, 2 Hz wavelet.
NOISE, SWELL, WAVELET = 2.0, 400.0, 60.0


def arrivals_of(bulletin: dict[str, list[Record]], orid: int) -> dict[str, float]:
    """Station → arrival time of the associated arrivals of ``orid``."""
    arids = {a.arid: a.sta for a in bulletin["assoc"] if isinstance(a, Assoc) and a.orid == orid}
    return {
        arids[a.arid]: a.time
        for a in bulletin["arrival"]
        if isinstance(a, Arrival) and a.arid in arids
    }


def signal(t: np.ndarray, onset: float, seed: int) -> np.ndarray:
    """Counts at times ``t``: noise, a 0.1 Hz swell and a 2 Hz wavelet from ``onset``."""
    rng = np.random.default_rng(seed)
    x = NOISE * rng.standard_normal(t.size) + SWELL * np.sin(2 * np.pi * 0.1 * t)
    rel = t - onset
    env = np.where(rel >= 0, (1 - np.exp(-rel / 0.3)) * np.exp(-np.clip(rel, 0, None) / 8.0), 0)
    return x + WAVELET * env * np.sin(2 * np.pi * 2.0 * np.clip(rel, 0, None))


def _write(
    path: Path, sta: str, chan: str, start: float, n: int, rate: float, data: np.ndarray
) -> Wfdisc:
    tr = Trace(np.round(data).astype(np.int32))
    tr.stats.update(
        {"network": "XX", "station": sta, "channel": chan, "sampling_rate": rate,
         "starttime": UTCDateTime(start)}
    )  # fmt: skip
    Stream([tr]).write(str(path), format="MSEED", encoding="STEIM2")
    return Wfdisc(
        sta=sta, chan=chan, time=start, endtime=start + (n - 1) / rate, nsamp=n, samprate=rate,
        jdate=jdate(start), datatype="s4", dir=str(path.parent), dfile=path.name, foff=0,
    )  # fmt: skip


def waveform_tables(directory: Path, bulletin: dict[str, list[Record]]) -> dict[str, list[Record]]:
    """Write the files into ``directory``; their ``wfdisc`` rows and the element sites."""
    directory.mkdir(parents=True, exist_ok=True)
    rows: list[Wfdisc] = []
    onsets = arrivals_of(bulletin, 1002)

    def channel(sta: str, onset: float, chan: str = "BHZ", cut: float | None = None) -> None:
        rate = RATES[sta]
        start = round(onset - LEAD)
        n = int((LEAD + TAIL) * rate)
        t = start + np.arange(n) / rate
        data = signal(t, onset, seed=len(rows))
        bounds = [0, n] if cut is None else [0, int((cut - start) * rate), n]
        for k, (i, j) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            path = directory / f"{sta}.{chan}.{k}.mseed"
            rows.append(_write(path, sta, chan, float(t[i]), j - i, rate, data[i:j]))

    channel("MKAR", onsets["MKAR"])
    channel("FINES", onsets["FINES"], cut=onsets["FINES"] - 10.0)
    channel("FINES", onsets["FINES"], chan="BHN")
    channel("ARA0", onsets["ARCES"])
    channel("ARB1", onsets["ARCES"])
    wra = onsets["WRA"]
    rows.append(
        Wfdisc(sta="WRA", chan="BHZ", time=wra - LEAD, endtime=wra + TAIL, nsamp=20000,
               samprate=40.0, jdate=jdate(wra), dir=str(directory), dfile="WRA.missing.mseed")
    )  # fmt: skip
    arces_1003 = arrivals_of(bulletin, 1003)["ARCES"]
    garbage = directory / "ARCES.garbage.w"
    garbage.write_text("this is not a waveform file\n" * 20)
    rows.append(
        Wfdisc(sta="ARCES", chan="BHZ", time=arces_1003 - LEAD, endtime=arces_1003 + TAIL,
               nsamp=20000, samprate=40.0, jdate=jdate(arces_1003), dir=str(directory),
               dfile=garbage.name)
    )  # fmt: skip
    for wfid, r in enumerate(rows, start=1):
        r.wfid = wfid
    sites = [
        Site(sta="ARA0", ondate=2000001, lat=69.5349, lon=25.5058, elev=0.4, staname="ARCES A0",
             statype="ss", refsta="ARCES", dnorth=0.0, deast=0.0),
        Site(sta="ARB1", ondate=2000001, lat=69.5453, lon=25.5059, elev=0.4, staname="ARCES B1",
             statype="ss", refsta="ARCES", dnorth=1.155, deast=0.002),
    ]  # fmt: skip
    return {"wfdisc": list(rows), "site": list(sites)}
